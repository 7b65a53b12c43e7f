import express, { type Response } from 'express';
import type { Logger } from 'pino';
import type { CacheView } from '../webhooks/cache-view.js';
import type { CacheChange } from '../kube/cache.js';
import { buildBundle, limitsRows, type PolicyBundle } from './bundle-content.js';
import { clientGoneSignal, parseWait, touches, waitForCache } from './cache-wait.js';
import { authenticateSidecar, SidecarAuthError, type SidecarAuthDeps } from './sidecar-auth.js';

export interface BundleRouterOptions extends SidecarAuthDeps {
  cache: CacheView;
  log: Logger;
  /** Longest a long-poll may wait (default 60 s). */
  maxWaitMs?: number;
}

/** Answers a refused sidecar call; shared with the approvals endpoints. */
export function sendAuthError(res: Response, err: unknown, log: Logger): boolean {
  if (!(err instanceof SidecarAuthError)) return false;
  if (err.statusCode === 503) log.warn({ err }, 'sidecar call refused');
  else log.info({ reason: err.message }, 'sidecar call refused');
  res.status(err.statusCode).json({ message: err.message });
  return true;
}

/**
 * GET /v1/bundle: the policy bundle of the calling sidecar's pod. With If-None-Match set to
 * the current version and `?wait=30s`, the answer waits for a change: 200 with the new
 * bundle as soon as one happens, else 304 when the wait ends.
 */
export function bundleRouter(options: BundleRouterOptions): express.Router {
  const { cache, log } = options;
  const router = express.Router();

  router.get('/v1/bundle', async (req, res) => {
    const waitMs = parseWait(req.query.wait, options.maxWaitMs ?? 60_000);
    if (waitMs === undefined) {
      res.status(400).json({ message: 'wait must be a duration such as 30s' });
      return;
    }
    const gone = clientGoneSignal(res);
    let caller;
    try {
      caller = await authenticateSidecar(req, options, gone);
    } catch (err) {
      if (sendAuthError(res, err, log)) return;
      throw err;
    }

    const known = req.get('if-none-match');
    const current = (): PolicyBundle | 'gone' => {
      const pod = cache.getPod(caller.namespace, caller.podName);
      return pod === undefined ? 'gone' : buildBundle(cache, pod);
    };
    let bundle = current();
    if (bundle !== 'gone' && bundle.version === known && waitMs > 0) {
      const changed = () => {
        const next = current();
        return next === 'gone' || next.version !== known ? next : undefined;
      };
      // Other pods come and go too: they change the shares of row limits (rowShares).
      const own = touches(caller.namespace, caller.podName);
      const namespaced = touches(caller.namespace);
      const relevant = (change: CacheChange) =>
        own(change) ||
        (change.kind === 'Pod' &&
          namespaced(change) &&
          cache.listPolicies(caller.namespace).some(limitsRows));
      bundle = (await waitForCache(cache, changed, waitMs, gone, relevant)) ?? bundle;
    }
    if (gone.aborted) return;

    if (bundle === 'gone') {
      res.status(403).json({ message: `pod ${caller.namespace}/${caller.podName} is gone` });
      return;
    }
    res.set('Cache-Control', 'no-store').set('ETag', bundle.version);
    if (bundle.version === known) {
      res.status(304).end();
      return;
    }
    log.debug(
      { namespace: caller.namespace, pod: caller.podName, version: bundle.version },
      'bundle served',
    );
    res.json(bundle);
  });
  return router;
}
