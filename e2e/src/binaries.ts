import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Absolute paths of the Kubernetes programs the suite runs. */
export interface Binaries {
  kubeApiserver: string;
  etcd: string;
  kubectl: string;
  helm: string;
}

/** Raised when a binary is neither given by environment nor buildable by the script. */
export class BinariesError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BinariesError';
  }
}

const script = fileURLToPath(
  new URL('../scripts/control-plane-binaries.sh', import.meta.url.replace('/dist/src/', '/src/')),
);

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The clients a suite needs on any cluster, a local one or an existing one. */
export type ClientBinaries = Pick<Binaries, 'kubectl' | 'helm'>;

// The script's target for each binary.
const TARGETS = {
  kubeApiserver: 'kube-apiserver',
  etcd: 'etcd',
  kubectl: 'kubectl',
  helm: 'helm',
} as const satisfies Record<keyof Binaries, string>;

/** The variable that overrides a binary and the name the script prints it under. */
const envName = (key: keyof Binaries): string => TARGETS[key].replaceAll('-', '_').toUpperCase();

/**
 * The binaries from KUBE_APISERVER, ETCD, KUBECTL and HELM when they name executables, else
 * from e2e/scripts/control-plane-binaries.sh, which builds once per machine and then answers
 * from its cache in a fraction of a second.
 */
export function resolveBinaries(env = process.env): Promise<Binaries> {
  return resolve(['kubeApiserver', 'etcd', 'kubectl', 'helm'], env);
}

/**
 * kubectl and helm only, for a cluster that is already running (kind): nothing of the control
 * plane is built for it.
 */
export function resolveClientBinaries(env = process.env): Promise<ClientBinaries> {
  return resolve(['kubectl', 'helm'], env);
}

async function resolve<K extends keyof Binaries>(
  keys: readonly K[],
  env: NodeJS.ProcessEnv,
): Promise<Pick<Binaries, K>> {
  const given: Partial<Binaries> = {};
  for (const key of keys) {
    const path = env[envName(key)];
    if (path && path.startsWith('/') && (await isExecutable(path))) given[key] = path;
  }
  const missing = keys.filter((key) => given[key] === undefined);

  let stdout = '';
  if (missing.length > 0) {
    const targets = missing.map((key) => TARGETS[key]);
    try {
      ({ stdout } = await run('bash', [script, ...targets], { env, maxBuffer: 1 << 20 }));
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new BinariesError(`${script} failed:\n${stderr.slice(-4000)}`, { cause: error });
    }
  }
  const printed = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z_]+)=(.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) printed.set(match[1], match[2]);
  }
  const resolved: Partial<Binaries> = {};
  for (const key of keys) {
    const path = given[key] ?? printed.get(envName(key));
    if (!path) throw new BinariesError(`${script} printed no ${envName(key)}=`);
    resolved[key] = path;
  }
  return resolved as Pick<Binaries, K>;
}
