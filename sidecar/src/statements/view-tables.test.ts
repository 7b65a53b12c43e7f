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

  describe('views the session defines', () => {
    // DDL allowed: the session may create views, and the table rules must hold through them.
    const withDdl = policyFixture({
      guardrails: {
        allow: ['read', 'insert', 'update', 'delete', 'ddl'],
        tables: [{ table: 'public.customers', deny: ['delete'] }],
      },
    });

    it('holds a table rule through a view created earlier in the session', () => {
      const gate = createStatementGate(withDdl);
      expect(gate.checkQuery('DELETE FROM v WHERE id = 1').verdict).toEqual({ action: 'allow' });
      expect(gate.checkQuery('CREATE VIEW v AS SELECT * FROM customers').verdict).toEqual({
        action: 'allow',
      });
      expect(gate.checkQuery('DELETE FROM v WHERE id = 1').verdict).toMatchObject({
        action: 'refuse',
        rule: 'guardrails.tables[public.customers].deny[delete]',
      });
      // The schema PostgreSQL put the unqualified view in is not known: any schema counts.
      expect(gate.checkQuery('DELETE FROM other.v WHERE id = 1').verdict).toMatchObject({
        action: 'refuse',
      });
    });

    it('sees a view defined earlier in the same query string', () => {
      const gate = createStatementGate(withDdl);
      const check = gate.checkQuery(
        'CREATE VIEW w AS SELECT * FROM public.customers; DELETE FROM w WHERE id = 1',
      );
      expect(check.verdict).toMatchObject({
        action: 'refuse',
        rule: 'guardrails.tables[public.customers].deny[delete]',
      });
    });

    it('keeps the tables of a view that is replaced', () => {
      const gate = createStatementGate(withDdl);
      gate.checkQuery('CREATE VIEW v AS SELECT * FROM customers');
      gate.checkQuery('CREATE OR REPLACE VIEW v AS SELECT * FROM orders');
      const [info] = gate.checkQuery('SELECT * FROM v').statements;
      expect(info?.tables.read).toEqual(['public.v', 'public.customers', 'public.orders']);
    });

    it('learns nothing from a view the gate refused', () => {
      const gate = createStatementGate(policy);
      expect(gate.checkQuery('CREATE VIEW v AS SELECT * FROM orders').verdict).toMatchObject({
        action: 'refuse',
      });
      const [info] = gate.checkQuery('SELECT * FROM v').statements;
      expect(info?.tables.read).toEqual(['public.v']);
    });

    it('is one map per session', () => {
      const viewTables = new ViewTables([]);
      createStatementGate(withDdl, { viewTables }).checkQuery('CREATE VIEW v AS SELECT 1');
      const other = createStatementGate(withDdl);
      expect(other.checkQuery('SELECT * FROM v').statements[0]?.tables.read).toEqual(['public.v']);
    });
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
