import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { resolveBinaries } from '../src/binaries.js';
import { lintChart, objectOf, renderChart, type ChartRender } from '../src/helm-chart.js';
import type { KubeObject } from '../src/kube-api.js';
import { repoPath } from '../src/paths.js';

// The chart rendered without a cluster. Applying the default render to a real API server
// (kubectl apply --dry-run=server) is in control-plane.test.ts, which owns the cluster.

let helm: string;
beforeAll(async () => {
  ({ helm } = await resolveBinaries());
}, 600_000);

interface Container {
  name: string;
  args?: string[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
  [field: string]: unknown;
}

function operatorContainer(render: ChartRender): Container {
  const deployment = objectOf(render.objects, 'Deployment');
  const pod = (deployment.spec as { template: { spec: { containers: Container[] } } }).template;
  const container = pod.spec.containers.find((c) => c.name === 'operator');
  if (!container) throw new Error('the Deployment has no operator container');
  return container;
}

function webhooks(render: ChartRender, kind: string): Record<string, unknown>[] {
  return objectOf(render.objects, kind)['webhooks'] as Record<string, unknown>[];
}

test('helm lint --strict passes', async () => {
  const result = await lintChart(helm);
  expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
  expect(result.code).toBe(0);
});

describe('the default values', () => {
  let render: ChartRender;
  beforeAll(async () => {
    render = await renderChart(helm);
  });

  test('render the operator, its RBAC, Service, PDB and webhooks in the release namespace', () => {
    expect(render.code).toBe(0);
    const kinds = render.objects.map((o) => o.kind).sort();
    expect(kinds).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'MutatingWebhookConfiguration',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ValidatingWebhookConfiguration',
    ]);
    const namespaced = render.objects.filter((o) =>
      [
        'Deployment',
        'Service',
        'ServiceAccount',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
      ].includes(o.kind ?? ''),
    );
    for (const object of namespaced) expect(object.metadata?.namespace).toBe('portcullis-system');
  });

  test('run two non-root, read-only operator replicas with probes and resources', () => {
    const deployment = objectOf(render.objects, 'Deployment');
    expect(deployment.spec?.['replicas']).toBe(2);
    const container = operatorContainer(render);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container).toHaveProperty('livenessProbe.httpGet.path', '/healthz');
    expect(container).toHaveProperty('readinessProbe.httpGet.path', '/readyz');
    expect(container).toHaveProperty('resources.limits.memory', '256Mi');
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--cert-mode=self',
        '--tls-secret=portcullis-tls',
        // The image has no entrypoint: the injected gate needs its program named.
        '--sidecar-command=portcullis-sidecar',
      ]),
    );
    // The gate's defaults reach the operator; no CPU limit (an empty flag means none).
    expect(
      container.args?.filter((a) => /^--sidecar-(log|first|record|cpu|memory)/.test(a)),
    ).toEqual([
      '--sidecar-log-level=info',
      '--sidecar-first-port=5432',
      '--sidecar-record=-',
      '--sidecar-cpu-request=50m',
      '--sidecar-memory-request=64Mi',
      '--sidecar-cpu-limit=',
      '--sidecar-memory-limit=256Mi',
    ]);
    const podSpec = (deployment.spec as { template: { spec: Record<string, unknown> } }).template
      .spec;
    expect(podSpec['securityContext']).toMatchObject({ runAsNonRoot: true });
    expect(podSpec).toHaveProperty(
      'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution',
    );
  });

  test('keep one replica through disruptions', () => {
    const pdb = objectOf(render.objects, 'PodDisruptionBudget');
    expect(pdb.spec).toMatchObject({ minAvailable: 1 });
  });

  test('grant the operator exactly the rules of operator/rbac.yaml', async () => {
    const source = await readFile(repoPath('operator/rbac.yaml'), 'utf8');
    const copy = await readFile(repoPath('charts/portcullis/files/operator-rbac.yaml'), 'utf8');
    // Helm reads files inside the chart only: the chart keeps a copy, which must not drift.
    expect(copy).toBe(source);

    const wanted = parseAllDocuments(source).map((d) => d.toJS() as KubeObject);
    for (const kind of ['ClusterRole', 'Role']) {
      const rules = structuredClone(objectOf(wanted, kind)['rules']) as Record<string, unknown>[];
      for (const rule of rules) {
        if (rule['resourceNames'] !== undefined) rule['resourceNames'] = ['portcullis'];
      }
      expect(objectOf(render.objects, kind, 'portcullis')['rules']).toEqual(rules);
    }
    expect(objectOf(render.objects, 'Role').metadata?.namespace).toBe('portcullis-system');
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(objectOf(render.objects, kind)['subjects']).toEqual([
        { kind: 'ServiceAccount', name: 'portcullis', namespace: 'portcullis-system' },
      ]);
    }
  });

  test('inject only labelled pods outside kube-system and the release namespace, failing closed', () => {
    const [pods] = webhooks(render, 'MutatingWebhookConfiguration');
    expect(pods).toMatchObject({
      name: 'pods.portcullis.dev',
      clientConfig: {
        service: { name: 'portcullis', namespace: 'portcullis-system', path: '/mutate-pods' },
      },
      objectSelector: { matchLabels: { 'portcullis.dev/inject': 'true' } },
      namespaceSelector: {
        matchExpressions: [
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'NotIn',
            values: ['kube-system', 'portcullis-system'],
          },
        ],
      },
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      reinvocationPolicy: 'IfNeeded',
    });
    const validating = webhooks(render, 'ValidatingWebhookConfiguration').map((w) => w['name']);
    expect(validating).toEqual([
      'gatedpods.portcullis.dev',
      'accessrequests.portcullis.dev',
      'datasources.portcullis.dev',
      'accesspolicies.portcullis.dev',
    ]);
  });

  test('send every pod that runs the gate, labelled or not, to /validate-pods', () => {
    const [gated] = webhooks(render, 'ValidatingWebhookConfiguration');
    expect(gated).toMatchObject({
      clientConfig: { service: { path: '/validate-pods' } },
      rules: [
        { apiGroups: [''], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        { apiGroups: [''], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'] },
      ],
      namespaceSelector: { matchExpressions: [expect.objectContaining({ operator: 'NotIn' })] },
      failurePolicy: 'Fail',
    });
    expect(gated).not.toHaveProperty('objectSelector');
    const [condition] = gated?.['matchConditions'] as { expression: string }[];
    expect(condition?.expression.replace(/\s+/g, ' ')).toBe(
      "object.spec.containers.exists(c, c.name == 'portcullis-gate') || " +
        '(has(object.spec.initContainers) && ' +
        "object.spec.initContainers.exists(c, c.name == 'portcullis-gate'))",
    );
  });
});

describe('a table of value sets', () => {
  interface Case {
    name: string;
    values: Record<string, unknown>;
    check: (render: ChartRender) => void;
  }
  const cases: Case[] = [
    {
      name: 'cert-manager with an issuerRef: a Certificate, CA injection, the cert mounted',
      values: {
        'webhook.tls.mode': 'cert-manager',
        'webhook.tls.certManager.issuerRef': { name: 'cluster-ca', kind: 'ClusterIssuer' },
      },
      check: (render) => {
        const certificate = objectOf(render.objects, 'Certificate');
        expect(certificate.spec).toMatchObject({
          secretName: 'portcullis-tls',
          issuerRef: { name: 'cluster-ca', kind: 'ClusterIssuer' },
          dnsNames: expect.arrayContaining(['portcullis.portcullis-system.svc']),
        });
        for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
          expect(objectOf(render.objects, kind).metadata?.annotations).toEqual({
            'cert-manager.io/inject-ca-from': 'portcullis-system/portcullis',
          });
        }
        const container = operatorContainer(render);
        expect(container.args).toEqual(
          expect.arrayContaining(['--cert-mode=files', '--tls-ca-file=/etc/portcullis/tls/ca.crt']),
        );
        expect(container.args).not.toEqual(expect.arrayContaining(['--cert-mode=self']));
        expect(container.volumeMounts).toEqual(
          expect.arrayContaining([expect.objectContaining({ mountPath: '/etc/portcullis/tls' })]),
        );
      },
    },
    {
      name: 'an objectSelector: ANDed with the inject label, which stays',
      values: {
        'webhook.objectSelector': {
          matchLabels: { team: 'payments' },
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }],
        },
      },
      check: (render) => {
        const [pods] = webhooks(render, 'MutatingWebhookConfiguration');
        expect(pods?.['objectSelector']).toEqual({
          matchLabels: { 'portcullis.dev/inject': 'true', team: 'payments' },
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }],
        });
      },
    },
    {
      name: 'nativeSidecar false: the operator is told to inject a regular container',
      values: { 'sidecar.nativeSidecar': false },
      check: (render) => {
        const args = operatorContainer(render).args ?? [];
        const native = args.filter((a) => /^--(native-sidecars|sidecar-native)=/.test(a));
        expect(native).toHaveLength(1);
        expect(native[0]).toMatch(/=false$/);
      },
    },
    {
      name: 'sidecar log level, first port, recording and resources: passed as operator flags',
      values: {
        'sidecar.logLevel': 'debug',
        'sidecar.firstPort': 6432,
        'sidecar.record': '',
        'sidecar.resources': { requests: { cpu: 0.5, memory: '96Mi' }, limits: { cpu: '2' } },
        // null drops the chart's default memory limit.
        'sidecar.resources.limits.memory': null,
      },
      check: (render) => {
        const args = operatorContainer(render).args ?? [];
        expect(args.filter((a) => /^--sidecar-(log|first|record|cpu|memory)/.test(a))).toEqual([
          '--sidecar-log-level=debug',
          '--sidecar-first-port=6432',
          '--sidecar-record=',
          '--sidecar-cpu-request=0.5',
          '--sidecar-memory-request=96Mi',
          '--sidecar-cpu-limit=2',
          '--sidecar-memory-limit=',
        ]);
      },
    },
    {
      name: 'one replica: no PodDisruptionBudget, which would block every node drain',
      values: { 'operator.replicas': 1 },
      check: (render) => {
        expect(render.objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
        expect(objectOf(render.objects, 'Deployment').spec?.['replicas']).toBe(1);
      },
    },
    {
      name: 'failurePolicy Ignore and a longer timeout reach the pod webhook only',
      values: { 'webhook.failurePolicy': 'Ignore', 'webhook.timeoutSeconds': 10 },
      check: (render) => {
        const [pods, requests] = webhooks(render, 'MutatingWebhookConfiguration');
        expect(pods).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 10 });
        expect(requests).toMatchObject({ failurePolicy: 'Fail' });
      },
    },
  ];

  test.each(cases)('$name', async ({ values, check }) => {
    const render = await renderChart(helm, { values });
    expect(render.stderr).toBe('');
    expect(render.code).toBe(0);
    check(render);
  });

  const refused: { name: string; values: Record<string, unknown>; message: RegExp }[] = [
    {
      name: 'a replica count of zero',
      values: { 'operator.replicas': 0 },
      message: /at '\/operator\/replicas': minimum: got 0, want 1/,
    },
    {
      name: 'an unknown failurePolicy',
      values: { 'webhook.failurePolicy': 'Retry' },
      message: /at '\/webhook\/failurePolicy': value must be one of 'Fail', 'Ignore'/,
    },
    {
      name: 'a misspelt value',
      values: { 'sidecar.nativeSidecars': true },
      message: /additional properties 'nativeSidecars' not allowed/,
    },
    {
      name: 'a sidecar resource the operator cannot pass on',
      values: { 'sidecar.resources.limits.ephemeral-storage': '1Gi' },
      message: /additional properties 'ephemeral-storage' not allowed/,
    },
    {
      name: 'a recording file inside the gate, whose root filesystem is read-only',
      values: { 'sidecar.record': '/var/log/recording.jsonl' },
      message: /at '\/sidecar\/record': value must be one of/,
    },
    {
      name: 'an unknown sidecar log level',
      values: { 'sidecar.logLevel': 'verbose' },
      message: /at '\/sidecar\/logLevel': value must be one of/,
    },
    {
      name: 'an objectSelector that would change the inject label',
      values: { 'webhook.objectSelector.matchLabels': { 'portcullis.dev/inject': 'false' } },
      message: /webhook\.objectSelector\.matchLabels cannot set portcullis\.dev\/inject/,
    },
    {
      name: 'cert-manager without an issuerRef',
      values: { 'webhook.tls.mode': 'cert-manager' },
      message:
        /webhook\.tls\.certManager\.issuerRef\.name is required when webhook\.tls\.mode is cert-manager/,
    },
  ];

  test.each(refused)('refuses $name with a clear message', async ({ values, message }) => {
    const render = await renderChart(helm, { values });
    expect(render.code).not.toBe(0);
    expect(render.stderr).toMatch(message);
    expect(render.objects).toEqual([] as KubeObject[]);
  });
});
