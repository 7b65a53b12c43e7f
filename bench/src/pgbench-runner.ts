import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { PgbenchResult } from './pgbench-output.js';
import { parsePgbenchOutput } from './pgbench-output.js';

const run = promisify(execFile);

/** The protocol pgbench speaks: Query messages, unnamed Parse/Bind/Execute, or named ones. */
export const QUERY_MODES = ['simple', 'extended', 'prepared'] as const;
export type QueryMode = (typeof QUERY_MODES)[number];

/** Where pgbench connects, as whom. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  /** Sent only when the endpoint asks for one (PGPASSWORD). */
  password: string;
  database: string;
  /** The proxy in between, whose CPU time per transaction the bench reports. */
  proxyPid?: number;
}

/** One select-only run. */
export interface PgbenchRun {
  mode: QueryMode;
  clients: number;
  threads: number;
  seconds: number;
}

/** Thrown when pgbench fails or reports failed transactions. */
export class PgbenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PgbenchError';
  }
}

/**
 * Runs `pgbench -S` (select-only, one indexed lookup per transaction) against an endpoint.
 * -n skips the vacuum pgbench does first: a minted role may not vacuum, and the tables do not
 * change in a select-only run anyway.
 */
export async function runPgbench(endpoint: Endpoint, spec: PgbenchRun): Promise<PgbenchResult> {
  const args = ['-n', '-S', '-M', spec.mode, '-c', String(spec.clients)];
  args.push('-j', String(spec.threads), '-T', String(spec.seconds));
  args.push('-h', endpoint.host, '-p', String(endpoint.port), '-U', endpoint.user);
  args.push(endpoint.database);

  let output: string;
  try {
    const { stdout, stderr } = await run('pgbench', args, {
      env: { ...process.env, PGPASSWORD: endpoint.password, PGSSLMODE: 'disable' },
      maxBuffer: 16 << 20,
      timeout: (spec.seconds + 60) * 1000,
    });
    output = `${stdout}\n${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new PgbenchError(`pgbench failed:\n${`${stdout}\n${stderr}`.slice(-2000)}`, {
      cause: error,
    });
  }

  const result = parsePgbenchOutput(output);
  if (result.failed > 0 || result.transactions === 0) {
    throw new PgbenchError(`pgbench completed ${result.transactions} with ${result.failed} failed`);
  }
  return result;
}
