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
  // One pass from the end: the '@' signs, the first '.' after the last '@', and the last four
  // letters or digits. Plain loops beat Buffer.indexOf's native calls on values this short.
  let at = -1;
  let ats = 0;
  let dot = -1;
  let nextDot = -1;
  let alnum = 0;
  let k0 = 0;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  for (let i = cell.length - 1; i >= 0; i--) {
    const c = cell[i]!;
    if (c === AT) {
      ats++;
      at = i;
    } else if (c === DOT && ats === 0) {
      nextDot = dot;
      dot = i;
    }
    const isAlnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!isAlnum) continue;
    if (alnum === 0) k3 = c;
    else if (alnum === 1) k2 = c;
    else if (alnum === 2) k1 = c;
    else if (alnum === 3) k0 = c;
    alnum++;
  }

  // As in partialMask: exactly one '@', not first, and a '.' at least two bytes after it.
  const dotAfter = dot > at + 1 || (dot === at + 1 && nextDot !== -1);
  if (ats === 1 && at > 0 && dot !== -1 && dotAfter) {
    const out = Buffer.allocUnsafe(3 + cell.length - at);
    out[0] = out[1] = out[2] = STAR;
    for (let i = at; i < cell.length; i++) out[3 + i - at] = cell[i]!;
    return out;
  }
  if (alnum < PARTIAL_MIN_LENGTH) return REDACTED_BYTES;
  const out = Buffer.allocUnsafe(PARTIAL_STARS.length + PARTIAL_KEEP);
  out.fill(STAR, 0, PARTIAL_STARS.length);
  const tail = PARTIAL_STARS.length;
  out[tail] = k0;
  out[tail + 1] = k1;
  out[tail + 2] = k2;
  out[tail + 3] = k3;
  return out;
}

const AT = 0x40;
const DOT = 0x2e;
const STAR = 0x2a;
const REDACTED_BYTES = Buffer.from(REDACTED);
