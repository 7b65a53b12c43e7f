import { hasDigits, type Match } from './match.js';

// IBAN lengths by country (ISO 13616 registry, SWIFT IBAN Registry release 2024).
// prettier-ignore
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, QA: 29,
  RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23,
  ST: 25, SV: 28, TL: 23, TN: 24, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

// Country, check digits, then 11-30 alphanumerics, optionally in space-separated groups.
const CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g;

/** ISO 7064 mod 97-10 over the rearranged IBAN; valid when the remainder is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      rest = (rest * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      // Letters count as two digits: A = 10 ... Z = 35.
      rest = (rest * 100 + (c - 55)) % 97;
    } else {
      return false;
    }
  }
  return rest === 1;
}

/** IBANs: a known country, that country's length, and a valid mod-97 checksum. */
export function findIbans(text: string): Match[] {
  // An IBAN has two check digits.
  if (!hasDigits(text, 2)) return [];
  const found: Match[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const country = m[0].slice(0, 2).toUpperCase();
    const expected = IBAN_LENGTHS[country];
    if (expected === undefined) continue;
    const end = ibanEnd(m[0], expected);
    if (end === undefined) continue;
    if (!ibanChecksumValid(m[0].slice(0, end).replace(/ /g, '').toUpperCase())) continue;
    found.push({ start: m.index, end: m.index + end });
  }
  return found;
}

// The candidate may run on into a following word ("DE89 ... 00 and"): the IBAN ends after
// `expected` alphanumerics, and only where a group ends (a space or the end of the candidate).
function ibanEnd(candidate: string, expected: number): number | undefined {
  let seen = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (candidate[i] === ' ') continue;
    seen++;
    if (seen === expected) {
      const next = candidate[i + 1];
      return next === undefined || next === ' ' ? i + 1 : undefined;
    }
  }
  return undefined;
}
