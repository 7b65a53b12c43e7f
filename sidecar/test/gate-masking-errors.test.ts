import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { readParameterStatus } from '../src/wire/backend-decoders.js';
import { BackendCode, FrontendCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import { startControlledGate, type ControlledGate } from './support/controlled-gate.js';
import { startUpstream, type Upstream } from './support/gate-fixture.js';
import { leakForms } from './support/masking-leaks.js';
import { RawClient } from './support/raw-client.js';
import { withSession, type SuiteTarget } from './support/suite-session.js';

// Errors, notices and notifications of a masking session: PostgreSQL quotes the value that
// failed a cast or a unique key, and a payload is any expression. None of the classified
// values may reach the client (in any byte it receives) or the recording.
jest.setTimeout(30_000);

let upstream: Upstream;
let gate: ControlledGate;
let target: SuiteTarget;
let forms: string[];

const CLASSIFICATION = {
  'public.customers.name': 'person_name',
  'public.customers.email': 'email',
  'public.customers.card_number': 'credit_card',
};

beforeAll(async () => {
  upstream = await startUpstream();
  gate = await startControlledGate(
    upstream,
    {
      classification: CLASSIFICATION,
      masking: {
        rules: [
          { classification: 'person_name', strategy: 'redact' },
          { classification: 'email', strategy: 'partial' },
          { classification: 'credit_card', strategy: 'partial' },
        ],
        derived: 'mask',
      },
      recording: { enabled: true, includeRows: false },
    },
    { record: true },
  );
  target = { kind: 'gate', url: gate.url() };
  const rows = await upstream.server.sql('SELECT name, email, card_number FROM customers', 'app');
  forms = rows
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => line.split('|'))
    .flatMap(leakForms);
}, 60_000);

afterAll(async () => {
  await gate?.cleanup();
  await upstream?.server.stop();
}, 30_000);

function leaked(observed: unknown): string[] {
  const text = typeof observed === 'string' ? observed : JSON.stringify(observed);
  return forms.filter((form) => text.includes(form));
}

/** Server errors that quote a classified value, with the SQLSTATE PostgreSQL answers. */
const QUOTING_ERRORS: { name: string; sql: string; code: string }[] = [
  {
    name: 'a cast error quoting the email',
    sql: 'SELECT email::int FROM customers',
    code: '22P02',
  },
  {
    name: 'an out-of-range card number',
    sql: 'SELECT card_number::int FROM customers',
    code: '22003',
  },
  { name: 'a cast error quoting a name', sql: 'SELECT name::int FROM customers', code: '22P02' },
  {
    name: 'a JSON token and its line (detail, where)',
    sql: `SELECT ('"' || name)::json FROM customers`,
    code: '22P02',
  },
  {
    name: 'a setting named by a value',
    sql: 'SELECT current_setting(name) FROM customers',
    code: '42704',
  },
  {
    name: 'a time zone named by a value',
    sql: 'SELECT now() AT TIME ZONE name FROM customers',
    code: '22023',
  },
  {
    name: 'a schema named by a value',
    sql: 'SELECT email::regclass FROM customers',
    code: '3F000',
  },
  {
    name: 'an XML document echoed',
    sql: 'SELECT xmlparse(document name) FROM customers',
    code: '2200M',
  },
  {
    name: 'a unique violation quoting the key',
    sql:
      'INSERT INTO customers (name, email, card_number) ' +
      'SELECT name, email, card_number FROM customers',
    code: '23505',
  },
];

describe('server errors of a masking session', () => {
  it('shows the real values to the direct role, so the check can see a leak', async () => {
    const direct = await upstream.server.sql('SELECT name::int FROM customers', 'app').then(
      () => '',
      (error: unknown) => String(error),
    );
    expect(leaked(direct).length).toBeGreaterThan(0);
  });

  for (const { name, sql, code } of QUOTING_ERRORS) {
    it(`${name}: answered ${code}, the value redacted`, async () => {
      const observed = await withSession(target, async (session) => {
        await session.run('BEGIN');
        const outcome = await session.run(sql);
        await session.run('ROLLBACK');
        return { outcome, notices: session.notices };
      });
      expect(observed.outcome).toMatchObject({ error: { code } });
      expect(leaked(observed)).toEqual([]);
    });
  }

  it('a unique violation keeps the names of table, column and constraint', async () => {
    const outcome = await withSession(target, (session) =>
      session.run(
        "INSERT INTO customers (name, email, card_number) SELECT 'x', email, '1' FROM customers",
      ),
    );
    expect(outcome).toMatchObject({
      error: {
        code: '23505',
        table: 'customers',
        detail: expect.stringMatching(/^Key \(email\)=\(\*+\) already exists\.$/),
      },
    });
  });

  it('an error of a prepared statement (extended query)', async () => {
    const outcome = await withSession(target, (session) =>
      session.run({ text: 'SELECT email::int FROM customers WHERE id = $1', values: [1] }),
    );
    expect(outcome).toMatchObject({ error: { code: '22P02' } });
    expect(leaked(outcome)).toEqual([]);
  });

  it('no byte the client receives holds a value, in any field (raw protocol)', async () => {
    const client = await RawClient.connect(gate.port);
    try {
      client.startup();
      await client.until(BackendCode.readyForQuery);
      const received: Buffer[] = [];
      for (const { sql } of QUOTING_ERRORS) {
        client.send(new MessageWriter().cstring(`BEGIN; ${sql}`).build(FrontendCode.query));
        for (const frame of await client.until(BackendCode.readyForQuery)) {
          received.push(Buffer.from(frame.bytes));
        }
        client.send(new MessageWriter().cstring('ROLLBACK').build(FrontendCode.query));
        await client.until(BackendCode.readyForQuery);
      }
      const errors = received.filter((bytes) => bytes[0] === BackendCode.errorResponse);
      expect(errors).toHaveLength(QUOTING_ERRORS.length);
      expect(leaked(Buffer.concat(received).toString('utf8'))).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('a check failure quoting the whole row', async () => {
    await upstream.server.sql(
      "ALTER TABLE customers ADD CONSTRAINT leak CHECK (email NOT LIKE '%@%') NOT VALID",
      'app',
    );
    try {
      const outcome = await withSession(target, (session) =>
        session.run("UPDATE customers SET name = name || '' WHERE id = 1"),
      );
      expect(outcome).toMatchObject({
        error: { code: '23514', detail: expect.stringContaining('Failing row contains') },
      });
      expect(leaked(outcome)).toEqual([]);
    } finally {
      await upstream.server.sql('ALTER TABLE customers DROP CONSTRAINT leak', 'app');
    }
  });

  it('application_name set from a value is reported redacted (ParameterStatus)', async () => {
    const client = await RawClient.connect(gate.port);
    try {
      client.startup();
      await client.until(BackendCode.readyForQuery);
      const sql = "SELECT set_config('application_name', name, false) FROM customers WHERE id = 1";
      client.send(new MessageWriter().cstring(sql).build(FrontendCode.query));
      const frames = await client.until(BackendCode.readyForQuery);
      const reported = frames
        .filter((frame) => frame.code === BackendCode.parameterStatus)
        .map((frame) => readParameterStatus(frame.body));
      expect(reported).toEqual([{ name: 'application_name', value: '********' }]);
      const bytes = Buffer.concat(frames.map((frame) => Buffer.from(frame.bytes)));
      expect(leaked(bytes.toString('utf8'))).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('the internal query of a failed EXECUTE (field q) and its context', async () => {
    await upstream.server.sql(
      `CREATE FUNCTION dyn(t text) RETURNS int LANGUAGE plpgsql AS
         $$ DECLARE r int; BEGIN EXECUTE format('SELECT %L::int', t) INTO r; RETURN r; END $$`,
      'app',
    );
    const client = await RawClient.connect(gate.port);
    try {
      client.startup();
      await client.until(BackendCode.readyForQuery);
      const sql = 'SELECT dyn(name) FROM customers';
      client.send(new MessageWriter().cstring(sql).build(FrontendCode.query));
      const frames = await client.until(BackendCode.readyForQuery);
      const error = frames.find((frame) => frame.code === BackendCode.errorResponse);
      const text = error?.body.toString('utf8') ?? '';
      // q carries the internal query, W the PL/pgSQL context quoting it.
      expect(text).toContain("qSELECT '********'::int");
      expect(leaked(text)).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('a notice a function raises with the values it is given', async () => {
    await upstream.server.sql(
      `CREATE FUNCTION shout(t text) RETURNS text LANGUAGE plpgsql AS
         $$ BEGIN RAISE NOTICE 'contact: %', t; RETURN 'ok'; END $$`,
      'app',
    );
    const observed = await withSession(target, async (session) => {
      const outcome = await session.run('SELECT shout(email), shout(card_number) FROM customers');
      return { outcome, notices: session.notices };
    });
    expect(observed.notices.length).toBeGreaterThan(0);
    expect(leaked(observed)).toEqual([]);
  });

  it('a notification payload the detectors know', async () => {
    const observed = await withSession(target, async (session) => {
      await session.run('LISTEN leak');
      await session.run("SELECT pg_notify('leak', email) FROM customers");
      await session.run("SELECT pg_notify('leak', card_number) FROM customers");
      const count = Number(await upstream.server.sql('SELECT count(*) FROM customers', 'app'));
      await session.notified(2 * count);
      expect(session.notifications).toHaveLength(2 * count);
      return session.notifications;
    });
    expect(leaked(observed)).toEqual([]);
  });

  it('the recording holds no value of any error', async () => {
    await gate.stop();
    const text = await readFile(gate.recordFile, 'utf8');
    expect(text).toContain('"type":"error"');
    expect(leaked(text)).toEqual([]);
  });
});
