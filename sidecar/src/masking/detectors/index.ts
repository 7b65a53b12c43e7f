import type { ValueDetector } from '@portcullis/crds';
import { findCardNumbers } from './card-detector.js';
import { findEmails } from './email-detector.js';
import { findIbans } from './iban-detector.js';
import type { Match } from './match.js';
import { findPhones } from './phone-detector.js';
import { findSecrets } from './secret-detector.js';
import { findSsns } from './ssn-detector.js';

export type { Match } from './match.js';

/** Finds every value of one kind in a text; matches are sorted and do not overlap. */
export type DetectorFn = (text: string) => Match[];

/** The value detectors an AccessPolicy masking rule may name. */
export const DETECTORS: Readonly<Record<ValueDetector, DetectorFn>> = {
  credit_card: findCardNumbers,
  iban: findIbans,
  email: findEmails,
  us_ssn: findSsns,
  phone: findPhones,
  secret: findSecrets,
};
