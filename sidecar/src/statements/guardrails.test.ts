import type { AccessPolicy } from '@portcullis/crds';
import { policyFixture, type GuardrailsInput } from './policy-fixture.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser } from './statement-parser.js';

beforeAll(() => initStatementParser());

function ruleOf(policy: AccessPolicy, sql: string): string {
  const { verdict } = createStatementGate(policy).checkQuery(sql);
  return verdict.action === 'allow' ? 'allow' : verdict.rule;
}

// [policy guardrails, statement, the rule that decides ('allow' when it passes)]
const cases: [string, GuardrailsInput, string, string][] = [
  ['reads pass by default', {}, 'SELECT * FROM orders', 'allow'],
  ['filtered writes pass by default', {}, 'DELETE FROM orders WHERE id = 1', 'allow'],
  ['DDL is not in the default list', {}, 'CREATE TABLE x (a int)', 'guardrails.allow'],
  ['TRUNCATE is not in the default list', {}, 'TRUNCATE orders', 'guardrails.allow'],
  ['role changes are not in the default list', {}, 'SET ROLE postgres', 'guardrails.allow'],
  ['DO is not in the default list', {}, 'DO $$ BEGIN END $$', 'guardrails.allow'],
  ['COPY PROGRAM is not in the default list', {}, "COPY orders TO PROGRAM 'x'", 'guardrails.allow'],
  ['COPY TO STDOUT is', {}, 'COPY orders TO STDOUT', 'allow'],
  ['transaction control is', {}, 'BEGIN', 'allow'],
  [
    'a denied class',
    { deny: ['delete'] },
    'DELETE FROM orders WHERE id = 1',
    'guardrails.deny[delete]',
  ],
  [
    'deny wins over allow',
    { allow: ['read', 'delete'], deny: ['delete'] },
    'DELETE FROM t WHERE a = 1',
    'guardrails.deny[delete]',
  ],
  [
    'a class outside an explicit allow list',
    { allow: ['read'] },
    'INSERT INTO t VALUES (1)',
    'guardrails.allow',
  ],
  [
    'an explicit allow list with DDL',
    { allow: ['read', 'ddl'] },
    'CREATE TABLE x (a int)',
    'allow',
  ],
  [
    'the SELECT of an INSERT does not need read',
    { allow: ['insert'] },
    'INSERT INTO t SELECT 1',
    'allow',
  ],
  [
    'set_config of a setting is a session command',
    { allow: ['read'] },
    "SELECT set_config('search_path', 'x', false)",
    'guardrails.allow',
  ],
  ['DELETE without WHERE', {}, 'DELETE FROM orders', 'guardrails.requireWhere'],
  ['UPDATE without WHERE', {}, 'UPDATE orders SET status = 1', 'guardrails.requireWhere'],
  [
    'WHERE true is no WHERE',
    {},
    'UPDATE orders SET status = 1 WHERE true',
    'guardrails.requireWhere',
  ],
  ['requireWhere off', { requireWhere: false }, 'DELETE FROM orders', 'allow'],
  [
    'MERGE ... ON true THEN DELETE',
    {},
    'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE',
    'guardrails.requireWhere',
  ],
  [
    'MERGE delete under deny delete',
    { deny: ['delete'] },
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
    'guardrails.deny[delete]',
  ],
  [
    'upsert under deny update',
    { deny: ['update'] },
    'INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1',
    'guardrails.deny[update]',
  ],

  // Table rules
  [
    'a table deny',
    { tables: [{ table: 'public.orders', deny: ['delete'] }] },
    'DELETE FROM orders WHERE id = 1',
    'guardrails.tables[public.orders].deny[delete]',
  ],
  [
    'a table deny leaves other tables',
    { tables: [{ table: 'public.orders', deny: ['delete'] }] },
    'DELETE FROM customers WHERE id = 1',
    'allow',
  ],
  [
    'a table deny leaves other schemas',
    { tables: [{ table: 'public.orders', deny: ['delete'] }] },
    'DELETE FROM archive.orders WHERE id = 1',
    'allow',
  ],
  [
    'an unqualified name may be in the rule schema',
    { tables: [{ table: 'sales.orders', deny: ['delete'] }] },
    'DELETE FROM orders WHERE id = 1',
    'guardrails.tables[sales.orders].deny[delete]',
  ],
  [
    'a quoted name in another case is still matched',
    { tables: [{ table: 'public.orders', deny: ['delete'] }] },
    'DELETE FROM "ORDERS" WHERE id = 1',
    'guardrails.tables[public.orders].deny[delete]',
  ],
  [
    'a read deny covers reads inside writes',
    { tables: [{ table: 'public.secrets', deny: ['read'] }] },
    'INSERT INTO t SELECT * FROM secrets',
    'guardrails.tables[public.secrets].deny[read]',
  ],
  [
    'a read deny covers subqueries in WHERE',
    { tables: [{ table: 'public.secrets', deny: ['read'] }] },
    'DELETE FROM t WHERE id IN (SELECT id FROM public.secrets)',
    'guardrails.tables[public.secrets].deny[read]',
  ],
  [
    'a delete deny does not cover a read of the table',
    { tables: [{ table: 'public.orders', deny: ['delete'] }] },
    'DELETE FROM t WHERE id IN (SELECT id FROM orders)',
    'allow',
  ],
  [
    'a table allow list restricts',
    { tables: [{ table: 'public.audit', allow: ['read', 'insert'] }] },
    'UPDATE audit SET a = 1 WHERE id = 1',
    'guardrails.tables[public.audit].allow',
  ],
  [
    'a table allow list admits its classes',
    { tables: [{ table: 'public.audit', allow: ['read', 'insert'] }] },
    'INSERT INTO audit VALUES (1)',
    'allow',
  ],
  [
    'a table allow grants a class on that table',
    { tables: [{ table: 'public.staging', allow: ['truncate'] }] },
    'TRUNCATE public.staging',
    'allow',
  ],
  [
    'only with the schema written',
    { tables: [{ table: 'public.staging', allow: ['truncate'] }] },
    'TRUNCATE staging',
    'guardrails.allow',
  ],
  [
    'and only on that table',
    { tables: [{ table: 'public.staging', allow: ['truncate'] }] },
    'TRUNCATE public.staging, public.orders',
    'guardrails.allow',
  ],
  [
    'COPY TO STDOUT of a table',
    { tables: [{ table: 'public.customers', deny: ['copy-out'] }] },
    'COPY customers TO STDOUT',
    'guardrails.tables[public.customers].deny[copy-out]',
  ],
  [
    'DDL on a table',
    { allow: ['ddl', 'read'], tables: [{ table: 'public.orders', deny: ['ddl'] }] },
    'DROP TABLE orders',
    'guardrails.tables[public.orders].deny[ddl]',
  ],

  [
    'a table read deny covers COPY TO',
    { tables: [{ table: 'public.customers', deny: ['read'] }] },
    'COPY customers TO STDOUT',
    'guardrails.tables[public.customers].deny[read]',
  ],
  [
    'and COPY of a query',
    { tables: [{ table: 'public.customers', deny: ['read'] }] },
    'COPY (SELECT * FROM customers) TO STDOUT',
    'guardrails.tables[public.customers].deny[read]',
  ],
  [
    'a table insert deny covers COPY FROM',
    { tables: [{ table: 'public.orders', deny: ['insert'] }] },
    'COPY orders FROM STDIN',
    'guardrails.tables[public.orders].deny[insert]',
  ],
  // Functions
  [
    'a file-reading function',
    {},
    "SELECT pg_read_file('/etc/passwd')",
    'guardrails.functions[pg_read_file]',
  ],
  [
    'schema-qualified',
    {},
    "SELECT pg_catalog.pg_read_file('/etc/passwd')",
    'guardrails.functions[pg_read_file]',
  ],
  [
    'in another schema',
    {},
    "SELECT evil.pg_read_file('/etc/passwd')",
    'guardrails.functions[pg_read_file]',
  ],
  [
    'in attribute notation',
    {},
    "SELECT ('/etc/passwd'::text).pg_read_file",
    'guardrails.functions[pg_read_file]',
  ],
  ['a family by prefix', {}, 'SELECT * FROM pg_ls_waldir()', 'guardrails.functions[pg_ls_waldir]'],
  ['large objects', {}, "SELECT lo_import('/etc/passwd')", 'guardrails.functions[lo_import]'],
  [
    'dblink',
    {},
    "SELECT * FROM dblink('host=x', 'DELETE FROM t') AS t(a int)",
    'guardrails.functions[dblink]',
  ],
  [
    'SQL passed as text',
    {},
    "SELECT query_to_xml('DELETE FROM t RETURNING 1', true, false, '')",
    'guardrails.functions[query_to_xml]',
  ],
  [
    'backend termination',
    {},
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity',
    'guardrails.functions[pg_terminate_backend]',
  ],
  ['allowed by name', { allowFunctions: ['pg_read_file'] }, "SELECT pg_read_file('x')", 'allow'],
  [
    'allowed by pg_catalog name, called bare',
    { allowFunctions: ['pg_catalog.pg_read_file'] },
    "SELECT pg_read_file('x')",
    'allow',
  ],
  [
    'allowed in another schema only',
    { allowFunctions: ['public.pg_read_file'] },
    "SELECT pg_read_file('x')",
    'guardrails.functions[pg_read_file]',
  ],
  ['allowed by pattern', { allowFunctions: ['pg_ls_*'] }, 'SELECT pg_ls_dir($1)', 'allow'],
  ['pg_sleep is not dangerous', {}, 'SELECT pg_sleep(0.1)', 'allow'],
  [
    'a policy deny list',
    { denyFunctions: ['public.purge_*'] },
    'SELECT purge_orders()',
    'guardrails.denyFunctions[public.purge_*]',
  ],
  [
    'a policy deny list by schema',
    { denyFunctions: ['public.purge_*'] },
    'SELECT archive.purge_orders()',
    'allow',
  ],
  [
    'a policy deny list in CALL',
    { allow: ['procedural'], denyFunctions: ['purge'] },
    'CALL purge()',
    'guardrails.denyFunctions[purge]',
  ],

  [
    'a qualified column named like a dangerous function',
    {},
    'SELECT o.lo_total FROM orders o',
    'allow',
  ],
  [
    'a denied function in row attribute notation',
    { denyFunctions: ['purge'] },
    'SELECT c.purge FROM customers c',
    'guardrails.denyFunctions[purge]',
  ],

  // Several statements
  ['a refused part refuses the whole', {}, 'SELECT 1; DROP TABLE orders', 'guardrails.allow'],
  ['every part allowed', {}, 'BEGIN; SELECT 1; COMMIT', 'allow'],
  [
    'the first refusal names the rule',
    {},
    'DELETE FROM t; DROP TABLE t',
    'guardrails.requireWhere',
  ],
];

describe('guardrails', () => {
  it.each(cases)('%s', (_name, guardrails, sql, rule) => {
    expect(ruleOf(policyFixture({ guardrails }), sql)).toBe(rule);
  });

  it('names the policy, what it refuses and the rule', () => {
    const { verdict } = createStatementGate(policyFixture()).checkQuery('DELETE FROM orders');
    expect(verdict).toEqual({
      action: 'refuse',
      rule: 'guardrails.requireWhere',
      message:
        'Portcullis policy "shop/app" refuses DELETE without WHERE on public.orders ' +
        '(rule guardrails.requireWhere)',
    });
  });

  it('says how to allow a dangerous function', () => {
    const { verdict } = createStatementGate(policyFixture()).checkQuery('SELECT lo_export(1, $1)');
    expect(verdict.action === 'refuse' && verdict.message).toContain(
      'the function lo_export, which reads or writes large objects',
    );
  });

  it('refuses what it cannot parse with SQLSTATE 42601', () => {
    const { verdict, statements } = createStatementGate(policyFixture()).checkQuery('SELEC 1');
    expect(statements).toEqual([]);
    expect(verdict).toMatchObject({ action: 'refuse', rule: 'parse', sqlstate: '42601' });
    expect(verdict.action === 'refuse' && verdict.message).toMatch(
      /^Portcullis policy "shop\/app" refuses a statement it could not parse; .*syntax error/,
    );
  });

  it('returns every statement of a refused string', () => {
    const check = createStatementGate(policyFixture()).checkQuery('SELECT 1; DROP TABLE t');
    expect(check.statements.map((s) => s.class)).toEqual(['read', 'ddl']);
  });

  it('refuses the FunctionCall message unless the policy allows it', () => {
    expect(createStatementGate(policyFixture()).checkFunctionCall()).toMatchObject({
      action: 'refuse',
      rule: 'guardrails.allowFunctionCall',
    });
    const open = policyFixture({ guardrails: { allowFunctionCall: true } });
    expect(createStatementGate(open).checkFunctionCall()).toEqual({ action: 'allow' });
  });
});
