import type { V1Container, V1EnvVar, V1PodSpec } from '@kubernetes/client-node';
import { SIDECAR_CONTAINER } from './injection-names.js';
import type { JsonPatchOp } from './json-patch.js';

/** The env vars that point an app at the gate; never a password. */
export const APP_ENV_NAMES = ['PGHOST', 'PGPORT', 'PGDATABASE', 'DATABASE_URL'] as const;

/**
 * The env an app container gets for the DataSource the plain PG* variables point at. With
 * tls (the pod names a client TLS Secret) the URL asks for TLS; else it says the hop is in the
 * clear, as the gate answers.
 */
export function appEnvVars(database: string, port: number, tls = false): V1EnvVar[] {
  // Never a password: the gate decides who the caller is, the app holds no credential.
  const sslmode = tls ? 'require' : 'disable';
  const url = `postgresql://127.0.0.1:${port}/${encodeURIComponent(database)}?sslmode=${sslmode}`;
  return [
    { name: 'PGHOST', value: '127.0.0.1' },
    { name: 'PGPORT', value: String(port) },
    { name: 'PGDATABASE', value: database },
    { name: 'DATABASE_URL', value: url },
  ];
}

/** A container that gets the app env, with the JSON Pointer it is patched at. */
export interface EnvTarget {
  path: string;
  container: V1Container;
}

/**
 * The containers that get the app env: every app container and, with native sidecars, every
 * init container (they start after a native sidecar, so they can reach the gate). The gate
 * itself never does. NOTE: in the fallback the gate is a regular container and starts after
 * every init container, so the app's init containers get no env and cannot reach the
 * database at all.
 */
export function envTargets(spec: V1PodSpec, nativeSidecars: boolean): EnvTarget[] {
  const fields: ['initContainers' | 'containers', V1Container[] | undefined][] = [
    ['containers', spec.containers],
  ];
  if (nativeSidecars) fields.unshift(['initContainers', spec.initContainers]);
  return fields.flatMap(([field, containers]) =>
    (containers ?? [])
      .map((container, i) => ({ path: `/spec/${field}/${i}`, container }))
      .filter(({ container }) => container.name !== SIDECAR_CONTAINER),
  );
}

/** The app env names a container does not set itself. */
export function missingAppEnv(container: V1Container): string[] {
  const existing = new Set((container.env ?? []).map((e) => e.name));
  return APP_ENV_NAMES.filter((name) => !existing.has(name));
}

/**
 * Appends to `patch` the ops that give each target the vars it lacks, and returns the names
 * added by container name (containers that lacked nothing are left out).
 */
// NOTE: a variable the container gets through envFrom (a ConfigMap or Secret) is not seen
// here, and the value added to env takes precedence over it.
export function addAppEnv(
  patch: JsonPatchOp[],
  targets: readonly EnvTarget[],
  vars: readonly V1EnvVar[],
): Record<string, string[]> {
  const added: Record<string, string[]> = {};
  for (const { path, container } of targets) {
    const missing = new Set(missingAppEnv(container));
    const values = vars.filter((v) => missing.has(v.name));
    if (values.length === 0) continue;

    if (container.env === undefined) {
      patch.push({ op: 'add', path: `${path}/env`, value: values });
    } else {
      for (const v of values) patch.push({ op: 'add', path: `${path}/env/-`, value: v });
    }
    added[container.name] = values.map((v) => v.name);
  }
  return added;
}
