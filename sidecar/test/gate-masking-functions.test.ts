import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { quoteLiteral } from '@portcullis/testkit';
import pg from 'pg';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';

// User functions through a masking gate: what comes back as PostgreSQL returns it, what is
// masked whole, and DDL that replaces a function body, seen by the next statement.
jest.setTimeout(30_000);

let upstream: Upstream;
let gate: RunningGate;
let ddlGate: RunningGate;
let directUrl: string;

const classification = {
  'public.customers.email': 'email',
  'public.customers.card_number': 'credit_card',
};
const masking = {
  rules: [
    { classification: 'email', strategy: 'redact' },
    { classification: 'credit_card', strategy: 'partial' },
  ],
};

beforeAll(async () => {
  upstream = await startUpstream();
  await upstream.server.sql(
    `CREATE FUNCTION public.order_label(o bigint) RETURNS text LANGUAGE sql
       AS $$ SELECT status || ':' || amount FROM orders WHERE id = o $$;
     CREATE FUNCTION public.order_label_pl(o bigint) RETURNS text LANGUAGE plpgsql
       AS $$ BEGIN RETURN (SELECT status FROM orders WHERE id = o); END $$;
     CREATE SCHEMA scratch;
     GRANT USAGE, CREATE ON SCHEMA scratch TO app_writer`,
    'app',
  );
  const password = randomBytes(18).toString('base64url');
  await upstream.server.sql(
    `CREATE ROLE functions_direct LOGIN PASSWORD ${quoteLiteral(password)} IN ROLE app_writer`,
  );
  directUrl = upstream.server.url('app', 'functions_direct', password);
  gate = await startGate(upstream, { classification, masking });
  const allow = ['read', 'ddl', 'transaction', 'session'];
  ddlGate = await startGate(upstream, { classification, masking, guardrails: { allow } });
}, 60_000);

afterAll(async () => {
  await Promise.all([gate?.stop(), ddlGate?.stop()]);
  await upstream?.server.stop();
}, 30_000);

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function rows(url: string, sql: string): Promise<unknown[][]> {
  const client = await connect(url);
  try {
    return (await client.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await client.end();
  }
}

describe('user functions through a masking gate', () => {
  it('returns a SQL function over unclassified columns as PostgreSQL does', async () => {
    const sql = 'SELECT id, order_label(id), upper(order_label(id)) FROM orders ORDER BY id';
    const expected = await rows(directUrl, sql);
    expect(expected[0]?.[1]).toMatch(/^(new|shipped):/);
    expect(await rows(gate.url(), sql)).toEqual(expected);
  });

  it('masks a PL/pgSQL result whole, since its body cannot be seen through', async () => {
    const sql = 'SELECT order_label_pl(1)';
    const [[plain]] = (await rows(directUrl, sql)) as [[string]];
    const [[masked]] = (await rows(gate.url(), sql)) as [[string]];
    expect(masked).not.toBe(plain);
  });

  it('sees a body replaced in one session at the next statement of another', async () => {
    const owner = await connect(ddlGate.url());
    const reader = await connect(ddlGate.url());
    const label = async () =>
      (await reader.query<{ v: string }>('SELECT scratch.label(1) AS v')).rows[0]?.v;
    try {
      await owner.query(
        `CREATE FUNCTION scratch.label(i bigint) RETURNS text LANGUAGE sql
           AS $$ SELECT name FROM customers WHERE id = i $$`,
      );
      expect(await label()).toBe('Ada Lovelace');
      await owner.query(
        `CREATE OR REPLACE FUNCTION scratch.label(i bigint) RETURNS text LANGUAGE sql
           AS $$ SELECT email FROM customers WHERE id = i $$`,
      );
      const value = await label();
      expect(value).not.toBe('ada@example.com');
      expect(value).not.toBe('Ada Lovelace');
    } finally {
      await owner.query('DROP FUNCTION IF EXISTS scratch.label(bigint)');
      await Promise.all([owner.end(), reader.end()]);
    }
  });

  it('masks a call in the same message as the DDL that replaces its body', async () => {
    const client = await connect(ddlGate.url());
    try {
      await client.query(
        `CREATE FUNCTION scratch.tag(i bigint) RETURNS text LANGUAGE sql
           AS $$ SELECT name FROM customers WHERE id = i $$`,
      );
      // One Query message: the catalog, read before it runs, still holds the old body.
      const results = (await client.query(
        `CREATE OR REPLACE FUNCTION scratch.tag(i bigint) RETURNS text LANGUAGE sql
           AS $$ SELECT email FROM customers WHERE id = i $$;
         SELECT scratch.tag(1) AS v`,
      )) as unknown as pg.QueryResult<{ v: string }>[];
      expect(results[1]?.rows[0]?.v).not.toBe('ada@example.com');
    } finally {
      await client.query('DROP FUNCTION IF EXISTS scratch.tag(bigint)');
      await client.end();
    }
  });
});
