import { z } from 'zod';
import {
  conditionSchema,
  GROUP_VERSION,
  labelSelectorSchema,
  localObjectReferenceSchema,
  objectMetaSchema,
  objectNameSchema,
  qualifiedColumnSchema,
  qualifiedTableSchema,
  secretKeySelectorSchema,
  sqlIdentifierSchema,
} from './common.js';
import { durationSchema, parseDuration } from './duration.js';
import { statementClassSchema } from './statement-class.js';

const serviceAccountSubjectSchema = z.strictObject({
  name: objectNameSchema.describe('Name of the ServiceAccount.'),
  namespace: objectNameSchema
    .optional()
    .describe('Namespace of the ServiceAccount; the policy namespace when omitted.'),
});

const oidcSubjectSchema = z.strictObject({
  issuer: z
    .url({ protocol: /^https?$/ })
    .describe('Issuer URL (iss); its JWKS is discovered from it.'),
  audience: z.string().min(1).describe('Audience (aud) the token must be issued for.'),
  jwksUri: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('JWKS URL, when the issuer does not publish OpenID discovery.'),
  groups: z
    .array(z.string().min(1))
    .optional()
    .describe('The token must carry at least one of these in its groups claim.'),
  claims: z
    .record(z.string(), z.string())
    .optional()
    .describe('Claims the token must carry with exactly these values.'),
  usernameClaim: z
    .string()
    .default('sub')
    .describe('Claim that names the caller in recordings and role comments.'),
});

/** One caller a policy admits: exactly one of serviceAccount or oidc. */
export const subjectSchema = z
  .strictObject({
    serviceAccount: serviceAccountSubjectSchema
      .optional()
      .describe('A Kubernetes ServiceAccount: the pod identity, used when no token is presented.'),
    oidc: oidcSubjectSchema.optional().describe('Callers presenting an OIDC JWT as the password.'),
  })
  .refine((s) => (s.serviceAccount === undefined) !== (s.oidc === undefined), {
    message: 'set exactly one of serviceAccount or oidc',
  });

const grantSchema = z
  .strictObject({
    role: sqlIdentifierSchema.describe('Role the minted role becomes a member of.'),
    ttl: durationSchema
      .default('15m')
      .describe('Lifetime of the minted credential (VALID UNTIL) and of the session.'),
    maxSessionDuration: durationSchema
      .default('1h')
      .describe('Longest a session may last; ttl may not exceed it.'),
    connectionLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('CONNECTION LIMIT of the minted role.'),
  })
  .describe('The PostgreSQL role sessions act as, and for how long.');

const tableRuleSchema = z.strictObject({
  table: qualifiedTableSchema.describe('The table as schema.table.'),
  allow: z.array(statementClassSchema).optional().describe('Classes allowed on this table only.'),
  deny: z.array(statementClassSchema).optional().describe('Classes refused on this table.'),
});

const guardrailsSchema = z.strictObject({
  allow: z
    .array(statementClassSchema)
    .optional()
    .describe(
      'Statement classes allowed; when omitted: read, insert, update, delete, merge, copy-in, ' +
        'copy-out, transaction, session, listen, notify.',
    ),
  deny: z
    .array(statementClassSchema)
    .default([])
    .describe('Statement classes refused even if allowed above.'),
  requireWhere: z
    .boolean()
    .default(true)
    .describe('Refuse UPDATE and DELETE without a WHERE clause.'),
  tables: z.array(tableRuleSchema).default([]).describe('Rules for single tables.'),
  allowFunctions: z
    .array(z.string().min(1))
    .default([])
    .describe('Dangerous functions (file access, dblink, ...) this policy allows by name.'),
  denyFunctions: z
    .array(z.string().min(1))
    .default([])
    .describe('More functions to refuse, in addition to the built-in dangerous list.'),
  allowFunctionCall: z
    .boolean()
    .default(false)
    .describe('Allow the FunctionCall message of the protocol (fast-path calls).'),
});

export const MASK_STRATEGIES = ['redact', 'partial', 'hash', 'null'] as const;
export const VALUE_DETECTORS = [
  'credit_card',
  'iban',
  'email',
  'us_ssn',
  'phone',
  'secret',
] as const;

/** One masking rule: by classification or by value detector, exactly one of the two. */
export const maskingRuleSchema = z
  .strictObject({
    classification: z
      .string()
      .optional()
      .describe('Columns the DataSource classifies with this kind.'),
    detector: z.enum(VALUE_DETECTORS).optional().describe('Values this detector recognises.'),
    columns: z
      .array(qualifiedColumnSchema)
      .optional()
      .describe('For a detector: the columns to scan; all text columns when omitted.'),
    strategy: z
      .enum(MASK_STRATEGIES)
      .describe(
        'redact: a fixed mask; partial: keep the last four (or the email domain); hash: a ' +
          'keyed deterministic hash; null: NULL.',
      ),
  })
  .refine((r) => (r.classification === undefined) !== (r.detector === undefined), {
    message: 'set exactly one of classification or detector',
  });

const maskingSchema = z.strictObject({
  rules: z.array(maskingRuleSchema).default([]).describe('Masking rules, first match wins.'),
  derived: z
    .enum(['mask', 'refuse'])
    .default('mask')
    .describe('A value computed from a masked column is masked whole, or the query is refused.'),
  binary: z
    .enum(['null', 'refuse'])
    .default('null')
    .describe('A binary-format value that must be masked becomes NULL, or the query is refused.'),
  hashKeySecretRef: secretKeySelectorSchema
    .optional()
    .describe('Secret key with the key of the hash strategy; one per sidecar when omitted.'),
});

const approvalRuleSchema = z
  .strictObject({
    classes: z.array(statementClassSchema).optional().describe('Statement classes that wait.'),
    tables: z.array(qualifiedTableSchema).optional().describe('Statements touching these tables.'),
    rowsOver: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('A result with more rows than this pauses after delivering that many.'),
  })
  .refine((r) => r.classes !== undefined || r.tables !== undefined || r.rowsOver !== undefined, {
    message: 'set at least one of classes, tables or rowsOver',
  });

const approvalSchema = z.strictObject({
  rules: z.array(approvalRuleSchema).min(1).describe('Conditions that route to a human.'),
  approvers: z
    .strictObject({
      users: z.array(z.string().min(1)).default([]).describe('Kubernetes user names.'),
      groups: z.array(z.string().min(1)).default([]).describe('Kubernetes groups.'),
    })
    .refine((a) => a.users.length + a.groups.length > 0, {
      message: 'name at least one user or group',
    })
    .describe('Who may decide; never the requester.'),
  timeout: durationSchema.default('10m').describe('How long a held operation waits.'),
});

const recordingSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Record sessions as JSON Lines.'),
  includeRows: z
    .boolean()
    .default(false)
    .describe('Keep result rows, after masking, in the recording.'),
});

const limitsSchema = z.strictObject({
  rowsPerMinute: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Rows per minute one identity may read, across all its sessions.'),
});

export const accessPolicySpecSchema = z
  .strictObject({
    dataSourceRef: localObjectReferenceSchema.describe('The DataSource this policy opens.'),
    workloadSelector: labelSelectorSchema.describe(
      'Pods (same namespace) whose sidecar applies it.',
    ),
    subjects: z.array(subjectSchema).min(1).describe('Callers admitted; any one suffices.'),
    grant: grantSchema,
    guardrails: guardrailsSchema.default({
      deny: [],
      requireWhere: true,
      tables: [],
      allowFunctions: [],
      denyFunctions: [],
      allowFunctionCall: false,
    }),
    masking: masking(),
    approval: approvalSchema.optional().describe('Operations that wait for a human.'),
    recording: recordingSchema.default({ enabled: true, includeRows: false }),
    limits: limitsSchema.default({}),
    rolloutOnChange: z
      .boolean()
      .default(true)
      .describe('Roll selected workloads when a change cannot be picked up live.'),
  })
  .refine((s) => parseDuration(s.grant.ttl) <= parseDuration(s.grant.maxSessionDuration), {
    message: 'ttl may not exceed maxSessionDuration',
    path: ['grant', 'ttl'],
  });

function masking() {
  return maskingSchema
    .default({ rules: [], derived: 'mask', binary: 'null' })
    .describe('How result values are masked.');
}

export const accessPolicyStatusSchema = z.strictObject({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
  selectedPods: z.number().int().optional().describe('Pods the workloadSelector matches.'),
  lastError: z.string().optional(),
});

export const accessPolicySchema = z.strictObject({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('AccessPolicy'),
  metadata: objectMetaSchema,
  spec: accessPolicySpecSchema,
  status: accessPolicyStatusSchema.optional(),
});

export type Subject = z.infer<typeof subjectSchema>;
export type MaskingRule = z.infer<typeof maskingRuleSchema>;
export type MaskStrategy = (typeof MASK_STRATEGIES)[number];
export type ValueDetector = (typeof VALUE_DETECTORS)[number];
export type AccessPolicySpec = z.infer<typeof accessPolicySpecSchema>;
export type AccessPolicy = z.infer<typeof accessPolicySchema>;
export type Guardrails = AccessPolicySpec['guardrails'];
export type Masking = AccessPolicySpec['masking'];
export type Approval = NonNullable<AccessPolicySpec['approval']>;
