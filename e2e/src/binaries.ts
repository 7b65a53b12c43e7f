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

const ENV_NAMES = {
  kubeApiserver: 'KUBE_APISERVER',
  etcd: 'ETCD',
  kubectl: 'KUBECTL',
  helm: 'HELM',
} as const satisfies Record<keyof Binaries, string>;

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

/**
 * The binaries from KUBE_APISERVER, ETCD, KUBECTL and HELM when they name executables, else
 * from e2e/scripts/control-plane-binaries.sh, which builds once per machine and then answers
 * from its cache in a fraction of a second.
 */
export async function resolveBinaries(env = process.env): Promise<Binaries> {
  const given: Partial<Binaries> = {};
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof Binaries, string][]) {
    const path = env[name];
    if (path && path.startsWith('/') && (await isExecutable(path))) given[key] = path;
  }
  if (given.kubeApiserver && given.etcd && given.kubectl && given.helm) return given as Binaries;

  let stdout: string;
  try {
    ({ stdout } = await run('bash', [script, 'all'], { env, maxBuffer: 1 << 20 }));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new BinariesError(`${script} failed:\n${stderr.slice(-4000)}`, { cause: error });
  }
  const printed = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z_]+)=(.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) printed.set(match[1], match[2]);
  }
  const pick = (key: keyof Binaries): string => {
    const path = given[key] ?? printed.get(ENV_NAMES[key]);
    if (!path) throw new BinariesError(`${script} printed no ${ENV_NAMES[key]}=`);
    return path;
  };
  return {
    kubeApiserver: pick('kubeApiserver'),
    etcd: pick('etcd'),
    kubectl: pick('kubectl'),
    helm: pick('helm'),
  };
}
