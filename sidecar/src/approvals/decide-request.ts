import type { ApprovalQueue } from './approval-file.js';
import { AlreadyDecidedError, type QueuedRequest } from './approval-file.js';
import { checkDecider, DecisionRefusedError, type Decider } from './approver-check.js';

/** What `portcullis approvals approve|deny` asks for. */
export interface DecideInput {
  name: string;
  verdict: 'approve' | 'deny';
  decider: Decider;
  comment?: string;
  now?: Date;
}

/**
 * Records a decision on a queued request after the checks the operator's webhook makes in
 * Kubernetes mode: still pending, not expired, decided by a listed approver who is not the
 * requester. A denial needs the same standing as an approval, so nobody can veto at will.
 */
export async function decideRequest(queue: ApprovalQueue, input: DecideInput): Promise<void> {
  const { request, decision } = await queue.get(input.name);
  if (decision !== undefined) throw new AlreadyDecidedError(input.name);
  const now = input.now ?? new Date();
  if (now.getTime() > Date.parse(request.expiresAt)) {
    throw new DecisionRefusedError(
      `approval request "${input.name}" expired at ${request.expiresAt}`,
    );
  }
  checkDecider(input.decider, request.ask.identity, request.approvers);

  await queue.decide(input.name, {
    verdict: input.verdict,
    decidedBy: input.decider.user,
    groups: [...input.decider.groups],
    decidedAt: now.toISOString(),
    ...(input.comment === undefined ? {} : { comment: input.comment }),
  });
}

const DECIDED = { approve: 'Approved', deny: 'Denied', withdraw: 'Withdrawn' } as const;

/** Pending, Approved, Denied, Withdrawn or Expired, as of now. */
export function phaseOf(entry: QueuedRequest, now = Date.now()): string {
  if (entry.decision) return DECIDED[entry.decision.verdict];
  return now > Date.parse(entry.request.expiresAt) ? 'Expired' : 'Pending';
}
