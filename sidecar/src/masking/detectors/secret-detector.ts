import type { Match } from './match.js';

// Key shapes with a recognisable prefix: the prefix alone makes a false positive unlikely.
const KEY_SHAPES: readonly RegExp[] = [
  // AWS access key ids: a four-letter type prefix and 16 upper-case base32 characters.
  /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])/g,
  // Stripe secret and restricted keys.
  /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![A-Za-z0-9])/g,
  // GitHub tokens: classic prefixes with 36 characters, and fine-grained personal tokens.
  /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{60,}(?![A-Za-z0-9_])/g,
  // Slack tokens.
  /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}(?![A-Za-z0-9-])/g,
  // PEM private keys (PKCS#1, PKCS#8, EC, OpenSSH, encrypted), armour lines included.
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g,
];

// Three base64url segments; the signature may be empty (alg none).
const JWT =
  /(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_.-])/g;
// Long runs that may be random key material: checked for entropy and character mix below.
const LONG_HEX = /(?<![A-Za-z0-9])[0-9a-fA-F]{48,}(?![A-Za-z0-9])/g;
const LONG_BASE64 = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_-])/g;

/**
 * Secrets: JWTs (three base64url parts whose first decodes to a JSON object header), AWS, Stripe,
 * GitHub and Slack key shapes, PEM private key blocks, and long high-entropy hex or base64 runs.
 * NOTE: 40-hex-digit runs (git object ids) and 32-hex-digit runs (UUIDs without dashes, MD5) are
 * deliberately not secrets here; a 48+ digit hex key is.
 */
export function findSecrets(text: string): Match[] {
  const found: Match[] = [];
  for (const re of KEY_SHAPES) collect(found, text, re, () => true);
  collect(found, text, JWT, isJwt);
  collect(found, text, LONG_HEX, (s) => shannonEntropy(s) >= 3);
  collect(found, text, LONG_BASE64, looksRandomBase64);
  return mergeOverlaps(found);
}

function collect(out: Match[], text: string, re: RegExp, accept: (s: string) => boolean): void {
  for (const m of text.matchAll(re)) {
    if (accept(m[0])) out.push({ start: m.index, end: m.index + m[0].length });
  }
}

function isJwt(candidate: string): boolean {
  const header = candidate.slice(0, candidate.indexOf('.'));
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded);
  } catch {
    return false;
  }
}

// Words and identifiers joined without spaces are long too; random key material mixes upper
// case, lower case and digits and has high per-character entropy (random base64 is near 6 bits).
function looksRandomBase64(candidate: string): boolean {
  const body = candidate.replace(/=+$/, '');
  if (!/[A-Z]/.test(body) || !/[a-z]/.test(body) || !/\d/.test(body)) return false;
  return shannonEntropy(body) >= 4.2;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function mergeOverlaps(matches: Match[]): Match[] {
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Match[] = [];
  for (const m of matches) {
    const last = merged.at(-1);
    if (last !== undefined && m.start < last.end) {
      last.end = Math.max(last.end, m.end);
    } else {
      merged.push({ ...m });
    }
  }
  return merged;
}
