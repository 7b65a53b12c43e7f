import { describe, expect, it } from '@jest/globals';
import type { StreamSample, StreamTarget } from './stream-report.js';
import { formatStreamSummary, summarizeStream } from './stream-report.js';

function sample(round: number, target: StreamTarget, seconds: number): StreamSample {
  return { round, target, rows: 1_000_000, seconds };
}

describe('summarizeStream', () => {
  const samples = [
    ...[2, 2.5, 4].map((s, i) => sample(i + 1, 'direct', s)),
    ...[2.5, 2.5, 5].map((s, i) => sample(i + 1, 'gate', s)),
    ...[4, 3.125, 5].map((s, i) => sample(i + 1, 'gate-enforcing', s)),
  ];

  it('takes the median rows per second of each target and divides them into ratios', () => {
    const summary = summarizeStream(samples);

    expect(summary.targets.direct).toEqual({
      rowsPerSecond: 400_000,
      rowsPerSecondMin: 250_000,
      rowsPerSecondMax: 500_000,
      seconds: 2.5,
      rounds: 3,
    });
    expect(summary.gateToDirect?.value).toBeCloseTo(1);
    expect(summary.maskedToDirect?.value).toBeCloseTo(250_000 / 400_000);
    expect(summary.maskedToGate?.value).toBeCloseTo(250_000 / 400_000);
  });

  it('gives the range of the ratios within each round', () => {
    // Masked over direct per round: 2/4, 2.5/3.125, 4/5.
    const masked = summarizeStream(samples).maskedToDirect;

    expect(masked?.roundMin).toBeCloseTo(0.5);
    expect(masked?.roundMax).toBeCloseTo(0.8);
  });

  it('leaves out the ratios of a target that did not run', () => {
    const summary = summarizeStream(samples.filter((s) => s.target !== 'gate'));

    expect(summary.targets.gate).toBeUndefined();
    expect(summary.gateToDirect).toBeUndefined();
    expect(summary.maskedToGate).toBeUndefined();
    expect(summary.maskedToDirect).toBeDefined();
  });

  it('prints one line per target and the ratios', () => {
    const text = formatStreamSummary(summarizeStream(samples));

    expect(text).toMatch(/^select {4}gate-enforcing {2}\s+250000\s+200000\.\.320000\s+4\.00$/m);
    expect(text).toMatch(/^select {4}direct {10}\s+400000\s+250000\.\.500000\s+2\.50$/m);
    expect(text).toContain('masked/direct        0.63x  (rounds 0.50..0.80)');
    expect(text).toContain('gate/direct          1.00x  (rounds 0.80..1.00)');
  });
});
