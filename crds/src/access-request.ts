import { z } from 'zod';
import {
  conditionSchema,
  GROUP_VERSION,
  localObjectReferenceSchema,
  objectMetaSchema,
  qualifiedTableSchema,
} from './common.js';
import { statementClassSchema } from './statement-class.js';
import type { RuleFailure, TransitionRule } from './validation-rule.js';
import { celEquals, transitionFailures, withTransitionRules } from './validation-rule.js';

/** What an approver may decide. */
export const APPROVAL_VERDICTS = ['approve', 'deny'] as const;
/** Where an AccessRequest stands, as the operator reports it in status.phase. */
export const ACCESS_REQUEST_PHASES = ['Pending', 'Approved', 'Denied', 'Expired'] as const;

const accessRequestSpecShape = z.strictObject({
  policyRef: localObjectReferenceSchema.describe('The AccessPolicy whose approval rule matched.'),
  dataSourceRef: localObjectReferenceSchema.describe('The DataSource the operation targets.'),
  requester: z
    .strictObject({
      identity: z
        .string()
        .min(1)
        .max(512)
        .describe('Who asked: a service account or an OIDC subject.'),
      pod: z.string().max(253).optional().describe('Pod whose sidecar holds the operation.'),
      session: z.string().min(1).max(128).describe('Session id, as in the recording.'),
    })
    .describe('Who is waiting; set by the gate.'),
  operation: z
    .strictObject({
      kind: z
        .enum(['statement', 'rows'])
        .describe('statement: a statement before it runs; rows: a result larger than allowed.'),
      statement: z.string().max(4096).optional().describe('Statement text (truncated to 4 KiB).'),
      classes: z
        .array(statementClassSchema)
        .max(32)
        .default([])
        .describe('Classes of the statement.'),
      tables: z
        .array(qualifiedTableSchema)
        .max(128)
        .default([])
        .describe('Tables the statement touches.'),
      rowCount: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('Rows delivered so far, for kind rows.'),
    })
    .describe('What waits for a decision.'),
  reason: z.string().max(1024).describe('The approval rule that matched, in words.'),
  expiresAt: z.iso
    .datetime({ offset: true })
    .describe('When the gate stops waiting and refuses (RFC 3339).'),
  decision: z
    .strictObject({
      verdict: z.enum(APPROVAL_VERDICTS).describe('approve or deny.'),
      comment: z.string().max(1024).optional().describe("Why, in the approver's words."),
      decidedBy: z
        .string()
        .max(512)
        .optional()
        .describe('Set by the admission webhook from the request user; a value sent is replaced.'),
    })
    .optional()
    .describe('Set by an approver with kubectl; once set it cannot change or be removed.'),
});

type Spec = z.output<typeof accessRequestSpecShape>;

// Only the decision may be added after creation: what waits, and who waits, are the gate's
// word, and an approver who could edit them could approve something else than what runs.
const FIXED_FIELDS = [
  'policyRef',
  'dataSourceRef',
  'requester',
  'operation',
  'reason',
  'expiresAt',
] as const;

/** The update rules of an AccessRequest spec; the API server runs them as CEL. */
export const ACCESS_REQUEST_SPEC_TRANSITIONS: readonly TransitionRule<Spec>[] = [
  {
    rule: '!has(oldSelf.decision) || (has(self.decision) && self.decision == oldSelf.decision)',
    message: 'decision cannot change once set',
    fieldPath: '.decision',
    holds: (self, oldSelf) =>
      oldSelf.decision === undefined || celEquals(self.decision, oldSelf.decision),
  },
  ...FIXED_FIELDS.map((field): TransitionRule<Spec> => ({
    rule: `self.${field} == oldSelf.${field}`,
    message: `${field} cannot change`,
    fieldPath: `.${field}`,
    holds: (self, oldSelf) => celEquals(self[field], oldSelf[field]),
  })),
];

/** AccessRequest spec, with its update rules attached for the CRD. */
export const accessRequestSpecSchema = withTransitionRules(
  accessRequestSpecShape,
  ...ACCESS_REQUEST_SPEC_TRANSITIONS,
).describe('One operation the gate holds until a human decides, and the decision.');

/** AccessRequest status, written by the operator through the status subresource. */
export const accessRequestStatusSchema = z
  .strictObject({
    phase: z
      .enum(ACCESS_REQUEST_PHASES)
      .optional()
      .describe('Pending until decided; Expired when nobody decided before expiresAt.'),
    decidedAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the decision was recorded (RFC 3339).'),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .describe('Conditions of the request, as the operator reports them.'),
  })
  .describe('Where the request stands; written by the operator only.');

/** A whole AccessRequest object as stored. */
export const accessRequestSchema = z.strictObject({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('AccessRequest'),
  metadata: objectMetaSchema,
  spec: accessRequestSpecSchema,
  status: accessRequestStatusSchema.optional(),
});

export type AccessRequestSpec = z.infer<typeof accessRequestSpecSchema>;
export type AccessRequestStatus = z.infer<typeof accessRequestStatusSchema>;
export type AccessRequest = z.infer<typeof accessRequestSchema>;
export type ApprovalVerdict = (typeof APPROVAL_VERDICTS)[number];
export type AccessRequestPhase = (typeof ACCESS_REQUEST_PHASES)[number];

/**
 * The problems of an update from `oldRequest` to `newRequest`, the same the API server's
 * transition rules report; for a webhook or a test that wants them before the server does.
 */
export function accessRequestUpdateFailures(
  oldRequest: AccessRequest,
  newRequest: AccessRequest,
): RuleFailure[] {
  return transitionFailures(ACCESS_REQUEST_SPEC_TRANSITIONS, newRequest.spec, oldRequest.spec).map(
    (failure) => ({ ...failure, path: ['spec', ...failure.path] }),
  );
}
