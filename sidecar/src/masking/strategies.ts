import { createHmac } from 'node:crypto';

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

/** The keyed HMAC-SHA-256 of a value: same key and bytes, same digest, so joins still match. */
export function hmacDigest(key: Buffer, value: Buffer | string): Buffer {
  return createHmac('sha256', key).update(value).digest();
}

/** hash for text: `h:` and the first 24 hex digits of the keyed HMAC-SHA-256. */
export function hashText(key: Buffer, value: Buffer | string): string {
  return HASH_PREFIX + hmacDigest(key, value).toString('hex', 0, HASH_HEX_DIGITS / 2);
}
