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
  /**
   * Everything on: guardrails beyond the defaults, masking rules for the classified columns
   * (ENFORCING_CLASSIFICATION) and recording to a file in the gate's temporary directory.
   * Off: default guardrails, no classification, no masking rules, no recording.
   */
  enforcing?: boolean;
}

/**
 * The columns the enforcing gate classifies. pgbench -S reads abalance only, so abalance is
 * hashed to make masking run on every pgbench transaction; bench_customers is the streaming
 * scenario's table.
 */
export const ENFORCING_CLASSIFICATION: Record<string, string> = {
  'public.pgbench_accounts.abalance': 'balance',
  'public.pgbench_accounts.filler': 'secret',
  'public.bench_customers.email': 'email',
  'public.bench_customers.card_number': 'credit_card',
  'public.bench_customers.phone': 'phone',
};

const ENFORCING_MASKING_RULES = [
  { classification: 'balance', strategy: 'hash' },
  { classification: 'secret', strategy: 'redact' },
  { classification: 'email', strategy: 'partial' },
  { classification: 'credit_card', strategy: 'partial' },
  { classification: 'phone', strategy: 'redact' },
];

const ENFORCING_GUARDRAILS = {
  deny: ['ddl', 'truncate', 'grant', 'role', 'copy-program', 'procedural'],
  requireWhere: true,
  tables: [{ table: 'public.pgbench_history', deny: ['delete', 'update'] }],
};

/** A running gate in standalone mode. */
export interface Gate {
  host: string;
  port: number;
  metricsPort: number;
  child: ManagedProcess;
  /** The recording of an enforcing gate; removed by stop(). */
  recordFile?: string;
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
 * minter Secret, and one AccessPolicy admitting the bench's service account; without
 * `enforcing`, with no masking and no recording, so that the run measures the relay itself.
 * Resolves once /readyz says so.
 */
export async function startGate(input: GateInput): Promise<Gate> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-bench-policies-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onProcessExit(removeDir);
  const recordFile = input.enforcing === true ? join(dir, 'recording.jsonl') : undefined;
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
      recordFile === undefined ? [] : ['--record', recordFile],
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
  return { host: '127.0.0.1', port, metricsPort, child, recordFile, stop };
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
  const enforcing = input.enforcing === true;
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
        ...(enforcing ? { classification: ENFORCING_CLASSIFICATION } : {}),
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
        ...(enforcing
          ? { guardrails: ENFORCING_GUARDRAILS, masking: { rules: ENFORCING_MASKING_RULES } }
          : {}),
        recording: { enabled: enforcing },
      },
    },
  };
  for (const [file, manifest] of Object.entries(manifests)) {
    await writeFile(join(dir, file), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  }
}
