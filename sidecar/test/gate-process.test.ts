import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { BackendCode, FrontendCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import { readCommandComplete, readDataRow } from '../src/wire/backend-decoders.js';
import { freePort } from '@portcullis/testkit';
import { startUpstream, type Upstream } from './support/gate-fixture.js';
import {
  memoryOf,
  policyDirectory,
  startGateProcess,
  type GateProcess,
} from './support/gate-process.js';
import { RawClient } from './support/raw-client.js';

jest.setTimeout(60_000);

let upstream: Upstream;
let dir: string;
const gates: GateProcess[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  dir = await policyDirectory(upstream);
}, 60_000);

afterAll(async () => {
  await Promise.all(gates.map((gate) => gate.process.stop('SIGTERM')));
  await upstream?.server.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

async function mintedRoles(): Promise<string[]> {
  const out = await upstream.server.sql("select rolname from pg_roles where rolname like 'pc\\_%'");
  return out.split('\n').filter((line) => line !== '');
}

const MB = 1 << 20;

/** What one client saw of a big result, and how much the gate grew meanwhile. */
interface StreamedResult {
  rows: number;
  bytes: number;
  tag: string;
  growth: number;
  /** The first row's cells as text. */
  first: string[];
}

/**
 * Runs sql through a fresh gate process over policies with a raw client that stalls for 2 s
 * after 20 MiB, and measures the gate's peak RSS growth from after a warm-up session.
 */
async function streamSlowly(policies: string, sql: string): Promise<StreamedResult> {
  const gate = await startGateProcess(policies);
  gates.push(gate);

  // Warm up: one session, so that pools, parsers and JIT are in place before measuring.
  const warm = new pg.Client({
    connectionString: `postgresql://app:x@127.0.0.1:${gate.port}/app`,
  });
  await warm.connect();
  await warm.query('select 1');
  await warm.end();
  const before = await memoryOf(gate.pid);

  const client = await RawClient.connect(gate.port);
  client.startup();
  await client.until(BackendCode.readyForQuery);
  client.send(new MessageWriter().cstring(sql).build(FrontendCode.query));

  const result = { rows: 0, bytes: 0, tag: '', growth: 0, first: [] as string[] };
  let stalled = false;
  for (;;) {
    const frame = await client.next(30_000);
    if (!frame) throw new Error('gate closed the session');
    result.bytes += frame.bytes.length;
    if (frame.code === BackendCode.dataRow) {
      if (result.rows === 0) result.first = readDataRow(frame.body).map((c) => String(c));
      result.rows++;
    }
    if (frame.code === BackendCode.commandComplete) result.tag = readCommandComplete(frame.body);
    if (frame.code === BackendCode.readyForQuery) break;
    if (!stalled && result.bytes > 20 * MB) {
      // A slow reader: without backpressure the gate would now buffer the rest in memory.
      stalled = true;
      client.socket.pause();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      client.socket.resume();
    }
  }
  client.close();
  const after = await memoryOf(gate.pid);
  result.growth = after.peak - before.rss;
  process.stdout.write(
    `${result.rows} rows (${(result.bytes / MB).toFixed(0)} MiB) through the gate: ` +
      `RSS before ${(before.rss / MB).toFixed(1)} MiB, peak after ` +
      `${(after.peak / MB).toFixed(1)} MiB, growth ${(result.growth / MB).toFixed(1)} MiB\n`,
  );
  await gate.process.stop('SIGTERM');
  return result;
}

// The result is ~490 MiB and the client stalls early for 2 s: a gate without backpressure
// would hold most of it. A bounded relay holds a few socket buffers; the rest of the growth
// is garbage-collector slack on the read buffers (V8 collects external memory in steps of
// tens of MiB), which does not grow with the result. The peak counts: it is what a
// container's memory limit sees.
const GROWTH_BOUND = 128 * MB;

describe('a one-million-row result', () => {
  it('streams through the gate with bounded memory while the client reads slowly', async () => {
    const result = await streamSlowly(
      dir,
      "select n, repeat('x', 500) as filler from generate_series(1, 1000000) as n",
    );

    expect(result.rows).toBe(1_000_000);
    expect(result.tag).toBe('SELECT 1000000');
    expect(result.bytes).toBeGreaterThan(480 * MB);
    expect(result.growth).toBeLessThan(GROWTH_BOUND);
  });

  it('streams masked, under a row threshold and a row rate limit, with bounded memory', async () => {
    // Every row is decoded, masked and rebuilt, and counted by the session controls.
    const policies = await policyDirectory(upstream, {
      classification: { 'public.customers.email': 'email' },
      masking: { rules: [{ classification: 'email', strategy: 'redact' }] },
      approval: { rules: [{ rowsOver: 2_000_000 }], approvers: { users: ['alice'] } },
      limits: { rowsPerMinute: 100_000_000 },
    });
    try {
      const result = await streamSlowly(
        policies,
        "select c.email, n, repeat('x', 460) as filler " +
          'from public.customers as c, generate_series(1, 200000) as n',
      );

      expect(result.rows).toBe(1_000_000);
      expect(result.tag).toBe('SELECT 1000000');
      expect(result.first[0]).not.toMatch(/@/);
      // Redacted emails are shorter than the originals.
      expect(result.bytes).toBeGreaterThan(450 * MB);
      expect(result.growth).toBeLessThan(GROWTH_BOUND);
    } finally {
      await rm(policies, { recursive: true, force: true });
    }
  });
});

describe('the reaper', () => {
  it('drops the roles of a gate killed with SIGKILL when the next gate starts', async () => {
    const first = await startGateProcess(dir);
    const clients = await Promise.all(
      [1, 2, 3].map(async () => {
        const client = new pg.Client({
          connectionString: `postgresql://app:x@127.0.0.1:${first.port}/app`,
        });
        client.on('error', () => undefined);
        await client.connect();
        await client.query('select 1');
        return client;
      }),
    );
    expect(await mintedRoles()).toHaveLength(3);

    first.process.child.kill('SIGKILL');
    await first.process.exited;
    // Nobody dropped them: the sessions' roles outlive the killed gate.
    expect(await mintedRoles()).toHaveLength(3);
    await Promise.allSettled(clients.map((client) => client.end()));

    const second = await startGateProcess(dir);
    gates.push(second);
    expect(await mintedRoles()).toEqual([]);
  });
});

describe('process shutdown', () => {
  it('ends sessions with FATAL 57P01 on SIGTERM, drops their roles and exits 0', async () => {
    const metricsPort = await freePort();
    const gate = await startGateProcess(dir, ['--metrics-port', String(metricsPort)]);
    const client = new pg.Client({
      connectionString: `postgresql://app:x@127.0.0.1:${gate.port}/app`,
    });
    await client.connect();
    await client.query('select 1');
    // pg reports the server's FATAL first, then the closed connection.
    const ended = new Promise<Error & { code?: string }>((resolve) => client.on('error', resolve));

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/portcullis_sessions_active\{data_source="shop-db"\} 1/);
    expect(metrics).toMatch(/portcullis_statements_total\{[^}]*decision="allowed"[^}]*\} [1-9]/);

    gate.process.child.kill('SIGTERM');
    const error = await ended;
    expect(error.code).toBe('57P01');
    expect(error.message).toMatch(/shutting down/);
    expect(await gate.process.exited).toEqual({ code: 0, signal: null });
    expect(await mintedRoles()).toEqual([]);
  });
});
