import {
  accessPolicySchema,
  dataSourceSchema,
  type AccessPolicy,
  type DataSource,
  type LabelSelector,
  type Subject,
} from '@portcullis/crds';
import type { CachedPod } from '../kube/cache.js';
import { evaluatePolicy } from './policy-evaluation.js';

function policy(
  name: string,
  options: {
    selector?: LabelSelector;
    subjects?: Subject[];
    dataSource?: string;
    role?: string;
    namespace?: string;
  } = {},
): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name, namespace: options.namespace ?? 'shop', generation: 1 },
    spec: {
      dataSourceRef: { name: options.dataSource ?? 'orders' },
      workloadSelector: options.selector ?? { matchLabels: { app: 'api' } },
      subjects: options.subjects ?? [{ serviceAccount: { name: 'api' } }],
      grant: { role: options.role ?? 'app_read' },
    },
  });
}

function dataSource(ready: 'True' | 'False' | undefined): DataSource {
  return dataSourceSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name: 'orders', namespace: 'shop', generation: 1 },
    spec: {
      host: 'db',
      database: 'orders',
      minter: { secretRef: { name: 'm' }, grantableRoles: ['app_read', 'app_write'] },
    },
    status:
      ready === undefined
        ? undefined
        : {
            conditions: [
              {
                type: 'Ready',
                status: ready,
                reason: ready === 'True' ? 'Ready' : 'LoginFailed',
                message: ready === 'True' ? 'ok' : 'password authentication failed',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
  });
}

function pod(name: string, labels: Record<string, string>): CachedPod {
  return { metadata: { name, namespace: 'shop', labels } };
}

describe('evaluatePolicy', () => {
  const pods = [
    pod('api-1', { app: 'api' }),
    pod('api-2', { app: 'api', tier: 'backend' }),
    pod('web-1', { app: 'web' }),
  ];

  it('is Ready and counts selected pods when everything holds', () => {
    const a = policy('a');
    const result = evaluatePolicy(a, { dataSource: dataSource('True'), policies: [a], pods });
    expect(result.ready).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(result.selectedPods).toBe(2);
  });

  it('does not count pods that have finished', () => {
    const done: CachedPod = { ...pod('job-1', { app: 'api' }), status: { phase: 'Succeeded' } };
    const failed: CachedPod = { ...pod('job-2', { app: 'api' }), status: { phase: 'Failed' } };
    const a = policy('a');
    const result = evaluatePolicy(a, {
      dataSource: dataSource('True'),
      policies: [a],
      pods: [...pods, done, failed],
    });
    expect(result.selectedPods).toBe(2);
  });

  it('reports a missing DataSource', () => {
    const result = evaluatePolicy(policy('a'), { dataSource: undefined, policies: [], pods });
    expect(result.ready).toMatchObject({ status: 'False', reason: 'DataSourceNotFound' });
    expect(result.selectedPods).toBe(2);
  });

  it('reports a DataSource that is not Ready, with its reason', () => {
    const result = evaluatePolicy(policy('a'), {
      dataSource: dataSource('False'),
      policies: [],
      pods,
    });
    expect(result.ready).toMatchObject({ status: 'False', reason: 'DataSourceNotReady' });
    expect(result.ready.message).toContain('LoginFailed');
  });

  it('reports a DataSource not checked yet as not Ready', () => {
    const result = evaluatePolicy(policy('a'), {
      dataSource: dataSource(undefined),
      policies: [],
      pods,
    });
    expect(result.ready.reason).toBe('DataSourceNotReady');
  });

  it('reports a grant of a role the DataSource does not list', () => {
    const result = evaluatePolicy(policy('a', { role: 'app_admin' }), {
      dataSource: dataSource('True'),
      policies: [],
      pods,
    });
    expect(result.ready).toMatchObject({ status: 'False', reason: 'RoleNotGrantable' });
  });

  it('does not count a policy overlapping itself', () => {
    const a = policy('a');
    const result = evaluatePolicy(a, { dataSource: dataSource('True'), policies: [a], pods });
    expect(result.overlaps).toEqual([]);
  });

  it('reports every overlapping policy by name', () => {
    const a = policy('a');
    const others = [
      a,
      policy('c', { selector: {} }),
      policy('b', { selector: { matchLabels: { tier: 'backend' } } }),
      policy('d', { selector: { matchLabels: { app: 'web' } } }),
      policy('e', { subjects: [{ serviceAccount: { name: 'worker' } }] }),
      policy('f', { dataSource: 'billing' }),
    ];
    const result = evaluatePolicy(a, { dataSource: dataSource('True'), policies: others, pods });
    expect(result.ready).toMatchObject({ status: 'False', reason: 'PolicyOverlap' });
    expect(result.overlaps.map((o) => o.other)).toEqual(['b', 'c']);
    expect(result.ready.message).toContain('AccessPolicy b also admits');
    expect(result.ready.message).toContain('system:serviceaccount:shop:api');
  });
});
