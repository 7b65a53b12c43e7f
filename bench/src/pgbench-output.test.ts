import { describe, expect, it } from '@jest/globals';
import { parsePgbenchOutput, PgbenchOutputError } from './pgbench-output.js';

/** The summary pgbench 15 prints, with the figures a test chooses. */
function summary(figures: { tps: string; latency: string; processed: number; failed?: number }) {
  return [
    'pgbench (15.18 (Debian 15.18-0+deb12u1))',
    'transaction type: <builtin: select only>',
    'scaling factor: 10',
    'query mode: prepared',
    'number of clients: 8',
    'number of threads: 2',
    'maximum number of tries: 1',
    'duration: 3 s',
    `number of transactions actually processed: ${figures.processed}`,
    ...(figures.failed === undefined
      ? []
      : [`number of failed transactions: ${figures.failed} (0.000%)`]),
    `latency average = ${figures.latency} ms`,
    'initial connection time = 11.287 ms',
    `tps = ${figures.tps} (without initial connection time)`,
  ].join('\n');
}

describe('parsePgbenchOutput', () => {
  it('reads tps, average latency and transaction counts', () => {
    const output = summary({ tps: '73153.413572', latency: '0.109', processed: 220271, failed: 2 });

    expect(parsePgbenchOutput(output)).toEqual({
      tps: 73153.413572,
      latencyMs: 0.109,
      transactions: 220271,
      failed: 2,
    });
  });

  it('counts no failures when the server is older than 15 and prints no such line', () => {
    const output = summary({ tps: '100.5', latency: '79.600', processed: 301 });

    expect(parsePgbenchOutput(output).failed).toBe(0);
  });

  it('says which figure is missing from a run that did not finish', () => {
    const output = 'pgbench: error: connection to server failed: FATAL:  no AccessPolicy admits';

    expect(() => parsePgbenchOutput(output)).toThrow(PgbenchOutputError);
    expect(() => parsePgbenchOutput(output)).toThrow(/no tps/);
  });
});
