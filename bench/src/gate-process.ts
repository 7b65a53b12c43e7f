import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagedProcess, MinterCredential, PostgresServer } from '@portcullis/testkit';
import { freePort, onProcessExit, startProcess } from '@portcullis/testkit';

/** The workload identity the bench's policy admits; pgbench presents no token. */
export const BENCH_IDENTITY = { namespace: 'bench', serviceAccount: 'pgbench' };

/** What the gate needs to know about the throwaway server. */
export interface GateInput {
  /** The sidecar's bin script, built by `make build`. */
  bin: string;
  server: PostgresServer;
  database: string;
  minter: MinterCredential;
  /** Role the minted roles join: the one granted SELECT on the pgbench tables. */
  role: string;
  /** Write a V8 CPU profile of the gate into this directory (node --cpu-prof). */
  cpuProfileDir?: string;
}

/** A running gate in standalone mode. */
export interface Gate {
  host: string;
  port: number;
  metricsPort: number;
  child: ManagedProcess;
  stop(): Promise<void>;
}

/** Thrown when the gate does not become ready. */
export class GateStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GateStartError';
  }
}

/**
 * Starts the gate as a child process with a policy directory of its own: the DataSource, the
 * minter Secret, and one AccessPolicy admitting the bench's service account with no masking
 * and no recording, so that the run measures the relay itself. Resolves once /readyz says so.
 */
export async function startGate(input: GateInput): Promise<Gate> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-bench-policies-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onProcessExit(removeDir);
  await writePolicies(dir, input);

  const port = await freePort();
  const metricsPort = await freePort();
  const identity = `system:serviceaccount:${BENCH_IDENTITY.namespace}:${BENCH_IDENTITY.serviceAccount}`;
  const nodeArgs: string[] = [];
  if (input.cpuProfileDir !== undefined) {
    await mkdir(input.cpuProfileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${input.cpuProfileDir}`);
  }
  const child = startProcess({
    command: process.execPath,
    args: [
      ...nodeArgs,
      input.bin,
      ['--policies', dir],
      ['--identity', identity],
      ['--listen', `127.0.0.1:${port}`],
      ['--metrics-port', String(metricsPort)],
      ['--log-level', 'warn'],
    ].flat(),
  });

  const stop = async () => {
    // SIGTERM lets the gate drop its minted roles and, with --cpu-prof, write the profile.
    await child.stop('SIGTERM', 15_000);
    unregister();
    removeDir();
  };
  try {
    await waitUntilReady(child, metricsPort, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, metricsPort, child, stop };
}

async function waitUntilReady(child: ManagedProcess, metricsPort: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited) throw new GateStartError(`the gate exited:\n${child.tail()}`);
    const status = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new GateStartError(`the gate was not ready within ${timeoutMs} ms:\n${child.tail()}`);
}

// JSON is YAML, so the manifests are written as JSON: no quoting rules to get wrong.
async function writePolicies(dir: string, input: GateInput): Promise<void> {
  const namespace = BENCH_IDENTITY.namespace;
  const manifests = {
    'minter-secret.yaml': {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bench-minter', namespace },
      stringData: { username: input.minter.username, password: input.minter.password },
    },
    'data-source.yaml': {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'DataSource',
      metadata: { name: 'bench', namespace },
      spec: {
        host: input.server.host,
        port: input.server.port,
        database: input.database,
        tls: { mode: 'disable' },
        minter: { secretRef: { name: 'bench-minter' }, grantableRoles: [input.role] },
      },
    },
    'access-policy.yaml': {
      apiVersion: 'portcullis.dev/v1alpha1',
      kind: 'AccessPolicy',
      metadata: { name: 'pgbench', namespace },
      spec: {
        dataSourceRef: { name: 'bench' },
        workloadSelector: {},
        subjects: [{ serviceAccount: { name: BENCH_IDENTITY.serviceAccount } }],
        grant: { role: input.role, ttl: '1h', maxSessionDuration: '1h', connectionLimit: 20 },
        recording: { enabled: false },
      },
    },
  };
  for (const [file, manifest] of Object.entries(manifests)) {
    await writeFile(join(dir, file), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  }
}
