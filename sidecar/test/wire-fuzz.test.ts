import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import pg from 'pg';
import { readErrorFields } from '../src/wire/backend-decoders.js';
import { BackendCode, StartupCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import { startUpstream, type Upstream } from './support/gate-fixture.js';
import { policyDirectory, startGateProcess, type GateProcess } from './support/gate-process.js';
import { RawClient } from './support/raw-client.js';
import {
  chunks,
  fuzzSettings,
  mutatedFrontendMessage,
  Random,
  startupPacket,
  typedStream,
} from './support/wire-noise.js';

// Malformed bytes from many connections at once against the gate as its own process: every
// session may end, the process may not, and it must serve a normal query afterwards.
const { budgetMs, seed } = fuzzSettings(3000);
const CONNECTIONS_AT_ONCE = 12;
// The gate's default message limit (64 MiB): length words above it are protocol violations.
const GATE_LIMIT = 64 << 20;

jest.setTimeout(budgetMs + 60_000);

let upstream: Upstream;
let dir: string;
let gate: GateProcess;

beforeAll(async () => {
  upstream = await startUpstream();
  dir = await policyDirectory(upstream);
  gate = await startGateProcess(dir);
}, 60_000);

afterAll(async () => {
  await gate?.process.stop('SIGTERM');
  await upstream?.server.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

/** What the fuzz clients saw: sessions tried, and the SQLSTATEs of ErrorResponses received. */
interface Tally {
  sessions: number;
  codes: Map<string, number>;
  /** Answers of the gate's own internal error: a failure it did not foresee. */
  internal: string[];
}

// What the gate says in place of an unforeseen failure (errors/gate-error.ts internalError).
// The server's own XX000 ("cache lookup failed for type ..." for a Parse naming no type) is
// relayed like any other answer and does not count.
const GATE_INTERNAL = /internal error in the Portcullis gate/;

/** Reads what the gate answers until it closes or quietMs pass; counts the error codes. */
async function drainAnswers(client: RawClient, tally: Tally, quietMs = 500): Promise<void> {
  for (;;) {
    const frame = await client.next(quietMs).catch(() => undefined);
    if (frame === undefined) return;
    if (frame.code === BackendCode.errorResponse) {
      const { code, message } = readErrorFields(frame.body);
      tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
      if (GATE_INTERNAL.test(message)) tally.internal.push(message);
    }
  }
}

/** One malformed session: garbage in the startup phase, or in the relay after a good login. */
async function malformedSession(random: Random, tally: Tally): Promise<void> {
  tally.sessions++;
  const client = await RawClient.connect(gate.port);
  try {
    const kind = random.int(5);
    if (kind === 0) {
      client.send(random.bytes(1 + random.int(200)));
    } else if (kind === 1) {
      const first = startupPacket(random);
      for (const piece of chunks(random, first)) client.send(piece);
      client.send(typedStream(random, GATE_LIMIT).bytes);
    } else if (kind === 2) {
      client.send(new MessageWriter().int32(StartupCode.sslRequest).build());
      client.send(random.bytes(1 + random.int(64)));
    } else {
      client.startup();
      await client.until(BackendCode.readyForQuery);
      const messages: Buffer[] = [];
      for (let n = 1 + random.int(8); n > 0; n--) messages.push(mutatedFrontendMessage(random));
      if (kind === 4) messages.push(typedStream(random, GATE_LIMIT).bytes);
      for (const piece of chunks(random, Buffer.concat(messages))) client.send(piece);
    }
    if (random.next() < 0.3) client.socket.end();
    await drainAnswers(client, tally);
  } finally {
    client.close();
  }
}

async function mintedRoles(): Promise<number> {
  const out = await upstream.server.sql(
    "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pc\\_%'",
  );
  return Number(out.trim());
}

describe(`malformed wire input against a running gate (seed ${seed}, ${budgetMs} ms)`, () => {
  it('ends the sessions, never the process, and serves a normal query afterwards', async () => {
    const tally: Tally = { sessions: 0, codes: new Map(), internal: [] };
    const deadline = Date.now() + budgetMs;
    const workers = Array.from({ length: CONNECTIONS_AT_ONCE }, async (_, worker) => {
      const random = new Random(seed + worker);
      while (Date.now() < deadline) await malformedSession(random, tally);
    });
    await Promise.all(workers);
    const codes = [...tally.codes].map(([code, n]) => `${code}×${n}`).join(' ');
    process.stdout.write(`wire fuzz against the gate: ${tally.sessions} sessions; ${codes}\n`);

    expect(tally.sessions).toBeGreaterThan(CONNECTIONS_AT_ONCE * 2);
    expect(tally.codes.get('08P01') ?? 0).toBeGreaterThan(0);
    expect(tally.internal).toEqual([]);
    expect(gate.process.hasExited).toBe(false);
    expect(gate.process.output()).not.toMatch(/uncaught|unhandled|"level":"fatal"/i);

    // The cancel path too: a CancelRequest with a key nobody holds is ignored.
    const cancel = connect({ host: '127.0.0.1', port: gate.port });
    await new Promise((resolve) => cancel.once('connect', resolve));
    cancel.end(new MessageWriter().int32(StartupCode.cancelRequest).int32(7).int32(7).build());

    const client = new pg.Client({
      connectionString: `postgresql://app:x@127.0.0.1:${gate.port}/app`,
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
      expect(rows[0]?.n).toBe(20);
    } finally {
      await client.end();
    }

    // Every session that got as far as a minted role gave it back.
    const waitUntil = Date.now() + 15_000;
    while ((await mintedRoles()) > 0 && Date.now() < waitUntil) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await mintedRoles()).toBe(0);
  });
});
