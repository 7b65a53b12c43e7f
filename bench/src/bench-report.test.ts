import { describe, expect, it } from '@jest/globals';
import type { Sample, Target } from './bench-report.js';
import { formatSummary, median, summarize } from './bench-report.js';
import type { QueryMode } from './pgbench-runner.js';

function sample(round: number, mode: QueryMode, target: Target, tps: number): Sample {
  const base = { round, mode, target, tps, latencyMs: 8000 / tps, transactions: tps * 5 };
  if (target === 'direct') return { ...base, failed: 0 };
  return { ...base, failed: 0, proxyCpuUs: tps / 1000, proxyUserUs: tps / 4000 };
}

describe('median', () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
    [[10, 1000, 11], 11],
  ])('of %p is %p', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('summarize', () => {
  const samples = [
    ...[30_000, 31_000, 10_000].map((tps, i) => sample(i + 1, 'simple', 'direct', tps)),
    ...[20_000, 21_000, 19_000].map((tps, i) => sample(i + 1, 'simple', 'pgbouncer', tps)),
    ...[24_000, 24_600, 23_000].map((tps, i) => sample(i + 1, 'simple', 'gate', tps)),
    ...[12_000, 15_500, 9_000].map((tps, i) => sample(i + 1, 'simple', 'gate-enforcing', tps)),
    ...[16_000, 16_400, 20_000].map((tps, i) => sample(i + 1, 'simple', 'node-relay', tps)),
    sample(1, 'prepared', 'direct', 40_000),
    sample(1, 'prepared', 'pgbouncer', 20_000),
  ];

  it('takes medians per mode and target and divides them into ratios', () => {
    const [simple, prepared] = summarize(samples, ['simple', 'prepared']);

    expect(simple?.targets.direct).toEqual({
      tps: 30_000,
      latencyMs: 8000 / 30_000,
      tpsMin: 10_000,
      tpsMax: 31_000,
      rounds: 3,
    });
    expect(simple?.gateToDirect?.value).toBeCloseTo(0.8);
    expect(simple?.gateToPgbouncer?.value).toBeCloseTo(1.2);
    expect(simple?.pgbouncerToDirect?.value).toBeCloseTo(2 / 3);
    expect(simple?.enforcingToDirect?.value).toBeCloseTo(0.4);
    expect(simple?.enforcingToPgbouncer?.value).toBeCloseTo(0.6);
    expect(simple?.nodeRelayToDirect?.value).toBeCloseTo(16_400 / 30_000);
    expect(simple?.gateToNodeRelay?.value).toBeCloseTo(24_000 / 16_400);
    expect(prepared?.gateToNodeRelay).toBeUndefined();
    expect(prepared?.gateToDirect).toBeUndefined();
    expect(prepared?.enforcingToDirect).toBeUndefined();
    expect(prepared?.pgbouncerToDirect).toEqual({ value: 0.5, roundMin: 0.5, roundMax: 0.5 });
  });

  it('gives the range of the ratios within each round', () => {
    const [simple] = summarize(samples, ['simple']);

    // Rounds: 24000/30000, 24600/31000, 23000/10000.
    expect(simple?.gateToDirect?.roundMin).toBeCloseTo(24_600 / 31_000);
    expect(simple?.gateToDirect?.roundMax).toBeCloseTo(2.3);
    // Rounds: 12000/20000, 15500/21000, 9000/19000.
    expect(simple?.enforcingToPgbouncer?.roundMin).toBeCloseTo(9_000 / 19_000);
    expect(simple?.enforcingToPgbouncer?.roundMax).toBeCloseTo(15_500 / 21_000);
  });

  it('prints one line per target and the ratios of each mode', () => {
    const text = formatSummary(summarize(samples, ['simple', 'prepared']));

    expect(text).toMatch(
      /^simple {4}gate {12}\s+24000\s+23000\.\.24600\s+0\.333\s+24\.0\s+\(6\.0\)$/m,
    );
    expect(text).toMatch(/^simple {4}direct {10}\s+30000\s+10000\.\.31000\s+0\.267\s+-$/m);
    expect(text).toMatch(/^simple {4}gate-enforcing {2}\s+12000\s+9000\.\.15500\s/m);
    expect(text).toContain('gate/direct          0.80x  (rounds 0.79..2.30)');
    expect(text).toContain('gate/pgbouncer       1.20x  (rounds 1.17..1.21)');
    expect(text).toContain('pgbouncer/direct     0.50x  (rounds 0.50..0.50)');
    expect(text).toContain('enforcing/direct     0.40x  (rounds 0.40..0.90)');
    expect(text).toContain('enforcing/pgbouncer  0.60x  (rounds 0.47..0.74)');
  });
});
