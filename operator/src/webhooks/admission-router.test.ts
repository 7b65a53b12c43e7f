import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import {
  accessRequestSchema,
  type AccessPolicy,
  type AccessRequest,
  type DataSource,
} from '@portcullis/crds';
import type { AdmissionReview, AdmissionRequest, UserInfo } from './admission-review.js';
import { admissionRouter } from './admission-router.js';
import { applyJsonPatch, type JsonPatchOp } from './json-patch.js';
import { MemoryCache } from './memory-cache.js';
import { dataSource, patchConfig, pod, policy } from './test-fixtures.js';

const log = pino({ level: 'silent' });
let cache: MemoryCache;
let server: Server;
let base: string;

function ready<T extends AccessPolicy>(p: T, status: 'True' | 'False' = 'True'): T {
  const condition = {
    type: 'Ready',
    status,
    reason: status === 'True' ? 'Ready' : 'DataSourceNotReady',
    message: status === 'True' ? 'ok' : 'DataSource orders is not Ready',
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
  return { ...p, status: { conditions: [condition] } };
}

beforeEach(async () => {
  cache = new MemoryCache();
  const app = express();
  app.use(admissionRouter({ cache, patchConfig: () => patchConfig(), log, now: () => NOW }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let uidCounter = 0;
async function review(path: string, request: Partial<AdmissionRequest>) {
  const uid = `uid-${++uidCounter}`;
  const body = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, operation: 'CREATE', userInfo: { username: 'alice' }, ...request },
  };
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  const answer = (await res.json()) as AdmissionReview;
  expect(answer.response?.uid).toBe(uid);
  return answer.response!;
}

const podKind = { group: '', version: 'v1', kind: 'Pod' };
const arKind = { group: 'portcullis.dev', version: 'v1alpha1', kind: 'AccessRequest' };
const apKind = { group: 'portcullis.dev', version: 'v1alpha1', kind: 'AccessPolicy' };
const dsKind = { group: 'portcullis.dev', version: 'v1alpha1', kind: 'DataSource' };
const NOW = new Date('2026-06-01T12:00:00Z');

describe('/mutate-pods', () => {
  it('answers with a base64 JSONPatch that injects the gate', async () => {
    cache.put('DataSource', dataSource('orders'));
    cache.put('AccessPolicy', ready(policy('orders-rw', 'orders')));
    const response = await review('/mutate-pods', {
      kind: podKind,
      namespace: 'shop',
      object: pod(),
    });

    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch!, 'base64').toString()) as JsonPatchOp[];
    const after = applyJsonPatch(pod(), patch);
    expect(after.spec?.initContainers?.[0]?.name).toBe('portcullis-gate');
  });

  it('refuses while a policy selecting the pod is not Ready, saying which and why', async () => {
    cache.put('DataSource', dataSource('orders'));
    cache.put('AccessPolicy', ready(policy('orders-rw', 'orders'), 'False'));
    const response = await review('/mutate-pods', {
      kind: podKind,
      namespace: 'shop',
      object: pod(),
    });

    expect(response.allowed).toBe(false);
    expect(response.status?.message).toBe(
      'Portcullis cannot inject the gate: AccessPolicy orders-rw is not Ready ' +
        '(DataSourceNotReady: DataSource orders is not Ready)',
    );
  });

  it('refuses before the cache has synced', async () => {
    cache.synced = false;
    const response = await review('/mutate-pods', {
      kind: podKind,
      namespace: 'shop',
      object: pod(),
    });
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(503);
  });

  it('lets a labelled pod in kube-system through untouched, even before the cache syncs', async () => {
    cache.synced = false;
    const object = pod();
    const response = await review('/mutate-pods', {
      kind: podKind,
      namespace: 'kube-system',
      object,
    });
    expect(response).toEqual({ uid: response.uid, allowed: true });
  });

  it('refuses a hostNetwork pod with the reason', async () => {
    cache.put('DataSource', dataSource('orders'));
    cache.put('AccessPolicy', ready(policy('orders-rw', 'orders')));
    const object = pod({ hostNetwork: true });
    const response = await review('/mutate-pods', { kind: podKind, namespace: 'shop', object });
    expect(response.status?.message).toMatch(/hostNetwork/);
  });

  it('lets an unlabelled pod through untouched', async () => {
    const object = pod({}, { labels: { app: 'orders' } });
    const response = await review('/mutate-pods', { kind: podKind, namespace: 'shop', object });
    expect(response).toEqual({ uid: response.uid, allowed: true });
  });
});

describe('/validate-pods', () => {
  const gated = () => {
    const object = pod({
      initContainers: [{ name: 'portcullis-gate', image: 'gate' }],
    });
    return object;
  };
  const debug = (target: string, mounts: { name: string; mountPath: string }[] = []) => {
    const object = gated();
    object.spec!.ephemeralContainers = [
      { name: 'debugger', image: 'busybox', targetContainerName: target, volumeMounts: mounts },
    ];
    return object;
  };
  const update = (object: unknown, oldObject: unknown) =>
    review('/validate-pods', {
      kind: podKind,
      namespace: 'shop',
      operation: 'UPDATE',
      subResource: 'ephemeralcontainers',
      object,
      oldObject,
    });

  it('refuses a debug container that targets the gate', async () => {
    const response = await update(debug('portcullis-gate'), gated());
    expect(response.status?.message).toMatch(/may not target portcullis-gate/);
  });

  it('refuses a debug container that mounts the gate token', async () => {
    const mounts = [{ name: 'portcullis-token', mountPath: '/t' }];
    const response = await update(debug('app', mounts), gated());
    expect(response.status?.message).toMatch(/may not mount portcullis-token/);
  });

  it('allows a debug container that targets the app', async () => {
    expect((await update(debug('app'), gated())).allowed).toBe(true);
  });

  it("refuses a change of the gate's image, allows one of the app's", async () => {
    const plainUpdate = (object: unknown, oldObject: unknown) =>
      review('/validate-pods', {
        kind: podKind,
        namespace: 'shop',
        operation: 'UPDATE',
        object,
        oldObject,
      });
    const swapped = gated();
    swapped.spec!.initContainers![0]!.image = 'evil/gate';
    expect((await plainUpdate(swapped, gated())).status?.message).toMatch(
      /image of portcullis-gate cannot change/,
    );

    const appBumped = gated();
    appBumped.spec!.containers[0]!.image = 'shop/orders:2';
    expect((await plainUpdate(appBumped, gated())).allowed).toBe(true);
  });

  it('refuses a new pod with a gate of its own unless the injection saw it', async () => {
    const create = (object: unknown) =>
      review('/validate-pods', { kind: podKind, namespace: 'shop', object });
    const unlabelled = gated();
    unlabelled.metadata!.labels = { app: 'orders' };
    expect((await create(unlabelled)).status?.message).toMatch(
      /may run a container named portcullis-gate only as the operator injects it/,
    );
    expect((await create(gated())).allowed).toBe(true);
  });

  it('allows anything in a pod without the gate', async () => {
    const object = pod();
    object.spec!.ephemeralContainers = [
      { name: 'debugger', image: 'busybox', targetContainerName: 'portcullis-gate' },
    ];
    expect((await update(object, pod())).allowed).toBe(true);
  });
});

describe('malformed requests', () => {
  it.each([
    ['not JSON', '{'],
    ['not a review', JSON.stringify({ hello: 'world' })],
    [
      'no uid',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
    ],
  ])('answers 400 to %s and keeps serving', async (_name, body) => {
    const res = await fetch(`${base}/mutate-pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);

    const ok = await review('/validate-datasources', { kind: dsKind, object: dataSource('x') });
    expect(ok.allowed).toBe(true);
  });
});

function accessRequest(decision?: AccessRequest['spec']['decision']): AccessRequest {
  return accessRequestSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessRequest',
    metadata: { name: 'orders-rw-x7k2p', namespace: 'shop' },
    spec: {
      policyRef: { name: 'orders-rw' },
      dataSourceRef: { name: 'orders' },
      requester: { identity: 'system:serviceaccount:shop:orders', pod: 'orders-1', session: 's1' },
      operation: { kind: 'statement', statement: 'DELETE FROM orders WHERE id = 1' },
      reason: 'delete on public.orders needs approval',
      expiresAt: '2026-06-01T12:10:00Z',
      ...(decision === undefined ? {} : { decision }),
    },
  });
}

describe('AccessRequest decisions', () => {
  beforeEach(() => {
    cache.put(
      'AccessPolicy',
      policy(
        'orders-rw',
        'orders',
        { app: 'orders' },
        {
          approval: {
            rules: [{ classes: ['delete'] }],
            approvers: { users: ['alice'], groups: ['dba'] },
          },
        },
      ),
    );
  });

  async function decide(
    userInfo: UserInfo,
    decision: AccessRequest['spec']['decision'],
    old = accessRequest(),
  ) {
    const update = { kind: arKind, namespace: 'shop', operation: 'UPDATE' as const, userInfo };
    const mutated = await review('/mutate-accessrequests', {
      ...update,
      object: accessRequest(decision),
      oldObject: old,
    });
    let object = accessRequest(decision);
    if (mutated.patch !== undefined) {
      const ops = JSON.parse(Buffer.from(mutated.patch, 'base64').toString()) as JsonPatchOp[];
      object = applyJsonPatch(object, ops);
    }
    const validated = await review('/validate-accessrequests', {
      ...update,
      object,
      oldObject: old,
    });
    return { object, validated };
  }

  it('stamps decidedBy with the user, replacing a value sent', async () => {
    const { object, validated } = await decide(
      { username: 'alice' },
      { verdict: 'approve', decidedBy: 'someone-else' },
    );
    expect(object.spec.decision?.decidedBy).toBe('alice');
    expect(validated.allowed).toBe(true);
  });

  it('lets a member of an approver group decide', async () => {
    const { validated } = await decide({ username: 'bob', groups: ['dba'] }, { verdict: 'deny' });
    expect(validated.allowed).toBe(true);
  });

  it('refuses a decision by someone the policy does not list', async () => {
    const { validated } = await decide(
      { username: 'mallory', groups: ['dev'] },
      { verdict: 'approve' },
    );
    expect(validated.allowed).toBe(false);
    expect(validated.status?.message).toBe(
      'mallory is not an approver of AccessPolicy orders-rw (users: alice; groups: dba)',
    );
  });

  it('refuses a decision by the requester, even one listed as approver', async () => {
    cache.put(
      'AccessPolicy',
      policy(
        'orders-rw',
        'orders',
        { app: 'orders' },
        {
          approval: {
            rules: [{ classes: ['delete'] }],
            approvers: { users: ['system:serviceaccount:shop:orders'] },
          },
        },
      ),
    );
    const { validated } = await decide(
      { username: 'system:serviceaccount:shop:orders' },
      { verdict: 'approve' },
    );
    expect(validated.status?.message).toMatch(/asked for this operation and cannot decide it/);
  });

  it('refuses changing a decision already made', async () => {
    const old = accessRequest({ verdict: 'deny', decidedBy: 'alice' });
    const { validated } = await decide({ username: 'alice' }, { verdict: 'approve' }, old);
    expect(validated.status?.message).toMatch(/already decided \(deny by alice\)/);
  });

  it('keeps the first decider when the same decision is sent again', async () => {
    const old = accessRequest({ verdict: 'deny', decidedBy: 'alice' });
    const { object, validated } = await decide(
      { username: 'bob', groups: ['dba'] },
      { verdict: 'deny' },
      old,
    );
    expect(object.spec.decision?.decidedBy).toBe('alice');
    expect(validated.allowed).toBe(true);
  });

  it('refuses a decision after the request expired', async () => {
    const old = {
      ...accessRequest(),
      spec: { ...accessRequest().spec, expiresAt: '2026-06-01T11:00:00Z' },
    };
    const response = await review('/validate-accessrequests', {
      kind: arKind,
      namespace: 'shop',
      operation: 'UPDATE',
      userInfo: { username: 'alice' },
      oldObject: old,
      object: {
        ...old,
        spec: { ...old.spec, decision: { verdict: 'approve', decidedBy: 'alice' } },
      },
    });
    expect(response.status?.message).toMatch(/expired at 2026-06-01T11:00:00Z/);
  });

  it('refuses a change to anything but the decision', async () => {
    const old = accessRequest();
    const object = { ...old, spec: { ...old.spec, reason: 'nothing to see' } };
    const response = await review('/validate-accessrequests', {
      kind: arKind,
      namespace: 'shop',
      operation: 'UPDATE',
      oldObject: old,
      object,
    });
    expect(response.status?.message).toMatch(/cannot change, except to add a decision/);
  });

  it('refuses creating a request that is already decided', async () => {
    const response = await review('/validate-accessrequests', {
      kind: arKind,
      namespace: 'shop',
      object: accessRequest({ verdict: 'approve', decidedBy: 'alice' }),
    });
    expect(response.allowed).toBe(false);
  });
});

describe('/validate-accesspolicies', () => {
  const create = (object: unknown) =>
    review('/validate-accesspolicies', { kind: apKind, namespace: 'shop', object });

  it('explains schema problems field by field', async () => {
    const bad = { ...policy('p', 'orders'), spec: { ...policy('p', 'orders').spec, subjects: [] } };
    const response = await create(bad);
    expect(response.status?.code).toBe(400);
    expect(response.status?.message).toMatch(/^invalid AccessPolicy: spec.subjects: /);
  });

  it('refuses a grant role the DataSource cannot grant', async () => {
    cache.put('DataSource', dataSource('orders'));
    const p = policy('p', 'orders', { app: 'orders' }, { grant: { role: 'superuser_ish' } });
    const response = await create(p);
    expect(response.status?.message).toBe(
      'grant.role superuser_ish is not among the grantableRoles of DataSource orders (app_rw, app_ro)',
    );
  });

  it('refuses a policy that overlaps another for the same pods and subjects', async () => {
    cache.put('DataSource', dataSource('orders'));
    cache.put('AccessPolicy', policy('first', 'orders', { app: 'orders' }));
    const response = await create(policy('second', 'orders', { app: 'orders' }));
    expect(response.status?.message).toMatch(
      /AccessPolicy second overlaps another: AccessPolicy first also admits system:serviceaccount:shop:orders/,
    );
  });

  it('allows a policy for other pods, and warns when its DataSource is missing', async () => {
    cache.put('AccessPolicy', policy('first', 'orders', { app: 'orders' }));
    const response = await create(policy('second', 'orders', { app: 'billing' }));
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([
      'DataSource orders does not exist yet; the policy stays not Ready until it does',
    ]);
  });

  it('allows an update of the same policy', async () => {
    cache.put('DataSource', dataSource('orders'));
    cache.put('AccessPolicy', policy('first', 'orders'));
    const response = await create(policy('first', 'orders'));
    expect(response.allowed).toBe(true);
  });
});

describe('/validate-datasources', () => {
  it('refuses dropping a grantable role a policy still grants', async () => {
    cache.put('AccessPolicy', policy('p', 'orders'));
    const ds: DataSource = dataSource('orders');
    ds.spec.minter.grantableRoles = ['app_ro'];
    const response = await review('/validate-datasources', {
      kind: dsKind,
      namespace: 'shop',
      operation: 'UPDATE',
      object: ds,
    });
    expect(response.status?.message).toMatch(/AccessPolicy p grants role app_rw/);
  });
});
