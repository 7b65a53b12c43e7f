import type { V1Pod } from '@kubernetes/client-node';
import { allow, refuse, type AdmissionRequest, type AdmissionVerdict } from './admission-review.js';
import { INJECT_LABEL, SIDECAR_CONTAINER, TOKEN_VOLUME } from './injection-names.js';

/**
 * /validate-pods. For the pods/ephemeralcontainers subresource (`kubectl debug`): in a pod
 * that runs the gate, an ephemeral container may neither join the gate's process namespace
 * (targetContainerName) nor mount the gate's token, since either reaches the credential the
 * gate holds. Whether a pod runs the gate is read from its container names, which cannot
 * change, rather than from labels or annotations, which can. For a plain pod update: the gate's
 * image stays as injected. For a pod CREATE: a gate only as injected.
 */
export function validateGatedPod(request: AdmissionRequest): AdmissionVerdict {
  if (request.operation === 'CREATE' && !request.subResource) return injectedByUs(request);
  if (request.operation !== 'UPDATE') return allow();
  if (request.subResource === undefined || request.subResource === '') {
    return gateUnchanged(request);
  }
  if (request.subResource !== 'ephemeralcontainers') return allow();
  const pod = request.object as V1Pod | undefined;
  const spec = pod?.spec;
  if (spec === undefined) return allow();
  const gated = [...(spec.initContainers ?? []), ...spec.containers].some(
    (c) => c.name === SIDECAR_CONTAINER,
  );
  if (!gated) return allow();

  const before = new Set(
    ((request.oldObject as V1Pod | undefined)?.spec?.ephemeralContainers ?? []).map((c) => c.name),
  );
  for (const container of spec.ephemeralContainers ?? []) {
    if (before.has(container.name)) continue;
    if (container.targetContainerName === SIDECAR_CONTAINER) {
      return refuse(
        `ephemeral container ${container.name} may not target ${SIDECAR_CONTAINER}: it would ` +
          "share the gate's process namespace, where the database minter credential lives; " +
          'target an app container instead',
      );
    }
    if ((container.volumeMounts ?? []).some((m) => m.name === TOKEN_VOLUME)) {
      return refuse(
        `ephemeral container ${container.name} may not mount ${TOKEN_VOLUME}, the gate's ` +
          'own service-account token',
      );
    }
  }
  return allow();
}

/**
 * A pod update may change a container's image, and nothing else of it. The gate's image must
 * stay the one injected: another image in that container would receive the pod's bundle,
 * minter credential included. New gate images arrive with new pods (the rollout controller).
 */
function gateUnchanged(request: AdmissionRequest): AdmissionVerdict {
  const gateOf = (object: unknown) => {
    const spec = (object as V1Pod | undefined)?.spec;
    return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find(
      (c) => c.name === SIDECAR_CONTAINER,
    );
  };
  const before = gateOf(request.oldObject);
  if (before === undefined) return allow();
  if (gateOf(request.object)?.image === before.image) return allow();
  return refuse(
    `the image of ${SIDECAR_CONTAINER} cannot change in a running pod; recreate the pod ` +
      '(a rollout of its workload) to get another gate image',
  );
}

/**
 * A new pod may run a container named portcullis-gate only if it carries the inject label:
 * then the mutating webhook saw it, and either injected the gate or checked the one it has.
 * Without the label nobody checked it, and its gate could be anything.
 */
function injectedByUs(request: AdmissionRequest): AdmissionVerdict {
  const pod = request.object as V1Pod | undefined;
  const spec = pod?.spec;
  const gated = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].some(
    (c) => c.name === SIDECAR_CONTAINER,
  );
  if (!gated || pod?.metadata?.labels?.[INJECT_LABEL] === 'true') return allow();
  return refuse(
    `a pod may run a container named ${SIDECAR_CONTAINER} only as the operator injects it: ` +
      `label the pod ${INJECT_LABEL}: "true" and leave the container out`,
  );
}
