import { accessPolicySchema, type AccessPolicy } from '@portcullis/crds';
import type { CachedPod } from '../kube/cache.js';
import { planRollout, POLICY_HASH_ANNOTATION, shapeHash, type Workload } from './rollout-plan.js';

const IMAGE = 'ghcr.io/portcullis/sidecar:1.0';

function policy(
  name: string,
  dataSource: string,
  options: { ready?: boolean; rollout?: boolean; app?: string } = {},
): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name, namespace: 'shop' },
    spec: {
      dataSourceRef: { name: dataSource },
      workloadSelector: { matchLabels: { app: options.app ?? 'api' } },
      subjects: [{ serviceAccount: { name: 'api' } }],
      grant: { role: 'app_read' },
      rolloutOnChange: options.rollout ?? true,
    },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: (options.ready ?? true) ? 'True' : 'False',
          reason: 'X',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  });
}

function workload(annotations: Record<string, string> = {}, inject = true): Workload {
  return {
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: {
          labels: { app: 'api', ...(inject ? { 'portcullis.dev/inject': 'true' } : {}) },
          annotations,
        },
      },
    },
  };
}

function pod(name: string, ports: Record<string, number> | undefined, image = IMAGE): CachedPod {
  const annotations: Record<string, string> =
    ports === undefined ? {} : { 'portcullis.dev/injected': JSON.stringify({ ports, image }) };
  return { metadata: { name, namespace: 'shop', labels: { app: 'api' }, annotations } };
}

describe('planRollout', () => {
  it('leaves a workload whose pods have what their policies ask for', () => {
    const decision = planRollout(
      workload(),
      [policy('p', 'orders')],
      [pod('a', { orders: 5432 })],
      IMAGE,
    );
    expect(decision).toEqual({ roll: false, reason: 'every pod is current' });
  });

  it('rolls when a policy adds a DataSource the pods lack', () => {
    const policies = [policy('p', 'orders'), policy('q', 'billing')];
    const decision = planRollout(workload(), policies, [pod('a', { orders: 5432 })], IMAGE);
    expect(decision).toMatchObject({
      roll: true,
      hash: shapeHash({ dataSources: ['billing', 'orders'], image: IMAGE }),
    });
    expect(decision.reason).toContain('billing, orders');
  });

  it('rolls when a DataSource is no longer selected', () => {
    const decision = planRollout(
      workload(),
      [policy('p', 'orders')],
      [pod('a', { orders: 5432, billing: 5433 })],
      IMAGE,
    );
    expect(decision.roll).toBe(true);
  });

  it('rolls when the sidecar image changes', () => {
    const decision = planRollout(
      workload(),
      [policy('p', 'orders')],
      [pod('a', { orders: 5432 }, 'ghcr.io/portcullis/sidecar:0.9')],
      IMAGE,
    );
    expect(decision.roll).toBe(true);
  });

  it('rolls a labelled pod that was never injected once a policy selects it', () => {
    const decision = planRollout(workload(), [policy('p', 'orders')], [pod('a', undefined)], IMAGE);
    expect(decision.roll).toBe(true);
  });

  it('rolls once per shape: the template annotation records it', () => {
    const hash = shapeHash({ dataSources: ['billing', 'orders'], image: IMAGE });
    const decision = planRollout(
      workload({ [POLICY_HASH_ANNOTATION]: hash }),
      [policy('p', 'orders'), policy('q', 'billing')],
      [pod('a', { orders: 5432 })],
      IMAGE,
    );
    expect(decision).toEqual({ roll: false, reason: 'already rolled to this shape' });
  });

  it('holds back while a selecting policy is not Ready', () => {
    const decision = planRollout(
      workload(),
      [policy('p', 'orders'), policy('q', 'billing', { ready: false })],
      [pod('a', { orders: 5432 })],
      IMAGE,
    );
    expect(decision).toEqual({ roll: false, reason: 'AccessPolicy q is not Ready' });
  });

  it('respects rolloutOnChange false on a selecting policy', () => {
    const decision = planRollout(
      workload(),
      [policy('p', 'orders', { rollout: false }), policy('q', 'billing')],
      [pod('a', { orders: 5432 })],
      IMAGE,
    );
    expect(decision).toEqual({ roll: false, reason: 'AccessPolicy p sets rolloutOnChange false' });
  });

  it('ignores policies that select other workloads, and templates not labelled for injection', () => {
    const other = policy('w', 'billing', { app: 'web' });
    expect(
      planRollout(workload(), [policy('p', 'orders'), other], [pod('a', { orders: 5432 })], IMAGE)
        .roll,
    ).toBe(false);
    expect(
      planRollout(workload({}, false), [policy('p', 'orders')], [pod('a', {})], IMAGE),
    ).toEqual({
      roll: false,
      reason: 'pod template is not labelled for injection',
    });
  });

  it('does nothing for a workload with no pods', () => {
    expect(planRollout(workload(), [policy('p', 'orders')], [], IMAGE).roll).toBe(false);
  });
});
