import type { z } from 'zod';
import { accessPolicySpecSchema, accessPolicyStatusSchema } from './access-policy.js';
import { accessRequestSpecSchema, accessRequestStatusSchema } from './access-request.js';
import { dataSourceSpecSchema, dataSourceStatusSchema } from './data-source.js';

/** A column `kubectl get` prints (CustomResourceColumnDefinition). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** What the generator needs to know of one kind beyond its schemas. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  /** Checked against the built-in short names (ds is DaemonSet's, ap nobody's yet but generic). */
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: PrinterColumn[];
}

/** The category `kubectl get portcullis` lists all three kinds by. */
export const CATEGORY = 'portcullis';

const READY: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Status of the Ready condition.',
};

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

/** The three kinds of portcullis.dev/v1alpha1, in the order their manifests are written. */
export const KINDS: readonly KindDefinition[] = [
  {
    kind: 'DataSource',
    plural: 'datasources',
    singular: 'datasource',
    shortNames: ['pgds'],
    description:
      'DataSource is one PostgreSQL database that workloads may reach through the Portcullis ' +
      'gate, and the credential the gate mints short-lived roles with.',
    spec: dataSourceSpecSchema,
    status: dataSourceStatusSchema,
    printerColumns: [
      { name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'Server host.' },
      { name: 'Database', type: 'string', jsonPath: '.spec.database', description: 'Database.' },
      READY,
      {
        name: 'Roles',
        type: 'integer',
        jsonPath: '.status.mintedRoles',
        description: 'Minted roles alive on the server.',
        priority: 1,
      },
      AGE,
    ],
  },
  {
    kind: 'AccessPolicy',
    plural: 'accesspolicies',
    singular: 'accesspolicy',
    shortNames: ['pgap'],
    description:
      'AccessPolicy says who may use one DataSource, as which PostgreSQL role, and under which ' +
      'guardrails, masking, approval and recording rules. A session no policy admits is refused.',
    spec: accessPolicySpecSchema,
    status: accessPolicyStatusSchema,
    printerColumns: [
      {
        name: 'DataSource',
        type: 'string',
        jsonPath: '.spec.dataSourceRef.name',
        description: 'The DataSource the policy opens.',
      },
      { name: 'Role', type: 'string', jsonPath: '.spec.grant.role', description: 'Granted role.' },
      {
        name: 'TTL',
        type: 'string',
        jsonPath: '.spec.grant.ttl',
        description: 'Lifetime of a minted credential.',
        priority: 1,
      },
      {
        name: 'Pods',
        type: 'integer',
        jsonPath: '.status.selectedPods',
        description: 'Pods the workloadSelector matches.',
      },
      READY,
      AGE,
    ],
  },
  {
    kind: 'AccessRequest',
    plural: 'accessrequests',
    singular: 'accessrequest',
    shortNames: ['pgar'],
    description:
      'AccessRequest is one operation the gate holds until a person approves or denies it. ' +
      'The gate creates it; an approver sets spec.decision.',
    spec: accessRequestSpecSchema,
    status: accessRequestStatusSchema,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Where it stands.' },
      {
        name: 'Policy',
        type: 'string',
        jsonPath: '.spec.policyRef.name',
        description: 'The AccessPolicy whose approval rule matched.',
      },
      {
        name: 'Requester',
        type: 'string',
        jsonPath: '.spec.requester.identity',
        description: 'Who is waiting.',
      },
      {
        name: 'Operation',
        type: 'string',
        jsonPath: '.spec.operation.kind',
        description: 'statement or rows.',
        priority: 1,
      },
      {
        name: 'Verdict',
        type: 'string',
        jsonPath: '.spec.decision.verdict',
        description: 'approve or deny, once decided.',
      },
      {
        name: 'Decided-By',
        type: 'string',
        jsonPath: '.spec.decision.decidedBy',
        description: 'Who decided.',
        priority: 1,
      },
      {
        // A string, not a date: kubectl prints a future date as <invalid>.
        name: 'Expires',
        type: 'string',
        jsonPath: '.spec.expiresAt',
        description: 'When the gate stops waiting.',
        priority: 1,
      },
      AGE,
    ],
  },
];
