import type { Match } from './match.js';

// Dot-atom local part (RFC 5322 atext without quoting) and a host name with an alphabetic TLD.
const EMAIL =
  /(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;

/** Email addresses in the common dot-atom form (no quoted local parts, no IP literals). */
export function findEmails(text: string): Match[] {
  if (!text.includes('@')) return [];
  const found: Match[] = [];
  for (const m of text.matchAll(EMAIL)) {
    found.push({ start: m.index, end: m.index + m[0].length });
  }
  return found;
}
