import type { CacheChange } from '../kube/cache.js';
import type { CacheView } from '../webhooks/cache-view.js';

/**
 * Waits until check() returns a value, calling it after every relevant cache change, for at
 * most timeoutMs. Resolves undefined on timeout or when the signal aborts (the client left).
 * Changes are batched: a relist delivers many at once, and one check covers them all.
 */
export function waitForCache<T>(
  cache: Pick<CacheView, 'onChange'>,
  check: () => T | undefined,
  timeoutMs: number,
  signal: AbortSignal,
  relevant: (change: CacheChange) => boolean = () => true,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let pending: NodeJS.Immediate | undefined;
    const finish = (value: T | undefined) => {
      unsubscribe();
      clearTimeout(timer);
      if (pending !== undefined) clearImmediate(pending);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => finish(undefined);
    const unsubscribe = cache.onChange((change) => {
      if (!relevant(change)) return;
      pending ??= setImmediate(() => {
        pending = undefined;
        try {
          const value = check();
          if (value !== undefined) finish(value);
        } catch (err) {
          finish(undefined);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    if (signal.aborted) finish(undefined);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Does a change touch this namespace, and, for pods, this pod? Pods change all the time. */
export function touches(namespace: string, podName?: string) {
  return (change: CacheChange): boolean => {
    const meta = change.event.object.metadata;
    if (meta?.namespace !== namespace) return false;
    return change.kind !== 'Pod' || podName === undefined || meta.name === podName;
  };
}

/** An AbortSignal that fires when the HTTP client goes away before the answer is sent. */
export function clientGoneSignal(res: {
  on(event: 'close', listener: () => void): unknown;
  writableEnded: boolean;
}): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  return controller.signal;
}

/** Reads a `wait` query value such as 30s or 1500ms, capped at maxMs; 0 when absent. */
export function parseWait(value: unknown, maxMs: number): number | undefined {
  if (value === undefined) return 0;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)(ms|s)?$/.exec(value);
  if (match === null) return undefined;
  const ms = Number(match[1]) * (match[2] === 'ms' ? 1 : 1_000);
  return Math.min(ms, maxMs);
}
