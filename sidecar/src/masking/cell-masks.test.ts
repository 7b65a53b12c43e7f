import { describe, expect, it } from '@jest/globals';
import type { MaskStrategy } from '@portcullis/crds';
import { buildCellMask, type CellMaskSpec } from './cell-masks.js';
import { typeClass } from './pg-types.js';

const hashKey = Buffer.from('k'.repeat(32));

function mask(
  strategy: MaskStrategy,
  typeOid: number,
  value: string | Buffer,
  format: 0 | 1 = 0,
): string | null | undefined {
  const spec: CellMaskSpec = { strategy, type: typeClass(typeOid), format, hashKey };
  const fn = buildCellMask(spec);
  if (fn === undefined) return undefined;
  const out = fn(typeof value === 'string' ? Buffer.from(value) : value);
  return out === null ? null : out.toString('latin1');
}

const TEXT = 25;
const VARCHAR = 1043;
const INT4 = 23;
const INT8 = 20;
const INT2 = 21;
const NUMERIC = 1700;
const JSON_OID = 114;
const JSONB = 3802;
const UUID = 2950;
const DATE = 1082;
const TEXT_ARRAY = 1009;

describe('buildCellMask', () => {
  it('masks text types as text in both formats', () => {
    expect(mask('redact', TEXT, 'alice@example.com')).toBe('********');
    expect(mask('partial', VARCHAR, 'alice@example.com')).toBe('***@example.com');
    expect(mask('partial', TEXT, '4111111111111234', 1)).toBe('************1234');
    expect(mask('hash', TEXT, 'x', 1)).toBe(mask('hash', TEXT, 'x', 0));
  });

  it('keeps JSON valid', () => {
    expect(JSON.parse(mask('redact', JSON_OID, '{"email":"a@b.co"}') ?? '')).toBe('********');
    expect(JSON.parse(mask('partial', JSONB, '"alice@example.com"') ?? '')).toBe('***@example.com');
    expect(JSON.parse(mask('partial', JSONB, '[1,2]') ?? '')).toBe('********');
    expect(JSON.parse(mask('hash', JSON_OID, '{}') ?? '')).toMatch(/^h:[0-9a-f]{24}$/);
  });

  it('writes binary jsonb with its version byte', () => {
    const binary = Buffer.concat([Buffer.from([1]), Buffer.from('{"a":1}')]);
    const out = mask('redact', JSONB, binary, 1);
    expect(out?.charCodeAt(0)).toBe(1);
    expect(JSON.parse(out?.slice(1) ?? '')).toBe('********');
  });

  it('hashes integers into integers of the same width, deterministically', () => {
    const h4 = mask('hash', INT4, '42');
    expect(Number(h4)).toBeGreaterThanOrEqual(-(2 ** 31));
    expect(Number(h4)).toBeLessThan(2 ** 31);
    expect(mask('hash', INT4, '42')).toBe(h4);
    expect(Math.abs(Number(mask('hash', INT2, '42')))).toBeLessThanOrEqual(32768);
    expect(mask('hash', INT8, '42')).toMatch(/^-?\d{1,19}$/);
    expect(mask('hash', NUMERIC, '42.50')).toMatch(/^-?\d{1,19}$/);
    expect(mask('hash', UUID, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it.each([
    ['a redacted int', 'redact', INT4, 0],
    ['a partial numeric', 'partial', NUMERIC, 0],
    ['a redacted date', 'redact', DATE, 0],
    ['a hashed date', 'hash', DATE, 0],
    ['a redacted text array', 'redact', TEXT_ARRAY, 0],
    ['a binary int hash', 'hash', INT4, 1],
    ['a binary uuid', 'redact', UUID, 1],
  ] as const)('has no mask for %s (it becomes NULL)', (_what, strategy, oid, format) => {
    expect(mask(strategy, oid, '1', format)).toBeUndefined();
  });

  it('turns any type into NULL with the null strategy', () => {
    expect(mask('null', DATE, '2024-01-01', 1)).toBeNull();
    expect(mask('null', TEXT, 'x')).toBeNull();
  });
});
