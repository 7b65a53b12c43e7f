import { beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessPolicy } from '@portcullis/crds';
import { loadModule, parseSync } from 'libpg-query';
import { copyFormat } from './copy-format.js';
import { planCopyOut, type CopyPlan } from './copy-plan.js';
import { parsedStatements, statementLineage } from './lineage/statement-lineage.js';
import { maskingSettings } from './result-plan.js';
import { catalog, dataSource, hashKey, policy, RULES } from './shop-fixture.js';

beforeAll(async () => {
  await loadModule();
});

function plan(sql: string, columnCount: number, p: AccessPolicy = policy(RULES)): CopyPlan {
  const stmt = parsedStatements(parseSync(sql))[0];
  const lineage = statementLineage(stmt, catalog);
  return planCopyOut(maskingSettings(p, dataSource, hashKey), stmt, lineage, catalog, columnCount);
}

function send(result: CopyPlan, messages: (string | Buffer)[]): string[] {
  if (result.action !== 'mask') throw new Error(`refused: ${result.refusal.message}`);
  return messages.map((m) =>
    result.masker.maskData(typeof m === 'string' ? Buffer.from(m) : m).toString('latin1'),
  );
}

describe('copyFormat', () => {
  it('reads old and new option syntax', () => {
    const format = (sql: string) => copyFormat(parsedStatements(parseSync(sql))[0]);
    expect(format('copy t to stdout')).toMatchObject({
      format: 'text',
      delimiter: '\t',
      nullText: '\\N',
      header: false,
    });
    expect(format('copy t to stdout csv header')).toMatchObject({
      format: 'csv',
      delimiter: ',',
      nullText: '',
      header: true,
    });
    expect(
      format("copy t to stdout with (format csv, header false, delimiter ';', null 'NULL')"),
    ).toMatchObject({
      delimiter: ';',
      nullText: 'NULL',
      header: false,
    });
    expect(format('copy t to stdout with (format binary)').format).toBe('binary');
  });
});

describe('planCopyOut', () => {
  it('masks classified columns of COPY table TO STDOUT in text format, escapes kept', () => {
    const result = plan('copy customers to stdout', 4);
    expect(
      send(result, [
        '1\talice@example.com\t4111111111111111\t1234\n',
        '2\t\\N\ta\\tb\\\\c 4111111111111111\t\\N\n',
      ]),
    ).toEqual(['1\t***@example.com\t************1111\t\\N\n', '2\t\\N\t************1111\t\\N\n']);
  });

  it('masks CSV with a header line and quoted fields; computed values of unknown type are NULL', () => {
    const result = plan(
      'copy (select id, email, lower(email) from customers) to stdout csv header',
      3,
    );
    expect(
      send(result, ['id,email,lower\n', '1,"x,y@example.com","q""@example.com"\n', '2,,""\n']),
    ).toEqual(['id,email,lower\n', '1,***@example.com,\n', '2,,\n']);
  });

  it('passes multi-byte characters of unmasked fields through byte for byte', () => {
    const result = plan('copy customers (id, email) to stdout', 2);
    const row = Buffer.from('7\tüser@exämple.com\n', 'utf8');
    expect(send(result, [row]).map((s) => Buffer.from(s, 'latin1').toString('utf8'))).toEqual([
      '7\t***@exämple.com\n',
    ]);
  });

  it('leaves COPY of unclassified data untouched', () => {
    const result = plan('copy orders (note) to stdout', 1);
    expect(result.action === 'mask' && result.masker.active).toBe(false);
  });

  it('refuses COPY of derived values when the policy says so', () => {
    const result = plan(
      "copy (select email || '' from customers) to stdout",
      1,
      policy(RULES, { derived: 'refuse' }),
    );
    expect(result.action).toBe('refuse');
  });

  it('masks binary COPY rows field by field', () => {
    const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
    const field = (v: string | null): Buffer => {
      const len = Buffer.alloc(4);
      len.writeInt32BE(v === null ? -1 : Buffer.byteLength(v));
      return v === null ? len : Buffer.concat([len, Buffer.from(v)]);
    };
    const count = Buffer.from([0, 2]);
    const row = Buffer.concat([count, field('\0\0\0\x07'), field('alice@example.com')]);
    const result = plan('copy customers (id, email) to stdout with (format binary)', 2);
    const [first, second, trailer] = send(result, [
      Buffer.concat([header, row]),
      row,
      Buffer.from([0xff, 0xff]),
    ]);
    const expected = Buffer.concat([count, field('\0\0\0\x07'), field('***@example.com')]).toString(
      'latin1',
    );
    expect(first).toBe(header.toString('latin1') + expected);
    expect(second).toBe(expected);
    expect(trailer).toBe('\xff\xff');
  });
});
