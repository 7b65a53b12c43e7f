import express from 'express';
import type { Logger } from 'pino';
import { accessRequestSpecSchema, API_GROUP, API_VERSION, parseDuration } from '@portcullis/crds';
import { sendAuthError } from '../bundles/bundle-router.js';
import { clientGoneSignal, parseWait, waitForCache } from '../bundles/cache-wait.js';
import {
  authenticateSidecar,
  type SidecarAuthDeps,
  type SidecarCaller,
} from '../bundles/sidecar-auth.js';
import type { CacheChange } from '../kube/cache.js';
import { KubeApiError } from '../kube/rest-client.js';
import type { CacheView } from '../webhooks/cache-view.js';
import { selectorMatches } from '../webhooks/label-selector.js';
import { schemaProblems } from '../webhooks/resource-validation.js';
import type { AccessRequestWriter, NewAccessRequest } from './access-request-writer.js';
import { approvalState } from './approval-state.js';

export interface ApprovalsRouterOptions extends SidecarAuthDeps {
  cache: CacheView;
  writer: AccessRequestWriter;
  log: Logger;
  maxWaitMs?: number;
  now?: () => Date;
}

/** The body a sidecar posts to hold an operation for a human. */
interface ApprovalAsk {
  policy?: unknown;
  dataSource?: unknown;
  identity?: unknown;
  session?: unknown;
  operation?: unknown;
  reason?: unknown;
}

const STATEMENT_LIMIT = 4096;

/** Thrown for a body the endpoint cannot act on; answered with its status and message. */
class ApprovalAskError extends Error {
  override name = 'ApprovalAskError';
  constructor(
    readonly statusCode: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

/**
 * POST /v1/approvals creates an AccessRequest for the calling sidecar's pod; GET
 * /v1/approvals/NAME?wait=30s long-polls its decision. A pod sees only its own requests.
 */
export function approvalsRouter(options: ApprovalsRouterOptions): express.Router {
  const { cache, log } = options;
  const now = options.now ?? (() => new Date());
  const router = express.Router();
  router.use('/v1/approvals', express.json({ limit: '64kb' }));

  router.post('/v1/approvals', async (req, res) => {
    let caller: SidecarCaller;
    try {
      caller = await authenticateSidecar(req, options, clientGoneSignal(res));
    } catch (err) {
      if (sendAuthError(res, err, log)) return;
      throw err;
    }

    let request: NewAccessRequest;
    try {
      request = newAccessRequest(req.body as ApprovalAsk, caller, cache, now());
    } catch (err) {
      if (!(err instanceof ApprovalAskError)) throw err;
      res.status(err.statusCode).json({ message: err.message });
      return;
    }
    try {
      const created = await options.writer.create(request);
      log.info(
        { namespace: caller.namespace, pod: caller.podName, name: created.metadata.name },
        'AccessRequest created',
      );
      res.status(201).json(approvalState(created, now()));
    } catch (err) {
      log.error(
        { err, namespace: caller.namespace, pod: caller.podName },
        'AccessRequest create failed',
      );
      const refused = err instanceof KubeApiError && err.statusCode < 500;
      res.status(refused ? 400 : 502).json({ message: 'the AccessRequest could not be created' });
    }
  });

  router.get('/v1/approvals/:name', async (req, res) => {
    const waitMs = parseWait(req.query.wait, options.maxWaitMs ?? 60_000);
    if (waitMs === undefined) {
      res.status(400).json({ message: 'wait must be a duration such as 30s' });
      return;
    }
    const gone = clientGoneSignal(res);
    let caller: SidecarCaller;
    try {
      caller = await authenticateSidecar(req, options, gone);
    } catch (err) {
      if (sendAuthError(res, err, log)) return;
      throw err;
    }

    const name = req.params.name;
    const read = () => {
      const ar = cache.getAccessRequest(caller.namespace, name);
      // Another pod's request is reported as missing rather than forbidden: no names leak.
      return ar?.spec.requester.pod === caller.podName ? approvalState(ar, now()) : undefined;
    };
    let state = read();
    const untilExpiry =
      state === undefined ? waitMs : Date.parse(state.expiresAt) - now().getTime();
    if ((state === undefined || state.phase === 'Pending') && waitMs > 0) {
      const settled = () => {
        const next = read();
        return next !== undefined && next.phase !== 'Pending' ? next : undefined;
      };
      const timeout = Math.max(0, Math.min(waitMs, untilExpiry + 10));
      const relevant = (change: CacheChange) =>
        change.kind === 'AccessRequest' &&
        change.event.object.metadata.namespace === caller.namespace &&
        change.event.object.metadata.name === name;
      state = (await waitForCache(cache, settled, timeout, gone, relevant)) ?? read();
    }
    if (gone.aborted) return;
    if (state === undefined) {
      res.status(404).json({ message: `AccessRequest ${name} not found` });
      return;
    }
    res.set('Cache-Control', 'no-store').json(state);
  });
  return router;
}

function newAccessRequest(
  ask: ApprovalAsk,
  caller: SidecarCaller,
  cache: CacheView,
  now: Date,
): NewAccessRequest {
  for (const field of ['policy', 'dataSource', 'identity', 'session', 'reason'] as const) {
    if (typeof ask[field] !== 'string' || ask[field] === '') {
      throw new ApprovalAskError(400, `${field} must be a non-empty string`);
    }
  }
  const {
    policy: policyName,
    dataSource,
    identity,
    session,
    reason,
  } = ask as Record<'policy' | 'dataSource' | 'identity' | 'session' | 'reason', string>;
  const operation = accessRequestSpecSchema.shape.operation.safeParse(truncated(ask.operation));
  if (!operation.success) {
    throw new ApprovalAskError(400, `invalid operation: ${schemaProblems(operation.error)}`);
  }

  // A sidecar may ask only under a policy that applies to its own pod.
  const policy = cache.getPolicy(caller.namespace, policyName);
  const pod = cache.getPod(caller.namespace, caller.podName);
  if (
    policy === undefined ||
    !selectorMatches(policy.spec.workloadSelector, pod?.metadata?.labels)
  ) {
    throw new ApprovalAskError(403, `AccessPolicy ${policyName} does not apply to this pod`);
  }
  if (policy.spec.dataSourceRef.name !== dataSource) {
    throw new ApprovalAskError(
      403,
      `AccessPolicy ${policyName} is not for DataSource ${dataSource}`,
    );
  }
  if (policy.spec.approval === undefined) {
    throw new ApprovalAskError(403, `AccessPolicy ${policyName} has no approval rules`);
  }

  const expiresAt = new Date(now.getTime() + parseDuration(policy.spec.approval.timeout));
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'AccessRequest',
    metadata: {
      generateName: `${policyName.slice(0, 50)}-`,
      namespace: caller.namespace,
      labels: { 'portcullis.dev/policy': policyName.slice(0, 63).replace(/[^a-z0-9]+$/, '') },
    },
    spec: {
      policyRef: { name: policyName },
      dataSourceRef: { name: dataSource },
      requester: { identity, pod: caller.podName, session },
      operation: operation.data,
      reason,
      expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

function truncated(operation: unknown): unknown {
  if (typeof operation !== 'object' || operation === null) return operation;
  const statement = (operation as { statement?: unknown }).statement;
  if (typeof statement !== 'string' || statement.length <= STATEMENT_LIMIT) return operation;
  return { ...operation, statement: statement.slice(0, STATEMENT_LIMIT) };
}
