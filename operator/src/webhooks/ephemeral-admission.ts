import type { V1Pod } from '@kubernetes/client-node';
import { allow, refuse, type AdmissionRequest, type AdmissionVerdict } from './admission-review.js';
import { SIDECAR_CONTAINER, TOKEN_VOLUME } from './injection-names.js';

/**
 * /validate-pods, for the pods/ephemeralcontainers subresource (`kubectl debug`): in a pod
 * that runs the gate, an ephemeral container may neither join the gate's process namespace
 * (targetContainerName) nor mount the gate's token, since either reaches the credential the
 * gate holds. Whether a pod runs the gate is read from its container names, which cannot
 * change, rather than from labels or annotations, which can.
 */
export function validateEphemeralContainers(request: AdmissionRequest): AdmissionVerdict {
  if (request.subResource !== 'ephemeralcontainers' || request.operation !== 'UPDATE') {
    return allow();
  }
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
