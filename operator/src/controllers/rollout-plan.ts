import { createHash } from 'node:crypto';
import type { AccessPolicy, LabelSelector } from '@portcullis/crds';
import { isConditionTrue } from '../kube/conditions.js';
import type { CachedPod } from '../kube/cache.js';
import { INJECT_LABEL, INJECTED_ANNOTATION } from '../webhooks/injection-names.js';
import { selectorMatches } from '../webhooks/label-selector.js';

/** Pod-template annotation the leader sets to roll a workload. */
export const POLICY_HASH_ANNOTATION = 'portcullis.dev/policy-hash';

/** The parts of a Deployment, StatefulSet or DaemonSet a rollout decision reads. */
export interface Workload {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  metadata: { name: string; namespace: string };
  spec: {
    selector: LabelSelector;
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    };
  };
}

/**
 * What an injection gives a pod that the sidecar cannot change while it runs: one loopback
 * port (and the app's env) per DataSource, and the sidecar image.
 */
export interface InjectionShape {
  dataSources: string[];
  image: string;
}

export type RolloutDecision =
  { roll: true; hash: string; reason: string } | { roll: false; reason: string };

/** A short stable hash of a shape, written into the pod template. */
export function shapeHash(shape: InjectionShape): string {
  const canonical = JSON.stringify({
    dataSources: [...shape.dataSources].sort(),
    image: shape.image,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function sameShape(a: InjectionShape, b: InjectionShape): boolean {
  return shapeHash(a) === shapeHash(b);
}

/** What the injection recorded on a running pod; an uninjected pod has no DataSources. */
export function recordedShape(pod: CachedPod): InjectionShape {
  const text = pod.metadata?.annotations?.[INJECTED_ANNOTATION];
  if (text === undefined) return { dataSources: [], image: '' };
  try {
    const record = JSON.parse(text) as { ports?: Record<string, number>; image?: string };
    return { dataSources: Object.keys(record.ports ?? {}).sort(), image: record.image ?? '' };
  } catch {
    // A record we cannot read cannot show the pod is current.
    return { dataSources: [], image: '' };
  }
}

/**
 * Decides whether to roll a workload so its pods get what the policies selecting them now
 * ask for. It rolls only when a running pod's injection differs from what a new pod would
 * get, and only once per shape (the template annotation records the shape rolled to). It
 * holds back while any selecting policy is not Ready, since the webhook would then refuse
 * the new pods, and when any selecting policy sets rolloutOnChange false.
 */
export function planRollout(
  workload: Workload,
  policies: readonly AccessPolicy[],
  pods: readonly CachedPod[],
  image: string,
): RolloutDecision {
  const template = workload.spec.template.metadata ?? {};
  if (template.labels?.[INJECT_LABEL] !== 'true') {
    return { roll: false, reason: 'pod template is not labelled for injection' };
  }

  // NOTE: a deleted policy's rolloutOnChange is gone with it, so removing a policy that
  // opted out still rolls the workloads it selected, if their pods then have extra DataSources.
  const selecting = policies.filter((p) =>
    selectorMatches(p.spec.workloadSelector, template.labels),
  );
  const optedOut = selecting.find((p) => !p.spec.rolloutOnChange);
  if (optedOut !== undefined) {
    return {
      roll: false,
      reason: `AccessPolicy ${optedOut.metadata.name} sets rolloutOnChange false`,
    };
  }
  const unready = selecting.find((p) => !isConditionTrue(p.status?.conditions, 'Ready'));
  if (unready !== undefined) {
    return { roll: false, reason: `AccessPolicy ${unready.metadata.name} is not Ready` };
  }

  const desired: InjectionShape = {
    dataSources: [...new Set(selecting.map((p) => p.spec.dataSourceRef.name))].sort(),
    image,
  };
  const hash = shapeHash(desired);
  if (template.annotations?.[POLICY_HASH_ANNOTATION] === hash) {
    return { roll: false, reason: 'already rolled to this shape' };
  }

  const own = pods.filter((pod) => selectorMatches(workload.spec.selector, pod.metadata?.labels));
  const stale = own.find((pod) => !sameShape(recordedShape(pod), desired));
  if (stale === undefined) return { roll: false, reason: 'every pod is current' };

  return {
    roll: true,
    hash,
    reason:
      `pod ${stale.metadata?.name ?? '?'} lacks what its policies now need ` +
      `(DataSources: ${desired.dataSources.join(', ') || 'none'}; sidecar image ${image})`,
  };
}
