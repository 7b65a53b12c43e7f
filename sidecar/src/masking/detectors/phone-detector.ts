import { hasDigits, type Match } from './match.js';

// E.164 with a plus sign, digits optionally grouped by single spaces, dots or dashes, with an
// optional parenthesised group: +14155550123, +44 20 7946 0958, +1 (415) 555-0123.
const INTERNATIONAL = /(?<![\w+])\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w]|[.-]\d)/g;
// North American numbers written with separators: (415) 555-0123, 415-555-0123, 415.555.0123.
const NANP = /(?<![\w.+-])(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w]|[.-]\d)/g;
// National numbers with a trunk prefix 0, in at least two separated groups: 020 7946 0958.
const TRUNK = /(?<![\w.+-])0\d{1,4}[ -]\d{3,4}(?:[ -]?\d{3,4})(?![\w]|[.-]\d)/g;

/**
 * Phone numbers, conservatively: an E.164 number with its plus sign (8-15 digits), or a national
 * number written with separators. Bare digit runs are never phone numbers here, so ids, amounts
 * and dates stay untouched.
 */
export function findPhones(text: string): Match[] {
  // A phone number here has at least eight digits; most text has fewer in all.
  if (!hasDigits(text, 8)) return [];
  const found: Match[] = [];
  for (const m of text.matchAll(INTERNATIONAL)) {
    const digits = countDigits(m[0]);
    if (digits < 8 || digits > 15) continue;
    found.push({ start: m.index, end: m.index + m[0].length });
  }
  for (const re of [NANP, TRUNK]) {
    for (const m of text.matchAll(re)) {
      const digits = countDigits(m[0]);
      if (digits < 10 || digits > 11) continue;
      if (found.some((f) => f.start <= m.index && m.index < f.end)) continue;
      found.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
