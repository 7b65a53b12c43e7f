import { hasDigits, type Match } from './match.js';

// 13 to 19 digits, single spaces or dashes allowed between them, not glued to other digits.
const CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d]|-\d)/g;

/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Card numbers: 13-19 digits that pass Luhn and start like an issued card (2-6: Mastercard 2-
 * series, Amex/Diners/JCB, Visa, Mastercard, Discover/UnionPay/Maestro). Digits starting with
 * 0, 1, 7, 8 or 9 are left alone: they are far more often order or account numbers.
 */
export function findCardNumbers(text: string): Match[] {
  // A card number has at least 13 digits; most text has fewer in all.
  if (!hasDigits(text, 13)) return [];
  const found: Match[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const digits = m[0].replace(/[ -]/g, '');
    const first = digits.charCodeAt(0) - 48;
    if (first < 2 || first > 6) continue;
    if (!luhnValid(digits)) continue;
    found.push({ start: m.index, end: m.index + m[0].length });
  }
  return found;
}
