import type { PgbenchResult } from './pgbench-output.js';
import type { QueryMode } from './pgbench-runner.js';

/**
 * The ways to reach the server that the bench compares; gate-enforcing is the gate with
 * guardrails, masking and recording on. node-relay is the least a relay in Node.js can do
 * (bytes in, bytes out, nothing parsed): the floor for the gate on the same runtime.
 */
export const TARGETS = ['direct', 'pgbouncer', 'node-relay', 'gate', 'gate-enforcing'] as const;
export type Target = (typeof TARGETS)[number];

/** One measured run. */
export interface Sample extends PgbenchResult {
  round: number;
  mode: QueryMode;
  target: Target;
  /** CPU time the proxy (PgBouncer, the gate) used per transaction, in microseconds. */
  proxyCpuUs?: number;
  /** The user-space part of proxyCpuUs; the rest is the kernel's (mostly socket calls). */
  proxyUserUs?: number;
}

/** The medians of one target in one mode, with the spread of its rounds. */
export interface TargetSummary {
  tps: number;
  latencyMs: number;
  tpsMin: number;
  tpsMax: number;
  rounds: number;
  /** Median CPU time of the proxy per transaction, in microseconds; none for direct. */
  proxyCpuUs?: number;
  /** Median user-space part of it. */
  proxyUserUs?: number;
}

/**
 * A TPS ratio of two targets: the ratio of their medians, and the range of the ratios of the
 * runs of each round, which ran minutes apart at most and so shared the machine's load.
 */
export interface Ratio {
  value: number;
  roundMin: number;
  roundMax: number;
}

/** One mode: each target's medians and the ratios between them (undefined if not measured). */
export interface ModeSummary {
  mode: QueryMode;
  targets: Partial<Record<Target, TargetSummary>>;
  gateToDirect?: Ratio;
  gateToPgbouncer?: Ratio;
  pgbouncerToDirect?: Ratio;
  enforcingToDirect?: Ratio;
  enforcingToPgbouncer?: Ratio;
  nodeRelayToDirect?: Ratio;
  gateToNodeRelay?: Ratio;
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
      const cpu = runs.flatMap((r) => (r.proxyCpuUs === undefined ? [] : [r.proxyCpuUs]));
      const user = runs.flatMap((r) => (r.proxyUserUs === undefined ? [] : [r.proxyUserUs]));
      targets[target] = {
        tps: median(tps),
        latencyMs: median(runs.map((r) => r.latencyMs)),
        tpsMin: Math.min(...tps),
        tpsMax: Math.max(...tps),
        rounds: runs.length,
        ...(cpu.length > 0 ? { proxyCpuUs: median(cpu) } : {}),
        ...(user.length > 0 ? { proxyUserUs: median(user) } : {}),
      };
    }
    const ofMode = samples.filter((s) => s.mode === mode);
    return {
      mode,
      targets,
      gateToDirect: tpsRatio(ofMode, targets, 'gate', 'direct'),
      gateToPgbouncer: tpsRatio(ofMode, targets, 'gate', 'pgbouncer'),
      pgbouncerToDirect: tpsRatio(ofMode, targets, 'pgbouncer', 'direct'),
      enforcingToDirect: tpsRatio(ofMode, targets, 'gate-enforcing', 'direct'),
      enforcingToPgbouncer: tpsRatio(ofMode, targets, 'gate-enforcing', 'pgbouncer'),
      nodeRelayToDirect: tpsRatio(ofMode, targets, 'node-relay', 'direct'),
      gateToNodeRelay: tpsRatio(ofMode, targets, 'gate', 'node-relay'),
    };
  });
}

/**
 * The ratio of two targets' medians with the range of the per-round ratios; undefined when
 * either target was not measured. Generic so that other scenarios report ratios alike.
 */
export function ratio<T extends string, S extends { round: number; target: T }>(
  samples: S[],
  targets: Partial<Record<T, { value: number }>>,
  over: T,
  under: T,
  valueOf: (sample: S) => number,
): Ratio | undefined {
  const top = targets[over];
  const bottom = targets[under];
  if (top === undefined || bottom === undefined) return undefined;

  const perRound: number[] = [];
  for (const a of samples.filter((s) => s.target === over)) {
    const b = samples.find((s) => s.target === under && s.round === a.round);
    if (b !== undefined) perRound.push(valueOf(a) / valueOf(b));
  }
  return {
    value: top.value / bottom.value,
    roundMin: Math.min(...perRound),
    roundMax: Math.max(...perRound),
  };
}

function tpsRatio(
  samples: Sample[],
  targets: Partial<Record<Target, TargetSummary>>,
  over: Target,
  under: Target,
): Ratio | undefined {
  const values: Partial<Record<Target, { value: number }>> = {};
  for (const [target, t] of Object.entries(targets) as [Target, TargetSummary][]) {
    values[target] = { value: t.tps };
  }
  return ratio(samples, values, over, under, (s) => s.tps);
}

/** The summary as a fixed-width table for a terminal. */
export function formatSummary(summaries: ModeSummary[]): string {
  const lines = [
    `${'mode'.padEnd(10)}${'target'.padEnd(16)}${'TPS (median)'.padStart(13)}` +
      `${'min..max'.padStart(20)}${'latency ms'.padStart(12)}` +
      `${'proxy CPU us/tx'.padStart(17)}${'(user)'.padStart(8)}`,
  ];
  for (const summary of summaries) {
    for (const target of TARGETS) {
      const t = summary.targets[target];
      if (t === undefined) continue;
      const spread = `${t.tpsMin.toFixed(0)}..${t.tpsMax.toFixed(0)}`;
      const cpu = t.proxyCpuUs === undefined ? '-' : t.proxyCpuUs.toFixed(1);
      const user = t.proxyUserUs === undefined ? '' : `(${t.proxyUserUs.toFixed(1)})`;
      lines.push(
        `${summary.mode.padEnd(10)}${target.padEnd(16)}${t.tps.toFixed(0).padStart(13)}` +
          `${spread.padStart(20)}${t.latencyMs.toFixed(3).padStart(12)}` +
          `${cpu.padStart(17)}${user.padStart(8)}`.trimEnd(),
      );
    }
    const named: [string, Ratio | undefined][] = [
      ['gate/direct', summary.gateToDirect],
      ['gate/pgbouncer', summary.gateToPgbouncer],
      ['pgbouncer/direct', summary.pgbouncerToDirect],
      ['enforcing/direct', summary.enforcingToDirect],
      ['enforcing/pgbouncer', summary.enforcingToPgbouncer],
      ['node-relay/direct', summary.nodeRelayToDirect],
      ['gate/node-relay', summary.gateToNodeRelay],
    ];
    for (const [name, r] of named) {
      if (r === undefined) continue;
      lines.push(formatRatio(name, r));
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** One ratio line of a table, indented under its rows. */
export function formatRatio(name: string, r: Ratio): string {
  const range = `(rounds ${r.roundMin.toFixed(2)}..${r.roundMax.toFixed(2)})`;
  return `${''.padEnd(10)}${name.padEnd(20)} ${r.value.toFixed(2)}x  ${range}`;
}
