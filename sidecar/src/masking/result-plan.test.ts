import { beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessPolicy, MaskingRule } from '@portcullis/crds';
import { loadModule, parseSync } from 'libpg-query';
import { parsedStatements, statementLineage } from './lineage/statement-lineage.js';
import { checkStatement, maskingSettings, planRows, type MaskingPlan } from './result-plan.js';
import {
  catalog,
  column,
  CUSTOMERS,
  dataSource,
  hashKey,
  INT4,
  JSON_OID,
  ORDERS,
  policy,
  RULES,
  TEXT,
} from './shop-fixture.js';
import type { ResultColumn } from './row-masker.js';

beforeAll(async () => {
  await loadModule();
});

function plan(p: AccessPolicy, sql: string | undefined, columns: ResultColumn[]): MaskingPlan {
  const settings = maskingSettings(p, dataSource, hashKey);
  const lineage =
    sql === undefined ? undefined : statementLineage(parsedStatements(parseSync(sql))[0], catalog);
  return planRows(settings, columns, lineage, catalog);
}

function masked(result: MaskingPlan, row: (string | null)[]): (string | null)[] {
  if (result.action !== 'mask') throw new Error(`refused: ${result.refusal.message}`);
  const cells = row.map((v) => (v === null ? null : Buffer.from(v)));
  return result.masker.maskRow(cells).map((c) => (c === null ? null : c.toString('utf8')));
}

describe('planRows', () => {
  it('masks classified columns by origin and derived ones whole', () => {
    const result = plan(
      policy(RULES),
      'select c.id, c.email, c.card, lower(c.email), o.note from customers c join orders o on o.customer_id = c.id',
      [
        column('id', INT4, [CUSTOMERS, 1]),
        column('email', TEXT, [CUSTOMERS, 2]),
        column('card', TEXT, [CUSTOMERS, 3]),
        column('lower', TEXT),
        column('note', TEXT, [ORDERS, 3]),
      ],
    );
    const row = ['7', 'alice@example.com', '4111111111111111', 'alice@example.com', 'hello'];
    expect(masked(result, row)).toEqual([
      '7',
      '***@example.com',
      '************1111',
      '********',
      'hello',
    ]);
    if (result.action !== 'mask') return;
    expect(result.masker.active).toBe(true);
    expect(result.masker.takeCounts()).toEqual([
      { rule: 'masking.rules[0] (classification email)', count: 2 },
      { rule: 'masking.rules[1] (classification credit_card)', count: 1 },
    ]);
    expect(result.masker.takeCounts()).toEqual([]);
  });

  it('keeps rows untouched, and says so, when nothing in the result is classified', () => {
    const result = plan(policy(RULES), 'select id, note, 1 from orders', [
      column('id', INT4, [ORDERS, 1]),
      column('note', TEXT, [ORDERS, 3]),
      column('?column?', INT4),
    ]);
    expect(result.action === 'mask' && result.masker.active).toBe(false);
  });

  it.each([
    'select row_to_json(c) from customers c',
    'select json_agg(c) from customers c',
    'select to_json(c.*) from customers c',
  ])('redacts a JSON value built from classified rows: %s', (sql) => {
    const result = plan(policy(RULES), sql, [column('json', JSON_OID)]);
    expect(masked(result, ['{"email":"a@b.co"}'])).toEqual(['"********"']);
  });

  it('refuses derived values when the policy says so, before and after execution', () => {
    const p = policy(RULES, { derived: 'refuse' });
    const sql = "select email || '' from customers";
    const result = plan(p, sql, [column('?column?', TEXT)]);
    expect(result).toEqual({
      action: 'refuse',
      refusal: {
        rule: 'masking.rules[0] (classification email)',
        message: expect.stringContaining('AccessPolicy shop-readers') as unknown as string,
      },
    });
    const settings = maskingSettings(p, dataSource, hashKey);
    const lineage = statementLineage(parsedStatements(parseSync(sql))[0], catalog);
    expect(checkStatement(settings, lineage)?.rule).toBe('masking.rules[0] (classification email)');
    const plain = statementLineage(
      parsedStatements(parseSync('select email from customers'))[0],
      catalog,
    );
    expect(checkStatement(settings, plain)).toBeUndefined();
  });

  it('nulls what its type cannot carry, and binary non-text values, unless told to refuse', () => {
    const columns = [
      column('pin', INT4, [CUSTOMERS, 4]),
      column('email', TEXT, [CUSTOMERS, 2], 1),
      column('pin', INT4, [CUSTOMERS, 4], 1),
    ];
    const sql = 'select pin, email, pin from customers';
    expect(masked(plan(policy(RULES), sql, columns), ['1234', 'a@example.com', 'x'])).toEqual([
      null,
      '***@example.com',
      null,
    ]);
    const refused = plan(policy(RULES, { binary: 'refuse' }), sql, columns);
    expect(refused.action === 'refuse' && refused.refusal.message).toContain('binary format');
  });

  it('hashes deterministically, so hashed columns still join', () => {
    const rules: MaskingRule[] = [{ classification: 'email', strategy: 'hash' }];
    const a = plan(policy(rules), 'select email from customers', [
      column('email', TEXT, [CUSTOMERS, 2]),
    ]);
    const b = plan(policy(rules), 'select c.email from customers c', [
      column('email', TEXT, [CUSTOMERS, 2]),
    ]);
    const [ha] = masked(a, ['alice@example.com']);
    expect(ha).toMatch(/^h:[0-9a-f]{24}$/);
    expect(masked(b, ['alice@example.com'])).toEqual([ha]);
  });

  it('runs value detectors on the text columns a rule names, or on all', () => {
    const rules: MaskingRule[] = [
      { detector: 'credit_card', strategy: 'partial', columns: ['public.orders.note'] },
      { detector: 'email', strategy: 'redact' },
    ];
    const result = plan(policy(rules), 'select note, upper(note), id from orders', [
      column('note', TEXT, [ORDERS, 3]),
      column('upper', TEXT),
      column('id', INT4, [ORDERS, 1]),
    ]);
    const row = ['card 4111111111111111 from bob@example.com', 'CARD 4111111111111111', '5'];
    expect(masked(result, row)).toEqual([
      'card ************1111 from ********',
      'CARD ************1111',
      '5',
    ]);
    if (result.action !== 'mask') return;
    expect(result.masker.takeCounts()).toEqual([
      { rule: 'masking.rules[0] (detector credit_card)', count: 2 },
      { rule: 'masking.rules[1] (detector email)', count: 1 },
    ]);
  });

  it('fails closed when the statement is unknown: every column without origin is masked', () => {
    const result = plan(policy(RULES), undefined, [
      column('x', TEXT),
      column('note', TEXT, [ORDERS, 3]),
    ]);
    expect(masked(result, ['secret', 'hello'])).toEqual(['********', 'hello']);
  });

  it('fails closed on an origin the catalog does not know, in a statement reading classified data', () => {
    const result = plan(policy(RULES), 'select email from customers', [
      column('email', TEXT, [99999, 2]),
    ]);
    expect(masked(result, ['alice@example.com'])).toEqual(['***@example.com']);
  });

  it('masks every column of a spread whose lineage reaches classified data', () => {
    const result = plan(
      policy(RULES),
      'select * from customers c, lateral (select c.email, c.card) s',
      [
        column('id', INT4, [CUSTOMERS, 1]),
        column('email', TEXT, [CUSTOMERS, 2]),
        column('card', TEXT, [CUSTOMERS, 3]),
        column('pin', INT4, [CUSTOMERS, 4]),
        column('email', TEXT),
        column('card', TEXT),
      ],
    );
    expect(
      masked(result, ['1', 'a@x.io', '4111111111111111', '9', 'a@x.io', '4111111111111111']),
    ).toEqual(['1', '***@x.io', '************1111', null, '***@x.io', '************1111']);
  });

  it('rejects a row that does not fit the RowDescription', () => {
    const result = plan(policy(RULES), 'select email from customers', [
      column('email', TEXT, [CUSTOMERS, 2]),
    ]);
    if (result.action !== 'mask') throw new Error('expected a masker');
    expect(() => result.masker.maskRow([null, null])).toThrow('a row of 2 cells for 1 columns');
  });
});
