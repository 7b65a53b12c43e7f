import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from '@portcullis/testkit';
import type { KubeApi, KubeObject } from './kube-api.js';
import { specOf, type Container } from './pods.js';
import { requestToken } from './service-account-token.js';

/** The injected gate's container name. */
export const GATE_CONTAINER = 'portcullis-gate';
const TOKEN_VOLUME = 'portcullis-token';

/** How to run a pod's gate as a local process: what kubelet would have run, with local paths. */
export interface SidecarLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The gate's metrics port after the rewrite. */
  metricsPort: number;
}

/** Raised when a pod carries no gate, or one that cannot run outside a kubelet. */
export class SidecarLaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SidecarLaunchError';
  }
}

/** The gate container the webhook injected into pod (native sidecar or first container). */
export function gateContainerOf(pod: KubeObject): Container {
  const spec = specOf(pod);
  const gate = [...(spec.initContainers ?? []), ...spec.containers].find(
    (c) => c.name === GATE_CONTAINER,
  );
  if (!gate) throw new SidecarLaunchError(`pod ${pod.metadata?.name} has no ${GATE_CONTAINER}`);
  return gate;
}

/**
 * The gate's command, args and env exactly as injected, with the three things a kubelet
 * provides replaced: the projected token's path, the metrics address (loopback, not the pod
 * IP) and the downward-API variables. The image's PATH is the caller's `path`.
 */
export function sidecarLaunch(
  pod: KubeObject,
  local: { tokenFile: string; metricsPort: number; path: string },
): SidecarLaunch {
  const gate = gateContainerOf(pod);
  const [command, ...commandArgs] = gate.command ?? [];
  if (command === undefined) {
    throw new SidecarLaunchError(`${GATE_CONTAINER} relies on its image's entrypoint`);
  }

  const replaced: Record<string, string> = {
    '--token-file': local.tokenFile,
    '--metrics-host': '127.0.0.1',
    '--metrics-port': String(local.metricsPort),
  };
  const args = [...commandArgs, ...(gate.args ?? [])].map((arg, i, all) => {
    const flag = all[i - 1];
    return flag !== undefined && flag in replaced ? replaced[flag]! : arg;
  });

  const env: Record<string, string> = { PATH: local.path };
  for (const variable of gate.env ?? []) {
    env[variable.name] = variable.value ?? downwardValue(pod, variable.valueFrom);
  }
  return { command, args, env, metricsPort: local.metricsPort };
}

function downwardValue(pod: KubeObject, source: unknown): string {
  const path = (source as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath;
  const value =
    path === 'metadata.name'
      ? pod.metadata?.name
      : path === 'metadata.namespace'
        ? pod.metadata?.namespace
        : undefined;
  if (value === undefined) {
    throw new SidecarLaunchError(`cannot resolve ${JSON.stringify(source)} outside a kubelet`);
  }
  return value;
}

/** The audience and lifetime of the projected token the webhook asked kubelet for. */
function projectedToken(pod: KubeObject): { audience?: string; expirationSeconds?: number } {
  const volume = specOf(pod).volumes?.find((v) => v.name === TOKEN_VOLUME) as
    { projected?: { sources?: { serviceAccountToken?: Record<string, unknown> }[] } } | undefined;
  const source = volume?.projected?.sources?.find((s) => s.serviceAccountToken)
    ?.serviceAccountToken as { audience?: string; expirationSeconds?: number } | undefined;
  if (!source) throw new SidecarLaunchError(`pod ${pod.metadata?.name} has no ${TOKEN_VOLUME}`);
  return source;
}

/** A gate process started from a pod, and the token file written for it. */
export interface SidecarProcess {
  process: ManagedProcess;
  launch: SidecarLaunch;
  tokenFile: string;
}

/**
 * Does what kubelet does for the pod's gate: mints the projected token with the TokenRequest
 * API (bound to the pod, the injected audience), writes it to dir (mode 0600), and starts the
 * injected command. https://kubernetes.io/docs/concepts/storage/projected-volumes/
 */
export async function startSidecarFromPod(
  api: KubeApi,
  pod: KubeObject,
  options: {
    dir: string;
    metricsPort: number;
    path: string;
    onOutput?: (chunk: string) => void;
  },
): Promise<SidecarProcess> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const account = specOf(pod).serviceAccountName ?? 'default';
  const { audience, expirationSeconds } = projectedToken(pod);
  const token = await requestToken(api, namespace, account, {
    pod,
    ...(audience === undefined ? {} : { audience }),
    ...(expirationSeconds === undefined ? {} : { expirationSeconds }),
  });
  const tokenFile = join(options.dir, `${pod.metadata?.name}-token`);
  await writeFile(tokenFile, token, { mode: 0o600 });

  const launch = sidecarLaunch(pod, {
    tokenFile,
    metricsPort: options.metricsPort,
    path: options.path,
  });
  const process = startProcess({
    command: launch.command,
    args: launch.args,
    env: launch.env,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  return { process, launch, tokenFile };
}
