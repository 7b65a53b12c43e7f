// Injection, policy bundles and approvals against a real kube-apiserver: the API server calls
// the operator's webhooks over TLS it trusts through the caBundle the operator patched in; a
// pod-bound token minted by the API server fetches the pod's bundle; an approval is decided
// with the kubectl plugin under two identities.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:https';
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
import { parseAllDocuments } from 'yaml';
import { resolveBinaries } from '../src/binaries.js';
import { startControlPlane, type ControlPlane } from '../src/control-plane.js';
import { KubeApi, KubeApiError, type KubeObject } from '../src/kube-api.js';
import { writeKubeconfig } from '../src/kubeconfig.js';
import { repoPath } from '../src/paths.js';

const run = promisify(execFile);

const OPERATOR_NS = 'portcullis-system';
const APP_NS = 'shop';
const OPERATOR_SA = 'portcullis-operator';
const WEBHOOK_CONFIG = 'portcullis';
const GROUP = '/apis/portcullis.dev/v1alpha1';
const APPROVER = `system:serviceaccount:${APP_NS}:approver`;
const GATED_POD =
  "object.spec.containers.exists(c, c.name == 'portcullis-gate') || " +
  '(has(object.spec.initContainers) && ' +
  "object.spec.initContainers.exists(c, c.name == 'portcullis-gate'))";

let cp: ControlPlane;
let api: KubeApi;
let db: PostgresServer;
let minter: MinterCredential;
let operator: ManagedProcess | undefined;
let httpsPort: number;
const kubeconfigs = new Map<string, string>();

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
  throw new Error(`timed out waiting for ${what} (${String(last)})\n${operator?.tail(60) ?? ''}`);
}

async function applyYaml(path: string, namespace?: string): Promise<void> {
  for (const doc of parseAllDocuments(await readFile(path, 'utf8'))) {
    const object = doc.toJS() as KubeObject | null;
    if (object === null) continue;
    const [group, version] = object.apiVersion!.includes('/')
      ? object.apiVersion!.split('/')
      : ['', object.apiVersion!];
    const plural = object.kind!.toLowerCase().replace(/y$/, 'ie') + 's';
    const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const ns = object.kind === 'Role' ? namespace : undefined;
    await api.create(
      ns === undefined ? `${base}/${plural}` : `${base}/namespaces/${ns}/${plural}`,
      object,
    );
  }
}

/** A token for a ServiceAccount, optionally bound to a pod and for another audience. */
async function saToken(
  namespace: string,
  account: string,
  options: { audience?: string; pod?: KubeObject } = {},
): Promise<string> {
  const spec: Record<string, unknown> = { expirationSeconds: 3600 };
  if (options.audience !== undefined) spec.audiences = [options.audience];
  if (options.pod !== undefined) {
    spec.boundObjectRef = {
      kind: 'Pod',
      apiVersion: 'v1',
      name: options.pod.metadata!.name,
      uid: options.pod.metadata!.uid,
    };
  }
  const answer = await api.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
  );
  return answer.status.token;
}

async function kubeconfigFor(namespace: string, account: string): Promise<string> {
  const path = join(cp.dir, `${namespace}-${account}.kubeconfig`);
  await writeKubeconfig(path, {
    server: cp.server,
    caFile: cp.caFile,
    token: await saToken(namespace, account),
    user: account,
  });
  kubeconfigs.set(account, path);
  return path;
}

function webhookConfigurations(): { mutating: KubeObject; validating: KubeObject } {
  const base = `https://127.0.0.1:${httpsPort}`;
  const common = { sideEffects: 'None', admissionReviewVersions: ['v1'], timeoutSeconds: 5 };
  const rule = (resource: string, operations: string[]) => ({
    apiGroups: resource.startsWith('pods') ? [''] : ['portcullis.dev'],
    apiVersions: resource.startsWith('pods') ? ['v1'] : ['v1alpha1'],
    operations,
    resources: [resource],
    scope: 'Namespaced',
  });
  const notOurs = {
    matchExpressions: [
      {
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: ['kube-system', OPERATOR_NS],
      },
    ],
  };
  return {
    mutating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: WEBHOOK_CONFIG },
      webhooks: [
        {
          name: 'pods.portcullis.dev',
          clientConfig: { url: `${base}/mutate-pods` },
          rules: [rule('pods', ['CREATE'])],
          objectSelector: { matchLabels: { 'portcullis.dev/inject': 'true' } },
          namespaceSelector: notOurs,
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          ...common,
        },
        {
          name: 'accessrequests.portcullis.dev',
          clientConfig: { url: `${base}/mutate-accessrequests` },
          rules: [rule('accessrequests', ['CREATE', 'UPDATE'])],
          failurePolicy: 'Fail',
          ...common,
        },
      ],
    },
    validating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: WEBHOOK_CONFIG },
      webhooks: [
        ...['accessrequests', 'datasources', 'accesspolicies'].map((resource) => ({
          name: `${resource}.portcullis.dev`,
          clientConfig: { url: `${base}/validate-${resource}` },
          rules: [rule(resource, ['CREATE', 'UPDATE'])],
          failurePolicy: 'Fail',
          ...common,
        })),
        {
          // No objectSelector, since labels can be removed first; the API server sends only
          // pods that run the gate, by container name, which no update can change.
          name: 'gatedpods.portcullis.dev',
          clientConfig: { url: `${base}/validate-pods` },
          rules: [rule('pods', ['CREATE', 'UPDATE']), rule('pods/ephemeralcontainers', ['UPDATE'])],
          namespaceSelector: notOurs,
          matchConditions: [{ name: 'runs-the-gate', expression: GATED_POD }],
          failurePolicy: 'Fail',
          ...common,
        },
      ],
    },
  };
}

/** GET or POST on the operator's HTTPS server with a bearer token, trusting only `ca`. */
function operatorCall(
  path: string,
  token: string,
  ca: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${httpsPort}${path}`,
      {
        method: payload === undefined ? 'GET' : 'POST',
        ca,
        headers: {
          ...headers,
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function labelledPod(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: APP_NS,
      labels: { app: 'orders', 'portcullis.dev/inject': 'true' },
    },
    spec: {
      serviceAccountName: 'orders',
      containers: [{ name: 'app', image: 'registry.example/orders:1' }],
      ...spec,
    },
  };
}

interface Container {
  name: string;
  restartPolicy?: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string }[];
  startupProbe?: Record<string, unknown>;
}

const podSpec = (pod: KubeObject) =>
  pod.spec as { initContainers?: Container[]; containers: Container[] };

beforeAll(async () => {
  await run('npx', ['tsc', '--build', repoPath('operator')], { cwd: repoPath() });
  if (!existsSync(repoPath('operator/dist/src/cli.js'))) throw new Error('operator not built');

  [cp, db] = await Promise.all([
    resolveBinaries().then(startControlPlane),
    startPostgres({ tls: true }),
  ]);
  api = KubeApi.fromFile(cp.kubeconfig);
  await db.sql('CREATE ROLE app_rw NOLOGIN');
  minter = await createMinterRole(db, { grantableRoles: ['app_rw'] });

  const manifests = repoPath('crds/manifests');
  for (const file of await readdir(manifests)) await applyYaml(join(manifests, file));
  for (const ns of [OPERATOR_NS, APP_NS]) {
    await api.create('/api/v1/namespaces', { metadata: { name: ns } });
  }
  for (const [ns, account] of [
    [OPERATOR_NS, OPERATOR_SA],
    [APP_NS, 'orders'],
    [APP_NS, 'approver'],
    [APP_NS, 'mallory'],
  ] as const) {
    await api.create(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: account } });
  }

  // The operator runs with exactly the verbs of operator/rbac.yaml.
  await applyYaml(repoPath('operator/rbac.yaml'), OPERATOR_NS);
  const subject = (name: string, namespace: string) => ({
    kind: 'ServiceAccount',
    name,
    namespace,
  });
  const roleRef = (kind: string, name: string) => ({
    apiGroup: 'rbac.authorization.k8s.io',
    kind,
    name,
  });
  await api.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: OPERATOR_SA },
    subjects: [subject(OPERATOR_SA, OPERATOR_NS)],
    roleRef: roleRef('ClusterRole', OPERATOR_SA),
  });
  await api.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${OPERATOR_NS}/rolebindings`, {
    metadata: { name: OPERATOR_SA },
    subjects: [subject(OPERATOR_SA, OPERATOR_NS)],
    roleRef: roleRef('Role', OPERATOR_SA),
  });
  // Both people may patch AccessRequests; only the policy decides who may approve.
  await api.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${APP_NS}/roles`, {
    metadata: { name: 'decide' },
    rules: [
      {
        apiGroups: ['portcullis.dev'],
        resources: ['accessrequests'],
        verbs: ['get', 'list', 'patch'],
      },
    ],
  });
  await api.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${APP_NS}/rolebindings`, {
    metadata: { name: 'decide' },
    subjects: [subject('approver', APP_NS), subject('mallory', APP_NS)],
    roleRef: roleRef('Role', 'decide'),
  });
  await kubeconfigFor(APP_NS, 'approver');
  await kubeconfigFor(APP_NS, 'mallory');

  httpsPort = await freePort();
  const { mutating, validating } = webhookConfigurations();
  await api.create('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', mutating);
  await api.create(
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    validating,
  );

  const operatorKubeconfig = join(cp.dir, 'operator.kubeconfig');
  await writeKubeconfig(operatorKubeconfig, {
    server: cp.server,
    caFile: cp.caFile,
    token: await saToken(OPERATOR_NS, OPERATOR_SA),
    user: OPERATOR_SA,
  });
  operator = startProcess({
    command: process.execPath,
    args: [
      repoPath('operator/bin/portcullis-operator.js'),
      `--kubeconfig=${operatorKubeconfig}`,
      `--namespace=${OPERATOR_NS}`,
      `--https-port=${httpsPort}`,
      `--metrics-port=${await freePort()}`,
      '--service-name=portcullis',
      '--extra-san=127.0.0.1',
      `--webhook-config=${WEBHOOK_CONFIG}`,
      '--tls-secret=portcullis-tls',
      `--bundle-url=https://127.0.0.1:${httpsPort}`,
      '--identity=operator-e2e',
      '--sidecar-image=ghcr.io/portcullis/sidecar:e2e',
      '--native-sidecars=true',
      '--resync-seconds=2',
      '--log-level=debug',
    ],
    outputLimit: 200_000,
  });

  // The leader writes the CA into every webhook; until then the API server cannot call them.
  await eventually(
    'caBundle patched into both configurations',
    async () => {
      const configs = await Promise.all(
        ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'].map((kind) =>
          api.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
            `/apis/admissionregistration.k8s.io/v1/${kind}/${WEBHOOK_CONFIG}`,
          ),
        ),
      );
      return configs.every((c) => c.webhooks.every((w) => w.clientConfig.caBundle))
        ? true
        : undefined;
    },
    60_000,
  );

  await api.create(`/api/v1/namespaces/${APP_NS}/secrets`, {
    metadata: { name: 'orders-minter' },
    stringData: { username: minter.username, password: minter.password },
  });
  // Created through the validating webhooks: the operator must be serving for these to land.
  await eventually('DataSource accepted', () =>
    api.create(`${GROUP}/namespaces/${APP_NS}/datasources`, {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'DataSource',
      metadata: { name: 'orders', namespace: APP_NS },
      spec: {
        host: db.host,
        port: db.port,
        database: 'postgres',
        tls: { mode: 'require' },
        minter: { secretRef: { name: 'orders-minter' }, grantableRoles: ['app_rw'] },
      },
    }),
  );
  await api.create(`${GROUP}/namespaces/${APP_NS}/accesspolicies`, {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: 'orders-rw', namespace: APP_NS },
    spec: {
      dataSourceRef: { name: 'orders' },
      workloadSelector: { matchLabels: { app: 'orders' } },
      subjects: [{ serviceAccount: { name: 'orders' } }],
      grant: { role: 'app_rw' },
      approval: { rules: [{ classes: ['delete'] }], approvers: { users: [APPROVER] } },
    },
  });
  await eventually(
    'AccessPolicy Ready',
    async () => {
      const policy = await api.get(`${GROUP}/namespaces/${APP_NS}/accesspolicies/orders-rw`);
      const conditions = (policy.status?.['conditions'] ?? []) as {
        type: string;
        status: string;
      }[];
      return conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    },
    60_000,
  );
}, 300_000);

afterAll(async () => {
  await operator?.stop('SIGTERM', 5_000);
  await Promise.all([cp?.stop(), db?.stop()]);
}, 60_000);

describe('injection through the real API server', () => {
  let injected: KubeObject;

  it('injects the gate as a native sidecar into a labelled pod', async () => {
    injected = await api.create(`/api/v1/namespaces/${APP_NS}/pods`, labelledPod('orders-1'));
    const spec = podSpec(injected);

    const gate = spec.initContainers?.[0];
    expect(gate?.name).toBe('portcullis-gate');
    expect(gate?.restartPolicy).toBe('Always');
    expect(gate?.startupProbe).toBeDefined();
    const record = JSON.parse(injected.metadata!.annotations!['portcullis.dev/injected']!) as {
      ports: Record<string, number>;
      policies: string[];
    };
    expect(record.ports).toEqual({ orders: 5432 });
    expect(record.policies).toEqual(['orders-rw']);

    const env = Object.fromEntries((spec.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: '5432', PGDATABASE: 'postgres' });
    expect(env).not.toHaveProperty('PGPASSWORD');
    const holders = [...(spec.initContainers ?? []), ...spec.containers].filter((c) =>
      (c.volumeMounts ?? []).some((m) => m.name === 'portcullis-token'),
    );
    expect(holders.map((c) => c.name)).toEqual(['portcullis-gate']);
  });

  it('refuses a hostNetwork pod, saying why', async () => {
    const attempt = api.create(
      `/api/v1/namespaces/${APP_NS}/pods`,
      labelledPod('orders-host', { hostNetwork: true }),
    );
    await expect(attempt).rejects.toThrow(KubeApiError);
    await expect(attempt).rejects.toThrow(/hostNetwork: the gate listens on loopback/);
  });

  it("refuses a debug container in the gate's process namespace, allows one beside the app", async () => {
    const path = `/api/v1/namespaces/${APP_NS}/pods/orders-1/ephemeralcontainers`;
    const debug = (name: string, target: string) => ({
      spec: {
        ephemeralContainers: [{ name, image: 'busybox', targetContainerName: target }],
      },
    });
    const attempt = api.patch(path, debug('peek', 'portcullis-gate'), 'strategic');
    await expect(attempt).rejects.toThrow(/may not target portcullis-gate/);
    await expect(api.patch(path, debug('look', 'app'), 'strategic')).resolves.toBeDefined();
  });

  it("refuses swapping the gate's image in a running pod", async () => {
    const pod = `/api/v1/namespaces/${APP_NS}/pods/orders-1`;
    const swap = { spec: { initContainers: [{ name: 'portcullis-gate', image: 'evil/gate:1' }] } };
    await expect(api.patch(pod, swap, 'strategic')).rejects.toThrow(
      /image of portcullis-gate cannot change/,
    );
    const bump = { spec: { containers: [{ name: 'app', image: 'registry.example/orders:2' }] } };
    await expect(api.patch(pod, bump, 'strategic')).resolves.toBeDefined();
  });

  it('accepts a copy of its own gate as stored, refuses a tampered one or an unlabelled one', async () => {
    const stored = await api.get(`/api/v1/namespaces/${APP_NS}/pods/orders-1`);
    const copy = (name: string, tamper: (spec: ReturnType<typeof podSpec>) => void = () => {}) => {
      const spec = structuredClone(stored.spec) as Record<string, unknown>;
      delete spec.ephemeralContainers;
      delete spec.priority;
      tamper(spec as ReturnType<typeof podSpec>);
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: APP_NS,
          labels: stored.metadata!.labels,
          annotations: stored.metadata!.annotations,
        },
        spec,
      };
    };
    const pods = `/api/v1/namespaces/${APP_NS}/pods`;

    // The gate as the API server stored it, defaults and all, passes the injected-gate check.
    const again = await api.create(pods, copy('orders-copy'));
    expect(podSpec(again).initContainers!.filter((c) => c.name === 'portcullis-gate')).toHaveLength(
      1,
    );

    const tampered = copy('orders-evil', (spec) => {
      const gate = spec.initContainers![0] as unknown as { args: string[] };
      gate.args[1] = 'https://evil.example';
    });
    await expect(api.create(pods, tampered)).rejects.toThrow(
      /carries the portcullis.dev\/injected annotation, but its portcullis-gate container is not/,
    );

    const unlabelled = copy('orders-sneaky');
    unlabelled.metadata.labels = { app: 'orders' };
    await expect(api.create(pods, unlabelled)).rejects.toThrow(
      /may run a container named portcullis-gate only as the operator injects it/,
    );
  });

  it('leaves an unlabelled pod alone', async () => {
    const plain = labelledPod('plain');
    plain.metadata!.labels = { app: 'orders' };
    const created = await api.create(`/api/v1/namespaces/${APP_NS}/pods`, plain);
    expect(podSpec(created).initContainers).toBeUndefined();
  });

  it("serves the pod's bundle to a token bound to it and long-polls a policy change", async () => {
    const gate = podSpec(injected).initContainers![0]!;
    const ca = gate.env!.find((e) => e.name === 'PORTCULLIS_OPERATOR_CA')!.value!;
    const token = await saToken(APP_NS, 'orders', { audience: 'portcullis.dev', pod: injected });

    const res = await operatorCall('/v1/bundle', token, ca);
    expect(res.status).toBe(200);
    const bundle = res.body as {
      policies: { metadata: { name: string } }[];
      secrets: Record<string, Record<string, string>>;
    };
    expect(bundle.policies.map((p) => p.metadata.name)).toEqual(['orders-rw']);
    expect(bundle.secrets['orders-minter']).toEqual({
      username: minter.username,
      password: minter.password,
    });

    // A change arrives through the long-poll: the policy gains masking, the ETag moves.
    const version = (res.body as { version: string }).version;
    const started = Date.now();
    const waiting = operatorCall('/v1/bundle?wait=20s', token, ca, undefined, {
      'if-none-match': version,
    });
    await api.patch(`${GROUP}/namespaces/${APP_NS}/accesspolicies/orders-rw`, {
      spec: { masking: { rules: [{ detector: 'email', strategy: 'redact' }] } },
    });
    const changed = await waiting;
    expect(changed.status).toBe(200);
    expect(changed.body.version).not.toBe(version);
    const masking = (changed.body as { policies: { spec: { masking: { rules: unknown[] } } }[] })
      .policies[0]!.spec.masking;
    expect(masking.rules).toEqual([{ detector: 'email', strategy: 'redact' }]);
    expect(Date.now() - started).toBeLessThan(10_000);

    // A row limit is split between the pods the policy selects: the bundle says how many.
    const limited = operatorCall('/v1/bundle?wait=20s', token, ca, undefined, {
      'if-none-match': changed.body.version as string,
    });
    await api.patch(`${GROUP}/namespaces/${APP_NS}/accesspolicies/orders-rw`, {
      spec: { limits: { rowsPerMinute: 600 } },
    });
    const shared = (await limited).body as { rowShares: Record<string, number> };
    const policyNow = await api.get<{
      spec: { workloadSelector: { matchLabels: Record<string, string> } };
    }>(`${GROUP}/namespaces/${APP_NS}/accesspolicies/orders-rw`);
    const selector = Object.entries(policyNow.spec.workloadSelector.matchLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await api.get<{ items: { status?: { phase?: string } }[] }>(
      `/api/v1/namespaces/${APP_NS}/pods?labelSelector=${encodeURIComponent(selector)}`,
    );
    const running = pods.items.filter(
      (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    expect(running.length).toBeGreaterThan(0);
    expect(shared.rowShares).toEqual({ 'orders-rw': running.length });
    await api.patch(`${GROUP}/namespaces/${APP_NS}/accesspolicies/orders-rw`, {
      spec: { limits: { rowsPerMinute: null } },
    });

    const plain = await api.get(`/api/v1/namespaces/${APP_NS}/pods/plain`);
    const stolen = await saToken(APP_NS, 'orders', { audience: 'portcullis.dev', pod: plain });
    expect((await operatorCall('/v1/bundle', stolen, ca)).status).toBe(403);
    const wrongAudience = await saToken(APP_NS, 'orders', { pod: injected });
    expect((await operatorCall('/v1/bundle', wrongAudience, ca)).status).toBe(401);
  });

  it('files an AccessRequest and lets only an approver decide it with kubectl portcullis', async () => {
    const gate = podSpec(injected).initContainers![0]!;
    const ca = gate.env!.find((e) => e.name === 'PORTCULLIS_OPERATOR_CA')!.value!;
    const token = await saToken(APP_NS, 'orders', { audience: 'portcullis.dev', pod: injected });
    const filed = await operatorCall('/v1/approvals', token, ca, {
      policy: 'orders-rw',
      dataSource: 'orders',
      identity: `system:serviceaccount:${APP_NS}:orders`,
      session: 'e2e-session',
      operation: {
        kind: 'statement',
        statement: 'DELETE FROM t WHERE id = 1',
        classes: ['delete'],
      },
      reason: 'delete needs approval',
    });
    expect(filed.status).toBe(201);
    const name = filed.body.name as string;

    const plugin = (account: string, ...args: string[]) =>
      run(
        process.execPath,
        [repoPath('operator/bin/kubectl-portcullis.js'), ...args, '-n', APP_NS],
        {
          env: { ...process.env, KUBECONFIG: kubeconfigs.get(account)! },
        },
      ).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
          code: e.code,
          out: e.stdout,
          err: e.stderr,
        }),
      );

    const listed = await eventually('the request listed', async () => {
      const r = await plugin('approver', 'list');
      return r.out.includes(name) ? r : undefined;
    });
    expect(listed.out).toMatch(new RegExp(`${name}\\s+Pending\\s+orders-rw`));

    const refused = await plugin('mallory', 'approve', name);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/system:serviceaccount:shop:mallory is not an approver/);

    const waiting = operatorCall(`/v1/approvals/${name}?wait=20s`, token, ca);
    const approved = await plugin('approver', 'approve', name, '--comment', 'one row');
    expect(approved).toMatchObject({
      code: 0,
      out: `accessrequest.portcullis.dev/${name} approved\n`,
    });
    expect((await waiting).body).toMatchObject({
      phase: 'Approved',
      decidedBy: APPROVER,
      comment: 'one row',
    });

    const changed = await plugin('approver', 'deny', name);
    expect(changed.code).toBe(1);
    // The CRD's own validation rule and the webhook both refuse it; the first one speaks.
    expect(changed.err).toMatch(/decision cannot change/);
  }, 60_000);
});
