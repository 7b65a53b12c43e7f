import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PostgresServer } from '@portcullis/testkit';
import { createMinterRole, startPostgres } from '@portcullis/testkit';
import type { BenchOptions } from './bench-options.js';
import { BenchUsageError, parseBenchOptions, USAGE } from './bench-options.js';
import type { Sample, Target } from './bench-report.js';
import { formatSummary, summarize } from './bench-report.js';
import { formatProfile, summarizeProfileFile } from './cpu-profile-summary.js';
import { startGate } from './gate-process.js';
import { startNodeRelay } from './node-relay.js';
import { startPgBouncer } from './pgbouncer-process.js';
import type { Endpoint, PgbenchRun } from './pgbench-runner.js';
import { runPgbench } from './pgbench-runner.js';
import { processCpu } from './process-cpu.js';
import type { StreamSample, StreamTarget } from './stream-report.js';
import { formatStreamSummary, STREAM_TARGETS, summarizeStream } from './stream-report.js';
import { psqlOutput, runStream, STREAM_TABLE, streamTableSql } from './stream-runner.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GATE_BIN = join(ROOT, 'sidecar/bin/portcullis-sidecar.js');
const DATABASE = 'bench';
const READER_ROLE = 'bench_reader';

type Cleanup = () => Promise<void>;

/** What the rounds run against, and what to say about it in the results. */
interface Setup {
  endpoints: Partial<Record<Target, Endpoint>>;
  versions: Record<string, string>;
  /** The enforcing gate's recording, to say how much it wrote. */
  recordFile?: string;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * `make bench`: a throwaway PostgreSQL with pgbench data, PgBouncer in session mode and two
 * gates in front of it (one relaying, one enforcing guardrails, masking and recording), then
 * pgbench select-only rounds against all of them, interleaved, and a timed streaming SELECT,
 * with medians and ratios printed and written to bench/results/latest.json.
 */
async function main(): Promise<void> {
  if (process.argv.includes('--help')) return say(USAGE);
  const options = parseBenchOptions(process.argv.slice(2), join(ROOT, 'bench/results/latest.json'));
  const profileDir = join(dirname(options.out), 'profile');
  const cleanups: Cleanup[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => say(`clean-up failed: ${String(error)}`));
    }
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));

  const startedAt = new Date().toISOString();
  let samples: Sample[];
  let streamSamples: StreamSample[];
  let setup: Setup;
  let recordingBytes: number | undefined;
  try {
    setup = await setUp(options, cleanups, profileDir);
    samples = await measure(setup.endpoints, options);
    streamSamples = await measureStream(setup.endpoints, options);
    if (setup.recordFile !== undefined) recordingBytes = (await stat(setup.recordFile)).size;
  } finally {
    await stopAll();
  }

  const summary = summarize(samples, options.modes);
  say(
    `\npgbench -S -c ${options.clients} -j ${options.threads}, ${options.seconds}s per run, ` +
      `median of ${options.rounds} rounds, scale ${options.scale}, ${cpus().length} CPUs\n`,
  );
  say(formatSummary(summary));
  say(
    'proxy CPU us/tx: CPU time the proxy (PgBouncer, the Node relay, the gate) used per transaction, user + system ' +
      '(user part in parentheses)',
  );

  const stream = streamSamples.length > 0 ? summarizeStream(streamSamples) : undefined;
  if (stream !== undefined) {
    say(
      `\n${options.streamRows} rows, 5 columns (3 masked by gate-enforcing), psql -At to ` +
        `/dev/null, median of ${options.streamRounds} rounds\n`,
    );
    say(formatStreamSummary(stream));
  }
  if (recordingBytes !== undefined) {
    say(`\ngate-enforcing recorded ${(recordingBytes / 1e6).toFixed(1)} MB of JSON Lines`);
  }

  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
    versions: setup.versions,
    options,
    summary,
    samples,
    stream: stream === undefined ? undefined : { summary: stream, samples: streamSamples },
    recordingBytes,
  };
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  say(`results written to ${options.out}`);
  if (options.profile) await reportProfiles(profileDir);
}

async function setUp(options: BenchOptions, cleanups: Cleanup[], profileDir: string) {
  const gates = options.targets.filter((t) => t === 'gate' || t === 'gate-enforcing');
  if (gates.length > 0 && !existsSync(GATE_BIN)) {
    throw new BenchUsageError(`${GATE_BIN} is missing: run make build first`);
  }
  say('starting a throwaway PostgreSQL');
  const server = await startPostgres({ settings: { max_connections: '100' } });
  cleanups.push(() => server.stop());
  await initializeData(server, options);
  const direct = endpointOf(server.host, server.port, server);
  const setup: Setup = {
    endpoints: { direct },
    versions: { postgres: (await server.sql('SHOW server_version')).trim() },
  };

  if (options.targets.includes('pgbouncer')) {
    const bouncer = await startPgBouncer(server, DATABASE);
    cleanups.push(() => bouncer.stop());
    setup.endpoints.pgbouncer = {
      ...endpointOf(bouncer.host, bouncer.port, server),
      proxyPid: bouncer.pid,
    };
    setup.versions['pgbouncer'] = bouncer.version;
    say(`PgBouncer (session mode) on ${bouncer.host}:${bouncer.port}`);
  }

  if (options.targets.includes('node-relay')) {
    const relay = await startNodeRelay(server);
    cleanups.push(() => relay.stop());
    setup.endpoints['node-relay'] = {
      ...endpointOf(relay.host, relay.port, server),
      proxyPid: relay.pid,
    };
    say(`bare Node.js relay on ${relay.host}:${relay.port}`);
  }

  const minter =
    gates.length > 0
      ? await createMinterRole(server, { grantableRoles: [READER_ROLE] })
      : undefined;
  for (const target of gates) {
    if (minter === undefined) break;
    const enforcing = target === 'gate-enforcing';
    const gate = await startGate({
      bin: GATE_BIN,
      server,
      database: DATABASE,
      minter,
      role: READER_ROLE,
      enforcing,
      // One profile per run: with both gates, the plain one's; else the one there is.
      cpuProfileDir:
        options.profile && (!enforcing || !gates.includes('gate')) ? profileDir : undefined,
    });
    cleanups.push(() => gate.stop());
    // The policy admits the workload identity, so no password is asked; a non-JWT one would
    // mean "no token" anyway.
    const user = 'pgbench';
    const endpoint = {
      ...endpointOf(gate.host, gate.port, server),
      user,
      password: 'x',
      proxyPid: gate.child.pid,
    };
    setup.endpoints[target] = endpoint;
    if (enforcing) {
      setup.recordFile = gate.recordFile;
      await checkEnforcing(endpoint, direct, options);
    }
    say(`${target} on ${gate.host}:${gate.port}, metrics on :${gate.metricsPort}`);
  }
  if (!options.targets.includes('direct')) delete setup.endpoints.direct;
  return setup;
}

function endpointOf(host: string, port: number, server: PostgresServer): Endpoint {
  return { host, port, user: server.superuser, password: server.password, database: DATABASE };
}

async function initializeData(server: PostgresServer, options: BenchOptions): Promise<void> {
  const scale = options.scale;
  say(`pgbench -i -s ${scale}`);
  await server.sql(`CREATE DATABASE ${DATABASE}`);
  const args = ['-i', '-q', '-s', String(scale), '-h', server.host, '-p', String(server.port)];
  await run('pgbench', [...args, '-U', server.superuser, DATABASE], {
    env: { ...process.env, PGPASSWORD: server.password },
  });
  if (options.streamRounds > 0) {
    say(`${STREAM_TABLE}: ${options.streamRows} rows`);
    await server.sql(streamTableSql(options.streamRows), DATABASE);
  }
  await server.sql(
    `CREATE ROLE ${READER_ROLE} NOLOGIN;
     GRANT USAGE ON SCHEMA public TO ${READER_ROLE};
     GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER_ROLE};`,
    DATABASE,
  );
}

/**
 * Refuses to measure an enforcing gate that does not enforce: a pgbench row's abalance and a
 * streaming row's three classified columns must come back other than they are stored, and a
 * DDL statement must be refused.
 */
async function checkEnforcing(gate: Endpoint, direct: Endpoint, options: BenchOptions) {
  const queries = ['SELECT abalance FROM pgbench_accounts WHERE aid = 1'];
  if (options.streamRounds > 0) {
    queries.push(`SELECT email, card_number, phone FROM ${STREAM_TABLE} WHERE id = 1`);
  }
  for (const sql of queries) {
    const stored = (await psqlOutput(direct, sql)).trim().split('|');
    const masked = (await psqlOutput(gate, sql)).trim().split('|');
    if (stored.length !== masked.length || stored.some((value, i) => masked[i] === value)) {
      throw new BenchUsageError(`gate-enforcing did not mask every column of: ${sql}`);
    }
  }
  const ddl = await psqlOutput(gate, 'CREATE TABLE bench_refused (id int)').then(
    () => 'allowed',
    () => 'refused',
  );
  if (ddl !== 'refused') throw new BenchUsageError('gate-enforcing allowed CREATE TABLE');
}

/**
 * The streaming scenario: the whole of the streaming table read through direct, the gate
 * (table not classified there) and the enforcing gate (three columns masked), in rounds that
 * rotate the order of the targets.
 */
async function measureStream(
  endpoints: Partial<Record<Target, Endpoint>>,
  options: BenchOptions,
): Promise<StreamSample[]> {
  const targets = STREAM_TARGETS.filter((t) => endpoints[t] !== undefined);
  if (options.streamRounds === 0 || targets.length === 0) return [];
  say(`streaming ${options.streamRows} rows (${STREAM_TABLE})`);
  // One unmeasured read per target: the table into shared buffers, the gate's caches warm.
  for (const target of targets) await runStream(endpoints[target] as Endpoint);

  const samples: StreamSample[] = [];
  for (let round = 1; round <= options.streamRounds; round += 1) {
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as StreamTarget);
    for (const target of order) {
      const seconds = await runStream(endpoints[target] as Endpoint);
      samples.push({ round, target, rows: options.streamRows, seconds });
      say(
        `stream ${round}/${options.streamRounds}  ${target.padEnd(15)}` +
          `${(options.streamRows / seconds).toFixed(0).padStart(9)} rows/s ` +
          `${seconds.toFixed(2).padStart(7)} s`,
      );
    }
  }
  return samples;
}

/**
 * Runs every mode against every target in each round, rotating the order of the targets from
 * round to round so that no target always runs right after another's load.
 */
async function measure(
  endpoints: Partial<Record<Target, Endpoint>>,
  options: BenchOptions,
): Promise<Sample[]> {
  const targets = options.targets.filter((t) => endpoints[t] !== undefined);
  const spec = { clients: options.clients, threads: options.threads, seconds: options.seconds };

  if (options.warmupSeconds > 0) {
    say(`warming up (${options.warmupSeconds}s per target)`);
    for (const target of targets) {
      const endpoint = endpoints[target] as Endpoint;
      await runPgbench(endpoint, { ...spec, mode: 'simple', seconds: options.warmupSeconds });
    }
  }

  const samples: Sample[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as Target);
    for (const mode of options.modes) {
      for (const target of order) {
        const endpoint = endpoints[target] as Endpoint;
        const run = await measureRun(endpoint, { ...spec, mode });
        const sample: Sample = { round, mode, target, ...run };
        samples.push(sample);
        const cpu = sample.proxyCpuUs;
        say(
          `round ${round}/${options.rounds}  ${mode.padEnd(9)} ${target.padEnd(15)}` +
            `${sample.tps.toFixed(0).padStart(8)} tps ${sample.latencyMs.toFixed(3).padStart(8)} ms` +
            (cpu === undefined ? '' : `  proxy ${cpu.toFixed(1)} us/tx`),
        );
      }
    }
  }
  return samples;
}

/**
 * One pgbench run, with the CPU time the proxy in between spent per transaction.
 * NOTE: the proxy's CPU time includes opening the run's 8 sessions (for the gate: minting and
 * later dropping 8 roles), spread over the tens of thousands of transactions of a run.
 */
async function measureRun(
  endpoint: Endpoint,
  spec: PgbenchRun,
): Promise<Omit<Sample, 'round' | 'mode' | 'target'>> {
  const pid = endpoint.proxyPid;
  if (pid === undefined) return runPgbench(endpoint, spec);

  const before = await processCpu(pid);
  const result = await runPgbench(endpoint, spec);
  const after = await processCpu(pid);
  const user = after.userMs - before.userMs;
  const system = after.systemMs - before.systemMs;
  return {
    ...result,
    proxyCpuUs: ((user + system) * 1000) / result.transactions,
    proxyUserUs: (user * 1000) / result.transactions,
  };
}

async function reportProfiles(profileDir: string): Promise<void> {
  const files = (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const latest = files.at(-1);
  if (latest === undefined) {
    say(`no CPU profile in ${profileDir}: did the gate exit normally on SIGTERM?`);
    return;
  }
  say(`\n${formatProfile(await summarizeProfileFile(join(profileDir, latest)))}`);
  say(`profile: ${join(profileDir, latest)} (open in Chrome DevTools or speedscope)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${describe(error)}\n`);
  if (error instanceof Error && error.cause !== undefined) {
    process.stderr.write(`caused by: ${describe(error.cause)}\n`);
  }
  process.exit(1);
});

function describe(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
