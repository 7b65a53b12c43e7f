import type { AccessRequest } from '@portcullis/crds';

/** What a waiting sidecar learns about its request. */
export interface ApprovalState {
  name: string;
  namespace: string;
  phase: 'Pending' | 'Approved' | 'Denied' | 'Expired';
  decidedBy?: string;
  comment?: string;
  expiresAt: string;
}

/**
 * The phase of a request read from its spec: the decision decides, and a request nobody
 * decided by expiresAt is Expired. The status the controller writes may lag behind both.
 */
export function approvalState(request: AccessRequest, now: Date): ApprovalState {
  const base = {
    name: request.metadata.name,
    namespace: request.metadata.namespace ?? '',
    expiresAt: request.spec.expiresAt,
  };
  const decision = request.spec.decision;
  if (decision !== undefined) {
    return {
      ...base,
      phase: decision.verdict === 'approve' ? 'Approved' : 'Denied',
      ...(decision.decidedBy === undefined ? {} : { decidedBy: decision.decidedBy }),
      ...(decision.comment === undefined ? {} : { comment: decision.comment }),
    };
  }
  if (Date.parse(request.spec.expiresAt) <= now.getTime()) return { ...base, phase: 'Expired' };
  return { ...base, phase: 'Pending' };
}
