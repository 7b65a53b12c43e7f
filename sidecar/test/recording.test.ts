import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { ApprovalQueue } from '../src/approvals/approval-file.js';
import { main as portcullis } from '../src/portcullis-cli.js';
import type { RecordEvent } from '../src/recording/record-event.js';
import { approver, startControlledGate, type ControlledGate } from './support/controlled-gate.js';
import { startUpstream, type Upstream } from './support/gate-fixture.js';

let upstream: Upstream;
let gate: ControlledGate;
let text: string;
let events: RecordEvent[];
let sessions: string[];

// Every sensitive value of the sample customers, as stored.
let secrets: string[];

async function session(work: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = new pg.Client({ connectionString: gate.url() });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await work(c);
  } finally {
    await c.end();
  }
}

async function denyNext(): Promise<void> {
  const queue = new ApprovalQueue(gate.approvalsDir);
  for (;;) {
    const [entry] = await queue.list();
    if (entry) {
      const args = ['approvals', 'deny', entry.request.name, '--approvals-dir', gate.approvalsDir];
      await portcullis(args, { stdout: () => undefined, stderr: () => undefined });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  upstream = await startUpstream();
  const rows = await upstream.server.sql(
    "SELECT name || E'\\n' || email || E'\\n' || card_number FROM customers",
    'app',
  );
  secrets = rows.split('\n').filter((line) => line.trim() !== '');
  gate = await startControlledGate(
    upstream,
    {
      classification: {
        'public.customers.name': 'person_name',
        'public.customers.email': 'email',
        'public.customers.card_number': 'credit_card',
      },
      masking: {
        rules: [
          { classification: 'person_name', strategy: 'redact' },
          { classification: 'email', strategy: 'partial' },
          { classification: 'credit_card', strategy: 'partial' },
        ],
      },
      recording: { enabled: true, includeRows: true },
      approval: {
        rules: [{ classes: ['delete'] }],
        approvers: { users: [approver], groups: [] },
        timeout: '30s',
      },
    },
    { record: true },
  );

  await session(async (c) => {
    await c.query('SELECT id, name, email, card_number FROM customers ORDER BY id');
    await c.query({
      text: 'SELECT id FROM customers WHERE email = $1',
      values: ['ada@example.com'],
    });
    await c.query("SELECT id FROM customers WHERE name = 'Ada Lovelace'");
    await c.query("SELECT 'grace@example.net' AS contact");
    await c.query('SELECT * FROM no_such_table').catch(() => undefined);
    await c.query("ALTER ROLE app_reader PASSWORD 'hunter2-secret'").catch(() => undefined);
    const deleting = c.query('DELETE FROM orders WHERE id = 1').catch(() => undefined);
    await denyNext();
    await deleting;
  });
  await session(async (c) => {
    await c.query('SELECT count(*) FROM orders');
  });
  await gate.stop();

  text = await readFile(gate.recordFile, 'utf8');
  events = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RecordEvent);
  sessions = [...new Set(events.map((e) => e.session))];
}, 60_000);

afterAll(async () => {
  await gate?.cleanup();
  await upstream?.server.stop();
});

describe('the recording', () => {
  it('holds no unmasked value anywhere, and no password', () => {
    expect(secrets).toHaveLength(15);
    for (const value of secrets) expect(text).not.toContain(value);
    expect(text).not.toContain('hunter2-secret');
  });

  it('is one JSON event per line, each with an ISO time and its session id', () => {
    expect(sessions).toHaveLength(2);
    for (const event of events) {
      expect(new Date(event.ts).toISOString()).toBe(event.ts);
      expect(sessions).toContain(event.session);
    }
  });

  it('tells who came, under which policy, what ran and how it ended', () => {
    const first = events.filter((e) => e.session === sessions[0]);
    const types = first.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['session_start', 'identity', 'decision']);
    expect(types.at(-1)).toBe('session_end');
    expect(first.find((e) => e.type === 'identity')).toMatchObject({
      kind: 'serviceAccount',
      name: 'system:serviceaccount:shop:web',
    });
    expect(first.find((e) => e.type === 'decision')).toMatchObject({ policy: 'shop/web-reads' });

    const statements = first.filter((e) => e.type === 'statement');
    expect(statements[0]).toMatchObject({
      protocol: 'simple',
      decision: 'allowed',
      text: 'SELECT id, name, email, card_number FROM customers ORDER BY id',
      tables: ['public.customers'],
    });
    expect(statements.map((e) => e.text)).toContain(
      "SELECT id FROM customers WHERE name = '[redacted]'",
    );
    expect(first.find((e) => e.type === 'result')).toMatchObject({ tag: 'SELECT 5', rows: 5 });
    expect(first.find((e) => e.type === 'parameters')).toMatchObject({ values: ['[redacted]'] });
    const errors = first.filter((e) => e.type === 'error').map((e) => e.sqlstate);
    // The missing table, the refused ALTER ROLE and the denied DELETE, as the client saw them.
    expect(errors).toEqual(['42P01', '42501', '42501']);
    expect(first.filter((e) => e.type === 'approval').map((e) => e.state)).toEqual([
      'requested',
      'denied',
    ]);
  });

  it('keeps result rows as masked as the client received them, and counts masked values', () => {
    const first = events.filter((e) => e.session === sessions[0]);
    const rows = first.filter((e) => e.type === 'rows').flatMap((e) => e.rows as string[][]);
    expect(rows.slice(0, 5).map((row) => row[3])).toEqual([
      '************1111',
      '************5559',
      '************0009',
      '************0004',
      '************1881',
    ]);
    for (const row of rows.slice(0, 5)) expect(row[1]).toMatch(/^\*+$/);
    const masked = first.find((e) => e.type === 'result')?.masked as Record<string, number>;
    expect(Object.values(masked)).toEqual([5, 5, 5]);
    expect(Object.keys(masked).join(' ')).toContain('credit_card');
  });

  it('adds the masked values to portcullis_rows_masked_total by rule', async () => {
    const text = await gate.metrics.registry.getSingleMetricAsString(
      'portcullis_rows_masked_total',
    );
    expect(text).toMatch(/rule="masking\.rules\[2\][^"]*credit_card[^"]*"} 5/);
  });
});

describe('portcullis replay', () => {
  async function replay(...args: string[]): Promise<string> {
    let out = '';
    const code = await portcullis(['replay', gate.recordFile, ...args], {
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
    });
    expect(code).toBe(0);
    return out;
  }

  it('prints a readable timeline of every session', async () => {
    const out = await replay();
    expect(out).toContain('session started on shop-db');
    expect(out).toContain('identity system:serviceaccount:shop:web (serviceAccount)');
    expect(out).toContain('admitted by policy shop/web-reads as app_writer');
    expect(out).toContain('allowed simple: SELECT id, name, email, card_number FROM customers');
    expect(out).toContain('-> SELECT 5, 5 rows');
    expect(out).toMatch(/approval denied \S+ by /);
    expect(out).toContain('session ended');
    for (const value of secrets) expect(out).not.toContain(value);
  });

  it('keeps one session with --session, by a prefix of its id', async () => {
    const second = sessions[1]!;
    const lines = (await replay('--session', second.slice(0, 8))).trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toContain(second.slice(0, 8));
    expect(lines.join('\n')).toContain('SELECT count(*) FROM orders');
  });
});
