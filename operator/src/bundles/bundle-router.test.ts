import { pino } from 'pino';
import type { AccessPolicy } from '@portcullis/crds';
import type { CachedPod } from '../kube/cache.js';
import { MemoryCache } from '../webhooks/memory-cache.js';
import { startHttpsServer, type RunningHttpsServer } from '../webhooks/server.js';
import {
  dataSource,
  httpsJson,
  injectedPod,
  patchConfig,
  pod,
  policy,
  staticTls,
} from '../webhooks/test-fixtures.js';
import type { PolicyBundle } from './bundle-content.js';
import type { ReviewedUser, TokenReviewer } from './token-review.js';

const log = pino({ level: 'silent' });

/** A TokenReview that knows a fixed set of tokens, and counts how often it was asked. */
class FakeReviewer implements TokenReviewer {
  readonly tokens = new Map<string, ReviewedUser>();
  audiences: string[] = [];

  review(token: string, audience: string): Promise<ReviewedUser | undefined> {
    this.audiences.push(audience);
    return Promise.resolve(this.tokens.get(token));
  }

  podToken(token: string, podName: string, account = 'orders', namespace = 'shop'): void {
    this.tokens.set(token, {
      username: `system:serviceaccount:${namespace}:${account}`,
      extra: {
        'authentication.kubernetes.io/pod-name': [podName],
        'authentication.kubernetes.io/pod-uid': [`uid-${podName}`],
      },
    });
  }
}

function secret(name: string, data: Record<string, string>) {
  return {
    metadata: { name, namespace: 'shop' },
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
  };
}

let cache: MemoryCache;
let reviewer: FakeReviewer;
let running: RunningHttpsServer;
let ca: string;
let base: string;

beforeEach(async () => {
  cache = new MemoryCache();
  reviewer = new FakeReviewer();
  const tls = await staticTls();
  ca = tls.current().caPem!;
  running = await startHttpsServer({
    port: 0,
    host: '127.0.0.1',
    tls,
    cache,
    client: { request: () => Promise.reject(new Error('no API server in unit tests')) },
    patchConfig: patchConfig(),
    log,
    tokenReviewer: reviewer,
  });
  base = `https://127.0.0.1:${running.port}`;

  cache.put('Pod', injectedPod('orders-1'));
  cache.put('DataSource', dataSource('orders'));
  cache.put('DataSource', dataSource('billing'));
  cache.put(
    'AccessPolicy',
    policy(
      'orders-rw',
      'orders',
      { app: 'orders' },
      {
        masking: { rules: [], hashKeySecretRef: { name: 'mask-key', key: 'key' } },
      },
    ),
  );
  cache.put('AccessPolicy', policy('billing-ro', 'billing', { app: 'billing' }));
  cache.put(
    'Secret',
    secret('orders-minter', { username: 'minter', password: 'hunter2', unrelated: 'x' }),
  );
  cache.put('Secret', secret('billing-minter', { username: 'b', password: 'b' }));
  cache.put('Secret', secret('mask-key', { key: 'k3y', other: 'no' }));
  reviewer.podToken('good-token', 'orders-1');
});

afterEach(async () => {
  await running.close();
});

const get = (query = '', headers: Record<string, string> = {}) =>
  httpsJson(`${base}/v1/bundle${query}`, {
    ca,
    headers: { authorization: 'Bearer good-token', ...headers },
  });

describe('GET /v1/bundle', () => {
  it('returns only what applies to the calling pod, and only the keys the gate reads', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    const bundle = res.body as PolicyBundle;

    expect(bundle.policies.map((p) => p.metadata.name)).toEqual(['orders-rw']);
    expect(bundle.dataSources.map((d) => d.metadata.name)).toEqual(['orders']);
    expect(bundle.secrets).toEqual({
      'mask-key': { key: 'k3y' },
      'orders-minter': { password: 'hunter2', username: 'minter' },
    });
    expect(res.headers.etag).toBe(bundle.version);
    expect(reviewer.audiences).toEqual(['portcullis.dev']);
  });

  it('answers 304 to a caller that has the current version', async () => {
    const first = await get();
    const again = await get('', { 'if-none-match': first.headers.etag! });
    expect(again.status).toBe(304);
  });

  it('keeps the version when only a status changes', async () => {
    const first = await get();
    const p = policy(
      'orders-rw',
      'orders',
      { app: 'orders' },
      {
        masking: { rules: [], hashKeySecretRef: { name: 'mask-key', key: 'key' } },
      },
    );
    cache.put('AccessPolicy', { ...p, status: { selectedPods: 3 } } as AccessPolicy);
    const again = await get();
    expect(again.headers.etag).toBe(first.headers.etag);
  });

  it('long-polls: a change during the wait is answered at once with the new bundle', async () => {
    const first = await get();
    const started = Date.now();
    const waiting = get('?wait=10s', { 'if-none-match': first.headers.etag! });
    setTimeout(
      () =>
        cache.put('Secret', secret('orders-minter', { username: 'minter', password: 'rotated' })),
      100,
    );

    const res = await waiting;
    expect(res.status).toBe(200);
    expect((res.body as PolicyBundle).secrets['orders-minter']).toEqual({
      username: 'minter',
      password: 'rotated',
    });
    expect(res.headers.etag).not.toBe(first.headers.etag);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('long-polls: no change until the wait ends gives 304', async () => {
    const first = await get();
    const unrelated = setTimeout(
      () => cache.put('Secret', secret('billing-minter', { username: 'c', password: 'c' })),
      50,
    );
    const res = await get('?wait=300ms', { 'if-none-match': first.headers.etag! });
    clearTimeout(unrelated);
    expect(res.status).toBe(304);
  });

  it('gives each row-limited policy the number of pods sharing its limit', async () => {
    const limited = policy(
      'orders-rw',
      'orders',
      { app: 'orders' },
      { limits: { rowsPerMinute: 1000 } },
    );
    cache.put('AccessPolicy', limited);
    cache.put('Pod', injectedPod('orders-2'));
    // A finished pod runs no gate, and a pod of another app is not selected.
    const done = injectedPod('orders-3');
    cache.put('Pod', { ...done, status: { phase: 'Succeeded' } } as CachedPod);
    cache.put('Pod', injectedPod('billing-1', { app: 'billing' }));
    const first = await get();
    expect((first.body as PolicyBundle).rowShares).toEqual({ 'orders-rw': 2 });

    // One more replica: the long poll answers with the new share, though nothing the pod's
    // own bundle lists changed.
    const waiting = get('?wait=10s', { 'if-none-match': first.headers.etag! });
    setTimeout(() => cache.put('Pod', injectedPod('orders-4')), 50);
    const next = await waiting;
    expect(next.status).toBe(200);
    expect((next.body as PolicyBundle).rowShares).toEqual({ 'orders-rw': 3 });
  });

  it('lists no share for a policy without a row limit', async () => {
    const bundle = (await get()).body as PolicyBundle;
    expect(bundle.rowShares).toEqual({});
  });

  it('drops a withdrawn policy from the next bundle', async () => {
    const first = await get();
    const waiting = get('?wait=10s', { 'if-none-match': first.headers.etag! });
    setTimeout(() => cache.remove('AccessPolicy', policy('orders-rw', 'orders')), 50);
    const bundle = (await waiting).body as PolicyBundle;
    expect(bundle.policies).toEqual([]);
    expect(bundle.secrets).toEqual({});
  });

  it('waits briefly for a pod the cache has not seen yet', async () => {
    reviewer.podToken('new-token', 'orders-2');
    setTimeout(() => cache.put('Pod', injectedPod('orders-2')), 100);
    const res = await httpsJson(`${base}/v1/bundle`, {
      ca,
      headers: { authorization: 'Bearer new-token' },
    });
    expect(res.status).toBe(200);
  });

  it.each<[string, Record<string, string>, () => void, number, RegExp]>([
    ['no token', {}, () => undefined, 401, /bearer token is required/],
    ['an unknown token', { authorization: 'Bearer nope' }, () => undefined, 401, /not valid/],
    [
      'a token not bound to a pod',
      { authorization: 'Bearer sa-token' },
      () => reviewer.tokens.set('sa-token', { username: 'system:serviceaccount:shop:orders' }),
      403,
      /pod-bound/,
    ],
    [
      'a pod in a namespace that is never injected',
      { authorization: 'Bearer system-token' },
      () => reviewer.podToken('system-token', 'dns', 'coredns', 'kube-system'),
      403,
      /namespace kube-system is never injected/,
    ],
    [
      'a pod with another service account',
      { authorization: 'Bearer other-sa' },
      () => reviewer.podToken('other-sa', 'orders-1', 'intruder'),
      403,
      /another service account/,
    ],
    [
      'a pod that mounts a gate token itself',
      { authorization: 'Bearer self-made' },
      () => {
        reviewer.podToken('self-made', 'diy');
        cache.put('Pod', {
          ...pod({
            serviceAccountName: 'orders',
            volumes: [
              {
                name: 'portcullis-token',
                projected: {
                  sources: [{ serviceAccountToken: { audience: 'portcullis.dev', path: 'token' } }],
                },
              },
            ],
            containers: [
              { name: 'app', volumeMounts: [{ name: 'portcullis-token', mountPath: '/t' }] },
            ],
          }),
          metadata: { name: 'diy', namespace: 'shop', uid: 'uid-diy' },
        });
      },
      403,
      /was not injected/,
    ],
  ])('refuses %s', async (_name, headers, arrange, status, message) => {
    arrange();
    const res = await httpsJson(`${base}/v1/bundle`, { ca, headers });
    expect(res.status).toBe(status);
    expect((res.body as { message: string }).message).toMatch(message);
  });

  it('rejects a malformed wait', async () => {
    expect((await get('?wait=forever')).status).toBe(400);
  });
});
