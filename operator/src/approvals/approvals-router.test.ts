import { pino } from 'pino';
import { accessRequestSchema, type AccessRequest } from '@portcullis/crds';
import type { ReviewedUser, TokenReviewer } from '../bundles/token-review.js';
import { MemoryCache } from '../webhooks/memory-cache.js';
import { startHttpsServer, type RunningHttpsServer } from '../webhooks/server.js';
import {
  dataSource,
  httpsJson,
  injectedPod,
  patchConfig,
  policy,
  staticTls,
} from '../webhooks/test-fixtures.js';
import type { AccessRequestWriter, NewAccessRequest } from './access-request-writer.js';
import type { ApprovalState } from './approval-state.js';

const log = pino({ level: 'silent' });
const NOW = new Date('2026-06-01T12:00:00Z');

const podUser = (pod: string): ReviewedUser => ({
  username: 'system:serviceaccount:shop:orders',
  extra: {
    'authentication.kubernetes.io/pod-name': [pod],
    'authentication.kubernetes.io/pod-uid': [`uid-${pod}`],
  },
});
const reviewer: TokenReviewer = {
  review: (token) =>
    Promise.resolve(
      token === 'pod-1' ? podUser('orders-1') : token === 'pod-2' ? podUser('orders-2') : undefined,
    ),
};

/** Stores what it is asked to create, names it as the API server would, and caches it. */
class RecordingWriter implements AccessRequestWriter {
  created: AccessRequest[] = [];
  constructor(private readonly cache: MemoryCache) {}

  create(request: NewAccessRequest): Promise<AccessRequest> {
    const { generateName, ...metadata } = request.metadata;
    const stored = accessRequestSchema.parse({
      ...request,
      metadata: { ...metadata, name: `${generateName}abc12` },
    });
    this.created.push(stored);
    this.cache.put('AccessRequest', stored);
    return Promise.resolve(stored);
  }
}

let cache: MemoryCache;
let writer: RecordingWriter;
let running: RunningHttpsServer;
let ca: string;
let base: string;

beforeEach(async () => {
  cache = new MemoryCache();
  writer = new RecordingWriter(cache);
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
    accessRequestWriter: writer,
    now: () => NOW,
  });
  base = `https://127.0.0.1:${running.port}`;
  cache.put('Pod', injectedPod('orders-1'));
  cache.put('Pod', injectedPod('orders-2'));
  cache.put('DataSource', dataSource('orders'));
  cache.put(
    'AccessPolicy',
    policy(
      'orders-rw',
      'orders',
      { app: 'orders' },
      {
        approval: {
          rules: [{ classes: ['delete'] }],
          approvers: { groups: ['dba'] },
          timeout: '5m',
        },
      },
    ),
  );
});

afterEach(async () => {
  await running.close();
});

const ask = {
  policy: 'orders-rw',
  dataSource: 'orders',
  identity: 'alice@example.com',
  session: 'sess-1',
  operation: {
    kind: 'statement',
    statement: 'DELETE FROM orders WHERE id = 7',
    classes: ['delete'],
  },
  reason: 'delete needs approval',
};

const post = (body: unknown, token = 'pod-1') =>
  httpsJson(`${base}/v1/approvals`, {
    ca,
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body,
  });

describe('POST /v1/approvals', () => {
  it('creates an AccessRequest naming the pod, the identity and the policy timeout', async () => {
    const res = await post(ask);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      name: 'orders-rw-abc12',
      namespace: 'shop',
      phase: 'Pending',
      expiresAt: '2026-06-01T12:05:00Z',
    });
    expect(writer.created[0]!.spec).toMatchObject({
      policyRef: { name: 'orders-rw' },
      requester: { identity: 'alice@example.com', pod: 'orders-1', session: 'sess-1' },
      operation: { kind: 'statement', classes: ['delete'], tables: [] },
    });
  });

  it('truncates a long statement to 4 KiB', async () => {
    const long = { ...ask, operation: { ...ask.operation, statement: 'x'.repeat(10_000) } };
    expect((await post(long)).status).toBe(201);
    expect(writer.created[0]!.spec.operation.statement).toHaveLength(4096);
  });

  it.each<[string, unknown, number, RegExp]>([
    ['a policy that does not select the pod', { ...ask, policy: 'other' }, 403, /does not apply/],
    ['another DataSource', { ...ask, dataSource: 'billing' }, 403, /not for DataSource billing/],
    ['a missing session', { ...ask, session: '' }, 400, /session must be/],
    ['a bad operation', { ...ask, operation: { kind: 'guess' } }, 400, /invalid operation/],
  ])('refuses %s', async (_name, body, status, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect((res.body as { message: string }).message).toMatch(message);
    expect(writer.created).toEqual([]);
  });
});

describe('GET /v1/approvals/NAME', () => {
  const get = (name: string, query = '', token = 'pod-1') =>
    httpsJson(`${base}/v1/approvals/${name}${query}`, {
      ca,
      headers: { authorization: `Bearer ${token}` },
    });

  it('waits for the decision and reports who made it', async () => {
    await post(ask);
    const waiting = get('orders-rw-abc12', '?wait=10s');
    setTimeout(() => {
      const ar = writer.created[0]!;
      const decided = {
        ...ar,
        spec: {
          ...ar.spec,
          decision: { verdict: 'approve' as const, decidedBy: 'bob', comment: 'ok' },
        },
      };
      cache.put('AccessRequest', decided);
    }, 100);

    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject<Partial<ApprovalState>>({
      phase: 'Approved',
      decidedBy: 'bob',
      comment: 'ok',
    });
  });

  it('answers Pending when the wait ends undecided', async () => {
    await post(ask);
    const res = await get('orders-rw-abc12', '?wait=200ms');
    expect((res.body as ApprovalState).phase).toBe('Pending');
  });

  it("hides another pod's request", async () => {
    await post(ask);
    const res = await get('orders-rw-abc12', '', 'pod-2');
    expect(res.status).toBe(404);
  });
});
