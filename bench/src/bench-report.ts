import type { PgbenchResult } from './pgbench-output.js';
import type { QueryMode } from './pgbench-runner.js';

/** The three ways to reach the server that the bench compares. */
export const TARGETS = ['direct', 'pgbouncer', 'gate'] as const;
export type Target = (typeof TARGETS)[number];

/** One measured run. */
export interface Sample extends PgbenchResult {
  round: number;
  mode: QueryMode;
  target: Target;
}

/** The medians of one target in one mode, with the spread of its rounds. */
export interface TargetSummary {
  tps: number;
  latencyMs: number;
  tpsMin: number;
  tpsMax: number;
  rounds: number;
}

/** One mode: each target's medians and the ratios between them (undefined if not measured). */
export interface ModeSummary {
  mode: QueryMode;
  targets: Partial<Record<Target, TargetSummary>>;
  gateToDirect?: number;
  gateToPgbouncer?: number;
  pgbouncerToDirect?: number;
}

/** The median: robust to the one round a noisy neighbour spoiled. */
export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const high = sorted[middle] as number;
  return sorted.length % 2 === 1 ? high : (high + (sorted[middle - 1] as number)) / 2;
}

/** Medians per mode and target, and the ratios of TPS medians. */
export function summarize(samples: Sample[], modes: readonly QueryMode[]): ModeSummary[] {
  return modes.map((mode) => {
    const targets: Partial<Record<Target, TargetSummary>> = {};
    for (const target of TARGETS) {
      const runs = samples.filter((s) => s.mode === mode && s.target === target);
      if (runs.length === 0) continue;
      const tps = runs.map((r) => r.tps);
      targets[target] = {
        tps: median(tps),
        latencyMs: median(runs.map((r) => r.latencyMs)),
        tpsMin: Math.min(...tps),
        tpsMax: Math.max(...tps),
        rounds: runs.length,
      };
    }
    return {
      mode,
      targets,
      gateToDirect: ratio(targets.gate, targets.direct),
      gateToPgbouncer: ratio(targets.gate, targets.pgbouncer),
      pgbouncerToDirect: ratio(targets.pgbouncer, targets.direct),
    };
  });
}

function ratio(over?: TargetSummary, under?: TargetSummary): number | undefined {
  return over === undefined || under === undefined ? undefined : over.tps / under.tps;
}

/** The summary as a fixed-width table for a terminal. */
export function formatSummary(summaries: ModeSummary[]): string {
  const lines = [
    `${'mode'.padEnd(10)}${'target'.padEnd(11)}${'TPS (median)'.padStart(13)}` +
      `${'min..max'.padStart(20)}${'latency ms'.padStart(12)}`,
  ];
  for (const summary of summaries) {
    for (const target of TARGETS) {
      const t = summary.targets[target];
      if (t === undefined) continue;
      const spread = `${t.tpsMin.toFixed(0)}..${t.tpsMax.toFixed(0)}`;
      lines.push(
        `${summary.mode.padEnd(10)}${target.padEnd(11)}${t.tps.toFixed(0).padStart(13)}` +
          `${spread.padStart(20)}${t.latencyMs.toFixed(3).padStart(12)}`,
      );
    }
    const named: [string, number | undefined][] = [
      ['gate/direct', summary.gateToDirect],
      ['gate/pgbouncer', summary.gateToPgbouncer],
      ['pgbouncer/direct', summary.pgbouncerToDirect],
    ];
    const ratios = named.flatMap(([name, value]) =>
      value === undefined ? [] : [`${name} ${value.toFixed(2)}x`],
    );
    if (ratios.length > 0) lines.push(`${''.padEnd(10)}ratios: ${ratios.join('   ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
