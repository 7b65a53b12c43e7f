import { z } from 'zod';
import {
  conditionSchema,
  GROUP_VERSION,
  localObjectReferenceSchema,
  objectMetaSchema,
  qualifiedTableSchema,
} from './common.js';
import { statementClassSchema } from './statement-class.js';

export const APPROVAL_VERDICTS = ['approve', 'deny'] as const;
export const ACCESS_REQUEST_PHASES = ['Pending', 'Approved', 'Denied', 'Expired'] as const;

export const accessRequestSpecSchema = z.strictObject({
  policyRef: localObjectReferenceSchema.describe('The AccessPolicy whose approval rule matched.'),
  dataSourceRef: localObjectReferenceSchema.describe('The DataSource the operation targets.'),
  requester: z
    .strictObject({
      identity: z.string().min(1).describe('Who asked: a service account or OIDC subject.'),
      pod: z.string().optional().describe('Pod whose sidecar holds the operation.'),
      session: z.string().min(1).describe('Session id, as in the recording.'),
    })
    .describe('Who is waiting; set by the gate.'),
  operation: z
    .strictObject({
      kind: z
        .enum(['statement', 'rows'])
        .describe('A statement before it runs, or a large result.'),
      statement: z.string().max(4096).optional().describe('Statement text (truncated to 4 KiB).'),
      classes: z.array(statementClassSchema).default([]).describe('Classes of the statement.'),
      tables: z.array(qualifiedTableSchema).default([]).describe('Tables the statement touches.'),
      rowCount: z.number().int().min(0).optional().describe('Rows delivered so far, for rows.'),
    })
    .describe('What waits for a decision.'),
  reason: z.string().describe('The approval rule that matched, in words.'),
  expiresAt: z.iso.datetime().describe('When the gate stops waiting and refuses.'),
  decision: z
    .strictObject({
      verdict: z.enum(APPROVAL_VERDICTS).describe('approve or deny.'),
      comment: z.string().max(1024).optional().describe("Why, in the approver's words."),
      decidedBy: z
        .string()
        .optional()
        .describe(
          'Set by the admission webhook from the request user; any value sent is replaced.',
        ),
    })
    .optional()
    .describe('Set by an approver with kubectl; once set it cannot change.'),
});

export const accessRequestStatusSchema = z.strictObject({
  phase: z.enum(ACCESS_REQUEST_PHASES).optional(),
  decidedAt: z.iso.datetime().optional(),
  conditions: z.array(conditionSchema).optional(),
});

export const accessRequestSchema = z.strictObject({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('AccessRequest'),
  metadata: objectMetaSchema,
  spec: accessRequestSpecSchema,
  status: accessRequestStatusSchema.optional(),
});

export type AccessRequestSpec = z.infer<typeof accessRequestSpecSchema>;
export type AccessRequest = z.infer<typeof accessRequestSchema>;
export type ApprovalVerdict = (typeof APPROVAL_VERDICTS)[number];
