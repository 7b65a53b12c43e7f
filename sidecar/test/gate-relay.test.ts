import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

jest.setTimeout(30_000);
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import type { SessionHooks } from '../src/session/session-hooks.js';
import { readErrorFields } from '../src/wire/backend-decoders.js';
import { BackendCode, FrontendCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import { RawClient } from './support/raw-client.js';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';

const run = promisify(execFile);

let upstream: Upstream;
let gate: RunningGate;
let guarded: RunningGate;

// A stand-in for the statement and masking modules: refuses SQL that mentions "forbidden"
// and replaces every email column value.
const testHooks: SessionHooks = {
  statementGate: () => ({
    checkQuery: (sql) => verdictFor(sql),
    checkParse: (_name, sql) => verdictFor(sql),
  }),
  rowMaskers: () => (columns) => {
    const emails = columns.map((c) => c.name === 'email');
    return {
      active: emails.some(Boolean),
      maskRow: (cells) =>
        cells.map((cell, i) => (emails[i] && cell !== null ? Buffer.from('***@masked') : cell)),
    };
  },
};

function verdictFor(sql: string) {
  return sql.includes('forbidden')
    ? {
        verdict: { action: 'refuse' as const, rule: 'test.rule', message: 'forbidden words' },
        statements: [],
      }
    : { verdict: { action: 'allow' as const }, statements: [] };
}

beforeAll(async () => {
  upstream = await startUpstream();
  gate = await startGate(upstream);
  guarded = await startGate(upstream, {}, { hooks: testHooks });
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await guarded?.stop();
  await upstream?.server.stop();
}, 30_000);

async function psql(url: string, sql: string, input?: string): Promise<string> {
  const args = ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', url, '-c', sql];
  if (input === undefined) return (await run('psql', args)).stdout.trim();

  const child = spawn('psql', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`psql exited with ${code}: ${err}`);
  return out.trim();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('psql through the gate', () => {
  it('runs as a freshly minted role that is a member of the granted role', async () => {
    const out = await psql(
      gate.url(),
      "select current_user, pg_has_role(current_user, 'app_writer', 'member'), count(*) from customers",
    );
    expect(out).toMatch(/^pc_[a-z2-7]{20}\|t\|5$/);
  });

  it('copies rows in and out', async () => {
    const copied = await psql(
      gate.url(),
      'COPY orders (customer_id, amount, status) FROM STDIN',
      '1\t10.50\tcopied\n2\t20.25\tcopied\n3\t30.00\tcopied\n',
    );
    expect(copied).toBe('COPY 3');

    const out = await psql(
      gate.url(),
      "COPY (select customer_id, amount from orders where status = 'copied' order by amount) TO STDOUT",
    );
    expect(out.split('\n')).toEqual(['1\t10.50', '2\t20.25', '3\t30.00']);
  });
});

describe('pg through the gate', () => {
  it('runs simple, extended and named prepared statements', async () => {
    await withClient(gate.url(), async (client) => {
      const simple = await client.query('select email from customers order by id limit 2');
      expect(simple.rows.map((r: { email: string }) => r.email)).toEqual([
        'ada@example.com',
        'alan@example.org',
      ]);
      const extended = await client.query('select $1::int + 1 as n', [41]);
      expect(extended.rows[0]).toEqual({ n: 42 });

      const byId = { name: 'customer-by-id', text: 'select name from customers where id = $1' };
      const first = await client.query({ ...byId, values: [1] });
      const third = await client.query({ ...byId, values: [3] });
      expect([first.rows[0], third.rows[0]]).toEqual([
        { name: 'Ada Lovelace' },
        { name: 'Grace Hopper' },
      ]);
    });
  });

  it('shows the gate its own key, not the server backend key', async () => {
    await withClient(gate.url(), async (client) => {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const key = client as unknown as { processID: number };
      expect(key.processID).not.toBe(rows[0]?.pid);
    });
  });

  it('cancels a running query through the gate', async () => {
    await withClient(gate.url(), async (client) => {
      const key = client as unknown as { processID: number; secretKey: number };
      const started = Date.now();
      const sleeping = client.query('select pg_sleep(30)');
      await new Promise((resolve) => setTimeout(resolve, 300));

      const socket = connect({ host: '127.0.0.1', port: gate.port });
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end(serialize.cancel(key.processID, key.secretKey));

      await expect(sleeping).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(10_000);
      const after = await client.query('select 1 as one');
      expect(after.rows[0]).toEqual({ one: 1 });
    });
  });
});

describe('cancel requests with a wrong key', () => {
  it('are ignored: the query runs on', async () => {
    await withClient(gate.url(), async (client) => {
      const key = client as unknown as { processID: number; secretKey: number };
      const running = client.query('select pg_sleep(0.5) as slept');
      const socket = connect({ host: '127.0.0.1', port: gate.port });
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end(serialize.cancel(key.processID, key.secretKey ^ 1));
      await expect(running).resolves.toMatchObject({ rowCount: 1 });
    });
  });
});

describe('notifications', () => {
  it('relays NOTIFY from one session to a LISTENing one', async () => {
    await withClient(gate.url(), async (listener) => {
      await listener.query('listen orders_changed');
      const heard = new Promise<pg.Notification>((resolve) =>
        listener.once('notification', resolve),
      );
      await withClient(gate.url(), (notifier) =>
        notifier.query("select pg_notify('orders_changed', 'order 7 shipped')"),
      );
      expect(await heard).toMatchObject({ channel: 'orders_changed', payload: 'order 7 shipped' });
    });
  });

  it('relays a NoticeResponse raised by the server', async () => {
    await withClient(gate.url(), async (client) => {
      const notice = new Promise<{ message?: string }>((resolve) => client.once('notice', resolve));
      // COMMIT outside a transaction block answers with a WARNING notice.
      await client.query('commit');
      expect((await notice).message).toBe('there is no transaction in progress');
    });
  });
});

describe('statement refusals', () => {
  it('answers a refused simple query with 42501 naming policy and rule, and goes on', async () => {
    await withClient(guarded.url(), async (client) => {
      await expect(client.query("select 'forbidden'")).rejects.toMatchObject({
        code: '42501',
        detail: 'policy shop/web-reads, rule test.rule',
      });
      expect((await client.query('select 2 as two')).rows[0]).toEqual({ two: 2 });
    });
  });

  it('aborts the transaction block a refused statement was in, as PostgreSQL would', async () => {
    await withClient(guarded.url(), async (client) => {
      await client.query('begin');
      await client.query('insert into orders (customer_id, amount) values (1, 99.99)');
      await expect(client.query("select 'forbidden'")).rejects.toMatchObject({ code: '42501' });
      await expect(client.query('select 1')).rejects.toMatchObject({ code: '25P02' });
      await client.query('rollback');
      const { rows } = await client.query(
        'select count(*)::int as n from orders where amount = 99.99',
      );
      expect(rows[0]).toEqual({ n: 0 });
    });
  });

  it('refuses a Parse in extended query and recovers at Sync', async () => {
    await withClient(guarded.url(), async (client) => {
      await expect(client.query("select $1::text || 'forbidden'", ['x'])).rejects.toMatchObject({
        code: '42501',
      });
      expect((await client.query('select $1::int as n', [7])).rows[0]).toEqual({ n: 7 });
    });
  });
});

describe('row masking hook', () => {
  it('masks rows of simple and extended results by their own columns', async () => {
    await withClient(guarded.url(), async (client) => {
      const simple = await client.query('select id, email from customers order by id limit 1');
      expect(simple.rows[0]).toEqual({ id: '1', email: '***@masked' });
      const extended = await client.query('select email, name from customers where id = $1', [2]);
      expect(extended.rows[0]).toEqual({ email: '***@masked', name: 'Alan Turing' });
    });
  });

  it('masks in psql, which runs simple queries', async () => {
    const out = await psql(guarded.url(), 'select name, email from customers order by id limit 2');
    expect(out.split('\n')).toEqual(['Ada Lovelace|***@masked', 'Alan Turing|***@masked']);
  });
});

describe('the policy guardrails (statements module) in the relay', () => {
  it('refuses DDL, which the default guardrails do not allow, and the table stays', async () => {
    await withClient(gate.url(), async (client) => {
      await expect(client.query('drop table orders')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('shop/web-reads'),
      });
    });
    expect(await upstream.server.sql('select count(*) > 0 from orders', 'app')).toMatch(/t/);
  });

  it('answers a pipelined group in order and refuses only the group that broke a rule', async () => {
    const raw = await RawClient.connect(gate.port);
    raw.startup();
    await raw.until(BackendCode.readyForQuery);

    const group = (sql: string): Buffer[] => [
      new MessageWriter().cstring('').cstring(sql).int16(0).build(FrontendCode.parse),
      new MessageWriter()
        .cstring('')
        .cstring('')
        .int16(0)
        .int16(0)
        .int16(0)
        .build(FrontendCode.bind),
      new MessageWriter().cstring('').int32(0).build(FrontendCode.execute),
      new MessageWriter().build(FrontendCode.sync),
    ];
    raw.send(
      Buffer.concat([
        ...group('select 1'),
        ...group('delete from orders'), // no WHERE: refused by guardrails.requireWhere
        ...group('select 3'),
      ]),
    );

    const codes: string[] = [];
    let error: ReturnType<typeof readErrorFields> | undefined;
    for (let ready = 0; ready < 3;) {
      const frame = (await raw.next())!;
      codes.push(String.fromCharCode(frame.code!));
      if (frame.code === BackendCode.errorResponse) error = readErrorFields(frame.body);
      if (frame.code === BackendCode.readyForQuery) ready++;
    }
    raw.close();

    expect(codes.join('')).toBe('12DCZEZ12DCZ');
    expect(error?.code).toBe('42501');
    expect(await upstream.server.sql('select count(*) > 0 from orders', 'app')).toMatch(/t/);
  });
});
