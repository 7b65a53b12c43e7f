import type { Ratio } from './bench-report.js';
import { formatRatio, median, ratio } from './bench-report.js';

/**
 * Where the streaming SELECT runs: straight to the server, through the gate with the table
 * unclassified (relay cost only), and through the enforcing gate that masks three columns.
 */
export const STREAM_TARGETS = ['direct', 'gate', 'gate-enforcing'] as const;
export type StreamTarget = (typeof STREAM_TARGETS)[number];

/** One timed read of the whole table. */
export interface StreamSample {
  round: number;
  target: StreamTarget;
  rows: number;
  seconds: number;
}

/** The medians of one streaming target with the spread of its rounds. */
export interface StreamTargetSummary {
  rowsPerSecond: number;
  rowsPerSecondMin: number;
  rowsPerSecondMax: number;
  seconds: number;
  rounds: number;
}

/** Each target's medians and the ratios of rows per second (undefined if not measured). */
export interface StreamSummary {
  targets: Partial<Record<StreamTarget, StreamTargetSummary>>;
  gateToDirect?: Ratio;
  maskedToDirect?: Ratio;
  maskedToGate?: Ratio;
}

function rowsPerSecond(sample: StreamSample): number {
  return sample.rows / sample.seconds;
}

/** Medians per target and ratios of the rows-per-second medians, per round for the range. */
export function summarizeStream(samples: StreamSample[]): StreamSummary {
  const targets: Partial<Record<StreamTarget, StreamTargetSummary>> = {};
  const values: Partial<Record<StreamTarget, { value: number }>> = {};
  for (const target of STREAM_TARGETS) {
    const runs = samples.filter((s) => s.target === target);
    if (runs.length === 0) continue;
    const rates = runs.map(rowsPerSecond);
    targets[target] = {
      rowsPerSecond: median(rates),
      rowsPerSecondMin: Math.min(...rates),
      rowsPerSecondMax: Math.max(...rates),
      seconds: median(runs.map((r) => r.seconds)),
      rounds: runs.length,
    };
    values[target] = { value: median(rates) };
  }
  return {
    targets,
    gateToDirect: ratio<StreamTarget, StreamSample>(
      samples,
      values,
      'gate',
      'direct',
      rowsPerSecond,
    ),
    maskedToDirect: ratio<StreamTarget, StreamSample>(
      samples,
      values,
      'gate-enforcing',
      'direct',
      rowsPerSecond,
    ),
    maskedToGate: ratio<StreamTarget, StreamSample>(
      samples,
      values,
      'gate-enforcing',
      'gate',
      rowsPerSecond,
    ),
  };
}

/** The streaming summary as a fixed-width table for a terminal. */
export function formatStreamSummary(summary: StreamSummary): string {
  const lines = [
    `${'stream'.padEnd(10)}${'target'.padEnd(16)}${'rows/s (median)'.padStart(16)}` +
      `${'min..max'.padStart(22)}${'seconds'.padStart(10)}`,
  ];
  for (const target of STREAM_TARGETS) {
    const t = summary.targets[target];
    if (t === undefined) continue;
    const spread = `${t.rowsPerSecondMin.toFixed(0)}..${t.rowsPerSecondMax.toFixed(0)}`;
    lines.push(
      `${'select'.padEnd(10)}${target.padEnd(16)}${t.rowsPerSecond.toFixed(0).padStart(16)}` +
        `${spread.padStart(22)}${t.seconds.toFixed(2).padStart(10)}`,
    );
  }
  const named: [string, Ratio | undefined][] = [
    ['gate/direct', summary.gateToDirect],
    ['masked/direct', summary.maskedToDirect],
    ['masked/gate', summary.maskedToGate],
  ];
  for (const [name, r] of named) {
    if (r !== undefined) lines.push(formatRatio(name, r));
  }
  return lines.join('\n');
}
