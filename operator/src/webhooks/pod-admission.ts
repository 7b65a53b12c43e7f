import type { V1Pod } from '@kubernetes/client-node';
import type { AccessPolicy } from '@portcullis/crds';
import type { Logger } from 'pino';
import { findCondition } from '../kube/conditions.js';
import { allow, refuse, type AdmissionRequest, type AdmissionVerdict } from './admission-review.js';
import type { CacheView } from './cache-view.js';
import { INJECTED_ANNOTATION, INJECT_LABEL } from './injection-names.js';
import { selectorMatches } from './label-selector.js';
import { buildPodPatch, isExcludedNamespace, type PodPatchConfig } from './pod-patch.js';

export interface PodAdmissionDeps {
  cache: CacheView;
  /** The patch configuration of this request; the CA may change between requests. */
  patchConfig: () => PodPatchConfig;
  log: Logger;
}

/**
 * Decides one pod CREATE for /mutate-pods. Fails closed: a cache that has not loaded, or a
 * policy for the pod that is not Ready, stops the pod with a message saying so, since a pod
 * started without its gate would run without the policy it asked for.
 */
export function admitPod(request: AdmissionRequest, deps: PodAdmissionDeps): AdmissionVerdict {
  const pod = request.object as V1Pod | undefined;
  if (request.operation !== 'CREATE' || request.kind.kind !== 'Pod' || pod === undefined) {
    return allow();
  }
  if (pod.metadata?.labels?.[INJECT_LABEL] !== 'true') return allow();
  const namespace = request.namespace ?? pod.metadata.namespace ?? '';
  const who = `pod ${namespace}/${pod.metadata.name ?? pod.metadata.generateName ?? ''}`;
  const config = deps.patchConfig();
  // Checked before anything that could refuse: a pod in kube-system is never held up here.
  if (isExcludedNamespace(namespace, config)) {
    deps.log.warn({ namespace, pod: who }, 'labelled pod in an excluded namespace; not injected');
    return allow();
  }
  if (!deps.cache.synced) {
    return refuse(
      'the Portcullis operator has not loaded the AccessPolicies yet; the pod is refused ' +
        'until it has (retry in a few seconds)',
      503,
    );
  }

  // NOTE: an AccessPolicy that fails the schema never enters the cache, so it neither
  // selects nor blocks the pod. The validating webhook keeps such policies out; one written
  // while the webhook was down shows only as an InvalidSpec Event from the controllers.
  const policies = deps.cache
    .listPolicies(namespace)
    .filter((p) => selectorMatches(p.spec.workloadSelector, pod.metadata?.labels));
  const unready = policies.map(notReadyReason).find((reason) => reason !== undefined);
  if (unready !== undefined) {
    deps.log.warn({ namespace, pod: who }, `injection refused: ${unready}`);
    return refuse(`Portcullis cannot inject the gate: ${unready}`);
  }

  const result = buildPodPatch({
    pod,
    namespace,
    policies,
    dataSources: deps.cache.listDataSources(namespace),
    config,
  });
  if ('refuse' in result) {
    deps.log.info({ namespace, pod: who }, `injection refused: ${result.refuse}`);
    return refuse(`Portcullis refuses this pod: ${result.refuse}`);
  }
  if ('skipped' in result) return allow();

  const reinvoked = pod.metadata?.annotations?.[INJECTED_ANNOTATION] !== undefined;
  deps.log.info(
    { namespace, pod: who, policies: result.record.policies, ports: result.record.ports },
    reinvoked ? 'giving containers added after the injection the gate env' : 'injecting the gate',
  );
  return { allowed: true, patch: result.patch };
}

function notReadyReason(policy: AccessPolicy): string | undefined {
  const ready = findCondition(policy.status?.conditions, 'Ready');
  const name = `AccessPolicy ${policy.metadata.name}`;
  if (ready === undefined) return `${name} has not been checked by the operator yet`;
  if (ready.status !== 'True') return `${name} is not Ready (${ready.reason}: ${ready.message})`;
  return undefined;
}
