import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { accessPolicySchema, dataSourceSchema } from '@portcullis/crds';
import { PostgresServer } from '@portcullis/testkit';
import { parseSync } from 'libpg-query';
import pg from 'pg';
import { pino } from 'pino';
import {
  CatalogError,
  ColumnCatalog,
  StatementParseError,
  maskingSettings,
  SessionMasking,
  type CatalogQuery,
  type MaskingPlan,
  type PreparedMasking,
  type ResultColumn,
} from '../src/masking/index.js';
import { FUNCTIONS_BY_NAME, FUNCTIONS_BY_NAME_BEFORE_14 } from '../src/masking/function-rows.js';
import { parsedStatements } from '../src/masking/lineage/statement-lineage.js';

jest.setTimeout(60_000);

let server: PostgresServer;
let client: pg.Client;
const query: CatalogQuery = async (sql, params) =>
  (await client.query<Record<string, unknown>>(sql, params)).rows;
const rawText = { getTypeParser: () => (value: string) => value };

const dataSource = dataSourceSchema.parse({
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'DataSource',
  metadata: { name: 'shop' },
  spec: {
    host: '127.0.0.1',
    database: 'postgres',
    minter: { secretRef: { name: 'minter' }, grantableRoles: ['reader'] },
    classification: {
      'public.customers.email': 'email',
      'public.customers.card': 'credit_card',
      'public.customers.pin': 'secret',
    },
  },
});

function policy(derived: 'mask' | 'refuse' = 'mask') {
  return accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: 'shop-readers' },
    spec: {
      dataSourceRef: { name: 'shop' },
      workloadSelector: {},
      subjects: [{ serviceAccount: { name: 'app' } }],
      grant: { role: 'reader' },
      masking: {
        derived,
        rules: [
          { classification: 'email', strategy: 'partial' },
          { classification: 'credit_card', strategy: 'partial' },
          { classification: 'secret', strategy: 'hash' },
        ],
      },
    },
  });
}

beforeAll(async () => {
  server = await PostgresServer.start();
  client = new pg.Client({ connectionString: server.url() });
  await client.connect();
  await client.query(`
    create table customers (id int primary key, email text, card varchar(19), pin int);
    create table orders (id int primary key, customer_id int, note text);
    create schema archive;
    create table archive.orders (id int, archived_at date);
    create domain email_address as text;
    create table contacts (id int, address email_address);
    insert into customers values
      (1, 'alice@example.com', '4111111111111111', 1234),
      (2, 'bob@example.org', '5555555555554444', null);
    insert into orders values (10, 1, 'first'), (11, 2, 'second');
    create view customer_cards as select id, email, lower(card) as card_lower from customers;
    create view card_tails as select card_lower as tail from customer_cards;
    create function email_of(i int) returns text language sql
      as $$ select email from customers where id = i $$;
    create function email_atomic(i int) returns text language sql
      begin atomic select email from customers where id = i; end;
    create function email_return(i int) returns text language sql
      return (select email from customers where id = i);
    create function customer_rows() returns setof customers language sql
      as $$ select * from customers $$;
    create function email_pl(i int) returns text language plpgsql
      as $$ begin return (select email from customers where id = i); end $$;
    create function email_via(i int) returns text language sql as $$ select email_of(i) $$;
    create function note_of(i int) returns text language sql
      as $$ select note from orders where id = i $$;
    create function twice(i int) returns int language sql as $$ select i * 2 $$;
    create function archive.twice(i int) returns int language plpgsql
      as $$ begin return i * 2; end $$;
    create function stash_email(i int) returns int language sql
      as $$ insert into orders (id, note) select 1000 + i, email from customers where id = i returning id $$;
    create extension citext;
    create extension dblink;
  `);
});

afterAll(async () => {
  await client?.end();
  await server?.stop();
});

/** Runs a query directly and returns its RowDescription as the gate sees it, and its rows. */
async function run(sql: string): Promise<{ columns: ResultColumn[]; rows: (Buffer | null)[][] }> {
  const result = await client.query({ text: sql, rowMode: 'array', types: rawText });
  const columns = result.fields.map((f) => ({
    name: f.name,
    tableOid: f.tableID,
    attnum: f.columnID,
    typeOid: f.dataTypeID,
    format: 0 as const,
  }));
  const rows = (result.rows as (string | null)[][]).map((row) =>
    row.map((v) => (v === null ? null : Buffer.from(v))),
  );
  return { columns, rows };
}

function textColumn(name: string): ResultColumn {
  return { name, tableOid: 0, attnum: 0, typeOid: 25, format: 0 };
}

function texts(rows: (Buffer | null)[][]): (string | null)[][] {
  return rows.map((row) => row.map((c) => (c === null ? null : c.toString('utf8'))));
}

async function oidOf(table: string): Promise<number> {
  const { rows } = await client.query<{ oid: string }>('select $1::regclass::oid as oid', [table]);
  return Number(rows[0]!.oid);
}

describe('ColumnCatalog against PostgreSQL', () => {
  it('resolves RowDescription origins to schema.table.column', async () => {
    const catalog = new ColumnCatalog();
    const { columns } = await run('select c.id, c.email, o.note, 1 from customers c, orders o');
    await catalog.loadOids(
      query,
      columns.map((c) => c.tableOid),
    );
    const origins = columns.map((c) => catalog.origin(c.tableOid, c.attnum));
    expect(origins).toEqual([
      { schema: 'public', table: 'customers', column: 'id', typeOid: 23, view: false },
      { schema: 'public', table: 'customers', column: 'email', typeOid: 25, view: false },
      { schema: 'public', table: 'orders', column: 'note', typeOid: 25, view: false },
      undefined,
    ]);
  });

  it('lists columns by name in every schema for unqualified names', async () => {
    const catalog = new ColumnCatalog();
    await catalog.loadNames(query, [{ schema: undefined, name: 'orders' }]);
    const shapes = catalog.lookup(undefined, 'orders') ?? [];
    expect(
      shapes.map((s) => `${s.schema}.${s.name}:${s.columns.map((c) => c.name).join(',')}`).sort(),
    ).toEqual(['archive.orders:id,archived_at', 'public.orders:id,customer_id,note']);
    expect(catalog.lookup('archive', 'orders')).toHaveLength(1);
    expect(catalog.lookup(undefined, 'customers')).toBeUndefined();
  });

  it('keeps its cache until invalidate(), then reads the altered table', async () => {
    await client.query('create table renamed (id int, secret text, extra text)');
    const catalog = new ColumnCatalog();
    const oid = await oidOf('renamed');
    await catalog.loadOids(query, [oid]);
    await client.query('alter table renamed rename column secret to hidden');
    await client.query('alter table renamed drop column extra');
    expect(catalog.origin(oid, 2)?.column).toBe('secret');

    catalog.invalidate();
    await catalog.loadOids(query, [oid]);
    expect(catalog.origin(oid, 2)?.column).toBe('hidden');
    expect(catalog.origin(oid, 3)).toBeUndefined();
  });

  it('reads user functions by name, with the bodies of SQL ones and what those read', async () => {
    const catalog = new ColumnCatalog();
    const call = (name: string, schema?: string) => ({ schema, name, attribute: false });
    const names = ['email_of', 'email_atomic', 'email_return', 'customer_rows', 'email_pl'];
    await catalog.loadNames(
      query,
      [],
      [...names.map((n) => call(n)), call('lower'), call('nosuch')],
    );

    const [sql] = catalog.functions(undefined, 'email_of') ?? [];
    expect(sql).toMatchObject({ schema: 'public', language: 'sql', parameters: ['i'] });
    expect(Object.keys(sql?.body as object)).toEqual(['SelectStmt']);
    // BEGIN ATOMIC and RETURN bodies are read through pg_get_function_sqlbody().
    expect(Object.keys(catalog.functions(undefined, 'email_atomic')?.[0]?.body as object)).toEqual([
      'SelectStmt',
    ]);
    expect(Object.keys(catalog.functions(undefined, 'email_return')?.[0]?.body as object)).toEqual([
      'ReturnStmt',
    ]);
    expect(catalog.functions(undefined, 'customer_rows')?.[0]?.resultColumns).toEqual([
      'id',
      'email',
      'card',
      'pin',
    ]);
    expect(catalog.functions(undefined, 'email_pl')).toMatchObject([
      { language: 'plpgsql', body: null },
    ]);
    // Built-ins answer no user overloads; names nobody defined are unknown.
    expect(catalog.functions(undefined, 'lower')).toEqual([]);
    expect(catalog.functions('pg_catalog', 'nosuch')).toEqual([]);
    expect(catalog.functions(undefined, 'nosuch')).toBeUndefined();
    // What the bodies read is loaded with them.
    expect(catalog.lookup(undefined, 'customers')).toHaveLength(1);
    expect(catalog.hasNames([{ schema: undefined, name: 'customers' }], [call('email_of')])).toBe(
      true,
    );
  });

  it("reads an extension's functions as built in, but those on the dangerous list as opaque", async () => {
    const catalog = new ColumnCatalog();
    const call = (name: string) => ({ schema: undefined, name, attribute: false });
    // citext adds max(citext) and others to public; dblink reads other databases.
    await catalog.loadNames(query, [], [call('max'), call('citext'), call('dblink')]);
    expect(catalog.functions(undefined, 'max')).toEqual([]);
    expect(catalog.functions(undefined, 'citext')).toEqual([]);
    const dblink = catalog.functions(undefined, 'dblink') ?? [];
    expect(dblink.length).toBeGreaterThan(0);
    expect(dblink.every((f) => f.language === 'c' && f.body === null)).toBe(true);
  });

  it('reads SQL function bodies from prosrc on a server without prosqlbody (before 14)', async () => {
    const asked: string[] = [];
    // PostgreSQL 13 and older answer the newer query with an undefined column.
    const before14: CatalogQuery = async (sql, params) => {
      asked.push(
        sql === FUNCTIONS_BY_NAME ? 'new' : sql === FUNCTIONS_BY_NAME_BEFORE_14 ? 'old' : 'other',
      );
      if (sql === FUNCTIONS_BY_NAME) {
        throw Object.assign(new Error('column p.prosqlbody does not exist'), { code: '42703' });
      }
      return query(sql, params);
    };
    const catalog = new ColumnCatalog();
    const call = (name: string) => ({ schema: undefined, name, attribute: false });
    await catalog.loadNames(before14, [], [call('email_of')]);
    expect(Object.keys(catalog.functions(undefined, 'email_of')?.[0]?.body as object)).toEqual([
      'SelectStmt',
    ]);
    await catalog.loadNames(before14, [], [call('email_pl')]);
    expect(asked.filter((a) => a !== 'other')).toEqual(['new', 'old', 'old']);

    // Any other failure is not taken for an old server: the read fails (closed).
    const broken: CatalogQuery = () =>
      Promise.reject(Object.assign(new Error('permission denied'), { code: '42501' }));
    await expect(new ColumnCatalog().loadNames(broken, [], [call('email_of')])).rejects.toThrow(
      CatalogError,
    );
  });

  it("answers every schema's overloads for an unqualified name, one for a qualified", async () => {
    const catalog = new ColumnCatalog();
    await catalog.loadNames(query, [], [{ schema: undefined, name: 'twice', attribute: false }]);
    expect(
      catalog
        .functions(undefined, 'twice')
        ?.map((f) => f.schema)
        .sort(),
    ).toEqual(['archive', 'public']);
    expect(catalog.functions('archive', 'twice')).toMatchObject([{ language: 'plpgsql' }]);
  });

  it('reads a replaced function body again after invalidate()', async () => {
    await client.query("create function replaced() returns text language sql as $$ select 'x' $$");
    const catalog = new ColumnCatalog();
    const name = [{ schema: undefined, name: 'replaced', attribute: false }];
    await catalog.loadNames(query, [], name);
    await client.query(
      'create or replace function replaced() returns text language sql as $$ select note from orders $$',
    );
    const bodyText = () => JSON.stringify(catalog.functions(undefined, 'replaced')?.[0]?.body);
    expect(bodyText()).not.toContain('orders');
    catalog.invalidate();
    expect(catalog.hasNames([], name)).toBe(false);
    await catalog.loadNames(query, [], name);
    expect(bodyText()).toContain('orders');
  });

  it('knows domains over text as string types', async () => {
    const catalog = new ColumnCatalog();
    const { columns } = await run('select address, id from contacts');
    await catalog.loadTypes(
      query,
      columns.map((c) => c.typeOid),
    );
    expect(catalog.textTypes().has(columns[0]!.typeOid)).toBe(true);
    expect(catalog.textTypes().has(columns[1]!.typeOid)).toBe(false);
  });
});

describe('SessionMasking against PostgreSQL', () => {
  const logger = pino({ level: 'silent' });
  const hashKey = Buffer.from('integration-test-hash-key-000000');
  const session = (derived: 'mask' | 'refuse' = 'mask') =>
    new SessionMasking({
      settings: maskingSettings(policy(derived), dataSource, hashKey),
      catalog: new ColumnCatalog(),
      query,
      logger,
    });

  beforeAll(async () => {
    await SessionMasking.init();
  });

  async function maskedRows(masking: SessionMasking, sql: string): Promise<(string | null)[][]> {
    const prepared = await masking.prepareQuery(sql);
    expect(prepared.refusal).toBeUndefined();
    const { columns, rows } = await run(sql);
    await masking.loadResult(columns);
    const plan: MaskingPlan = masking.planResult(columns, prepared.statements[0]);
    if (plan.action !== 'mask') throw new Error(plan.refusal.message);
    return texts(rows.map((row) => plan.masker.maskRow(row)));
  }

  it('masks plain columns by origin and computed ones whole', async () => {
    const rows = await maskedRows(
      session(),
      "select id, email, card, lower(email), email || '', substr(card, 1, 12) from customers order by id",
    );
    expect(rows[0]).toEqual([
      '1',
      '***@example.com',
      '************1111',
      '********',
      '********',
      '********',
    ]);
  });

  it.each([
    ['select row_to_json(c) from customers c', '"********"'],
    ['select json_agg(c) from customers c', '"********"'],
    ["select string_agg(email, ',') from customers", '********'],
    ['select array_agg(email) from customers', null],
    ["select coalesce(email, '') from customers c where id = 1", '********'],
    ['select email::varchar from customers where id = 1', '********'],
    ["select format('%s', card) from customers where id = 1", '********'],
    ['select (select email from customers where id = 1)', '********'],
    ['with x as (select card from customers) select upper(card) from x limit 1', '********'],
  ])('masks the derived value of %s', async (sql, expected) => {
    const rows = await maskedRows(session(), sql);
    expect(rows[0]).toEqual([expected]);
  });

  it('hashes integers into integers, the same for the same value', async () => {
    const rows = await maskedRows(session(), 'select pin, pin from customers order by id');
    expect(rows[0]![0]).toMatch(/^-?\d+$/);
    expect(rows[0]![0]).toBe(rows[0]![1]);
    expect(rows[1]).toEqual([null, null]);
  });

  it('sees through select * and leaves unclassified results alone', async () => {
    const masking = session();
    expect(await maskedRows(masking, 'select * from customers where id = 2')).toEqual([
      ['2', '***@example.org', '************4444', null],
    ]);
    const prepared = await masking.prepareQuery('select id, note from orders');
    const { columns } = await run('select id, note from orders');
    const plan = masking.planResult(columns, prepared.statements[0]);
    expect(plan.action === 'mask' && plan.masker.active).toBe(false);
  });

  it('follows views to the classified columns beneath them', async () => {
    const masking = session();
    expect(await maskedRows(masking, 'select * from customer_cards where id = 1')).toEqual([
      ['1', '***@example.com', '********'],
    ]);
    expect(await maskedRows(masking, 'select tail from card_tails limit 1')).toEqual([
      ['********'],
    ]);
    const { columns } = await run('select email from customer_cards');
    const catalog = new ColumnCatalog();
    await catalog.loadOids(query, [columns[0]!.tableOid]);
    expect(catalog.origin(columns[0]!.tableOid, columns[0]!.attnum)).toMatchObject({
      table: 'customer_cards',
      view: true,
    });
  });

  it.each([
    'select email_of(1)',
    'select email_atomic(1)',
    'select email_return(1)',
    'select email_pl(1)',
    'select email_via(1)',
    'select email from customer_rows() where id = 1',
    'select r.email from customer_rows() r where r.id = 1',
  ])('masks what a user function returns of a classified column: %s', async (sql) => {
    expect(await maskedRows(session(), sql)).toEqual([['********']]);
  });

  it('leaves the columns of a SQL function alone that read no classified column', async () => {
    const masking = session();
    expect(await maskedRows(masking, 'select id, email from customer_rows() where id = 2')).toEqual(
      [['2', '********']],
    );
    expect(
      await maskedRows(masking, 'select note_of(10), upper(note_of(id)) from orders order by id'),
    ).toEqual([
      ['first', 'FIRST'],
      ['first', 'SECOND'],
    ]);
  });

  it('refuses opaque and classified function results under derived: refuse, not others', async () => {
    const masking = session('refuse');
    expect((await masking.prepareQuery('select email_pl(1)')).refusal?.rule).toBe(
      'masking.rules[0] (classification email)',
    );
    expect((await masking.prepareQuery('select email_via(2)')).refusal).toBeDefined();
    expect((await masking.prepareQuery('select note_of(10)')).refusal).toBeUndefined();
  });

  it('takes a function the session itself replaces for opaque, from that statement on', async () => {
    // The catalog reads on another connection: until the session commits, the old body.
    const replace =
      'create or replace function note_of(i int) returns text language sql ' +
      'as $$ select email from customers where id = i $$';
    const masking = session();
    const active = (prepared: PreparedMasking, index: number) => {
      const plan = masking.planResult([textColumn('note_of')], prepared.statements[index]);
      return plan.action === 'mask' && plan.masker.active;
    };
    expect(active(await masking.prepareQuery('select note_of(10)'), 0)).toBe(false);
    expect(active(await masking.prepareQuery(`${replace}; select note_of(10)`), 1)).toBe(true);
    expect(active(await masking.prepareQuery('select note_of(10)'), 0)).toBe(true);

    const other = session();
    expect(
      other.planResult(
        [textColumn('note_of')],
        (await other.prepareQuery('select note_of(10)')).statements[0],
      ),
    ).toMatchObject({ action: 'mask', masker: { active: false } });
  });

  it('remembers cursors and prepared statements for FETCH and EXECUTE', async () => {
    const masking = session();
    await masking.prepareQuery(
      'declare cur cursor with hold for select id, lower(email) from customers order by id',
    );
    await client.query(
      'declare cur cursor with hold for select id, lower(email) from customers order by id',
    );
    try {
      expect(await maskedRows(masking, 'fetch 1 from cur')).toEqual([['1', '********']]);
    } finally {
      await client.query('close cur');
    }
    await masking.prepareQuery('prepare cards as select card from customers where id = 2');
    await client.query('prepare cards as select card from customers where id = 2');
    expect(await maskedRows(masking, 'execute cards')).toEqual([['************4444']]);
  });

  // The gate's parse cache hands out one tree per text; masking keys its analyses on it.
  function sharedTrees(): (sql: string) => readonly unknown[] {
    const trees = new Map<string, readonly unknown[]>();
    return (sql) => {
      let stmts = trees.get(sql);
      if (stmts === undefined) {
        stmts = parsedStatements(parseSync(sql));
        trees.set(sql, stmts);
      }
      return stmts;
    };
  }

  /** A session whose statements come from one tree per text, as behind the gate. */
  const sharedSession = () =>
    new SessionMasking({
      settings: maskingSettings(policy(), dataSource, hashKey),
      catalog: new ColumnCatalog(),
      query,
      logger,
      parsed: sharedTrees(),
    });

  it('analyses a statement once per catalog state and answers without waiting once it can', async () => {
    const masking = sharedSession();
    const sql = 'select id, email from customers where id = 1';
    // Nothing read yet: the caller must wait for the catalog.
    expect(masking.prepareQueryNow(sql)).toBeUndefined();
    const first = await masking.prepareQuery(sql);
    const now = masking.prepareQueryNow(sql);
    expect(now?.statements[0]).toBe(first.statements[0]);
    // The whole message's analysis is kept too (refusal included).
    expect(masking.prepareQueryNow(sql)).toBe(now);
    // The functions a statement calls are part of what must be read first.
    const call = 'select note_of(id) from customers';
    expect(masking.prepareQueryNow(call)).toBeUndefined();
    await masking.prepareQuery(call);
    expect(masking.prepareQueryNow(call)).toBeDefined();

    const { columns, rows } = await run(sql);
    const plan = masking.planResult(columns, first.statements[0]);
    expect(masking.planResult(columns, first.statements[0])).toBe(plan);
    if (plan.action !== 'mask') throw new Error(plan.refusal.message);
    expect(texts(rows.map((row) => plan.masker.maskRow(row)))).toEqual([['1', '***@example.com']]);
    // Other columns for the same statement (a table changed under it): a new plan.
    expect(masking.planResult(columns.slice(0, 1), first.statements[0])).not.toBe(plan);

    // DDL passed: names are read again and the statement analysed afresh.
    masking.invalidate();
    expect(masking.prepareQueryNow(sql)).toBeUndefined();
    const again = await masking.prepareQuery(sql);
    expect(again.statements[0]).not.toBe(first.statements[0]);
    expect(masking.planResult(columns, again.statements[0])).not.toBe(plan);
  });

  it('analyses FETCH again each time: the cursor it names may have been declared anew', async () => {
    const masking = sharedSession();
    const fetchPlan = async (): Promise<boolean> => {
      const prepared = (await masking.prepareQuery('fetch 1 from cur')).statements[0];
      const plan = masking.planResult([column('email')], prepared);
      return plan.action === 'mask' && plan.masker.active;
    };
    const column = (name: string): ResultColumn => ({
      name,
      tableOid: 0,
      attnum: 0,
      typeOid: 25,
      format: 0,
    });
    await masking.prepareQuery("declare cur cursor for select 'x' as email");
    expect(await fetchPlan()).toBe(false);
    await masking.prepareQuery(
      'declare cur cursor for select lower(email) as email from customers',
    );
    expect(await fetchPlan()).toBe(true);
  });

  it('fails closed with typed errors when it cannot parse or read the catalog', async () => {
    await expect(session().prepareQuery('select from where')).rejects.toBeInstanceOf(
      StatementParseError,
    );
    const broken = new SessionMasking({
      settings: maskingSettings(policy(), dataSource, hashKey),
      catalog: new ColumnCatalog(),
      query: () => Promise.reject(new Error('connection lost')),
      logger,
    });
    await expect(broken.prepareQuery('select email from customers')).rejects.toBeInstanceOf(
      CatalogError,
    );
  });

  it('scrubs values out of the errors PostgreSQL raises on classified data', async () => {
    const masking = session();
    const messages: string[] = [];
    for (const sql of [
      'select email::int from customers',
      "insert into customers (id, email) values (1, 'x')",
      'insert into customers (id) values (null)',
    ]) {
      const prepared = await masking.prepareQuery(sql);
      const error = await client.query(sql).then(
        () => undefined,
        (e: unknown) => e as { message: string; detail?: string },
      );
      if (error === undefined) throw new Error(`${sql} did not fail`);
      const scrub = (text: string) => masking.scrubServerText(text, prepared.statements[0]);
      messages.push(scrub(error.message), scrub(error.detail ?? ''));
    }
    const all = messages.join('\n');
    expect(all).not.toMatch(/alice|example\.com|Key \(id\)=\(1\)/);
    expect(all).toContain('invalid input syntax for type integer: "********"');
    expect(all).toContain('Key (id)=(********) already exists.');
  });

  it('refuses derived values before they run when the policy says refuse', async () => {
    const prepared = await session('refuse').prepareQuery('select lower(email) from customers');
    expect(prepared.refusal?.rule).toBe('masking.rules[0] (classification email)');
  });

  it('refuses writing classified values where they would read back unmasked', async () => {
    const refused = async (sql: string) => (await session().prepareQuery(sql)).refusal?.message;
    // The copy in orders.note would come back in clear to any later SELECT.
    for (const sql of [
      'insert into orders (id, note) select 100 + id, email from customers returning id, note',
      'insert into orders select 100 + id, id, lower(email) from customers',
      'update orders set note = (select card from customers where id = 1) where id = 10',
      'with c as (select email from customers) insert into orders (id, note) select 1, email from c',
      'with w as (insert into orders (id, note) select 1, email from customers returning id) select * from w',
      "insert into orders (id, note) values (1, 'x') on conflict (id) do update set note = (select email from customers limit 1)",
      'explain analyze insert into orders (id, note) select id, email from customers',
      'prepare copy_out as insert into orders (id, note) select id, email from customers',
      'merge into orders o using customers c on o.customer_id = c.id when matched then update set note = c.email',
      'insert into orders (id, note) select id, email_of(id) from customers',
      'select stash_email(1)',
    ]) {
      // Unqualified, orders is public.orders or archive.orders: whose columns are not one list.
      expect(await refused(sql)).toMatch(
        /writes data classified as (email|credit_card) into .*orders\.(note|\*)/,
      );
    }
    // Back where it came from, unclassified data anywhere, and a plan that runs nothing.
    for (const sql of [
      'update customers set email = lower(email) where id = 1',
      "insert into customers (id, email) values (3, 'carol@example.net') on conflict (id) do update set email = excluded.email",
      'insert into orders (id, customer_id, note) select 100 + id, id, note from orders',
      'explain insert into orders (id, note) select id, email from customers',
      'delete from orders where note in (select email from customers)',
    ]) {
      expect(await refused(sql)).toBeUndefined();
    }
  });

  it('masks COPY TO STDOUT rows of classified columns', async () => {
    const masking = session();
    const sql = 'copy (select id, email from customers order by id) to stdout with (format csv)';
    const prepared = await masking.prepareQuery(sql);
    const plan = masking.planCopy(prepared.statements[0]!, 2);
    if (plan.action !== 'mask') throw new Error(plan.refusal.message);
    const line = plan.masker.maskData(Buffer.from('1,alice@example.com\n'));
    expect(line.toString()).toBe('1,***@example.com\n');
  });
});
