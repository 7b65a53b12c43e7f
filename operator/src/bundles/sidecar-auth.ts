import type { Request } from 'express';
import type { CachedPod } from '../kube/cache.js';
import type { CacheView } from '../webhooks/cache-view.js';
import { TOKEN_AUDIENCE } from '../webhooks/injection-names.js';
import { gateTokenProblem } from '../webhooks/pod-tokens.js';
import { waitForCache } from './cache-wait.js';
import type { TokenReviewer } from './token-review.js';

// Extra fields the API server adds to a pod-bound service-account token's user info.
const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** A sidecar the operator has identified: the pod its token is bound to. */
export interface SidecarCaller {
  namespace: string;
  podName: string;
  /** system:serviceaccount:NS:NAME */
  serviceAccount: string;
}

/** A caller the bundle and approvals endpoints turn away; the message says why, never the token. */
export class SidecarAuthError extends Error {
  override name = 'SidecarAuthError';
  constructor(
    readonly statusCode: 401 | 403 | 503,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface SidecarAuthDeps {
  cache: CacheView;
  reviewer: TokenReviewer;
  /** How long to wait for a pod the cache has not seen yet (a sidecar calls right after start). */
  podWaitMs?: number;
  /** Namespaces the operator never injects: a gate found there was not put there by it. */
  isExcludedNamespace?: (namespace: string) => boolean;
}

/**
 * Identifies the sidecar behind a request: its bearer token must be a pod-bound
 * service-account token for the audience portcullis.dev, the pod must exist with that
 * service account and uid, and its shape must keep that token in the gate container alone.
 */
export async function authenticateSidecar(
  req: Request,
  deps: SidecarAuthDeps,
  signal: AbortSignal,
): Promise<SidecarCaller> {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match === null) throw new SidecarAuthError(401, 'a bearer token is required');

  // NOTE: every call, long-polls included, costs one TokenReview; nothing is cached, so a
  // revoked token stops working at once, at the price of API server load per sidecar.
  let user;
  try {
    user = await deps.reviewer.review(match[1]!, TOKEN_AUDIENCE);
  } catch (err) {
    throw new SidecarAuthError(503, 'the token could not be reviewed; retry', { cause: err });
  }
  if (user === undefined) {
    throw new SidecarAuthError(401, `the token is not valid for audience ${TOKEN_AUDIENCE}`);
  }

  const parts = user.username.startsWith(SERVICE_ACCOUNT_PREFIX)
    ? user.username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':')
    : [];
  const podName = user.extra?.[POD_NAME_EXTRA]?.[0];
  if (parts.length !== 2 || podName === undefined) {
    throw new SidecarAuthError(403, 'only a pod-bound service-account token is accepted');
  }
  const [namespace, account] = parts as [string, string];
  if (deps.isExcludedNamespace?.(namespace) === true) {
    throw new SidecarAuthError(403, `namespace ${namespace} is never injected`);
  }

  const pod = await findPod(deps, namespace, podName, signal);
  if (pod === undefined) throw new SidecarAuthError(403, `pod ${namespace}/${podName} not found`);
  const podUid = user.extra?.[POD_UID_EXTRA]?.[0];
  if (podUid !== undefined && pod.metadata?.uid !== podUid) {
    throw new SidecarAuthError(403, `pod ${namespace}/${podName} was replaced`);
  }
  if ((pod.spec?.serviceAccountName ?? 'default') !== account) {
    throw new SidecarAuthError(403, `pod ${namespace}/${podName} runs as another service account`);
  }
  // NOTE: this trusts the pod's shape; that its portcullis-gate container is the operator's
  // is guaranteed at admission, by /mutate-pods and /validate-pods. In a cluster where the
  // gatedpods webhook (/validate-pods) is not registered, a pod created without the inject
  // label could carry a gate of its own making and receive the bundle.
  const problem = gateTokenProblem(pod);
  if (problem !== undefined) {
    throw new SidecarAuthError(403, `pod ${namespace}/${podName} was not injected: ${problem}`);
  }
  return { namespace, podName, serviceAccount: user.username };
}

async function findPod(
  deps: SidecarAuthDeps,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<CachedPod | undefined> {
  const now = deps.cache.getPod(namespace, name);
  if (now !== undefined) return now;
  const check = () => deps.cache.getPod(namespace, name);
  return waitForCache(deps.cache, check, deps.podWaitMs ?? 5_000, signal);
}
