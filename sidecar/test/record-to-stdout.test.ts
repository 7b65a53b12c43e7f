import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startUpstream, type Upstream } from './support/gate-fixture.js';
import { policyDirectory } from './support/gate-process.js';

// The gate as the operator injects it records to stdout (`--record -`); its log then goes to
// stderr. A pod's log holds both streams line by line, and `portcullis replay -` reads it.
const SIDECAR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GATE = join(SIDECAR, 'bin', 'portcullis-sidecar.js');
const CLI = join(SIDECAR, 'bin', 'portcullis.js');

let upstream: Upstream;
let policies: string;

beforeAll(async () => {
  upstream = await startUpstream();
  policies = await policyDirectory(upstream);
}, 60_000);

afterAll(async () => {
  await upstream?.server.stop();
  await rm(policies, { recursive: true, force: true });
});

test('--record - keeps stdout to recording lines and the log on stderr; replay reads both', async () => {
  const child = spawn(process.execPath, [
    GATE,
    ...['--policies', policies, '--listen', '127.0.0.1:0', '--record', '-'],
    ...['--identity', 'system:serviceaccount:shop:web'],
  ]);
  // What kubelet would keep: each stream split into lines, in the order they arrive.
  const podLog: string[] = [];
  const streams = { stdout: [] as string[], stderr: [] as string[] };
  for (const name of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[name] }).on('line', (line) => {
      streams[name].push(line);
      podLog.push(line);
    });
  }
  const exited = once(child, 'exit');
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(podLog.join('\n'))), 20_000);
      child.stderr.on('data', () => {
        const log = streams.stderr.join('\n');
        const address = /"address":"127\.0\.0\.1:(\d+)"/.exec(log);
        if (!address || !log.includes('"msg":"gate ready"')) return;
        clearTimeout(timer);
        resolvePort(Number(address[1]));
      });
    });
    const client = new pg.Client({
      connectionString: `postgresql://app:workload@127.0.0.1:${port}/app`,
    });
    await client.connect();
    await client.query('SELECT id FROM orders WHERE id = 1');
    await client.end();
  } finally {
    child.kill('SIGTERM');
    await exited;
  }

  const recorded = streams.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(recorded.length).toBeGreaterThan(2);
  expect(recorded.every((event) => event.recording === true)).toBe(true);
  expect(recorded.map((event) => event.type)).toEqual(
    expect.arrayContaining(['session_start', 'statement', 'session_end']),
  );
  const logged = streams.stderr.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.every((line) => typeof line.level === 'string' && !('recording' in line))).toBe(
    true,
  );

  const replay = spawnSync(process.execPath, [CLI, 'replay', '-'], {
    input: `${podLog.join('\n')}\n`,
    encoding: 'utf8',
  });
  expect(replay.status).toBe(0);
  const timeline = replay.stdout.trim().split('\n');
  expect(timeline).toHaveLength(recorded.length + 1);
  expect(timeline.join('\n')).toContain('allowed simple: SELECT id FROM orders WHERE id = 1');
  expect(timeline.join('\n')).toContain('session ended');
  expect(timeline.at(-1)).toBe(
    `(${logged.length} JSON lines that are not recording events, such as logs, skipped)`,
  );
}, 60_000);
