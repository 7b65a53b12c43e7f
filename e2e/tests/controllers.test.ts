// The operator's controllers against a real kube-apiserver and a real PostgreSQL: list-watch
// into status, Events, reaping, rollouts, and leader election between two operator processes
// that run as the operator ServiceAccount bound to operator/rbac.yaml (nothing more).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  createMinterRole,
  freePort,
  startPostgres,
  startProcess,
  type ManagedProcess,
  type MinterCredential,
  type PostgresServer,
} from '@portcullis/testkit';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import { resolveBinaries } from '../src/binaries.js';
import { startControlPlane, type ControlPlane } from '../src/control-plane.js';
import { KubeApi, type KubeObject } from '../src/kube-api.js';
import { writeKubeconfig } from '../src/kubeconfig.js';
import { repoPath } from '../src/paths.js';

const run = promisify(execFile);

const OPERATOR_NS = 'portcullis-system';
const APP_NS = 'shop';
const SA = 'portcullis-operator';
const IMAGE = 'ghcr.io/portcullis/sidecar:e2e';
const LEASE_SECONDS = 6;
const GROUP = '/apis/portcullis.dev/v1alpha1';

let cp: ControlPlane;
let api: KubeApi;
let db: PostgresServer;
let minter: MinterCredential;
let operatorKubeconfig: string;
const operators = new Map<string, ManagedProcess>();
const metricsPorts = new Map<string, number>();

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  const logs = [...operators.entries()].map(([id, p]) => `--- ${id}\n${p.tail(40)}`).join('\n');
  throw new Error(`timed out waiting for ${what} (${String(last)})\n${logs}`);
}

function readyOf(object: KubeObject | undefined): Condition | undefined {
  const conditions = (object?.status?.conditions ?? []) as Condition[];
  return conditions.find((c) => c.type === 'Ready');
}

// The kinds this suite applies from YAML files, by REST collection.
const PLURALS: Record<string, string> = {
  CustomResourceDefinition: 'customresourcedefinitions',
  ClusterRole: 'clusterroles',
  Role: 'roles',
};

/** Creates every object of a YAML file; namespaced kinds go into namespace. */
async function applyYamlFile(path: string, namespace: string): Promise<void> {
  for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
    const object = doc.toJS() as KubeObject | null;
    if (object === null) continue;
    const plural = PLURALS[object.kind!];
    if (plural === undefined) throw new Error(`${path}: no collection known for ${object.kind}`);
    const scope = object.kind === 'Role' ? `/namespaces/${namespace}` : '';
    await api.create(`/apis/${object.apiVersion}${scope}/${plural}`, object);
  }
}

/** Starts one operator process as the operator ServiceAccount. */
async function startOperator(identity: string): Promise<ManagedProcess> {
  const metricsPort = await freePort();
  metricsPorts.set(identity, metricsPort);
  const args = [
    repoPath('operator/bin/portcullis-operator.js'),
    `--kubeconfig=${operatorKubeconfig}`,
    `--namespace=${OPERATOR_NS}`,
    `--https-port=${await freePort()}`,
    `--metrics-port=${metricsPort}`,
    '--extra-san=127.0.0.1',
    `--identity=${identity}`,
    `--lease-duration-seconds=${LEASE_SECONDS}`,
    '--renew-deadline-seconds=4',
    '--retry-period-seconds=1',
    '--resync-seconds=2',
    '--reap-grace-seconds=0',
    `--sidecar-image=${IMAGE}`,
    '--native-sidecars=true',
    '--log-level=debug',
  ];
  const child = startProcess({ command: process.execPath, args, outputLimit: 200_000 });
  operators.set(identity, child);
  return child;
}

/** The value of one metric sample on an operator's /metrics, 0 when absent. */
async function metric(identity: string, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPorts.get(identity)}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await api.find(
    `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NS}/leases/portcullis-operator`,
  );
  const holder = (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
  return holder === '' ? undefined : holder;
}

async function eventsAbout(name: string): Promise<{ reason: string; note: string }[]> {
  const list = await api.get<{
    items: { reason: string; note: string; regarding: { name: string } }[];
  }>(`/apis/events.k8s.io/v1/namespaces/${APP_NS}/events`);
  return list.items.filter((e) => e.regarding.name === name);
}

function dataSource(grantableRoles: string[]): KubeObject {
  return {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name: 'orders', namespace: APP_NS },
    spec: {
      host: db.host,
      port: db.port,
      database: 'postgres',
      tls: { mode: 'require' },
      minter: {
        secretRef: { name: 'orders-minter' },
        grantableRoles,
        roleNamePrefix: 'pcl_',
      },
    },
  };
}

function policy(name: string, selector: Record<string, string>): KubeObject {
  return {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name, namespace: APP_NS },
    spec: {
      dataSourceRef: { name: 'orders' },
      workloadSelector: { matchLabels: selector },
      subjects: [{ serviceAccount: { name: 'api' } }],
      grant: { role: 'app_read' },
    },
  };
}

function pod(name: string, labels: Record<string, string>, annotations = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: APP_NS, labels, annotations },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  };
}

async function crdsEstablished(): Promise<boolean | undefined> {
  const list = await api.get<{ items: KubeObject[] }>(
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  );
  const established = list.items.filter((crd) =>
    ((crd.status?.conditions ?? []) as Condition[]).some(
      (c) => c.type === 'Established' && c.status === 'True',
    ),
  );
  return established.length >= 3 ? true : undefined;
}

beforeAll(async () => {
  // The operator runs from its build output, as the chart's image does.
  await run('npx', ['tsc', '--build', repoPath('operator')], { cwd: repoPath() }).catch(
    () => undefined,
  );
  if (!existsSync(repoPath('operator/dist/src/cli.js'))) throw new Error('operator not built');

  [cp, db] = await Promise.all([
    resolveBinaries().then(startControlPlane),
    startPostgres({ tls: true }),
  ]);
  api = KubeApi.fromFile(cp.kubeconfig);
  await db.sql('CREATE ROLE app_read NOLOGIN');
  minter = await createMinterRole(db, { grantableRoles: ['app_read'] });

  const manifests = repoPath('crds/manifests');
  for (const file of await readdir(manifests)) {
    await applyYamlFile(join(manifests, file), OPERATOR_NS);
  }
  await eventually('CRDs established', crdsEstablished);

  for (const ns of [OPERATOR_NS, APP_NS]) {
    await api.create('/api/v1/namespaces', { metadata: { name: ns } });
  }
  await api.create(`/api/v1/namespaces/${OPERATOR_NS}/serviceaccounts`, { metadata: { name: SA } });
  await applyYamlFile(repoPath('operator/rbac.yaml'), OPERATOR_NS);
  const subject = { kind: 'ServiceAccount', name: SA, namespace: OPERATOR_NS };
  const roleRef = (kind: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name: SA });
  await api.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: SA },
    subjects: [subject],
    roleRef: roleRef('ClusterRole'),
  });
  await api.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${OPERATOR_NS}/rolebindings`, {
    metadata: { name: SA },
    subjects: [subject],
    roleRef: roleRef('Role'),
  });

  const tokenRequest = await api.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${OPERATOR_NS}/serviceaccounts/${SA}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  operatorKubeconfig = join(cp.dir, 'operator.kubeconfig');
  await writeKubeconfig(operatorKubeconfig, {
    server: cp.server,
    caFile: cp.caFile,
    token: tokenRequest.status.token,
    user: SA,
  });

  await api.create(`/api/v1/namespaces/${APP_NS}/secrets`, {
    metadata: { name: 'orders-minter' },
    stringData: { username: minter.username, password: minter.password },
  });
}, 240_000);

afterAll(async () => {
  await Promise.all([...operators.values()].map((p) => p.stop('SIGTERM', 5_000)));
  await Promise.all([cp?.stop(), db?.stop()]);
}, 60_000);

describe('operator controllers against kube-apiserver', () => {
  it('elects one leader, which reports a DataSource Ready through the status subresource', async () => {
    await startOperator('operator-a');
    await startOperator('operator-b');
    await api.create(`${GROUP}/namespaces/${APP_NS}/datasources`, dataSource(['app_read']));

    const holder = await eventually('a lease holder', leaseHolder);
    expect(['operator-a', 'operator-b']).toContain(holder);

    const ds = await eventually('DataSource Ready', async () => {
      const object = await api.get(`${GROUP}/namespaces/${APP_NS}/datasources/orders`);
      return readyOf(object)?.status === 'True' ? object : undefined;
    });
    expect(readyOf(ds)).toMatchObject({ reason: 'Ready', observedGeneration: 1 });
    expect(ds.status?.serverVersion).toBe((await db.sql('SHOW server_version')).trim());
    expect(ds.status?.mintedRoles).toBe(0);
    const events = await eventually('a Ready Event', async () => {
      const found = await eventsAbout('orders');
      return found.some((e) => e.reason === 'Ready') ? found : undefined;
    });
    expect(events.length).toBeGreaterThan(0);

    // Only the leader reconciles; the other replica skips, and both are ready to serve.
    const follower = holder === 'operator-a' ? 'operator-b' : 'operator-a';
    const ok = 'portcullis_operator_reconciles_total{kind="DataSource",result="ok"}';
    const skipped = 'portcullis_operator_reconciles_total{kind="DataSource",result="skipped"}';
    expect(await metric(holder, 'portcullis_operator_leader')).toBe(1);
    expect(await metric(holder, ok)).toBeGreaterThan(0);
    expect(await metric(follower, 'portcullis_operator_leader')).toBe(0);
    expect(await metric(follower, ok)).toBe(0);
    expect(await metric(follower, skipped)).toBeGreaterThan(0);
    for (const id of [holder, follower]) {
      await eventually(`${id} ready`, async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPorts.get(id)}/readyz`);
        return res.status === 200 ? true : undefined;
      });
    }
  }, 60_000);

  it('follows a spec change seen through the watch: a role the minter may not grant', async () => {
    const path = `${GROUP}/namespaces/${APP_NS}/datasources/orders`;
    await api.patch(path, { spec: { minter: { grantableRoles: ['app_read', 'missing_role'] } } });

    const ready = await eventually('RoleNotGrantable', async () => {
      const condition = readyOf(await api.get(path));
      return condition?.reason === 'RoleNotGrantable' ? condition : undefined;
    });
    expect(ready).toMatchObject({ status: 'False', observedGeneration: 2 });
    expect(ready.message).toContain('missing_role');

    await api.patch(path, { spec: { minter: { grantableRoles: ['app_read'] } } });
    await eventually('Ready again', async () =>
      readyOf(await api.get(path))?.status === 'True' ? true : undefined,
    );
  }, 60_000);

  it('reaps an expired minted role and records it', async () => {
    const client = new pg.Client({
      connectionString: db.url('postgres', minter.username, minter.password),
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    await client.query(`CREATE ROLE pcl_crashed IN ROLE app_read VALID UNTIL '2000-01-01'`);
    await client.end();

    await eventually('the role dropped', async () => {
      const left = await db.sql(`SELECT count(*) FROM pg_roles WHERE rolname = 'pcl_crashed'`);
      return left.trim() === '0' ? true : undefined;
    });
    await eventually('a RolesReaped Event', async () =>
      (await eventsAbout('orders')).some((e) => e.reason === 'RolesReaped') ? true : undefined,
    );
  }, 60_000);

  it('reports AccessPolicy readiness, selected pods and overlaps', async () => {
    for (const name of ['api-1', 'api-2']) {
      await api.create(`/api/v1/namespaces/${APP_NS}/pods`, pod(name, { app: 'api' }));
    }
    await api.create(`/api/v1/namespaces/${APP_NS}/pods`, pod('web-1', { app: 'web' }));
    await api.create(
      `${GROUP}/namespaces/${APP_NS}/accesspolicies`,
      policy('api-read', { app: 'api' }),
    );

    const path = `${GROUP}/namespaces/${APP_NS}/accesspolicies/api-read`;
    const ready = await eventually('policy Ready', async () => {
      const object = await api.get(path);
      return readyOf(object)?.status === 'True' ? object : undefined;
    });
    expect(ready.status?.selectedPods).toBe(2);

    // A pod that starts matching, seen through the pod watch.
    await api.patch(`/api/v1/namespaces/${APP_NS}/pods/web-1`, {
      metadata: { labels: { app: 'api' } },
    });
    await eventually('3 selected pods', async () =>
      (await api.get(path)).status?.selectedPods === 3 ? true : undefined,
    );
    // A pod that finished no longer counts (no kubelet here: the test writes its status).
    await api.patch(`/api/v1/namespaces/${APP_NS}/pods/web-1/status`, {
      status: { phase: 'Succeeded' },
    });
    await eventually('2 selected pods', async () =>
      (await api.get(path)).status?.selectedPods === 2 ? true : undefined,
    );

    // A second policy for the same pods and subject: both report the overlap.
    await api.create(`${GROUP}/namespaces/${APP_NS}/accesspolicies`, policy('broad', {}));
    const overlap = await eventually('overlap reported', async () => {
      const condition = readyOf(await api.get(path));
      return condition?.reason === 'PolicyOverlap' ? condition : undefined;
    });
    expect(overlap.message).toContain('broad');
    await api.delete(`${GROUP}/namespaces/${APP_NS}/accesspolicies/broad`);
    await eventually('Ready after the overlap is gone', async () =>
      readyOf(await api.get(path))?.status === 'True' ? true : undefined,
    );
  }, 60_000);

  it('rolls a Deployment whose pods lack a DataSource their policy now needs', async () => {
    const labels = { app: 'api', 'portcullis.dev/inject': 'true' };
    await api.create(`/apis/apps/v1/namespaces/${APP_NS}/deployments`, {
      metadata: { name: 'api' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
        },
      },
    });
    // A pod injected before the policy existed: no DataSource port.
    const injected = JSON.stringify({ version: 1, image: IMAGE, ports: {}, policies: [] });
    await api.create(
      `/api/v1/namespaces/${APP_NS}/pods`,
      pod('api-old', labels, { 'portcullis.dev/injected': injected }),
    );

    const hash = await eventually('the template annotated', async () => {
      const deployment = await api.get(`/apis/apps/v1/namespaces/${APP_NS}/deployments/api`);
      const template = deployment.spec?.template as {
        metadata?: { annotations?: Record<string, string> };
      };
      return template.metadata?.annotations?.['portcullis.dev/policy-hash'];
    });
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
  }, 60_000);

  it('mirrors AccessRequest decisions into status and expires undecided ones', async () => {
    const request = (name: string, expiresAt: Date, decision?: object): KubeObject => ({
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'AccessRequest',
      metadata: { name, namespace: APP_NS },
      spec: {
        policyRef: { name: 'api-read' },
        dataSourceRef: { name: 'orders' },
        requester: { identity: 'system:serviceaccount:shop:api', session: 's-1' },
        operation: { kind: 'statement', statement: 'DELETE FROM orders WHERE id = 1' },
        reason: 'delete needs approval',
        expiresAt: expiresAt.toISOString(),
        ...(decision === undefined ? {} : { decision }),
      },
    });
    const collection = `${GROUP}/namespaces/${APP_NS}/accessrequests`;
    // No admission webhook is registered here, so the decision goes in as written.
    await api.create(
      collection,
      request('decided', new Date(Date.now() + 600_000), {
        verdict: 'approve',
        decidedBy: 'alice',
      }),
    );
    await api.create(collection, request('waiting', new Date(Date.now() + 3_000)));

    const decided = await eventually('Approved', async () => {
      const object = await api.get(`${collection}/decided`);
      return object.status?.phase === 'Approved' ? object : undefined;
    });
    expect(decided.status?.decidedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await api.get(`${collection}/waiting`)).status?.phase).toBe('Pending');
    await eventually('Expired', async () =>
      (await api.get(`${collection}/waiting`)).status?.phase === 'Expired' ? true : undefined,
    );
  }, 60_000);

  it('hands leadership over within the lease duration when the leader is killed', async () => {
    const first = await eventually('a lease holder', leaseHolder);
    const survivor = first === 'operator-a' ? 'operator-b' : 'operator-a';

    const killedAt = Date.now();
    await operators.get(first)!.stop('SIGKILL');
    await eventually('the survivor leading', async () =>
      (await leaseHolder()) === survivor ? true : undefined,
    );
    const takeoverMs = Date.now() - killedAt;
    // A candidate counts the lease duration from when it saw the last renewal, which it polls
    // for every retry period (1 s, +20 % jitter), and takes over at its next poll after that:
    // so within the lease duration plus two retry periods of the kill, and some slack.
    expect(takeoverMs).toBeLessThan((LEASE_SECONDS + 3) * 1000);

    // The new leader writes: a spec change gets a status again.
    const path = `${GROUP}/namespaces/${APP_NS}/datasources/orders`;
    await api.patch(path, { spec: { minter: { grantableRoles: ['app_read', 'gone_role'] } } });
    await eventually('status from the new leader', async () =>
      readyOf(await api.get(path))?.reason === 'RoleNotGrantable' ? true : undefined,
    );
  }, 60_000);

  it('releases the lease on SIGTERM so a successor need not wait it out', async () => {
    const holder = await eventually('a lease holder', leaseHolder);
    const successor = holder === 'operator-a' ? 'operator-b' : 'operator-a';
    const candidate = await startOperator(successor);
    // Fully started (caches synced, TLS loaded), so it has been campaigning for a while.
    await candidate.waitForOutput(/HTTPS server listening/, 30_000);

    const stoppedAt = Date.now();
    const leaving = operators.get(holder)!;
    await leaving.stop('SIGTERM');
    if (!leaving.output().includes('released the lease')) throw new Error(leaving.tail(60));
    await eventually('the successor leading', async () =>
      (await leaseHolder()) === successor ? true : undefined,
    );
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_SECONDS * 1000);
  }, 60_000);
});
