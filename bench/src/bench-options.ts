import { parseArgs } from 'node:util';
import type { Target } from './bench-report.js';
import { TARGETS } from './bench-report.js';
import type { QueryMode } from './pgbench-runner.js';
import { QUERY_MODES } from './pgbench-runner.js';

/** How the bench runs; every field has a flag (see USAGE). */
export interface BenchOptions {
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  clients: number;
  threads: number;
  scale: number;
  targets: Target[];
  modes: QueryMode[];
  /** Rounds of the streaming SELECT per target; 0 skips the scenario. */
  streamRounds: number;
  /** Rows of the streaming scenario's table. */
  streamRows: number;
  /** Write a CPU profile of the gate (node --cpu-prof) next to the results. */
  profile: boolean;
  out: string;
}

export const USAGE = `usage: node bench/dist/src/run-bench.js [options]
  --rounds N        rounds of every mode and target; the median is reported (default 5)
  --seconds S       length of one pgbench run (default 3)
  --warmup S        unmeasured run per target before the first round (default 2)
  --clients N       pgbench clients (default 8)      --threads N  pgbench threads (default 2)
  --scale N         pgbench -i scale factor (default 10)
  --targets LIST    comma-separated: direct,pgbouncer,node-relay,gate,gate-enforcing (default all)
  --modes LIST      comma-separated: simple,extended,prepared (default all three)
  --stream-rounds N rounds of the streaming SELECT per target, 0 to skip it (default 3)
  --stream-rows N   rows of the streaming scenario's table (default 1000000)
  --profile         write a CPU profile of the gate to bench/results/profile/
  --out FILE        results JSON (default bench/results/latest.json)`;

/** Thrown for a flag the bench does not understand; the message includes USAGE. */
export class BenchUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n${USAGE}`);
    this.name = 'BenchUsageError';
  }
}

/** Reads the command line; defaults make `make bench` take about three minutes. */
export function parseBenchOptions(argv: string[], defaultOut: string): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        rounds: { type: 'string', default: '5' },
        seconds: { type: 'string', default: '3' },
        warmup: { type: 'string', default: '2' },
        clients: { type: 'string', default: '8' },
        threads: { type: 'string', default: '2' },
        scale: { type: 'string', default: '10' },
        targets: { type: 'string', default: TARGETS.join(',') },
        modes: { type: 'string', default: QUERY_MODES.join(',') },
        'stream-rounds': { type: 'string', default: '3' },
        'stream-rows': { type: 'string', default: '1000000' },
        profile: { type: 'boolean', default: false },
        out: { type: 'string', default: defaultOut },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  return {
    rounds: positive('rounds', values.rounds),
    seconds: positive('seconds', values.seconds),
    warmupSeconds: positive('warmup', values.warmup, 0),
    clients: positive('clients', values.clients),
    threads: positive('threads', values.threads),
    scale: positive('scale', values.scale),
    targets: list('targets', values.targets, TARGETS),
    modes: list('modes', values.modes, QUERY_MODES),
    streamRounds: positive('stream-rounds', values['stream-rounds'], 0),
    streamRows: positive('stream-rows', values['stream-rows']),
    profile: values.profile,
    out: values.out,
  };
}

function positive(flag: string, value: string, minimum = 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) {
    throw new BenchUsageError(`--${flag} must be an integer of at least ${minimum}`);
  }
  return number;
}

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').filter(Boolean);
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) {
    throw new BenchUsageError(`--${flag} takes a comma-separated list of ${allowed.join(', ')}`);
  }
  return items as T[];
}
