import { startProcess, type ManagedProcess } from '@portcullis/testkit';
import type { KubeObject } from './kube-api.js';
import { killWithRunner } from './orphan-watchdog.js';
import { repoPath } from './paths.js';
import type { Container } from './pods.js';
import { specOf } from './pods.js';
import { waitFor } from './wait-for.js';

/** Programs of the image, and how to run each on this host from the built workspace. */
const IMAGE_PROGRAMS: Record<string, string[]> = {
  'portcullis-sidecar': [process.execPath, repoPath('sidecar/bin/portcullis-sidecar.js')],
};

/** What must differ when the injected container runs as a host process. */
export interface HostRewrite {
  /** Holds what kubelet would project: a TokenRequest token bound to the pod. */
  tokenFile: string;
  /** One host for every pod: a free port instead of the pod's metrics port. */
  metricsPort: number;
}

/** The command line and environment of a process standing in for the container. */
export interface HostCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * The injected gate container of pod as a host process: its command, args and env exactly as
 * the webhook wrote them, except the image's program path, the token file path, and the
 * metrics address (127.0.0.1 and a free port). Env from the downward API is filled in from
 * the pod as kubelet would.
 */
export function hostCommandFor(pod: KubeObject, rewrite: HostRewrite): HostCommand {
  const container = gateContainer(pod);
  const [program, ...commandArgs] = container.command ?? [];
  const local = program === undefined ? undefined : IMAGE_PROGRAMS[program];
  if (!local) throw new Error(`no host program for the injected command ${String(program)}`);

  const args = [...commandArgs, ...(container.args ?? [])];
  const replace = (flag: string, value: string): void => {
    const at = args.indexOf(flag);
    if (at < 0 || at + 1 >= args.length) throw new Error(`the injected args lack ${flag}`);
    args[at + 1] = value;
  };
  replace('--token-file', rewrite.tokenFile);
  replace('--metrics-port', String(rewrite.metricsPort));
  replace('--metrics-host', '127.0.0.1');

  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const variable of container.env ?? []) {
    env[variable.name] = variable.value ?? downwardValue(pod, variable.valueFrom);
  }
  const [command, ...prefix] = local;
  return { command: command!, args: [...prefix, ...args], env };
}

function gateContainer(pod: KubeObject): Container {
  const spec = specOf(pod);
  const found = [...(spec.initContainers ?? []), ...spec.containers].find(
    (c) => c.name === 'portcullis-gate',
  );
  if (!found) throw new Error(`pod ${pod.metadata?.name} has no injected portcullis-gate`);
  return found;
}

function downwardValue(pod: KubeObject, source: unknown): string {
  const path = (source as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath;
  if (path === 'metadata.name') return pod.metadata?.name ?? '';
  if (path === 'metadata.namespace') return pod.metadata?.namespace ?? '';
  throw new Error(`env from ${JSON.stringify(source)} is not filled in by the harness`);
}

/** Starts the injected gate as a process; resolves once its /readyz answers 200. */
export async function startInjectedSidecar(
  pod: KubeObject,
  rewrite: HostRewrite,
): Promise<ManagedProcess> {
  const host = hostCommandFor(pod, rewrite);
  const child = startProcess({ command: host.command, args: host.args, env: host.env });
  killWithRunner(child);
  try {
    await waitFor(
      'the gate ready',
      async () => {
        if (child.hasExited) throw new Error('the gate exited');
        const answer = await fetch(`http://127.0.0.1:${rewrite.metricsPort}/readyz`);
        return answer.ok ? true : undefined;
      },
      30_000,
    );
  } catch (error) {
    await child.stop('SIGKILL');
    throw new Error(`the injected gate did not become ready:\n${child.tail(30)}`, {
      cause: error,
    });
  }
  return child;
}
