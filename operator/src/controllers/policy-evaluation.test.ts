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
import { findOverlap, subjectsIntersect } from './policy-overlap.js';

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

const oidc = (claims?: Record<string, string>, issuer = 'https://id.example.com'): Subject => ({
  oidc: { issuer, audience: 'db', usernameClaim: 'sub', ...(claims ? { claims } : {}) },
});

describe('subjectsIntersect', () => {
  it.each<[string, Subject, Subject, boolean]>([
    [
      'the same service account, namespace defaulted on one side',
      { serviceAccount: { name: 'api' } },
      { serviceAccount: { name: 'api', namespace: 'shop' } },
      true,
    ],
    [
      'service accounts of different namespaces',
      { serviceAccount: { name: 'api' } },
      { serviceAccount: { name: 'api', namespace: 'blog' } },
      false,
    ],
    ['a service account and an OIDC subject', { serviceAccount: { name: 'api' } }, oidc(), false],
    ['one issuer and audience', oidc(), oidc(), true],
    [
      'issuers differing by a trailing slash',
      oidc(),
      oidc(undefined, 'https://id.example.com/'),
      true,
    ],
    ['different issuers', oidc(), oidc(undefined, 'https://other.example.com'), false],
    ['compatible claims', oidc({ team: 'a' }), oidc({ env: 'prod' }), true],
    ['one claim with two values', oidc({ team: 'a' }), oidc({ team: 'b' }), false],
  ])('%s', (_name, a, b, expected) => {
    expect(subjectsIntersect(a, 'shop', b, 'shop')).toBe(expected);
    expect(subjectsIntersect(b, 'shop', a, 'shop')).toBe(expected);
  });

  it('tells apart OIDC subjects by audience', () => {
    const a = oidc();
    const b: Subject = { oidc: { ...a.oidc!, audience: 'other' } };
    expect(subjectsIntersect(a, 'shop', b, 'shop')).toBe(false);
  });
});

describe('findOverlap', () => {
  it('finds two policies for one DataSource, compatible selectors and a shared subject', () => {
    const a = policy('a', { selector: { matchLabels: { app: 'api' } } });
    const b = policy('b', { selector: { matchLabels: { tier: 'backend' } } });
    expect(findOverlap(a, b)).toEqual({ other: 'b', subject: 'service account shop/api' });
  });

  it.each<[string, AccessPolicy]>([
    ['a different DataSource', policy('b', { dataSource: 'billing' })],
    ['another namespace', policy('b', { namespace: 'blog' })],
    ['disjoint selectors', policy('b', { selector: { matchLabels: { app: 'worker' } } })],
    ['no common subject', policy('b', { subjects: [{ serviceAccount: { name: 'worker' } }] })],
  ])('finds none with %s', (_name, other) => {
    expect(findOverlap(policy('a'), other)).toBeUndefined();
  });

  it('never finds a policy overlapping itself', () => {
    const a = policy('a');
    expect(findOverlap(a, a)).toBeUndefined();
  });
});

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

  it('reports every overlapping policy by name', () => {
    const a = policy('a');
    const others = [
      a,
      policy('c', { selector: {} }),
      policy('b', { selector: { matchLabels: { tier: 'backend' } } }),
      policy('d', { selector: { matchLabels: { app: 'web' } } }),
    ];
    const result = evaluatePolicy(a, { dataSource: dataSource('True'), policies: others, pods });
    expect(result.ready).toMatchObject({ status: 'False', reason: 'PolicyOverlap' });
    expect(result.overlaps.map((o) => o.other)).toEqual(['b', 'c']);
    expect(result.ready.message).toContain('b (both admit service account shop/api)');
  });
});
