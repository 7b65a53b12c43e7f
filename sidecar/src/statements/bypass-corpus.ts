import type { AccessPolicy } from '@portcullis/crds';
import { policyFixture } from './policy-fixture.js';

/**
 * One attempt to get a statement past the guardrails, with the verdict the gate must give.
 * Each attempt runs on a session of its own: its setup, then its sql.
 */
export interface BypassAttempt {
  /** What the attempt tries. */
  name: string;
  /** Simple queries sent first on the same session; each must be allowed. */
  setup?: string[];
  /** The attempt, sent as one simple Query. */
  sql: string;
  /** The verdict: allow means PostgreSQL must then run it as it would directly. */
  expect:
    { action: 'allow' } | { action: 'refuse'; rule: string; sqlstate?: string; asServer?: boolean };
}

/**
 * The policy the corpus is written against: the default guardrails (default allow list,
 * requireWhere, the built-in dangerous functions) and DELETE refused on public.customers.
 * The tables are those of testkit's SAMPLE_SCHEMA_SQL (customers, orders).
 */
export function bypassPolicy(): AccessPolicy {
  return policyFixture({
    name: 'bypass',
    guardrails: { tables: [{ table: 'public.customers', deny: ['delete'] }] },
  });
}

const allow = { action: 'allow' } as const;
const refuse = (rule: string, sqlstate?: string) =>
  sqlstate === undefined
    ? ({ action: 'refuse', rule } as const)
    : ({ action: 'refuse', rule, sqlstate } as const);
const NO_WHERE = refuse('guardrails.requireWhere');
const NOT_ALLOWED = refuse('guardrails.allow');
const CUSTOMERS = refuse('guardrails.tables[public.customers].deny[delete]');
const READ_FILE = refuse('guardrails.functions[pg_read_file]');
const UNDERSTOOD = refuse('classify');

/** Attempts and controls; the controls (allow) keep the gate from refusing harmless text. */
export const BYPASS_CORPUS: readonly BypassAttempt[] = [
  // Controls: text that looks dangerous but is not.
  { name: 'plain read', sql: 'SELECT id, amount FROM orders WHERE id = 1', expect: allow },
  {
    name: 'DDL inside a dollar-quoted string',
    sql: 'SELECT $x$; DROP TABLE orders; $x$ AS s',
    expect: allow,
  },
  { name: 'DDL inside a comment', sql: '/* DROP TABLE orders; */ SELECT 1', expect: allow },
  { name: 'DDL after a line comment', sql: '-- DROP TABLE orders\nSELECT 1', expect: allow },
  {
    name: 'an escaped quote in an E string',
    sql: "SELECT E'\\'; DROP TABLE orders; --'",
    expect: allow,
  },
  {
    name: 'EXPLAIN without ANALYZE does not run the DELETE',
    sql: 'EXPLAIN DELETE FROM orders',
    expect: allow,
  },
  { name: 'a filtered DELETE', sql: 'DELETE FROM orders WHERE id = -1', expect: allow },
  { name: 'pg_sleep is allowed', sql: 'SELECT pg_sleep(0)', expect: allow },
  {
    name: 'set_config of an ordinary setting',
    sql: "SELECT set_config('search_path', 'public', false)",
    expect: allow,
  },
  {
    name: 'standard_conforming_strings set on',
    sql: 'SET standard_conforming_strings = on',
    expect: allow,
  },

  // Spelling and comments
  { name: 'mixed case', sql: 'DeLeTe FrOm orders', expect: NO_WHERE },
  { name: 'comments between keywords', sql: 'DELETE/**/FROM/* x */orders', expect: NO_WHERE },
  { name: 'nested comments', sql: 'DELETE FROM /* a /* b */ c */ orders', expect: NO_WHERE },
  { name: 'the WHERE commented out', sql: 'DELETE FROM orders -- WHERE id = 1', expect: NO_WHERE },
  { name: 'a WHERE that names no column', sql: 'DELETE FROM orders WHERE 1 = 1', expect: NO_WHERE },
  { name: 'WHERE true', sql: "UPDATE orders SET status = 'x' WHERE true", expect: NO_WHERE },
  { name: 'a quoted table name', sql: 'DELETE FROM "customers" WHERE id = 1', expect: CUSTOMERS },
  {
    name: 'a schema-qualified table name',
    sql: 'DELETE FROM public.customers WHERE id = 1',
    expect: CUSTOMERS,
  },
  {
    name: 'a unicode-escaped table name',
    sql: 'DELETE FROM U&"\\0063ustomers" WHERE id = 1',
    expect: CUSTOMERS,
  },
  {
    name: 'a unicode-escaped name with UESCAPE',
    sql: 'DELETE FROM U&"!0063ustomers" UESCAPE \'!\' WHERE id = 1',
    expect: CUSTOMERS,
  },

  // Wrappers
  {
    name: 'a data-modifying CTE',
    sql: 'WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d',
    expect: NO_WHERE,
  },
  {
    name: 'a CTE named like the table',
    sql: 'WITH orders AS (SELECT 1) DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'a data-modifying CTE on a protected table',
    sql: 'WITH x AS (DELETE FROM customers WHERE id = 1 RETURNING 1) SELECT * FROM x',
    expect: CUSTOMERS,
  },
  {
    name: 'WITH RECURSIVE around a write',
    sql: "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) UPDATE orders SET status = 'x'",
    expect: NO_WHERE,
  },
  {
    name: 'MERGE that deletes from a protected table',
    sql: 'MERGE INTO customers c USING (SELECT 1 AS id) s ON c.id = s.id WHEN MATCHED THEN DELETE',
    expect: CUSTOMERS,
  },
  {
    name: 'EXPLAIN ANALYZE runs the DELETE',
    sql: 'EXPLAIN ANALYZE DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'EXPLAIN ANALYSE, British spelling',
    sql: 'EXPLAIN ANALYSE DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'EXPLAIN (ANALYZE on)',
    sql: 'EXPLAIN (ANALYZE on, COSTS off) DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'EXPLAIN (ANALYZE off, ANALYZE)',
    sql: 'EXPLAIN (ANALYZE off, ANALYZE) DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'COPY of a DELETE ... RETURNING',
    sql: 'COPY (DELETE FROM orders RETURNING *) TO STDOUT',
    expect: NO_WHERE,
  },
  {
    name: 'PREPARE of a WHERE-less DELETE',
    sql: 'PREPARE bypass_p AS DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'EXECUTE of a statement the gate refused',
    sql: 'EXECUTE bypass_p',
    // The server never got it: answered as PostgreSQL would, 26000.
    expect: { ...refuse('prepared', '26000'), asServer: true },
  },
  {
    name: 'PREPARE of a DELETE on a protected table',
    sql: 'PREPARE bypass_d(bigint) AS DELETE FROM customers WHERE id = $1',
    expect: CUSTOMERS,
  },
  {
    name: 'PREPARE and EXECUTE in one string',
    sql: 'PREPARE bypass_q AS DELETE FROM orders; EXECUTE bypass_q',
    expect: NO_WHERE,
  },
  {
    name: 'EXECUTE of a prepared read',
    setup: ['PREPARE bypass_r(bigint) AS SELECT * FROM customers WHERE id = $1'],
    sql: 'EXECUTE bypass_r(1)',
    expect: allow,
  },
  {
    name: 'a rule that turns inserts into deletes',
    sql: 'CREATE RULE bypass_rule AS ON INSERT TO orders DO INSTEAD DELETE FROM orders',
    expect: NOT_ALLOWED,
  },
  {
    name: 'a view over a dangerous function',
    sql: "CREATE VIEW bypass_v AS SELECT pg_read_file('/etc/passwd')",
    expect: NOT_ALLOWED,
  },
  {
    name: 'a function whose body deletes',
    sql: "CREATE FUNCTION bypass_f() RETURNS void LANGUAGE sql AS 'DELETE FROM orders'",
    expect: NOT_ALLOWED,
  },
  {
    name: 'SELECT INTO a new table',
    sql: 'SELECT * INTO bypass_stolen FROM customers',
    expect: NOT_ALLOWED,
  },
  {
    name: 'CREATE TABLE AS',
    sql: 'CREATE TEMP TABLE bypass_t AS SELECT * FROM customers',
    expect: NOT_ALLOWED,
  },

  // Several statements
  {
    name: 'a harmless statement before DDL',
    sql: 'SELECT 1; DROP TABLE orders',
    expect: NOT_ALLOWED,
  },
  {
    name: 'a harmless statement before a WHERE-less DELETE',
    sql: 'SELECT 1; DELETE FROM orders',
    expect: NO_WHERE,
  },
  {
    name: 'DDL after a dollar-quoted string',
    sql: 'SELECT $a$ x $a$; DROP TABLE orders',
    expect: NOT_ALLOWED,
  },
  { name: 'a transaction around DDL', sql: 'BEGIN; TRUNCATE orders; COMMIT', expect: NOT_ALLOWED },

  // Role changes
  { name: 'SET ROLE', sql: 'SET ROLE postgres', expect: NOT_ALLOWED },
  { name: 'SET LOCAL ROLE', sql: 'SET LOCAL ROLE postgres', expect: NOT_ALLOWED },
  { name: 'SET "role" quoted', sql: 'SET "role" = postgres', expect: NOT_ALLOWED },
  {
    name: 'SET SESSION AUTHORIZATION',
    sql: 'SET SESSION AUTHORIZATION postgres',
    expect: NOT_ALLOWED,
  },
  { name: 'RESET ROLE', sql: 'RESET ROLE', expect: NOT_ALLOWED },
  {
    name: "set_config('role')",
    sql: "SELECT set_config('role', 'postgres', false)",
    expect: NOT_ALLOWED,
  },
  {
    name: 'set_config with the name in capitals',
    sql: "SELECT set_config('ROLE', 'postgres', false)",
    expect: NOT_ALLOWED,
  },
  {
    name: 'set_config with a computed name',
    sql: "SELECT pg_catalog.set_config(lower('ROLE'), 'postgres', false)",
    expect: NOT_ALLOWED,
  },
  {
    name: 'set_config hidden in a WHERE',
    sql: "SELECT 1 FROM orders WHERE set_config('role', 'postgres', true) IS NOT NULL",
    expect: NOT_ALLOWED,
  },
  {
    name: 'UPDATE of pg_settings',
    sql: "UPDATE pg_settings SET setting = 'postgres' WHERE name = 'role'",
    expect: NOT_ALLOWED,
  },
  { name: 'GRANT a role to oneself', sql: 'GRANT postgres TO CURRENT_USER', expect: NOT_ALLOWED },
  {
    name: 'ALTER ROLE to superuser',
    sql: 'ALTER ROLE CURRENT_USER SUPERUSER',
    expect: NOT_ALLOWED,
  },

  // Code and programs
  {
    name: 'DO block',
    sql: "DO $$ BEGIN EXECUTE 'DELETE FROM orders'; END $$",
    expect: NOT_ALLOWED,
  },
  {
    name: 'DO block with a language',
    sql: 'DO LANGUAGE plpgsql $body$ BEGIN PERFORM 1; END $body$',
    expect: NOT_ALLOWED,
  },
  { name: 'CALL', sql: 'CALL bypass_proc()', expect: NOT_ALLOWED },
  { name: 'COPY TO PROGRAM', sql: "COPY orders TO PROGRAM 'id'", expect: NOT_ALLOWED },
  { name: 'COPY FROM PROGRAM', sql: "COPY orders FROM PROGRAM 'id'", expect: NOT_ALLOWED },
  { name: 'COPY to a server file', sql: "COPY orders TO '/tmp/bypass.csv'", expect: NOT_ALLOWED },
  { name: 'COPY from a server file', sql: "COPY orders FROM '/etc/passwd'", expect: NOT_ALLOWED },
  { name: 'ALTER SYSTEM', sql: "ALTER SYSTEM SET log_statement = 'none'", expect: NOT_ALLOWED },
  { name: 'LOAD a library', sql: "LOAD 'auto_explain'", expect: NOT_ALLOWED },

  // Dangerous functions
  { name: 'pg_read_file', sql: "SELECT pg_read_file('/etc/passwd')", expect: READ_FILE },
  {
    name: 'pg_read_file schema-qualified',
    sql: "SELECT pg_catalog.pg_read_file('/etc/passwd')",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file quoted',
    sql: `SELECT pg_catalog."pg_read_file"('/etc/passwd')`,
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file unicode-escaped',
    sql: 'SELECT U&"\\0070g_read_file"(\'/etc/passwd\')',
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file in attribute notation',
    sql: "SELECT ('/etc/passwd'::text).pg_read_file",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file in a subquery',
    sql: "SELECT 1 WHERE EXISTS (SELECT pg_read_file('/etc/passwd'))",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file in a LATERAL',
    sql: "SELECT * FROM orders o, LATERAL (SELECT pg_read_file('/etc/passwd')) f",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file under EXPLAIN ANALYZE',
    sql: "EXPLAIN ANALYZE SELECT pg_read_file('/etc/passwd')",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file in an ORDER BY',
    sql: "SELECT id FROM orders ORDER BY pg_read_file('/etc/passwd')",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_file in a COPY query',
    sql: "COPY (SELECT pg_read_file('/etc/passwd')) TO STDOUT",
    expect: READ_FILE,
  },
  {
    name: 'pg_read_binary_file',
    sql: "SELECT pg_read_binary_file('/etc/passwd')",
    expect: refuse('guardrails.functions[pg_read_binary_file]'),
  },
  {
    name: 'pg_ls_dir',
    sql: "SELECT * FROM pg_ls_dir('.')",
    expect: refuse('guardrails.functions[pg_ls_dir]'),
  },
  {
    name: 'pg_stat_file',
    sql: "SELECT pg_stat_file('postgresql.conf')",
    expect: refuse('guardrails.functions[pg_stat_file]'),
  },
  {
    name: 'lo_import',
    sql: "SELECT lo_import('/etc/passwd')",
    expect: refuse('guardrails.functions[lo_import]'),
  },
  {
    name: 'lo_export',
    sql: "SELECT lo_export(1, '/tmp/bypass')",
    expect: refuse('guardrails.functions[lo_export]'),
  },
  {
    name: 'dblink',
    sql: "SELECT * FROM dblink('dbname=postgres', 'DELETE FROM orders') AS t(x text)",
    expect: refuse('guardrails.functions[dblink]'),
  },
  {
    name: 'dblink_exec',
    sql: "SELECT dblink_exec('dbname=postgres', 'DROP TABLE orders')",
    expect: refuse('guardrails.functions[dblink_exec]'),
  },
  {
    name: 'query_to_xml runs SQL text',
    sql: "SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, false, '')",
    expect: refuse('guardrails.functions[query_to_xml]'),
  },
  {
    name: 'table_to_xml reads a table by name',
    sql: "SELECT table_to_xml('customers', true, false, '')",
    expect: refuse('guardrails.functions[table_to_xml]'),
  },
  {
    name: 'ts_stat runs SQL text',
    sql: "SELECT * FROM ts_stat('SELECT to_tsvector(email) FROM customers')",
    expect: refuse('guardrails.functions[ts_stat]'),
  },
  {
    name: 'pg_terminate_backend',
    sql: 'SELECT pg_terminate_backend(pg_backend_pid())',
    expect: refuse('guardrails.functions[pg_terminate_backend]'),
  },
  {
    name: 'pg_reload_conf',
    sql: 'SELECT pg_reload_conf()',
    expect: refuse('guardrails.functions[pg_reload_conf]'),
  },

  // Text the server would read differently
  {
    name: 'standard_conforming_strings off',
    sql: 'SET standard_conforming_strings = off',
    expect: UNDERSTOOD,
  },
  {
    name: 'standard_conforming_strings off, then a smuggled statement',
    sql: "SET standard_conforming_strings = off; SELECT '\\', 'x; DELETE FROM orders; --'",
    expect: UNDERSTOOD,
  },
  {
    name: 'set_config of standard_conforming_strings',
    sql: "SELECT set_config('standard_conforming_strings', 'off', false)",
    expect: UNDERSTOOD,
  },
  { name: 'a client encoding that hides backslashes', sql: "SET NAMES 'SJIS'", expect: UNDERSTOOD },
  { name: 'a syntax error', sql: 'SELEC * FROM orders', expect: refuse('parse', '42601') },
  {
    name: 'an unterminated comment',
    sql: 'SELECT 1 /* DROP TABLE orders',
    expect: refuse('parse', '42601'),
  },
  {
    name: 'an unterminated dollar quote',
    sql: 'SELECT $x$ DROP TABLE orders',
    expect: refuse('parse', '42601'),
  },
];

/** A session opened with startup parameters that would make the server read text otherwise. */
export interface StartupBypassAttempt {
  name: string;
  /** Sent in the StartupMessage besides user and database. */
  parameters: Record<string, string>;
  /** Sent once the session is up, encoded in the client_encoding the parameters name (UTF-8
   * otherwise); it must not reach the server as more than one SELECT. */
  sql: string;
}

/**
 * Startup parameters the gate must refuse (or override): with them the server splits text
 * differently from the gate's parser, and the second statement of `sql` runs unchecked.
 * Checked with parserSettingProblem; each must end in a refused session or in `sql` never
 * running the smuggled statement.
 */
export const STARTUP_BYPASS_ATTEMPTS: readonly StartupBypassAttempt[] = [
  {
    name: 'standard_conforming_strings off at startup',
    parameters: { standard_conforming_strings: 'off' },
    sql: "SELECT '\\', 'x; DELETE FROM orders; --'",
  },
  {
    name: 'a client encoding whose characters hide a backslash',
    parameters: { client_encoding: 'SJIS' },
    // 表 is 0x95 0x5C in SJIS: the server sees a string and a DELETE, a UTF-8 reading of the
    // bytes an escaped quote and one long string.
    sql: "SELECT E'\u8868'; DELETE FROM orders; --'",
  },
];
