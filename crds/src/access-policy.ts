import { z } from 'zod';
import {
  conditionSchema,
  GROUP_VERSION,
  httpUrlSchema,
  labelSelectorSchema,
  localObjectReferenceSchema,
  objectMetaSchema,
  objectNameSchema,
  qualifiedColumnSchema,
  qualifiedTableSchema,
  secretKeySelectorSchema,
  sqlIdentifierSchema,
  stringList,
} from './common.js';
import { celWithDurations, durationSchema, parseDuration } from './duration.js';
import { statementClassSchema } from './statement-class.js';
import { withRules } from './validation-rule.js';

const serviceAccountSubjectSchema = z.strictObject({
  name: objectNameSchema.describe('Name of the ServiceAccount.'),
  namespace: objectNameSchema
    .optional()
    .describe('Namespace of the ServiceAccount; the namespace of the policy when omitted.'),
});

const oidcSubjectSchema = z.strictObject({
  issuer: httpUrlSchema.describe('Issuer URL (iss claim); its JWKS is discovered from it.'),
  audience: z
    .string()
    .min(1)
    .max(256)
    .describe('Audience (aud claim) the token must be issued for.'),
  jwksUri: httpUrlSchema
    .optional()
    .describe('JWKS URL, for an issuer that does not publish OpenID discovery.'),
  groups: stringList(64)
    .optional()
    .describe('The token must carry at least one of these in its groups claim.'),
  claims: z
    .record(z.string().min(1).max(256), z.string().max(1024))
    .optional()
    .describe('Claims the token must carry with exactly these values.'),
  usernameClaim: z
    .string()
    .min(1)
    .max(256)
    .default('sub')
    .describe('Claim that names the caller in recordings and role comments.'),
});

/** One caller a policy admits: exactly one of serviceAccount or oidc. */
export const subjectSchema = withRules(
  z.strictObject({
    serviceAccount: serviceAccountSubjectSchema
      .optional()
      .describe('A Kubernetes ServiceAccount: the pod identity, used when no token is presented.'),
    oidc: oidcSubjectSchema.optional().describe('Callers presenting an OIDC JWT as the password.'),
  }),
  {
    rule: 'has(self.serviceAccount) != has(self.oidc)',
    message: 'set exactly one of serviceAccount or oidc',
    holds: (s) => (s.serviceAccount === undefined) !== (s.oidc === undefined),
  },
);

const grantSchema = withRules(
  z.strictObject({
    role: sqlIdentifierSchema.describe(
      'Role the minted role becomes a member of; one of the DataSource grantableRoles.',
    ),
    ttl: durationSchema
      .default('15m')
      .describe('Lifetime of the minted credential (VALID UNTIL), renewed while a session lives.'),
    maxSessionDuration: durationSchema
      .default('1h')
      .describe('Longest a session may last before the gate ends it; ttl may not exceed it.'),
    connectionLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('CONNECTION LIMIT of the minted role.'),
  }),
  {
    // Both fields have defaults, so the API server always sees them here.
    rule: celWithDurations(
      ['self.ttl', 'self.maxSessionDuration'],
      'duration(self.ttl) <= duration(self.maxSessionDuration)',
    ),
    message: 'ttl may not exceed maxSessionDuration',
    fieldPath: '.ttl',
    holds: (g) => parseDuration(g.ttl) <= parseDuration(g.maxSessionDuration),
  },
);

const statementClassList = z.array(statementClassSchema).min(1).max(32);

const tableRuleSchema = withRules(
  z.strictObject({
    table: qualifiedTableSchema.describe('The table as schema.table.'),
    allow: statementClassList
      .optional()
      .describe('Classes allowed on this table even if the policy-wide list does not.'),
    deny: statementClassList.optional().describe('Classes refused on this table.'),
  }),
  {
    rule: 'has(self.allow) || has(self.deny)',
    message: 'set allow, deny or both',
    holds: (t) => t.allow !== undefined || t.deny !== undefined,
  },
);

const guardrailsSchema = z.strictObject({
  allow: z
    .array(statementClassSchema)
    .max(32)
    .optional()
    .describe(
      'Statement classes allowed; when omitted: read, insert, update, delete, merge, copy-in, ' +
        'copy-out, transaction, session, listen, notify.',
    ),
  deny: z
    .array(statementClassSchema)
    .max(32)
    .default([])
    .describe('Statement classes refused even if allowed above.'),
  requireWhere: z
    .boolean()
    .default(true)
    .describe('Refuse UPDATE and DELETE without a WHERE clause.'),
  tables: z.array(tableRuleSchema).max(128).default([]).describe('Rules for single tables.'),
  allowFunctions: stringList(128)
    .default([])
    .describe('Functions of the built-in dangerous list (file access, dblink...) to allow.'),
  denyFunctions: stringList(128)
    .default([])
    .describe('More functions to refuse, in addition to the built-in dangerous list.'),
  allowFunctionCall: z
    .boolean()
    .default(false)
    .describe('Allow the FunctionCall message of the protocol (fast-path calls).'),
});

/** How a masking rule replaces a value. */
export const MASK_STRATEGIES = ['redact', 'partial', 'hash', 'null'] as const;
/** Detectors that recognise sensitive values by their content, whatever the column. */
export const VALUE_DETECTORS = [
  'credit_card',
  'iban',
  'email',
  'us_ssn',
  'phone',
  'secret',
] as const;

/** One masking rule: by classification or by value detector, exactly one of the two. */
export const maskingRuleSchema = withRules(
  z.strictObject({
    classification: z
      .string()
      .max(63)
      .regex(/^[a-z][a-z0-9_-]*$/, 'must be a lowercase kind name such as email')
      .optional()
      .describe('Columns the DataSource classifies as this kind.'),
    detector: z.enum(VALUE_DETECTORS).optional().describe('Values this detector recognises.'),
    columns: z
      .array(qualifiedColumnSchema)
      .min(1)
      .max(128)
      .optional()
      .describe('For a detector: the columns to scan; every text column when omitted.'),
    strategy: z
      .enum(MASK_STRATEGIES)
      .describe(
        'redact: a fixed mask; partial: keep the last four characters (or the email domain); ' +
          'hash: a keyed deterministic hash; null: NULL.',
      ),
  }),
  {
    rule: 'has(self.classification) != has(self.detector)',
    message: 'set exactly one of classification or detector',
    holds: (r) => (r.classification === undefined) !== (r.detector === undefined),
  },
  {
    rule: '!has(self.columns) || has(self.detector)',
    message: 'columns narrows a detector; a classification names its columns already',
    fieldPath: '.columns',
    holds: (r) => r.columns === undefined || r.detector !== undefined,
  },
);

const maskingSchema = z.strictObject({
  rules: z
    .array(maskingRuleSchema)
    .max(64)
    .default([])
    .describe('Masking rules; first match wins.'),
  derived: z
    .enum(['mask', 'refuse'])
    .default('mask')
    .describe(
      'A value computed from a masked column (concatenation, substring, cast) is masked whole, ' +
        'or the query is refused.',
    ),
  binary: z
    .enum(['null', 'refuse'])
    .default('null')
    .describe('A binary-format value that must be masked becomes NULL, or the query is refused.'),
  hashKeySecretRef: secretKeySelectorSchema
    .optional()
    .describe('Secret key holding the key of the hash strategy; a key per sidecar when omitted.'),
});

const approvalRuleSchema = withRules(
  z.strictObject({
    classes: statementClassList.optional().describe('Statements of these classes wait.'),
    tables: z
      .array(qualifiedTableSchema)
      .min(1)
      .max(128)
      .optional()
      .describe('Statements touching these tables wait.'),
    rowsOver: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('A result with more rows than this pauses after delivering that many.'),
  }),
  {
    rule: 'has(self.classes) || has(self.tables) || has(self.rowsOver)',
    message: 'set at least one of classes, tables or rowsOver',
    holds: (r) => r.classes !== undefined || r.tables !== undefined || r.rowsOver !== undefined,
  },
);

const approversSchema = withRules(
  z.strictObject({
    users: stringList(64).default([]).describe('Kubernetes user names.'),
    groups: stringList(64).default([]).describe('Kubernetes groups.'),
  }),
  {
    rule: 'size(self.users) + size(self.groups) > 0',
    message: 'name at least one user or group',
    holds: (a) => a.users.length + a.groups.length > 0,
  },
);

const approvalSchema = z.strictObject({
  rules: z
    .array(approvalRuleSchema)
    .min(1)
    .max(32)
    .describe('Conditions that route an operation to a human; any one suffices.'),
  approvers: approversSchema.describe(
    'Who may decide; never the requester, whatever this list says.',
  ),
  timeout: durationSchema
    .default('10m')
    .describe('How long a held operation waits before it is refused.'),
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
    .describe('Rows per minute one identity may read, across all its sessions; no limit if unset.'),
});

/** Who may use one DataSource, as which role, and under which rules. */
export const accessPolicySpecSchema = z
  .strictObject({
    dataSourceRef: localObjectReferenceSchema.describe('The DataSource this policy opens.'),
    workloadSelector: labelSelectorSchema.describe(
      'Pods in the same namespace whose sidecar enforces this policy; {} selects every pod.',
    ),
    subjects: z.array(subjectSchema).min(1).max(32).describe('Callers admitted; any one suffices.'),
    grant: grantSchema.describe('The PostgreSQL role sessions act as, and for how long.'),
    guardrails: guardrailsSchema
      .prefault({})
      .describe('Which statements run; everything else is refused with SQLSTATE 42501.'),
    masking: maskingSchema.prefault({}).describe('How result values are masked in flight.'),
    approval: approvalSchema.optional().describe('Operations that wait for a human decision.'),
    recording: recordingSchema.prefault({}).describe('What the sidecar records of each session.'),
    limits: limitsSchema.prefault({}).describe('Rate limits across the sessions of an identity.'),
    rolloutOnChange: z
      .boolean()
      .default(true)
      .describe('Roll selected workloads when a change cannot be picked up live.'),
  })
  .describe('Who may use the DataSource, as which role, and under which rules.');

/** AccessPolicy status, written by the operator through the status subresource. */
export const accessPolicyStatusSchema = z
  .strictObject({
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation this status was computed from.'),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .describe('Ready: the DataSource exists and no other policy overlaps this one.'),
    selectedPods: z.number().int().min(0).optional().describe('Pods the workloadSelector matches.'),
    lastError: z.string().max(4096).optional().describe('The last problem found, in words.'),
  })
  .describe('What the operator last observed; written by the operator only.');

/** A whole AccessPolicy object as stored and as written in a manifest. */
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
export type AccessPolicyStatus = z.infer<typeof accessPolicyStatusSchema>;
export type AccessPolicy = z.infer<typeof accessPolicySchema>;
export type Grant = AccessPolicySpec['grant'];
export type Guardrails = AccessPolicySpec['guardrails'];
export type Masking = AccessPolicySpec['masking'];
export type Approval = NonNullable<AccessPolicySpec['approval']>;
export type ApprovalRule = Approval['rules'][number];
