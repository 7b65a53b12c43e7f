import { SAMPLE_ROLES, type MinterCredential, type PostgresServer } from '@portcullis/testkit';
import type { KubeObject } from '../kube-api.js';
import { podManifest } from '../pods.js';

/** Names the demo uses in its cluster. */
export const DEMO = {
  namespace: 'shop',
  app: 'shop-app',
  steward: 'steward',
  dataSource: 'shop',
  policy: 'shop-app',
  minterSecret: 'shop-minter',
  database: 'app',
} as const;

/** The Kubernetes user name of the data steward who approves. */
export const STEWARD_USER = `system:serviceaccount:${DEMO.namespace}:${DEMO.steward}`;

const object = (kind: string, name: string, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: DEMO.namespace },
  ...rest,
});

/**
 * The app's and the steward's ServiceAccounts; the steward may decide AccessRequests in the
 * namespace through the chart's approver ClusterRole, and nothing else.
 */
export function identities(approverClusterRole: string): KubeObject[] {
  return [
    object('ServiceAccount', DEMO.app),
    object('ServiceAccount', DEMO.steward),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'steward-approves', namespace: DEMO.namespace },
      subjects: [{ kind: 'ServiceAccount', name: DEMO.steward, namespace: DEMO.namespace }],
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: approverClusterRole,
      },
    },
  ];
}

/** The minter Secret and the DataSource of the demo database, gate port fixed to localPort. */
export function dataSourceObjects(
  db: PostgresServer,
  minter: MinterCredential,
  localPort: number,
): KubeObject[] {
  return [
    object('Secret', DEMO.minterSecret, {
      stringData: { username: minter.username, password: minter.password },
    }),
    {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'DataSource',
      metadata: { name: DEMO.dataSource, namespace: DEMO.namespace },
      spec: {
        host: db.host,
        port: db.port,
        database: DEMO.database,
        tls: { mode: 'require' },
        localPort,
        minter: {
          secretRef: { name: DEMO.minterSecret },
          grantableRoles: [SAMPLE_ROLES.reader, SAMPLE_ROLES.writer],
        },
        classification: {
          'public.customers.email': 'email',
          'public.customers.card_number': 'credit_card',
        },
      },
    },
  ];
}

/**
 * The app's policy: it reads and writes as app_writer; emails and card numbers are masked;
 * DDL such as DROP is refused; a DELETE waits for the steward.
 */
export function accessPolicy(): KubeObject {
  return {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: DEMO.policy, namespace: DEMO.namespace },
    spec: {
      dataSourceRef: { name: DEMO.dataSource },
      workloadSelector: { matchLabels: { app: DEMO.app } },
      subjects: [{ serviceAccount: { name: DEMO.app } }],
      grant: { role: SAMPLE_ROLES.writer, ttl: '10m', maxSessionDuration: '1h' },
      guardrails: { deny: ['ddl', 'truncate'] },
      masking: {
        rules: [
          { classification: 'credit_card', strategy: 'partial' },
          { classification: 'email', strategy: 'partial' },
        ],
      },
      approval: {
        rules: [{ classes: ['delete'] }],
        approvers: { users: [STEWARD_USER] },
        timeout: '5m',
      },
      // The injected gate records to its stdout (--record -), which the demo shows as it runs;
      // recording lines would bury the story, so the demo asks for none.
      recording: { enabled: false },
    },
  };
}

/** The app's pod: labelled for injection, running as the app's ServiceAccount. */
export function appPod(): KubeObject {
  return podManifest(DEMO.namespace, DEMO.app, {
    labels: { app: DEMO.app, 'portcullis.dev/inject': 'true' },
    serviceAccount: DEMO.app,
  });
}

/** Objects as one kubectl List. */
export function list(items: KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
