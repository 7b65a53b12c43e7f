import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';
import { RawClient } from './support/raw-client.js';
import { readErrorFields } from '../src/wire/backend-decoders.js';
import { BackendCode, FrontendCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';

jest.setTimeout(30_000);

const run = promisify(execFile);
let upstream: Upstream;
let gate: RunningGate;
let strict: RunningGate;

const classification = {
  'public.customers.email': 'email',
  'public.customers.card_number': 'credit_card',
};

beforeAll(async () => {
  upstream = await startUpstream();
  gate = await startGate(upstream, {
    classification,
    masking: {
      rules: [
        { classification: 'credit_card', strategy: 'partial' },
        { classification: 'email', strategy: 'redact' },
      ],
    },
  });
  strict = await startGate(upstream, {
    classification,
    masking: {
      rules: [{ classification: 'email', strategy: 'redact' }],
      derived: 'refuse',
      binary: 'refuse',
    },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([gate?.stop(), strict?.stop()]);
  await upstream?.server.stop();
}, 30_000);

async function rows(url: string, sql: string, values?: unknown[], binary = false) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // node-postgres reads `binary` (all results in binary format); its types leave it out.
    const config = { text: sql, values: values ?? [], binary };
    const result: pg.QueryResult<Record<string, unknown>> = await client.query(
      config as pg.QueryConfig,
    );
    return result.rows;
  } finally {
    await client.end();
  }
}

describe('masking in the relay (masking module, policy rules)', () => {
  it('masks classified columns of a simple query and leaves the rest', async () => {
    const result = await rows(
      gate.url(),
      'select name, email, card_number from customers where id = 1',
    );
    expect(result[0]?.name).toBe('Ada Lovelace');
    expect(result[0]?.email).not.toBe('ada@example.com');
    expect(result[0]?.card_number).toMatch(/1111$/);
    expect(result[0]?.card_number).not.toBe('4111111111111111');
  });

  it('masks the results of extended queries, by the statement each portal was bound to', async () => {
    const result = await rows(gate.url(), 'select email, id from customers where id = $1', [2]);
    expect(result[0]?.email).not.toBe('alan@example.org');
    expect(result[0]?.id).toBe('2');
  });

  it('masks each result of a multi-statement query by its own statement', async () => {
    const { stdout } = await run('psql', [
      '-X',
      '-A',
      '-t',
      gate.url(),
      '-c',
      'select name from customers where id = 1; select email from customers where id = 1',
    ]);
    const [name, email] = stdout.trim().split('\n');
    expect(name).toBe('Ada Lovelace');
    expect(email).not.toBe('ada@example.com');
  });

  it('masks the rows of COPY ... TO STDOUT', async () => {
    const { stdout } = await run('psql', [
      '-X',
      gate.url(),
      '-c',
      'copy (select name, email from customers order by id limit 2) to stdout',
    ]);
    expect(stdout).toContain('Ada Lovelace');
    expect(stdout).not.toContain('ada@example.com');
  });

  it('refuses a value derived from a masked column when the policy says refuse', async () => {
    await expect(rows(strict.url(), 'select upper(email) from customers')).rejects.toMatchObject({
      code: '42501',
    });
    const plain = await rows(strict.url(), 'select name from customers where id = 1');
    expect(plain[0]?.name).toBe('Ada Lovelace');
  });

  it('masks a text column requested in binary format', async () => {
    const result = await rows(strict.url(), 'select email from customers where id = $1', [1], true);
    expect(result[0]?.email).not.toBe('ada@example.com');
  });

  it('refuses fast-path function calls, whose results it could not mask', async () => {
    const raw = await RawClient.connect(gate.port);
    raw.startup();
    await raw.until(BackendCode.readyForQuery);
    // FunctionCall of pg_catalog.now() (OID 1299): no argument formats, no arguments, text.
    raw.send(
      new MessageWriter().int32(1299).int16(0).int16(0).int16(0).build(FrontendCode.functionCall),
    );
    const frames = await raw.until(BackendCode.readyForQuery);
    raw.close();
    const error = frames.find((f) => f.code === BackendCode.errorResponse);
    expect(readErrorFields(error!.body)).toMatchObject({ code: '42501' });
    expect(frames.some((f) => f.code === BackendCode.functionCallResponse)).toBe(false);
  });
});
