import { policyFixture } from './policy-fixture.js';
import { createStatementGate } from './statement-gate.js';
import { initStatementParser } from './statement-parser.js';
import { ViewTables } from './view-tables.js';

beforeAll(() => initStatementParser());

// s.v1 joins customers and orders; public.v2 selects from s.v1.
const views = ViewTables.fromRows([
  { view_schema: 's', view_name: 'v1', table_schema: 'public', table_name: 'customers' },
  { view_schema: 's', view_name: 'v1', table_schema: 'public', table_name: 'orders' },
  { view_schema: 'public', view_name: 'v2', table_schema: 's', table_name: 'v1' },
]);
const policy = policyFixture({
  guardrails: {
    tables: [
      { table: 'public.customers', deny: ['read', 'delete'] },
      { table: 'public.orders', deny: ['update'] },
    ],
  },
});

function ruleOf(sql: string, viewTables?: ViewTables): string {
  const { verdict } = createStatementGate(policy, { viewTables }).checkQuery(sql);
  return verdict.action === 'allow' ? 'allow' : verdict.rule;
}

describe('ViewTables', () => {
  it('holds a table rule when the table is read through views', () => {
    expect(ruleOf('SELECT * FROM public.v2', views)).toBe(
      'guardrails.tables[public.customers].deny[read]',
    );
    expect(ruleOf('SELECT * FROM public.v2')).toBe('allow');
  });

  it('carries the class of a write through the view', () => {
    expect(ruleOf('UPDATE s.v1 SET amount = 0 WHERE amount < 0', views)).toBe(
      'guardrails.tables[public.orders].deny[update]',
    );
  });

  it('sees an unqualified name as any view of that name', () => {
    expect(ruleOf('SELECT 1 FROM v1', views)).toBe(
      'guardrails.tables[public.customers].deny[read]',
    );
  });

  it('lists the tables under the views among those the statement reads', () => {
    const gate = createStatementGate(policyFixture(), { viewTables: views });
    const [info] = gate.checkQuery('SELECT * FROM v2').statements;
    expect(info?.tables.read).toEqual(['public.v2', 's.v1', 'public.customers', 'public.orders']);
  });

  it('stops on views that refer to each other', () => {
    const loop = new ViewTables([
      ['public.a', ['public.b']],
      ['public.b', ['public.a']],
    ]);
    const gate = createStatementGate(policyFixture(), { viewTables: loop });
    expect(gate.checkQuery('SELECT * FROM a').verdict).toEqual({ action: 'allow' });
  });
});
