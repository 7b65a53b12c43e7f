import type { MaskStrategy } from '@portcullis/crds';
import type { TypeClass } from './pg-types.js';
import { KeyedHasher } from './keyed-hasher.js';
import {
  hashTextBytes,
  hashTextWith,
  partialLayout,
  partialMask,
  partialMaskBytes,
  partialSize,
  REDACTED,
  writePartial,
} from './strategies.js';

/**
 * Masks one non-null cell as it travels on the wire; null means send SQL NULL. A mask whose
 * result is never NULL may also say how to write it in place (`inline`), which rows rewritten
 * into one buffer use to spare a buffer per cell.
 */
export type CellMask = ((cell: Buffer) => Buffer | null) & { inline?: InlineMask };

/** A mask in three steps over a cell src[start, end) that stays where it is. */
export interface InlineMask {
  /** Reads the cell once; what write() needs to know, as a number. */
  layout(src: Buffer, start: number, end: number): number;
  /** The length of the masked cell. */
  size(layout: number, start: number, end: number): number;
  /** Writes the masked cell at out[at]; returns the offset after it. */
  write(src: Buffer, start: number, end: number, layout: number, out: Buffer, at: number): number;
}

/** What a column's masking depends on. */
export interface CellMaskSpec {
  strategy: MaskStrategy;
  type: TypeClass;
  /** Format code of the column in this result: 0 text, 1 binary. */
  format: 0 | 1;
  hashKey: Buffer;
}

// jsonb's binary send format is a version byte (1) followed by the JSON text.
const JSONB_VERSION = 1;
const REDACTED_TEXT = Buffer.from(REDACTED);
const REDACTED_JSON = Buffer.from(JSON.stringify(REDACTED));
const toNull: CellMask = () => null;

/**
 * The mask for one column, or undefined when no value of that type and format can carry the
 * mask, so the column must become NULL (or the statement be refused, as the policy says).
 *
 * Decisions by type, text format (format 0):
 * - strings (text, varchar, bpchar, name, "char", unknown): every strategy yields text;
 * - json and jsonb: the masked text as a JSON string (`"********"`), so it still parses;
 * - int2, int4, int8: hash yields an integer of the same width from the HMAC, so joins on
 *   hashed ids still work; redact and partial cannot be expressed and become NULL;
 * - numeric: hash yields an int8-range integer; redact and partial become NULL;
 * - uuid: hash yields a UUID spelled from the HMAC; redact and partial become NULL;
 * - anything else (dates, times, booleans, arrays, bytea, records, user-defined types): NULL.
 * Binary format (format 1): only strings (their binary form is the UTF-8 text), json (same) and
 * jsonb (version byte, then text) are masked; everything else is undefined here.
 */
export function buildCellMask(spec: CellMaskSpec): CellMask | undefined {
  if (spec.strategy === 'null') return toNull;
  const hasher = new KeyedHasher(spec.hashKey);
  if (spec.type === 'text') return textMask(spec.strategy, hasher);
  if (spec.type === 'json') return jsonMask(spec.strategy, hasher);
  if (spec.type === 'jsonb') {
    const mask = jsonMask(spec.strategy, hasher);
    return spec.format === 0 ? mask : withJsonbVersion(mask);
  }
  if (spec.format === 1 || spec.strategy !== 'hash') return undefined;
  return hashOfType(spec.type, hasher);
}

function textMask(strategy: 'redact' | 'partial' | 'hash', hasher: KeyedHasher): CellMask {
  switch (strategy) {
    case 'redact':
      return REDACT_TEXT;
    case 'partial':
      return PARTIAL_TEXT;
    case 'hash':
      return memoized((cell) => hashTextBytes(hasher, cell));
  }
}

const REDACT_TEXT: CellMask = Object.assign(() => REDACTED_TEXT, {
  inline: {
    layout: () => 0,
    size: () => REDACTED_TEXT.length,
    write: (_src: Buffer, _start: number, _end: number, _layout: number, out: Buffer, at: number) =>
      at + REDACTED_TEXT.copy(out, at),
  },
});

const PARTIAL_TEXT: CellMask = Object.assign((cell: Buffer) => partialMaskBytes(cell), {
  inline: {
    layout: partialLayout,
    size: (layout: number, _start: number, end: number) => partialSize(layout, end),
    write: writePartial,
  },
});

// An HMAC costs about two microseconds, far more than the rest of a row; values repeat often
// (ids, join keys, low-cardinality columns), so each column remembers its recent results.
const MEMO_ENTRIES = 4096;

function memoized(mask: (cell: Buffer) => Buffer): CellMask {
  let memo = new Map<string, Buffer>();
  return (cell) => {
    const key = cell.toString('latin1');
    const known = memo.get(key);
    if (known !== undefined) return known;
    const masked = mask(cell);
    if (memo.size >= MEMO_ENTRIES) memo = new Map();
    memo.set(key, masked);
    return masked;
  };
}

function jsonMask(strategy: 'redact' | 'partial' | 'hash', hasher: KeyedHasher): CellMask {
  switch (strategy) {
    case 'redact':
      return () => REDACTED_JSON;
    case 'partial':
      // Only a JSON string has "last four" to keep; objects and arrays are redacted whole.
      return (cell) => {
        const text = cell.toString('utf8');
        if (!text.startsWith('"')) return REDACTED_JSON;
        return Buffer.from(JSON.stringify(partialMask(JSON.parse(text) as string)));
      };
    case 'hash':
      return (cell) => Buffer.from(JSON.stringify(hashTextWith(hasher, cell)));
  }
}

function withJsonbVersion(mask: CellMask): CellMask {
  return (cell) => {
    const masked = mask(cell.subarray(1));
    if (masked === null) return null;
    const out = Buffer.allocUnsafe(masked.length + 1);
    out[0] = JSONB_VERSION;
    masked.copy(out, 1);
    return out;
  };
}

function hashOfType(type: TypeClass, hasher: KeyedHasher): CellMask | undefined {
  switch (type) {
    case 'int2':
      return memoized((cell) => Buffer.from(String(hasher.digest(cell).readInt16BE(0))));
    case 'int4':
      return memoized((cell) => Buffer.from(String(hasher.digest(cell).readInt32BE(0))));
    case 'int8':
    case 'numeric':
      return memoized((cell) => Buffer.from(String(hasher.digest(cell).readBigInt64BE(0))));
    case 'uuid':
      return memoized((cell) => Buffer.from(uuidFrom(hasher.digest(cell))));
    default:
      return undefined;
  }
}

function uuidFrom(digest: Buffer): string {
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
