import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteLiteral } from '@portcullis/testkit';
import { FilePolicySource } from '../src/policy/file-source.js';
import {
  BYPASS_CORPUS,
  STARTUP_BYPASS_ATTEMPTS,
  type BypassAttempt,
} from '../src/statements/bypass-corpus.js';
import { readErrorFields, readParameterStatus } from '../src/wire/backend-decoders.js';
import { BackendCode, FrontendCode, StartupCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import { startControlledGate, type ControlledGate } from './support/controlled-gate.js';
import {
  startGate,
  startUpstream,
  testLogger,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';
import {
  DERIVED_REFUSED_LEAKS,
  MASKING_LEAK_SETUP_SQL,
  MASKING_LEAKS,
} from './support/masking-leaks.js';
import { RawClient } from './support/raw-client.js';
import { frontend as m } from './support/wire-session.js';
import {
  corpusManifests,
  encoded,
  exchange,
  fingerprint,
  leaked,
  rawSession,
  secretForms,
} from './support/bypass-probes.js';
import { psql, withSession, type Observation, type SuiteTarget } from './support/suite-session.js';

// The statements module's corpus of attempts to get around the guardrails, replayed through a
// running gate against a real PostgreSQL; then derived-value attempts against masking, and
// startup parameters that would make the server read text differently from the gate.
jest.setTimeout(30_000);

let upstream: Upstream;
let guarded: RunningGate;
let policyDir: string;
let direct: SuiteTarget;
let gated: SuiteTarget;
const maskingGates: ControlledGate[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  await upstream.server.sql(MASKING_LEAK_SETUP_SQL, 'app');
  const password = randomBytes(18).toString('base64url');
  await upstream.server.sql(
    `CREATE ROLE bypass_direct LOGIN PASSWORD ${quoteLiteral(password)} IN ROLE app_writer`,
  );
  direct = { kind: 'direct', url: upstream.server.url('app', 'bypass_direct', password) };

  policyDir = await mkdtemp(join(tmpdir(), 'portcullis-bypass-'));
  await writeFile(join(policyDir, 'policies.yaml'), corpusManifests(upstream));
  const logger = testLogger();
  guarded = await startGate(
    upstream,
    {},
    { policySource: new FilePolicySource({ dir: policyDir, logger, watch: false }) },
  );
  gated = { kind: 'gate', url: guarded.url() };
}, 60_000);

afterAll(async () => {
  await guarded?.stop();
  await Promise.all(maskingGates.map((gate) => gate.cleanup()));
  if (policyDir) await rm(policyDir, { recursive: true, force: true });
  await upstream?.server.stop();
}, 30_000);

/** Runs an attempt's setup and then its sql on one session; optionally in a rolled-back block. */
async function attempt(
  target: SuiteTarget,
  entry: BypassAttempt,
  rolledBack: boolean,
): Promise<{ setup: Observation[]; outcome: Observation; after: Observation }> {
  return withSession(target, async (session) => {
    if (rolledBack) await session.run('BEGIN');
    const setup: Observation[] = [];
    for (const sql of entry.setup ?? []) setup.push(await session.run(sql));
    const outcome = await session.run(entry.sql);
    if (rolledBack) await session.run('ROLLBACK');
    return { setup, outcome, after: await session.run('SELECT 1 AS still_usable') };
  });
}

describe('the bypass corpus through the gate (bypassPolicy guardrails)', () => {
  for (const entry of BYPASS_CORPUS) {
    const { expect: verdict } = entry;
    if (verdict.action === 'refuse') {
      it(`refuses: ${entry.name} (${verdict.rule})`, async () => {
        const before = await fingerprint(upstream.server);
        const { setup, outcome, after } = await attempt(gated, entry, false);

        expect(setup.every((s) => !('error' in s))).toBe(true);
        expect(outcome).toMatchObject({
          error: verdict.asServer
            ? { code: verdict.sqlstate, detail: undefined }
            : {
                code: verdict.sqlstate ?? '42501',
                detail: `policy shop/web-reads, rule ${verdict.rule}`,
                message: expect.stringContaining('shop/web-reads'),
              },
        });
        expect(after).toMatchObject({ rows: [['1']] });
        expect(await fingerprint(upstream.server)).toBe(before);
      });
    } else {
      it(`allows and runs as PostgreSQL would: ${entry.name}`, async () => {
        const expected = await attempt(direct, entry, true);
        expect(expected.outcome).not.toHaveProperty('error');
        expect(await attempt(gated, entry, true)).toEqual(expected);
      });
    }
  }
});

describe('table rules through views the catalog holds', () => {
  // A view over customers, made by the database's owner before the session: deleting through
  // it deletes from customers, which the policy's table rule forbids.
  beforeAll(async () => {
    await upstream.server.sql(
      `CREATE SCHEMA reports;
       CREATE VIEW reports.customer_list AS SELECT * FROM public.customers;
       GRANT USAGE ON SCHEMA reports TO app_writer;
       GRANT SELECT, DELETE ON reports.customer_list TO app_writer`,
      'app',
    );
  });
  afterAll(() => upstream.server.sql('DROP SCHEMA reports CASCADE', 'app'));

  const viaView = (sql: string): BypassAttempt => ({ name: sql, sql, expect: { action: 'allow' } });

  it('refuses a DELETE through the view that the role itself may run', async () => {
    const sql = 'DELETE FROM reports.customer_list WHERE id = -1';
    // Without the gate the role may run it (no row matches; it runs in a rolled-back block).
    const { outcome: directly } = await attempt(direct, viaView(sql), true);
    expect(directly).not.toHaveProperty('error');
    expect(directly).toMatchObject({ command: 'DELETE', rowCount: 0 });

    const before = await fingerprint(upstream.server);
    const { outcome, after } = await attempt(gated, viaView(sql), false);
    expect(outcome).toMatchObject({
      error: {
        code: '42501',
        detail: 'policy shop/web-reads, rule guardrails.tables[public.customers].deny[delete]',
      },
    });
    expect(after).toMatchObject({ rows: [['1']] });
    expect(await fingerprint(upstream.server)).toBe(before);
  });

  it('still allows what the rule does not forbid through the view', async () => {
    const entry = viaView('SELECT count(*) FROM reports.customer_list');
    const expected = await attempt(direct, entry, true);
    expect(expected.outcome).not.toHaveProperty('error');
    expect(await attempt(gated, entry, true)).toEqual(expected);
  });
});

const CLASSIFICATION = {
  'public.customers.email': 'email',
  'public.customers.card_number': 'credit_card',
};

describe('derived values of masked columns never come back unmasked', () => {
  const policies = {
    'derived values masked': {
      leaks: MASKING_LEAKS,
      rules: [
        { classification: 'email', strategy: 'partial' },
        { classification: 'credit_card', strategy: 'partial' },
      ],
    },
    'derived values refused': {
      leaks: [...MASKING_LEAKS, ...DERIVED_REFUSED_LEAKS],
      rules: [
        { classification: 'email', strategy: 'hash' },
        { classification: 'credit_card', strategy: 'redact' },
      ],
      derived: 'refuse',
      binary: 'refuse',
    },
  };

  for (const [label, { leaks, ...masking }] of Object.entries(policies)) {
    describe(label, () => {
      let target: SuiteTarget;
      let forms: string[];

      beforeAll(async () => {
        const gate = await startControlledGate(upstream, {
          classification: CLASSIFICATION,
          masking,
        });
        maskingGates.push(gate);
        target = { kind: 'gate', url: gate.url() };
        forms = await secretForms(upstream.server);
      });

      it('shows the real values to the direct role, so the check can see a leak', async () => {
        const plain = await withSession(direct, (s) => s.run(MASKING_LEAKS[0]!.query));
        expect(leaked(plain, forms).length).toBeGreaterThan(0);
      });

      for (const leak of leaks) {
        it(leak.name, async () => {
          const observed = await withSession(target, async (session) => {
            await session.run('BEGIN');
            const outcome = await session.run(leak.query);
            await session.run('ROLLBACK');
            return { outcome, notices: session.notices };
          });
          expect(leaked(observed, forms)).toEqual([]);
        });
      }

      // Under `derived: mask` the payloads are scrubbed by the value detectors (emails and card
      // numbers are theirs); under `derived: refuse` the call is refused.
      it('a notification payload', async () => {
        const observed = await withSession(target, async (session) => {
          await session.run('LISTEN leak');
          const outcome = await session.run(
            "SELECT pg_notify('leak', email || card_number) FROM customers",
          );
          await session.notified(5, 1_000);
          return { outcome, notifications: session.notifications };
        });
        expect(leaked(observed, forms)).toEqual([]);
      });

      it('COPY TO STDOUT of classified columns, in text and binary', async () => {
        const runs = [
          await psql(target, 'COPY customers TO STDOUT'),
          await psql(
            target,
            'COPY (SELECT lower(email), card_number FROM customers) TO STDOUT (FORMAT csv)',
          ),
          await psql(target, 'COPY customers (email) TO STDOUT (FORMAT binary)'),
        ];
        expect(leaked(runs, forms)).toEqual([]);
      });
    });
  }
});

describe('startup parameters that would make the server read text otherwise', () => {
  for (const entry of STARTUP_BYPASS_ATTEMPTS) {
    it(`refuses or neutralises: ${entry.name}`, async () => {
      const before = await fingerprint(upstream.server);
      const raw = await RawClient.connect(guarded.port);
      try {
        const startup = new MessageWriter().int32(StartupCode.protocol3);
        const parameters = { user: 'app', database: 'app', ...entry.parameters };
        for (const [name, value] of Object.entries(parameters))
          startup.cstring(name).cstring(value);
        raw.send(startup.byte(0).build());

        // Refused: a FATAL before ReadyForQuery, then the connection closes.
        const statuses = new Map<string, string>();
        for (;;) {
          const frame = await raw.next();
          if (frame === undefined) throw new Error('closed without an answer');
          if (frame.code === BackendCode.errorResponse) {
            expect(readErrorFields(frame.body)).toMatchObject({ severity: 'FATAL' });
            expect(await raw.next()).toBeUndefined();
            return;
          }
          if (frame.code === BackendCode.parameterStatus) {
            const { name, value } = readParameterStatus(frame.body);
            statuses.set(name, value);
          }
          if (frame.code === BackendCode.readyForQuery) break;
        }

        // Neutralised: the server was told otherwise, and the smuggled statement never runs.
        for (const [name, value] of Object.entries(entry.parameters)) {
          expect({ name, value: statuses.get(name) }).not.toEqual({ name, value });
        }
        const sql = encoded(entry.sql, entry.parameters.client_encoding);
        raw.send(new MessageWriter().bytes(sql).byte(0).build(FrontendCode.query));
        await raw.until(BackendCode.readyForQuery);
      } finally {
        raw.close();
        expect(await fingerprint(upstream.server)).toBe(before);
      }
    });
  }
});

describe('protocol-level attempts the text corpus cannot express', () => {
  it('refuses a FunctionCall message (fast path) to pg_read_file', async () => {
    const oid = Number(
      (await upstream.server.sql("SELECT 'pg_read_file(text)'::regprocedure::oid", 'app')).trim(),
    );
    const raw = await rawSession(guarded.port);
    try {
      const path = Buffer.from('/etc/passwd');
      const call = new MessageWriter()
        .int32(oid)
        .int16(0)
        .int16(1)
        .int32(path.length)
        .bytes(path)
        .int16(0)
        .build(FrontendCode.functionCall);
      expect(await exchange(raw, call)).toEqual(['42501']);
      expect(await exchange(raw, m.query('SELECT 1'))).toEqual(['1', 'SELECT 1']);
    } finally {
      raw.close();
    }
  });

  it('runs nothing for a Bind to a statement whose Parse was refused', async () => {
    const before = await fingerprint(upstream.server);
    const raw = await rawSession(guarded.port);
    try {
      const parse = new MessageWriter()
        .cstring('del')
        .cstring('DELETE FROM orders')
        .int16(0)
        .build(FrontendCode.parse);
      const bind = new MessageWriter()
        .cstring('')
        .cstring('del')
        .int16(0)
        .int16(0)
        .int16(0)
        .build(FrontendCode.bind);
      const execute = new MessageWriter().cstring('').int32(0).build(FrontendCode.execute);
      expect(await exchange(raw, parse, m.sync())).toEqual(['42501']);
      const [code] = await exchange(raw, bind, execute, m.sync());
      expect(['42501', '26000']).toContain(code);
    } finally {
      raw.close();
    }
    expect(await fingerprint(upstream.server)).toBe(before);
  });

  it('runs nothing of what follows a NUL inside a Query message', async () => {
    const before = await fingerprint(upstream.server);
    const raw = await rawSession(guarded.port);
    try {
      const smuggled = new MessageWriter()
        .cstring('SELECT 1')
        .cstring('DELETE FROM orders')
        .build(FrontendCode.query);
      raw.send(smuggled);
      // The server refuses the malformed message (08P01) and may end the session.
      for (let frame = await raw.next(); frame; frame = await raw.next()) {
        if (frame.code === BackendCode.readyForQuery) break;
      }
    } finally {
      raw.close();
    }
    expect(await fingerprint(upstream.server)).toBe(before);
  });

  it('runs no Query sent in the middle of COPY FROM STDIN', async () => {
    const before = await fingerprint(upstream.server);
    const raw = await rawSession(guarded.port);
    const codes: string[] = [];
    try {
      raw.send(m.query('COPY orders (customer_id, amount) FROM STDIN'));
      await raw.until(BackendCode.copyInResponse);
      raw.send(m.query('DELETE FROM orders'));
      // PostgreSQL answers 08P01 and ends the session (protocol synchronization lost).
      for (let frame = await raw.next(); frame; frame = await raw.next()) {
        if (frame.code === BackendCode.errorResponse) codes.push(readErrorFields(frame.body).code);
      }
    } finally {
      raw.close();
    }
    expect(codes[0]).toBe('08P01');
    expect(await fingerprint(upstream.server)).toBe(before);
  });

  it('drops startup options and replication, which would set what the gate checks', async () => {
    const raw = await rawSession(guarded.port, {
      options: '-c standard_conforming_strings=off -c role=postgres',
      replication: 'database',
    });
    try {
      expect(await exchange(raw, m.query('SHOW standard_conforming_strings'))).toEqual([
        'on',
        'SHOW',
      ]);
      const [user] = await exchange(raw, m.query('SELECT current_user'));
      expect(user).toMatch(/^pc_/);
    } finally {
      raw.close();
    }
  });
});
