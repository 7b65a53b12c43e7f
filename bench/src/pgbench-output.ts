/** What one pgbench run measured. */
export interface PgbenchResult {
  /** Transactions per second, excluding the time to open the connections. */
  tps: number;
  /** Average latency per transaction, in milliseconds. */
  latencyMs: number;
  transactions: number;
  failed: number;
}

/** Thrown when pgbench's summary lacks a figure the bench needs. */
export class PgbenchOutputError extends Error {
  constructor(missing: string, output: string) {
    super(`pgbench output has no ${missing}:\n${output.slice(-2000)}`);
    this.name = 'PgbenchOutputError';
  }
}

/**
 * Reads the summary pgbench prints at the end of a run. The lines are stable since
 * PostgreSQL 14: "latency average = 0.612 ms", "tps = 13071.2 (without initial connection
 * time)", "number of transactions actually processed: 130712", "number of failed
 * transactions: 0 (0.000%)" (the last one from 15 on).
 */
export function parsePgbenchOutput(output: string): PgbenchResult {
  const tps = figure(output, /^tps = ([\d.]+) \(without initial connection time\)/m, 'tps');
  const latencyMs = figure(output, /^latency average = ([\d.]+) ms/m, 'latency average');
  const transactions = figure(
    output,
    /^number of transactions actually processed: (\d+)/m,
    'transaction count',
  );
  const failed = /^number of failed transactions: (\d+)/m.exec(output)?.[1];
  return { tps, latencyMs, transactions, failed: failed === undefined ? 0 : Number(failed) };
}

function figure(output: string, pattern: RegExp, name: string): number {
  const value = pattern.exec(output)?.[1];
  if (value === undefined) throw new PgbenchOutputError(name, output);
  return Number(value);
}
