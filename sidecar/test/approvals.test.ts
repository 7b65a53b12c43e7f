import pg from 'pg';
import { ApprovalQueue } from '../src/approvals/approval-file.js';
import { phaseOf } from '../src/approvals/decide-request.js';
import { main as portcullis } from '../src/portcullis-cli.js';
import { readCommandComplete, readErrorFields } from '../src/wire/backend-decoders.js';
import { BackendCode, FrontendCode, StartupCode } from '../src/wire/message-codes.js';
import { MessageWriter } from '../src/wire/message-writer.js';
import { RawClient } from './support/raw-client.js';
import { startControlledGate, approver, type ControlledGate } from './support/controlled-gate.js';
import { startUpstream, type Upstream } from './support/gate-fixture.js';

let upstream: Upstream;
const gates: ControlledGate[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
}, 60_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
});

afterAll(async () => {
  await Promise.all(gates.map((gate) => gate.cleanup()));
  await upstream?.server.stop();
});

async function gate(policy: Parameters<typeof startControlledGate>[1]): Promise<ControlledGate> {
  const started = await startControlledGate(upstream, policy);
  gates.push(started);
  return started;
}

async function client(on: ControlledGate): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: on.url() });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

/** Runs the CLI in this process as the OS user; returns its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await portcullis(args, {
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
  });
  return { code, out, err };
}

const seen = new Set<string>();

/** The name of the next pending request in the gate's queue that no test has taken yet. */
async function pending(on: ControlledGate, timeoutMs = 10_000): Promise<string> {
  const queue = new ApprovalQueue(on.approvalsDir);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const entry = (await queue.list()).find(
      (e) => phaseOf(e) === 'Pending' && !seen.has(e.request.name),
    );
    if (entry) {
      seen.add(entry.request.name);
      return entry.request.name;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no pending approval request');
}

async function count(sql: string): Promise<number> {
  const rows = await upstream.server.sql(sql, 'app');
  return Number(rows.trim());
}

const deleteRule = {
  rules: [{ classes: ['delete'] }],
  approvers: { users: [approver], groups: [] },
  timeout: '30s',
};

describe('statements held for approval', () => {
  let g: ControlledGate;
  beforeAll(async () => {
    g = await gate({ approval: deleteRule });
  });

  it('holds a DELETE until an approver approves it with the CLI, then runs it', async () => {
    const c = await client(g);
    const before = await count('SELECT count(*) FROM orders');
    const deleting = c.query('DELETE FROM orders WHERE id = 20');
    const name = await pending(g);

    // Held: nothing reached the server yet.
    expect(await count('SELECT count(*) FROM orders')).toBe(before);
    const listed = await cli('approvals', 'list', '--approvals-dir', g.approvalsDir);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(name);
    expect(listed.out).toContain('DELETE FROM orders WHERE id = 20');
    expect(listed.out).toContain('system:serviceaccount:shop:web');

    const approved = await cli('approvals', 'approve', name, '--approvals-dir', g.approvalsDir);
    expect(approved).toMatchObject({ code: 0, out: `${name} approved by ${approver}\n` });
    expect((await deleting).rowCount).toBe(1);
    expect(await count('SELECT count(*) FROM orders')).toBe(before - 1);
    expect(await g.metrics.registry.getSingleMetricAsString('portcullis_approvals_total')).toMatch(
      /outcome="approved"} [1-9]/,
    );
  });

  it('answers a denial with 42501 naming the request; the session stays usable', async () => {
    const c = await client(g);
    const deleting = c.query('DELETE FROM orders WHERE id = 19').catch((e: unknown) => e);
    const name = await pending(g);
    const denied = await cli(
      'approvals',
      'deny',
      name,
      '--comment',
      'not today',
      '--approvals-dir',
      g.approvalsDir,
    );
    expect(denied.code).toBe(0);

    const error = (await deleting) as pg.DatabaseError;
    expect(error.code).toBe('42501');
    expect(error.message).toContain(`approval request ${name} was denied by ${approver}`);
    expect(error.message).toContain('policy shop/web-reads');
    expect(await count('SELECT count(*) FROM orders WHERE id = 19')).toBe(1);
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('aborts the transaction a denied statement was in, as PostgreSQL would', async () => {
    const c = await client(g);
    await c.query('BEGIN');
    const deleting = c.query('DELETE FROM orders WHERE id = 18').catch((e: unknown) => e);
    const name = await pending(g);
    await cli('approvals', 'deny', name, '--approvals-dir', g.approvalsDir);
    expect(((await deleting) as pg.DatabaseError).code).toBe('42501');
    await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('ROLLBACK');
    expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('holds a prepared DELETE at its Bind and runs it with its parameters once approved', async () => {
    const c = await client(g);
    const deleting = c.query({ text: 'DELETE FROM orders WHERE id = $1', values: [17] });
    const name = await pending(g);
    expect(await count('SELECT count(*) FROM orders WHERE id = 17')).toBe(1);
    await cli('approvals', 'approve', name, '--approvals-dir', g.approvalsDir);
    expect((await deleting).rowCount).toBe(1);
    expect(await count('SELECT count(*) FROM orders WHERE id = 17')).toBe(0);
  });

  it('refuses a decision by the requester and by someone not listed', async () => {
    const c = await client(g);
    const deleting = c.query('DELETE FROM orders WHERE id = 16').catch((e: unknown) => e);
    const name = await pending(g);
    let err = '';
    const self = await portcullis(
      ['approvals', 'approve', name, '--approvals-dir', g.approvalsDir],
      {
        stdout: () => undefined,
        stderr: (text) => (err += text),
        decider: () => ({ user: 'web', groups: [] }),
      },
    );
    expect(self).toBe(1);
    expect(err).toContain('cannot decide their own request');
    const stranger = await portcullis(
      ['approvals', 'approve', name, '--approvals-dir', g.approvalsDir],
      {
        stdout: () => undefined,
        stderr: (text) => (err += text),
        decider: () => ({ user: 'mallory', groups: [] }),
      },
    );
    expect(stranger).toBe(1);
    expect(err).toContain('not an approver');

    await cli('approvals', 'deny', name, '--approvals-dir', g.approvalsDir);
    expect(((await deleting) as pg.DatabaseError).code).toBe('42501');
  });
});

describe('a held statement the client cancels', () => {
  it('answers 57014 and withdraws the request', async () => {
    const g = await gate({ approval: deleteRule });
    const c = await client(g);
    const deleting = c.query('DELETE FROM orders WHERE id = 14').catch((e: unknown) => e);
    const name = await pending(g);

    // A CancelRequest with the key the gate gave this client.
    const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
    const cancel = await RawClient.connect(g.port);
    cancel.send(
      new MessageWriter()
        .int32(StartupCode.cancelRequest)
        .int32(processID)
        .int32(secretKey)
        .build(),
    );
    const error = (await deleting) as pg.DatabaseError;
    cancel.close();
    expect(error.code).toBe('57014');
    expect(error.detail).toContain(`approval request ${name} withdrawn`);
    expect(await count('SELECT count(*) FROM orders WHERE id = 14')).toBe(1);
    const list = await cli('approvals', 'list', '--all', '--approvals-dir', g.approvalsDir);
    expect(list.out).toContain(`${name}  Withdrawn`);
    expect((await c.query('SELECT 4 AS four')).rows).toEqual([{ four: 4 }]);
  });
});

describe('an approval nobody decides', () => {
  it('times out after the policy timeout with 42501; the session stays usable', async () => {
    const g = await gate({ approval: { ...deleteRule, timeout: '1s' } });
    const c = await client(g);
    const started = Date.now();
    const error = (await c
      .query('DELETE FROM orders WHERE id = 15')
      .catch((e: unknown) => e)) as pg.DatabaseError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/approval request \S+ timed out without a decision/);
    expect((await c.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    const list = await cli('approvals', 'list', '--all', '--approvals-dir', g.approvalsDir);
    expect(list.out).toContain('Expired');
  });
});

describe('results over the row threshold', () => {
  let g: ControlledGate;
  beforeAll(async () => {
    g = await gate({
      approval: {
        rules: [{ rowsOver: 5 }],
        approvers: { users: [approver], groups: [] },
        timeout: '30s',
      },
    });
  });

  async function raw(): Promise<RawClient> {
    const r = await RawClient.connect(g.port);
    r.startup();
    await r.until(BackendCode.readyForQuery);
    return r;
  }

  it('delivers the first N rows, holds the rest until approval, then resumes', async () => {
    const total = await count('SELECT count(*) FROM orders');
    const r = await raw();
    r.send(
      new MessageWriter().cstring('SELECT id FROM orders ORDER BY id').build(FrontendCode.query),
    );
    const first = await r.until(BackendCode.dataRow);
    const rows = [first.at(-1)];
    while (rows.length < 5) rows.push(await r.next());
    expect(rows.every((f) => f?.code === BackendCode.dataRow)).toBe(true);
    const name = await pending(g);
    await expect(r.next(300)).rejects.toThrow('no message in time');
    const listed = await cli('approvals', 'list', '--approvals-dir', g.approvalsDir);
    expect(listed.out).toContain('more than 5 rows of: SELECT id FROM orders ORDER BY id');

    await cli('approvals', 'approve', name, '--approvals-dir', g.approvalsDir);
    const rest = await r.until(BackendCode.readyForQuery);
    expect(rest.filter((f) => f.code === BackendCode.dataRow)).toHaveLength(total - 5);
    const complete = rest.find((f) => f.code === BackendCode.commandComplete);
    expect(complete && readCommandComplete(complete.body)).toBe(`SELECT ${total}`);
    r.close();
  }, 30_000);

  it('on denial cancels the query upstream and answers 42501 instead of the rest', async () => {
    const r = await raw();
    // In the select list the function streams its rows (a FROM clause would materialise them).
    const sql = 'SELECT generate_series(1, 1000000000) AS g';
    r.send(new MessageWriter().cstring(sql).build(FrontendCode.query));
    const name = await pending(g);
    await cli('approvals', 'deny', name, '--approvals-dir', g.approvalsDir);

    // Without the cancel the server would send a billion rows before ReadyForQuery.
    const frames = await r.until(BackendCode.readyForQuery);
    expect(frames.filter((f) => f.code === BackendCode.dataRow)).toHaveLength(5);
    expect(frames.some((f) => f.code === BackendCode.commandComplete)).toBe(false);
    const errors = frames.filter((f) => f.code === BackendCode.errorResponse);
    expect(errors).toHaveLength(1);
    const fields = readErrorFields(errors[0]!.body);
    expect(fields.code).toBe('42501');
    expect(fields.message).toContain(`approval request ${name} was denied`);
    const active = await count(
      "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%1000000000%' AND pid <> pg_backend_pid()",
    );
    expect(active).toBe(0);

    r.send(new MessageWriter().cstring('SELECT 1').build(FrontendCode.query));
    const after = await r.until(BackendCode.readyForQuery);
    expect(after.filter((f) => f.code === BackendCode.dataRow)).toHaveLength(1);
    r.close();
  }, 30_000);

  it('resolves a pg query over the threshold once approved', async () => {
    const c = await client(g);
    const selecting = c.query('SELECT id FROM orders');
    const name = await pending(g);
    await cli('approvals', 'approve', name, '--approvals-dir', g.approvalsDir);
    expect((await selecting).rowCount).toBeGreaterThan(5);
  });

  it('holds the result of a prepared statement at its Execute, and cuts it on denial', async () => {
    const c = await client(g);
    const query = { text: 'SELECT id FROM orders WHERE id > $1', values: [0] };
    const approved = c.query(query);
    await cli('approvals', 'approve', await pending(g), '--approvals-dir', g.approvalsDir);
    expect((await approved).rowCount).toBeGreaterThan(5);

    const denied = c.query(query).catch((e: unknown) => e);
    await cli('approvals', 'deny', await pending(g), '--approvals-dir', g.approvalsDir);
    expect(((await denied) as pg.DatabaseError).code).toBe('42501');
    expect((await c.query({ text: 'SELECT $1::int AS n', values: [7] })).rows).toEqual([{ n: 7 }]);
  });
});

describe('rows per minute', () => {
  it('is one budget across the sessions of an identity; over it, 53400 and the session goes on', async () => {
    const g = await gate({ limits: { rowsPerMinute: 25 } });
    const a = await client(g);
    const b = await client(g);
    const total = await count('SELECT count(*) FROM orders');
    expect(total).toBeGreaterThan(12);
    expect(total).toBeLessThanOrEqual(25);

    expect((await a.query('SELECT id FROM orders')).rowCount).toBe(total);
    const error = (await b
      .query('SELECT id FROM orders')
      .catch((e: unknown) => e)) as pg.DatabaseError;
    expect(error.code).toBe('53400');
    expect(error.message).toContain('25 rows per minute');
    expect(error.message).toContain('limits.rowsPerMinute');

    expect((await b.query('SELECT 1 WHERE false')).rowCount).toBe(0);
    await expect(a.query('SELECT id FROM orders LIMIT 1')).rejects.toMatchObject({ code: '53400' });
    expect((await a.query('SELECT 1 WHERE false')).rowCount).toBe(0);
  });

  it('is split between the pods sharing the policy, and follows them as they come and go', async () => {
    const total = await count('SELECT count(*) FROM orders');
    // Four pods share 4 x (total - 2) rows: this one lets total - 2 through, not the table.
    const limit = 4 * (total - 2);
    const started = await startControlledGate(
      upstream,
      { limits: { rowsPerMinute: limit } },
      { rowShare: 4 },
    );
    gates.push(started);
    const c = await client(started);
    const error = (await c
      .query('SELECT id FROM orders')
      .catch((e: unknown) => e)) as pg.DatabaseError;
    expect(error.code).toBe('53400');
    expect(error.message).toContain(`${limit} rows per minute`);
    expect(error.message).toContain(`${total - 2} of them through this pod (4 pods share it)`);

    // Three of the pods went away: the same session may now read the whole limit in the minute.
    started.shareRows(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await c.query('SELECT id FROM orders')).rowCount).toBe(total);
  });

  it('counts the rows of COPY TO STDOUT, and cuts the copy over the budget', async () => {
    const g = await gate({ limits: { rowsPerMinute: 3 } });
    const r = await RawClient.connect(g.port);
    r.startup();
    await r.until(BackendCode.readyForQuery);
    r.send(
      new MessageWriter()
        .cstring('COPY (SELECT id FROM orders) TO STDOUT')
        .build(FrontendCode.query),
    );
    const frames = await r.until(BackendCode.readyForQuery);
    expect(frames.filter((f) => f.code === BackendCode.copyData)).toHaveLength(3);
    expect(frames.some((f) => f.code === BackendCode.commandComplete)).toBe(false);
    const error = frames.find((f) => f.code === BackendCode.errorResponse);
    expect(error && readErrorFields(error.body).code).toBe('53400');
    r.close();
  });

  it('aborts the transaction of a cut result, as an error there would', async () => {
    const g = await gate({ limits: { rowsPerMinute: 3 } });
    const c = await client(g);
    await c.query('BEGIN');
    await expect(c.query('SELECT id FROM orders')).rejects.toMatchObject({ code: '53400' });
    await expect(c.query('SELECT 1 WHERE false')).rejects.toMatchObject({ code: '25P02' });
    await c.query('ROLLBACK');
    expect((await c.query('SELECT 1 WHERE false')).rowCount).toBe(0);
  });
});
