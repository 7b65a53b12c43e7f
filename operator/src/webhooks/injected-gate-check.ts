import { isDeepStrictEqual } from 'node:util';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { clientTlsSecretFor } from './client-tls-secret.js';
import { gateContainer } from './gate-container.js';
import { SIDECAR_CONTAINER } from './injection-names.js';
import type { PodPatchConfig } from './pod-patch.js';
import { gateTokenProblem } from './pod-tokens.js';
import { sidecarSettingsFor } from './sidecar-settings.js';

/** The service-account identity the gate acts for when a caller presents no token. */
export function podIdentity(pod: V1Pod, namespace: string): string {
  return `system:serviceaccount:${namespace}:${pod.spec?.serviceAccountName ?? 'default'}`;
}

// Fields the API server fills in or rewrites (defaults, canonical quantities) and that run no
// code: left out on both sides, so a gate that went through defaulting still compares equal.
const DEFAULTED = ['terminationMessagePath', 'terminationMessagePolicy', 'resources'];
// Probe fields the API server defaults when they are left out.
const PROBE_DEFAULTS = {
  timeoutSeconds: 1,
  successThreshold: 1,
  periodSeconds: 10,
  failureThreshold: 3,
};

function comparable(container: V1Container, keepPullPolicy: boolean): unknown {
  const copy = structuredClone(container) as unknown as Record<string, unknown>;
  for (const key of DEFAULTED) delete copy[key];
  if (!keepPullPolicy) delete copy.imagePullPolicy;
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const p = copy[probe] as Record<string, unknown> | undefined;
    if (p === undefined) continue;
    copy[probe] = { ...PROBE_DEFAULTS, ...p };
    const httpGet = p.httpGet as Record<string, unknown> | undefined;
    if (httpGet !== undefined) httpGet.scheme ??= 'HTTP';
  }
  for (const e of (copy.env ?? []) as { valueFrom?: { fieldRef?: { apiVersion?: string } } }[]) {
    delete e.valueFrom?.fieldRef?.apiVersion;
  }
  for (const port of (copy.ports ?? []) as { protocol?: string }[]) port.protocol ??= 'TCP';
  return JSON.parse(JSON.stringify(copy)) as unknown;
}

/**
 * Why a pod that says it is injected does not run the gate the operator injects, or
 * undefined when it does. A pod could carry the `portcullis.dev/injected` annotation and a
 * container named portcullis-gate of its own making: with another image, command, argument,
 * env var, mount or hook it would receive the bundle, so everything that can run code or
 * redirect the gate must equal what the operator would add.
 */
export function injectedGateProblem(
  pod: V1Pod,
  namespace: string,
  config: PodPatchConfig,
): string | undefined {
  const spec = pod.spec;
  const actual = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find(
    (c) => c.name === SIDECAR_CONTAINER,
  );
  if (actual === undefined) return `it has no ${SIDECAR_CONTAINER} container`;
  const annotations = pod.metadata?.annotations;
  const settings = sidecarSettingsFor(config.sidecar, annotations);
  if ('problem' in settings) return settings.problem;
  const tls = clientTlsSecretFor(annotations);
  if ('problem' in tls) return tls.problem;

  const identity = podIdentity(pod, namespace);
  const expected = gateContainer(config, settings.settings, identity, tls.secret);
  const keepPullPolicy = config.imagePullPolicy !== undefined;
  if (
    !isDeepStrictEqual(comparable(actual, keepPullPolicy), comparable(expected, keepPullPolicy))
  ) {
    return `its ${SIDECAR_CONTAINER} container is not the one the operator injects`;
  }
  return gateTokenProblem(pod);
}
