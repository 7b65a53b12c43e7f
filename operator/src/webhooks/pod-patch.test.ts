import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { AccessPolicy, DataSource } from '@portcullis/crds';
import {
  CLIENT_TLS_ANNOTATION,
  CLIENT_TLS_VOLUME,
  INJECTED_ANNOTATION,
  SIDECAR_CONTAINER,
  TOKEN_VOLUME,
} from './injection-names.js';
import { applyJsonPatch } from './json-patch.js';
import { buildPodPatch, type InjectionRecord, type PodPatchConfig } from './pod-patch.js';
import { gateTokenProblem } from './pod-tokens.js';
import { dataSource, patchConfig, pod, policy } from './test-fixtures.js';

interface Case {
  name: string;
  pod: V1Pod;
  policies?: AccessPolicy[];
  dataSources?: DataSource[];
  config?: Partial<PodPatchConfig>;
  namespace?: string;
}

function run(c: Case) {
  const result = buildPodPatch({
    pod: c.pod,
    namespace: c.namespace ?? 'shop',
    policies: c.policies ?? [policy('orders-rw', 'orders')],
    dataSources: c.dataSources ?? [dataSource('orders')],
    config: patchConfig(c.config),
  });
  return result;
}

function injected(c: Case): { after: V1Pod; record: InjectionRecord } {
  const result = run(c);
  if (!('record' in result)) throw new Error(`expected a patch, got ${JSON.stringify(result)}`);
  const after = applyJsonPatch(c.pod, result.patch);
  const record = JSON.parse(after.metadata!.annotations![INJECTED_ANNOTATION]!) as InjectionRecord;
  expect(record).toEqual(result.record);
  return { after, record };
}

const envOf = (c: V1Container | undefined) =>
  Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));

describe('buildPodPatch: injecting', () => {
  it('adds the gate as a native sidecar with a startup probe, first among init containers', () => {
    const { after, record } = injected({
      name: 'labelled',
      pod: pod({ initContainers: [{ name: 'migrate', image: 'shop/migrate:1' }] }),
    });
    const init = after.spec!.initContainers!;
    expect(init.map((c) => c.name)).toEqual([SIDECAR_CONTAINER, 'migrate']);

    const gate = init[0]!;
    expect(gate.restartPolicy).toBe('Always');
    expect(gate.startupProbe?.httpGet).toEqual({ path: '/readyz', port: 9464 });
    expect(gate.args).toEqual([
      '--operator-url',
      'https://portcullis.portcullis-system.svc:443',
      '--token-file',
      '/var/run/secrets/portcullis/token',
      '--identity',
      'system:serviceaccount:shop:default',
      '--metrics-port',
      '9464',
      '--metrics-host',
      '0.0.0.0',
      '--log-level',
      'info',
    ]);
    expect(gate.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(gate.resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { memory: '256Mi' },
    });
    expect(record.mode).toBe('native-sidecar');
    expect(record.ports).toEqual({ orders: 5432 });
    expect(record.policies).toEqual(['orders-rw']);
  });

  it('gives app containers and later init containers the PG env, never a password', () => {
    const { after, record } = injected({
      name: 'env',
      pod: pod({ initContainers: [{ name: 'migrate', image: 'shop/migrate:1' }] }),
    });
    const expected = {
      PGHOST: '127.0.0.1',
      PGPORT: '5432',
      PGDATABASE: 'orders',
      DATABASE_URL: 'postgresql://127.0.0.1:5432/orders?sslmode=disable',
    };
    expect(envOf(after.spec!.containers[0])).toEqual(expected);
    expect(envOf(after.spec!.initContainers![1])).toEqual(expected);
    expect(JSON.stringify(after)).not.toMatch(/PGPASSWORD/);
    expect(record.env).toEqual({
      app: ['PGHOST', 'PGPORT', 'PGDATABASE', 'DATABASE_URL'],
      migrate: ['PGHOST', 'PGPORT', 'PGDATABASE', 'DATABASE_URL'],
    });
  });

  it('mounts the projected token in the gate only', () => {
    const { after } = injected({ name: 'token', pod: pod() });
    const volume = after.spec!.volumes!.find((v) => v.name === TOKEN_VOLUME)!;
    expect(volume.projected!.sources![0]!.serviceAccountToken).toEqual({
      audience: 'portcullis.dev',
      expirationSeconds: 3600,
      path: 'token',
    });
    expect(after.spec!.containers[0]!.volumeMounts).toBeUndefined();
    expect(gateTokenProblem(after)).toBeUndefined();

    const debugged = structuredClone(after);
    debugged.spec!.ephemeralContainers = [
      { name: 'debugger', image: 'busybox', targetContainerName: SIDECAR_CONTAINER },
    ];
    expect(gateTokenProblem(debugged)).toMatch(/debugger shares the process namespace/);
  });

  it('keeps env vars the app already sets and adds the others to its list', () => {
    const app: V1Container = {
      name: 'app',
      image: 'shop/orders:1',
      env: [
        { name: 'PGHOST', value: 'db.example' },
        { name: 'LOG', value: 'debug' },
      ],
    };
    const { after, record } = injected({
      name: 'app sets PGHOST',
      pod: pod({ containers: [app] }),
    });
    expect(envOf(after.spec!.containers[0])).toEqual({
      PGHOST: 'db.example',
      LOG: 'debug',
      PGPORT: '5432',
      PGDATABASE: 'orders',
      DATABASE_URL: 'postgresql://127.0.0.1:5432/orders?sslmode=disable',
    });
    expect(record.env.app).toEqual(['PGPORT', 'PGDATABASE', 'DATABASE_URL']);
  });

  it('gives each DataSource a port: localPort kept, the others from 5432 up by name', () => {
    const { after, record } = injected({
      name: 'multiple DataSources',
      pod: pod(),
      policies: [
        policy('a', 'reports', { app: 'orders' }),
        policy('b', 'orders', { app: 'orders' }),
        policy('c', 'billing', { app: 'orders' }),
      ],
      dataSources: [
        dataSource('orders', { localPort: 5432 }),
        dataSource('billing'),
        dataSource('reports', { database: 'reporting db' }),
      ],
    });
    expect(record.ports).toEqual({ billing: 5433, orders: 5432, reports: 5434 });
    expect(envOf(after.spec!.containers[0])).toMatchObject({
      PGPORT: '5432',
      PGDATABASE: 'orders',
    });
    expect(record.policies).toEqual(['a', 'b', 'c']);
  });

  it('counts from a configured first port and tells the gate', () => {
    const { after, record } = injected({
      name: 'first port',
      pod: pod(),
      policies: [policy('a', 'orders'), policy('b', 'billing')],
      dataSources: [dataSource('orders'), dataSource('billing')],
      config: { firstPort: 6432 },
    });
    expect(record.ports).toEqual({ billing: 6432, orders: 6433 });
    expect(after.spec!.initContainers![0]!.args!.slice(-2)).toEqual(['--first-port', '6432']);
  });

  it('tells the gate to record sessions to stdout, into the pod log, when configured', () => {
    const { after } = injected({ name: 'record', pod: pod(), config: { record: '-' } });
    const args = after.spec!.initContainers![0]!.args!;
    expect(args.slice(-4)).toEqual(['--log-level', 'info', '--record', '-']);
    expect(args.filter((a) => a === '--record')).toHaveLength(1);

    // The same configuration accepts its own gate on a second pass.
    expect(run({ name: 'again', pod: after, config: { record: '-' } })).toEqual({
      patch: [],
      skipped: 'already injected',
    });
  });

  it('places the gate first among containers with a postStart wait without native sidecars', () => {
    const { after, record } = injected({
      name: 'no native sidecars',
      pod: pod({ initContainers: [{ name: 'migrate', image: 'shop/migrate:1' }] }),
      config: { nativeSidecars: false },
    });
    expect(after.spec!.containers.map((c) => c.name)).toEqual([SIDECAR_CONTAINER, 'app']);
    const gate = after.spec!.containers[0]!;
    expect(gate.restartPolicy).toBeUndefined();
    expect(gate.lifecycle?.postStart?.exec?.command?.[0]).toBe('node');
    expect(after.spec!.initContainers!.map((c) => c.name)).toEqual(['migrate']);
    expect(envOf(after.spec!.initContainers![0])).toEqual({});
    expect(envOf(after.spec!.containers[1])).toMatchObject({ PGPORT: '5432' });
    expect(record.mode).toBe('first-container');
  });

  it('applies resource and log-level overrides from pod annotations', () => {
    const annotations = {
      'portcullis.dev/sidecar-cpu': '200m',
      'portcullis.dev/sidecar-memory-limit': '1Gi',
      'portcullis.dev/sidecar-log-level': 'debug',
    };
    const { after } = injected({ name: 'overrides', pod: pod({}, { annotations }) });
    const gate = after.spec!.initContainers![0]!;
    expect(gate.resources).toEqual({
      requests: { cpu: '200m', memory: '64Mi' },
      limits: { memory: '1Gi' },
    });
    expect(gate.args!.slice(-2)).toEqual(['--log-level', 'debug']);
    expect(after.metadata!.annotations!['portcullis.dev/sidecar-cpu']).toBe('200m');
  });

  it('serves TLS to the app from the Secret the client-tls-secret annotation names', () => {
    const annotations = { [CLIENT_TLS_ANNOTATION]: 'orders-gate-tls' };
    const { after, record } = injected({ name: 'tls', pod: pod({}, { annotations }) });
    const gate = after.spec!.initContainers![0]!;
    expect(gate.args!.slice(-4)).toEqual([
      '--client-tls-cert',
      '/var/run/secrets/portcullis-client-tls/tls.crt',
      '--client-tls-key',
      '/var/run/secrets/portcullis-client-tls/tls.key',
    ]);
    expect(gate.volumeMounts).toContainEqual({
      name: CLIENT_TLS_VOLUME,
      mountPath: '/var/run/secrets/portcullis-client-tls',
      readOnly: true,
    });
    expect(after.spec!.volumes).toContainEqual({
      name: CLIENT_TLS_VOLUME,
      secret: {
        secretName: 'orders-gate-tls',
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
      },
    });
    expect(after.spec!.containers[0]!.volumeMounts).toBeUndefined();
    expect(record.volumes).toEqual(['portcullis-token', 'portcullis-tmp', CLIENT_TLS_VOLUME]);
    // The app is told to ask for TLS.
    expect(envOf(after.spec!.containers[0]).DATABASE_URL).toBe(
      'postgresql://127.0.0.1:5432/orders?sslmode=require',
    );
  });

  it('offers no TLS to the app without the annotation', () => {
    const { after, record } = injected({ name: 'plain', pod: pod() });
    const gate = after.spec!.initContainers![0]!;
    expect(gate.args!.filter((arg) => arg.startsWith('--client-tls'))).toEqual([]);
    expect(gate.volumeMounts!.map((m) => m.name)).not.toContain(CLIENT_TLS_VOLUME);
    expect(record.volumes).toEqual(['portcullis-token', 'portcullis-tmp']);
  });

  it('escapes the annotation key when the pod already has annotations', () => {
    const result = run({ name: 'annotated', pod: pod({}, { annotations: { team: 'a' } }) });
    if (!('record' in result)) throw new Error('expected a patch');
    expect(result.patch.at(-1)).toMatchObject({
      op: 'add',
      path: '/metadata/annotations/portcullis.dev~1injected',
    });
  });

  it('passes the configured command and image pull policy', () => {
    const { after } = injected({
      name: 'command',
      pod: pod(),
      config: { command: ['node', '/opt/sidecar/bin.js'], imagePullPolicy: 'Never' },
    });
    const gate = after.spec!.initContainers![0]!;
    expect(gate.command).toEqual(['node', '/opt/sidecar/bin.js']);
    expect(gate.imagePullPolicy).toBe('Never');
  });
});

describe('buildPodPatch: idempotence', () => {
  it('gives an empty patch for a pod that is already injected', () => {
    const first = run({ name: 'first', pod: pod() });
    if (!('record' in first)) throw new Error('expected a patch');
    const after = applyJsonPatch(pod(), first.patch);
    expect(run({ name: 'again', pod: after })).toEqual({ patch: [], skipped: 'already injected' });
  });

  it('accepts its own gate after the API server filled in defaults', () => {
    const first = run({ name: 'first', pod: pod() });
    if (!('record' in first)) throw new Error('expected a patch');
    const stored = applyJsonPatch(pod(), first.patch);
    const gate = stored.spec!.initContainers![0]!;
    gate.terminationMessagePath = '/dev/termination-log';
    gate.imagePullPolicy = 'IfNotPresent';
    gate.startupProbe!.timeoutSeconds = 1;
    gate.readinessProbe!.failureThreshold = 3;
    gate.startupProbe!.httpGet!.scheme = 'HTTP';
    gate.env![0]!.valueFrom!.fieldRef!.apiVersion = 'v1';
    gate.resources!.requests!.cpu = '0.05';
    expect(run({ name: 'again', pod: stored })).toEqual({ patch: [], skipped: 'already injected' });
  });

  describe('a container another webhook added after the injection', () => {
    const appEnv = {
      PGHOST: '127.0.0.1',
      PGPORT: '5432',
      PGDATABASE: 'orders',
      DATABASE_URL: 'postgresql://127.0.0.1:5432/orders?sslmode=disable',
    };
    const injectedPod = (nativeSidecars: boolean) => {
      const config = { nativeSidecars };
      const { after } = injected({ name: 'first', pod: pod(), config });
      return after;
    };

    it.each([true, false])('gets the app env on the second pass (native %s)', (native) => {
      const stored = injectedPod(native);
      stored.spec!.containers.push(
        { name: 'log-shipper', image: 'logs:1' },
        { name: 'cache', image: 'cache:1', env: [{ name: 'PGHOST', value: 'db.example' }] },
      );
      const config = { nativeSidecars: native };
      const second = run({ name: 'reinvoked', pod: stored, config });
      if (!('record' in second)) throw new Error(`expected a patch: ${JSON.stringify(second)}`);
      const after = applyJsonPatch(stored, second.patch);

      const byName = new Map(after.spec!.containers.map((c) => [c.name, c]));
      expect(envOf(byName.get('log-shipper'))).toEqual(appEnv);
      expect(envOf(byName.get('cache'))).toEqual({ ...appEnv, PGHOST: 'db.example' });
      expect(envOf(byName.get('app'))).toEqual(appEnv);
      // The gate, its volumes and the first pass's record stay; only the env record grows.
      const gates = [...(after.spec!.initContainers ?? []), ...after.spec!.containers].filter(
        (c) => c.name === SIDECAR_CONTAINER,
      );
      expect(gates).toEqual(
        [...(stored.spec!.initContainers ?? []), ...stored.spec!.containers].filter(
          (c) => c.name === SIDECAR_CONTAINER,
        ),
      );
      expect(after.spec!.volumes).toEqual(stored.spec!.volumes);
      const record = JSON.parse(
        after.metadata!.annotations![INJECTED_ANNOTATION]!,
      ) as InjectionRecord;
      expect(record).toEqual(second.record);
      expect(record.env).toEqual({
        app: ['PGHOST', 'PGPORT', 'PGDATABASE', 'DATABASE_URL'],
        'log-shipper': ['PGHOST', 'PGPORT', 'PGDATABASE', 'DATABASE_URL'],
        cache: ['PGPORT', 'PGDATABASE', 'DATABASE_URL'],
      });
      expect(record.ports).toEqual({ orders: 5432 });

      // A third pass finds every container set up.
      expect(run({ name: 'third', pod: after, config })).toEqual({
        patch: [],
        skipped: 'already injected',
      });
    });

    it('gets the env of the DataSource on the lowest port the first pass assigned', () => {
      const policies = [policy('a', 'reports'), policy('b', 'billing')];
      const dataSources = [dataSource('reports', { localPort: 7000 }), dataSource('billing')];
      const first = injected({ name: 'first', pod: pod(), policies, dataSources });
      first.after.spec!.initContainers!.push({ name: 'late-init', image: 'init:1' });
      const second = run({ name: 'again', pod: first.after, policies, dataSources });
      if (!('record' in second)) throw new Error('expected a patch');
      const init = applyJsonPatch(first.after, second.patch).spec!.initContainers!;
      expect(envOf(init.find((c) => c.name === 'late-init'))).toMatchObject({
        PGPORT: '5432',
        PGDATABASE: 'billing',
      });
    });

    it.each<[string, (stored: V1Pod) => Case]>([
      ['its DataSource is gone', (stored) => ({ name: '', pod: stored, dataSources: [] })],
      [
        "the record is not the operator's",
        (stored) => {
          stored.metadata!.annotations![INJECTED_ANNOTATION] = '{"version":1}';
          return { name: '', pod: stored };
        },
      ],
    ])('is refused when %s', (_name, make) => {
      const stored = injectedPod(true);
      stored.spec!.containers.push({ name: 'log-shipper', image: 'logs:1' });
      const result = run(make(stored));
      expect('refuse' in result && result.refuse).toMatch(
        /DataSource orders, which does not exist|annotation is not one the operator wrote/,
      );
    });
  });

  it('accepts its own gate with client TLS on a second pass', () => {
    const tlsPod = pod({}, { annotations: { [CLIENT_TLS_ANNOTATION]: 'orders-gate-tls' } });
    const { after } = injected({ name: 'first', pod: tlsPod });
    expect(run({ name: 'again', pod: after })).toEqual({ patch: [], skipped: 'already injected' });

    // A container added after the first pass is told to ask for TLS too.
    after.spec!.containers.push({ name: 'late', image: 'late:1' });
    const second = run({ name: 'reinvoked', pod: after });
    if (!('record' in second)) throw new Error(`expected a patch: ${JSON.stringify(second)}`);
    const late = applyJsonPatch(after, second.patch).spec!.containers.find(
      (c) => c.name === 'late',
    );
    expect(envOf(late).DATABASE_URL).toBe('postgresql://127.0.0.1:5432/orders?sslmode=require');
  });

  it.each<[string, Record<string, string>, (stored: V1Pod) => void]>([
    [
      'names a client TLS Secret its gate does not serve',
      {},
      (stored) => (stored.metadata!.annotations![CLIENT_TLS_ANNOTATION] = 'orders-gate-tls'),
    ],
    [
      'names none while its gate serves one',
      { [CLIENT_TLS_ANNOTATION]: 'orders-gate-tls' },
      (stored) => delete stored.metadata!.annotations![CLIENT_TLS_ANNOTATION],
    ],
  ])('refuses a pod made to look injected that %s', (_name, annotations, tamper) => {
    const { after } = injected({ name: 'first', pod: pod({}, { annotations }) });
    tamper(after);
    const result = run({ name: 'forged', pod: after });
    expect('refuse' in result && result.refuse).toMatch(
      /carries the portcullis.dev\/injected annotation, but its portcullis-gate container is not/,
    );
  });

  it.each<[string, (gate: V1Container) => void]>([
    ['another image', (g) => (g.image = 'evil/gate:1')],
    ['another operator URL', (g) => (g.args![1] = 'https://evil.example')],
    ['an extra env var', (g) => g.env!.push({ name: 'NODE_OPTIONS', value: '--inspect=0.0.0.0' })],
    ['a postStart hook', (g) => (g.lifecycle = { postStart: { exec: { command: ['sh'] } } })],
    ['an extra mount', (g) => g.volumeMounts!.push({ name: 'code', mountPath: '/app' })],
  ])('refuses a pod made to look injected, with %s', (_name, tamper) => {
    const first = run({ name: 'first', pod: pod() });
    if (!('record' in first)) throw new Error('expected a patch');
    const forged = applyJsonPatch(pod(), first.patch);
    tamper(forged.spec!.initContainers![0]!);
    const result = run({ name: 'forged', pod: forged });
    expect('refuse' in result && result.refuse).toMatch(
      /carries the portcullis.dev\/injected annotation, but its portcullis-gate container is not/,
    );
  });

  it.each(['kube-system', 'portcullis-system'])('never injects in %s', (namespace) => {
    const config = { excludedNamespaces: ['portcullis-system'] };
    expect(run({ name: 'excluded', pod: pod(), namespace, config })).toEqual({
      patch: [],
      skipped: `namespace ${namespace} is never injected`,
    });
  });
});

describe('buildPodPatch: refusals', () => {
  it.each<[string, Case, RegExp]>([
    ['hostNetwork', { name: '', pod: pod({ hostNetwork: true }) }, /hostNetwork: .*loopback/],
    [
      'shareProcessNamespace',
      { name: '', pod: pod({ shareProcessNamespace: true }) },
      /shareProcessNamespace: another container could read the gate's memory/,
    ],
    ['hostPID', { name: '', pod: pod({ hostPID: true }) }, /hostPID/],
    ['no policy', { name: '', pod: pod(), policies: [] }, /no AccessPolicy in namespace shop/],
    [
      'missing DataSource',
      { name: '', pod: pod(), dataSources: [] },
      /AccessPolicy orders-rw refers to DataSource orders, which does not exist/,
    ],
    [
      'two DataSources on one localPort',
      {
        name: '',
        pod: pod(),
        policies: [policy('a', 'x'), policy('b', 'y')],
        dataSources: [dataSource('x', { localPort: 6000 }), dataSource('y', { localPort: 6000 })],
      },
      /both ask for local port 6000/,
    ],
    [
      'app already uses the gate port',
      {
        name: '',
        pod: pod({ containers: [{ name: 'app', ports: [{ containerPort: 5432 }] }] }),
      },
      /container app declares port 5432/,
    ],
    [
      'app asks for a gate token itself',
      {
        name: '',
        pod: pod({
          volumes: [
            {
              name: 'steal',
              projected: {
                sources: [{ serviceAccountToken: { audience: 'portcullis.dev', path: 't' } }],
              },
            },
          ],
        }),
      },
      /requests a service-account token for audience portcullis.dev itself/,
    ],
    [
      'container name clash',
      { name: '', pod: pod({ containers: [{ name: SIDECAR_CONTAINER }] }) },
      /already has a container named portcullis-gate/,
    ],
    [
      'bad override',
      { name: '', pod: pod({}, { annotations: { 'portcullis.dev/sidecar-cpu': 'lots' } }) },
      /sidecar-cpu="lots": must be a quantity/,
    ],
    [
      'unknown override',
      { name: '', pod: pod({}, { annotations: { 'portcullis.dev/sidecar-gpu': '1' } }) },
      /unknown annotation portcullis.dev\/sidecar-gpu/,
    ],
    ...['Orders_TLS', '', '-tls', 'tls-', 'a..b', ' tls', 'x'.repeat(254)].map(
      (value): [string, Case, RegExp] => [
        `client-tls-secret ${JSON.stringify(value.slice(0, 12))}`,
        { name: '', pod: pod({}, { annotations: { [CLIENT_TLS_ANNOTATION]: value } }) },
        /annotation portcullis.dev\/client-tls-secret=".*": must name a Secret in the pod's namespace \(a DNS-1123 subdomain/,
      ],
    ),
    [
      'volume name clash with the client TLS Secret',
      { name: '', pod: pod({ volumes: [{ name: CLIENT_TLS_VOLUME, emptyDir: {} }] }) },
      /already has a volume named portcullis-client-tls/,
    ],
  ])('refuses: %s', (_name, c, reason) => {
    const result = run(c);
    expect('refuse' in result && result.refuse).toMatch(reason);
  });
});
