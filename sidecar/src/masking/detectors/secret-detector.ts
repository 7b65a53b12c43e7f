import type { Match } from './match.js';

/** A secret's shape, the shortest text it can match, and the test a match must pass. */
export interface Shape {
  re: RegExp;
  minLength: number;
  accept: (candidate: string) => boolean;
}

const always = (): boolean => true;

// Shapes within runs of token characters (see CANDIDATE_RUN). The first five are key shapes
// with a recognisable prefix, which alone makes a false positive unlikely.
export const SECRET_SHAPES: readonly Shape[] = [
  // AWS access key ids: a four-letter type prefix and 16 upper-case base32 characters.
  {
    re: /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])/g,
    minLength: 20,
    accept: always,
  },
  // Stripe secret and restricted keys.
  {
    re: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![A-Za-z0-9])/g,
    minLength: 24,
    accept: always,
  },
  // GitHub tokens: classic prefixes with 36 characters, and fine-grained personal tokens.
  {
    re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}(?![A-Za-z0-9])/g,
    minLength: 40,
    accept: always,
  },
  {
    re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{60,}(?![A-Za-z0-9_])/g,
    minLength: 71,
    accept: always,
  },
  // Slack tokens.
  {
    re: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}(?![A-Za-z0-9-])/g,
    minLength: 15,
    accept: always,
  },
  // JWTs: three base64url segments; the signature may be empty (alg none).
  {
    re: /(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_.-])/g,
    minLength: 12,
    accept: (s) => isJwt(s),
  },
  // Long runs that may be random key material: checked for entropy and character mix.
  {
    re: /(?<![A-Za-z0-9])[0-9a-fA-F]{48,}(?![A-Za-z0-9])/g,
    minLength: 48,
    accept: (s) => shannonEntropy(s) >= 3,
  },
  {
    re: /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_-])/g,
    minLength: 40,
    accept: (s) => looksRandomBase64(s),
  },
];

// Every character the shapes above match, and every one their lookarounds test, is in this
// set. So a shape matches the text exactly where it matches within one maximal run of these
// characters, and a run shorter than a shape's minLength holds none of it (the shortest is a
// JWT: 8 + 1 + 2 + 1). Scanning the runs alone spares eight scans of ordinary text.
const CANDIDATE_RUN = /[A-Za-z0-9_+/=.-]{12,}/g;

// PEM private keys (PKCS#1, PKCS#8, EC, OpenSSH, encrypted), armour lines included.
export const PEM_KEY =
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;

/**
 * Secrets: JWTs (three base64url parts whose first decodes to a JSON object header), AWS, Stripe,
 * GitHub and Slack key shapes, PEM private key blocks, and long high-entropy hex or base64 runs.
 * NOTE: 40-hex-digit runs (git object ids) and 32-hex-digit runs (UUIDs without dashes, MD5) are
 * deliberately not secrets here; a 48+ digit hex key is.
 */
export function findSecrets(text: string): Match[] {
  const found: Match[] = [];
  CANDIDATE_RUN.lastIndex = 0;
  for (let run = CANDIDATE_RUN.exec(text); run !== null; run = CANDIDATE_RUN.exec(text)) {
    for (const shape of SECRET_SHAPES) {
      if (run[0].length >= shape.minLength) collect(found, run[0], run.index, shape);
    }
  }
  if (text.includes('PRIVATE KEY-----')) {
    collect(found, text, 0, { re: PEM_KEY, minLength: 0, accept: always });
  }
  return mergeOverlaps(found);
}

/** Adds the accepted matches of a shape in text, which starts at offset `at` of the whole. */
function collect(out: Match[], text: string, at: number, shape: Shape): void {
  const { re, accept } = shape;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (accept(m[0])) out.push({ start: at + m.index, end: at + m.index + m[0].length });
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
