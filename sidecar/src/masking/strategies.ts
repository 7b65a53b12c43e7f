import { KeyedHasher } from './keyed-hasher.js';

/** What every redacted text becomes: constant, so it never reveals the original length. */
export const REDACTED = '********';
/** Prefix of hashed values, so a reader can tell a hash from data. */
export const HASH_PREFIX = 'h:';
// 24 hex digits = 96 bits: collisions stay negligible for any table size a query returns.
const HASH_HEX_DIGITS = 24;
const PARTIAL_KEEP = 4;
// Below this many letters and digits, keeping four would reveal half or more of the value.
const PARTIAL_MIN_LENGTH = 8;
const PARTIAL_STARS = '************';

/**
 * partial: emails keep their domain (`***@example.com`); anything else keeps its last four
 * letters or digits behind a fixed run of twelve stars (`************1234`), separators dropped.
 * Values with fewer than eight letters and digits are redacted whole.
 */
export function partialMask(value: string): string {
  const at = value.indexOf('@');
  if (at > 0 && at === value.lastIndexOf('@') && value.indexOf('.', at + 2) > at + 1) {
    return `***${value.slice(at)}`;
  }

  let alnum = 0;
  let kept = '';
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    const isAlnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!isAlnum) continue;
    alnum++;
    if (kept.length < PARTIAL_KEEP) kept = value[i] + kept;
  }
  if (alnum < PARTIAL_MIN_LENGTH) return REDACTED;
  return PARTIAL_STARS + kept;
}

/** hash for text: `h:` and the first 24 hex digits of the keyed HMAC-SHA-256. */
export function hashTextWith(hasher: KeyedHasher, value: Buffer | string): string {
  return HASH_PREFIX + hasher.hex(value, HASH_HEX_DIGITS / 8);
}

/** hashTextWith as bytes, for column masks: no string is built. */
export function hashTextBytes(hasher: KeyedHasher, value: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HASH_PREFIX.length + HASH_HEX_DIGITS);
  out.write(HASH_PREFIX, 0, 'latin1');
  hasher.writeHex(value, HASH_HEX_DIGITS / 8, out, HASH_PREFIX.length);
  return out;
}

/** hash for text with a one-off key (tests); columns keep one KeyedHasher. */
export function hashText(key: Buffer, value: Buffer | string): string {
  return hashTextWith(new KeyedHasher(key), value);
}

/**
 * partialMask over UTF-8 bytes, for column masks: the same result without decoding. Only ASCII
 * letters and digits count, so multi-byte characters are skipped exactly as partialMask does.
 */
export function partialMaskBytes(cell: Buffer): Buffer {
  const layout = partialLayout(cell, 0, cell.length);
  if (layout === PARTIAL_REDACTED) return REDACTED_BYTES;
  const out = Buffer.allocUnsafe(partialSize(layout, cell.length));
  writePartial(cell, 0, cell.length, layout, out, 0);
  return out;
}

/** partialLayout's answer for a value that keeps its last four letters or digits. */
export const PARTIAL_KEEP_FOUR = -1;
/** partialLayout's answer for a value too short to keep anything: it is redacted. */
export const PARTIAL_REDACTED = -2;

/**
 * The first of partialMaskBytes's three steps, which rows rewritten into one buffer take one
 * by one, for a cell src[start, end) that stays in place: what the mask keeps. An email's '@'
 * position (its domain is kept), else PARTIAL_KEEP_FOUR or PARTIAL_REDACTED.
 */
export function partialLayout(src: Buffer, start: number, end: number): number {
  // One pass from the end: the '@' signs, the first '.' after the last '@', and how many
  // letters or digits. Plain loops beat Buffer.indexOf's native calls on values this short.
  let at = -1;
  let ats = 0;
  let dot = -1;
  let nextDot = -1;
  let alnum = 0;
  for (let i = end - 1; i >= start; i--) {
    const c = src[i]!;
    if (c === AT) {
      ats++;
      at = i;
    } else if (c === DOT && ats === 0) {
      nextDot = dot;
      dot = i;
    }
    if (isAlnum(c)) alnum++;
  }
  // As in partialMask: exactly one '@', not first, and a '.' at least two bytes after it.
  const dotAfter = dot > at + 1 || (dot === at + 1 && nextDot !== -1);
  if (ats === 1 && at > start && dot !== -1 && dotAfter) return at;
  return alnum < PARTIAL_MIN_LENGTH ? PARTIAL_REDACTED : PARTIAL_KEEP_FOUR;
}

/** The masked length of a cell ending at `end` with this layout. */
export function partialSize(layout: number, end: number): number {
  if (layout >= 0) return 3 + end - layout;
  return layout === PARTIAL_KEEP_FOUR ? PARTIAL_STARS.length + PARTIAL_KEEP : REDACTED.length;
}

/** Writes the masked cell at out[at]; returns the offset after it. */
export function writePartial(
  src: Buffer,
  start: number,
  end: number,
  layout: number,
  out: Buffer,
  at: number,
): number {
  if (layout >= 0) {
    out[at] = out[at + 1] = out[at + 2] = STAR;
    let to = at + 3;
    for (let i = layout; i < end; i++) out[to++] = src[i]!;
    return to;
  }
  if (layout === PARTIAL_REDACTED) {
    for (let i = 0; i < REDACTED_BYTES.length; i++) out[at + i] = REDACTED_BYTES[i]!;
    return at + REDACTED_BYTES.length;
  }
  const stars = PARTIAL_STARS.length;
  for (let i = 0; i < stars; i++) out[at + i] = STAR;
  // The last four letters or digits, in order; layout says there are at least eight.
  let kept = PARTIAL_KEEP;
  for (let i = end - 1; i >= start && kept > 0; i--) {
    const c = src[i]!;
    if (isAlnum(c)) out[at + stars + --kept] = c;
  }
  return at + stars + PARTIAL_KEEP;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

const AT = 0x40;
const DOT = 0x2e;
const STAR = 0x2a;
const REDACTED_BYTES = Buffer.from(REDACTED);
