import type { V1Pod } from '@kubernetes/client-node';
import { SIDECAR_CONTAINER, TOKEN_AUDIENCE, TOKEN_VOLUME } from './injection-names.js';

/** Names of the pod's volumes that project a service-account token for the gate's audience. */
function gateTokenVolumes(pod: V1Pod): string[] {
  return (pod.spec?.volumes ?? [])
    .filter((v) =>
      (v.projected?.sources ?? []).some((s) => s.serviceAccountToken?.audience === TOKEN_AUDIENCE),
    )
    .map((v) => v.name);
}

/** Does any volume of the pod ask for a token with the gate's audience? */
export function podRequestsGateToken(pod: V1Pod): boolean {
  return gateTokenVolumes(pod).length > 0;
}

/**
 * Was the pod injected so that only the gate container holds a token for the gate's audience?
 * Any pod may ask kubelet for a token with any audience, so the bundle endpoint, which hands
 * out the minter credential, serves a token only from a pod shaped like this. Returns the
 * reason when it is not.
 */
export function gateTokenProblem(pod: V1Pod): string | undefined {
  const volumes = gateTokenVolumes(pod);
  if (volumes.length !== 1 || volumes[0] !== TOKEN_VOLUME) {
    return `the pod's only ${TOKEN_AUDIENCE} token must be the injected volume ${TOKEN_VOLUME}`;
  }

  const spec = pod.spec!;
  const containers = [
    ...(spec.initContainers ?? []),
    ...spec.containers,
    ...(spec.ephemeralContainers ?? []),
  ];
  const holders = containers.filter((c) =>
    (c.volumeMounts ?? []).some((m) => m.name === TOKEN_VOLUME),
  );
  if (holders.length !== 1 || holders[0]!.name !== SIDECAR_CONTAINER) {
    return `volume ${TOKEN_VOLUME} must be mounted in container ${SIDECAR_CONTAINER} only`;
  }
  if (spec.shareProcessNamespace === true || spec.hostNetwork === true || spec.hostPID === true) {
    return 'the pod shares its process or network namespace';
  }
  // `kubectl debug --target` puts an ephemeral container in the gate's process namespace,
  // from where it could read the gate's memory. /validate-pods refuses such a container; this
  // is the second line, for a cluster where that webhook is not registered.
  const debugger_ = (spec.ephemeralContainers ?? []).find(
    (c) => c.targetContainerName === SIDECAR_CONTAINER,
  );
  if (debugger_ !== undefined) {
    return `ephemeral container ${debugger_.name} shares the process namespace of ${SIDECAR_CONTAINER}`;
  }
  return undefined;
}
