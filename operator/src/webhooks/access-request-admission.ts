import { isDeepStrictEqual } from 'node:util';
import { accessRequestSchema } from '@portcullis/crds';
import { allow, refuse, type AdmissionRequest, type AdmissionVerdict } from './admission-review.js';
import type { CacheView } from './cache-view.js';
import { schemaProblems } from './resource-validation.js';

interface RawDecision {
  verdict?: unknown;
  comment?: unknown;
  decidedBy?: unknown;
}
interface RawRequest {
  spec?: { decision?: RawDecision } & Record<string, unknown>;
}

const decisionOf = (object: unknown): RawDecision | undefined =>
  (object as RawRequest | undefined)?.spec?.decision;

/**
 * /mutate-accessrequests: stamps spec.decision.decidedBy with the user the API server
 * authenticated, replacing any value sent. A decision already made keeps its decider.
 */
export function mutateAccessRequest(request: AdmissionRequest): AdmissionVerdict {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow();
  const decision = decisionOf(request.object);
  if (decision === undefined || decision === null) return allow();

  const previous = request.operation === 'UPDATE' ? decisionOf(request.oldObject) : undefined;
  const decidedBy = previous?.decidedBy ?? request.userInfo.username ?? '';
  if (decision.decidedBy === decidedBy) return allow();
  // "add" replaces an existing member of an object (RFC 6902, section 4.1).
  return {
    allowed: true,
    patch: [{ op: 'add', path: '/spec/decision/decidedBy', value: decidedBy }],
  };
}

/**
 * /validate-accessrequests: the spec is fixed once created except for adding a decision; a
 * decision is made once, by an approver the policy names, never by the requester.
 */
export function validateAccessRequest(
  request: AdmissionRequest,
  cache: CacheView,
  now: () => Date = () => new Date(),
): AdmissionVerdict {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow();
  const parsed = accessRequestSchema.safeParse(request.object);
  if (!parsed.success) return refuse(`invalid AccessRequest: ${schemaProblems(parsed.error)}`, 400);
  const ar = parsed.data;
  const decision = ar.spec.decision;

  if (request.operation === 'CREATE') {
    if (decision === undefined) return allow();
    return refuse('an AccessRequest is created without a decision; approvers decide it later');
  }

  const oldSpec = (request.oldObject as RawRequest | undefined)?.spec ?? {};
  const newSpec = (request.object as RawRequest).spec ?? {};
  const { decision: oldDecision, ...oldRest } = oldSpec;
  const { decision: newDecision, ...newRest } = newSpec;
  if (!isDeepStrictEqual(oldRest, newRest)) {
    return refuse('the spec of an AccessRequest cannot change, except to add a decision');
  }
  if (oldDecision !== undefined) {
    if (isDeepStrictEqual(oldDecision, newDecision)) return allow();
    return refuse(
      `AccessRequest ${ar.metadata.name} was already decided (${String(oldDecision.verdict)} ` +
        `by ${String(oldDecision.decidedBy)}); a decision cannot change`,
    );
  }
  if (decision === undefined) return allow();

  return approverProblem(request, cache, ar, now()) ?? allow();
}

function approverProblem(
  request: AdmissionRequest,
  cache: CacheView,
  ar: ReturnType<typeof accessRequestSchema.parse>,
  now: Date,
): AdmissionVerdict | undefined {
  const user = request.userInfo.username ?? '';
  const groups = request.userInfo.groups ?? [];
  const namespace = request.namespace ?? ar.metadata.namespace ?? '';
  if (user === '') return refuse('the request carries no user name to record as decider');
  if (ar.spec.decision?.decidedBy !== user) {
    return refuse('decidedBy is set by the Portcullis mutating webhook, which did not run');
  }
  if (user === ar.spec.requester.identity) {
    return refuse(`${user} asked for this operation and cannot decide it`);
  }
  if (Date.parse(ar.spec.expiresAt) <= now.getTime()) {
    return refuse(`AccessRequest ${ar.metadata.name} expired at ${ar.spec.expiresAt}`);
  }
  if (!cache.synced) {
    return refuse('the Portcullis operator has not loaded its cache yet; retry shortly', 503);
  }

  const policyName = ar.spec.policyRef.name;
  const approvers = cache.getPolicy(namespace, policyName)?.spec.approval?.approvers;
  if (approvers === undefined) {
    return refuse(`AccessPolicy ${policyName} does not exist or names no approvers`);
  }
  if (approvers.users.includes(user) || groups.some((g) => approvers.groups.includes(g))) {
    return undefined;
  }
  return refuse(
    `${user} is not an approver of AccessPolicy ${policyName} (users: ` +
      `${approvers.users.join(', ') || 'none'}; groups: ${approvers.groups.join(', ') || 'none'})`,
  );
}
