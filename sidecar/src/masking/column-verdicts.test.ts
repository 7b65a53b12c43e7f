import { describe, expect, it } from '@jest/globals';
import { ClassificationIndex } from './classification-index.js';
import { alignOutput, columnVerdicts, type FieldOrigin } from './column-verdicts.js';
import type { OutputItem, StatementLineage } from './lineage/lineage-types.js';
import { catalog, CUSTOMERS, ORDERS } from './shop-fixture.js';

const classification = new ClassificationIndex({
  'public.customers.email': 'email',
  'public.customers.card': 'credit_card',
});
const email: OutputItem = { kind: 'column', sources: ['public.customers.email'] };
const computedEmail: OutputItem = { kind: 'computed', sources: ['public.customers.email'] };
const constant: OutputItem = { kind: 'computed', sources: [] };
const spread: OutputItem = { kind: 'spread', sources: ['public.customers.*'], baseTable: true };
const none: FieldOrigin = { tableOid: 0, attnum: 0 };

function lineage(
  output: OutputItem[] | undefined,
  relations = ['public.customers'],
): StatementLineage {
  return { output, relations, opaque: false };
}

function verdicts(fields: FieldOrigin[], l: StatementLineage | undefined): string[] {
  return columnVerdicts(fields, l, classification, catalog).map((v) =>
    v.lineage === 'unrelated' ? 'unrelated' : `${v.lineage} ${[...v.kinds].sort().join(',')}`,
  );
}

describe('alignOutput', () => {
  it('stretches a single spread to the width the RowDescription has', () => {
    expect(alignOutput([constant, spread, email], 5)).toEqual([
      constant,
      spread,
      spread,
      spread,
      email,
    ]);
  });

  it.each([
    ['two spreads', [spread, spread], 4],
    ['too many columns', [email, email], 1],
    ['too few columns', [email], 2],
    ['no lineage', undefined, 2],
  ])('gives up on %s', (_why, output, width) => {
    expect(alignOutput(output, width)).toEqual(new Array(width).fill(undefined));
  });
});

describe('columnVerdicts', () => {
  it('trusts a table origin for plain columns and lineage for computed ones', () => {
    const fields = [{ tableOid: CUSTOMERS, attnum: 2 }, none, { tableOid: ORDERS, attnum: 3 }];
    expect(verdicts(fields, lineage([email, computedEmail, constant]))).toEqual([
      'plain email',
      'derived email',
      'unrelated',
    ]);
  });

  it('masks columns of unknown lineage with every kind the statement reads (fail closed)', () => {
    const fields = [none, none, { tableOid: CUSTOMERS, attnum: 3 }];
    expect(verdicts(fields, lineage([spread, spread]))).toEqual([
      'derived credit_card,email',
      'derived credit_card,email',
      'plain credit_card',
    ]);
    const unknownOfOrders = lineage([{ kind: 'unknown', sources: [] }], ['public.orders']);
    expect(verdicts([none], unknownOfOrders)).toEqual(['unrelated']);
    // A result for a statement thought to return none: something is off, mask everything.
    expect(verdicts([none], lineage(undefined, ['public.orders']))).toEqual([
      'derived credit_card,email',
    ]);
    expect(verdicts([none], undefined)).toEqual(['derived credit_card,email']);
  });

  it('fails closed on a table OID the catalog does not know', () => {
    expect(verdicts([{ tableOid: 424242, attnum: 1 }], lineage([constant]))).toEqual([
      'derived credit_card,email',
    ]);
  });
});
