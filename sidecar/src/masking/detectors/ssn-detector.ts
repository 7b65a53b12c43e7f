import { hasDigits, type Match } from './match.js';

// Only the grouped forms 123-45-6789 and 123 45 6789: nine bare digits are too often other ids.
const CANDIDATE = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d]|-\d)/g;

/**
 * US Social Security numbers with a valid area (not 000, 666 or 900-999), group (not 00) and
 * serial (not 0000), per the SSA's rules for numbers it issues.
 */
export function findSsns(text: string): Match[] {
  // An SSN has nine digits; most text has fewer in all.
  if (!hasDigits(text, 9)) return [];
  const found: Match[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const area = Number(m[1]);
    if (area === 0 || area === 666 || area >= 900) continue;
    if (m[3] === '00' || m[4] === '0000') continue;
    found.push({ start: m.index, end: m.index + m[0].length });
  }
  return found;
}
