import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';

const run = promisify(execFile);

let upstream: Upstream;
let gate: RunningGate;

beforeAll(async () => {
  upstream = await startUpstream();
  gate = await startGate(upstream);
});

afterAll(async () => {
  await gate?.stop();
  await upstream?.server.stop();
});

async function psql(sql: string): Promise<string> {
  const { stdout } = await run('psql', [
    '-X',
    '-A',
    '-t',
    '-v',
    'ON_ERROR_STOP=1',
    gate.url(),
    '-c',
    sql,
  ]);
  return stdout.trim();
}

describe('psql through the gate', () => {
  it('runs as a freshly minted role that is a member of the granted role', async () => {
    const out = await psql(
      "select current_user, pg_has_role(current_user, 'app_writer', 'member'), count(*) from customers",
    );
    expect(out).toMatch(/^pc_[a-z2-7]{20}\|t\|5$/);
  });
});

describe('pg through the gate', () => {
  it('runs simple and extended queries', async () => {
    const client = new pg.Client({ connectionString: gate.url() });
    await client.connect();
    try {
      const simple = await client.query('select email from customers order by id limit 2');
      expect(simple.rows.map((r: { email: string }) => r.email)).toEqual([
        'ada@example.com',
        'alan@example.org',
      ]);
      const extended = await client.query('select $1::int + 1 as n', [41]);
      expect(extended.rows[0]).toEqual({ n: 42 });
    } finally {
      await client.end();
    }
  });
});
