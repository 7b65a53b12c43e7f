import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

// One or more <number><unit> pairs, largest unit first by convention ("1h30m", "45s", "500ms").
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d)/g;

/** Parses a Kubernetes-style duration such as `5m` or `1h30m` into milliseconds. */
export function parseDuration(text: string): number {
  if (!DURATION_RE.test(text)) {
    throw new RangeError(`invalid duration "${text}": use a number and a unit (ms, s, m, h, d)`);
  }

  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART_RE)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** A duration string in a manifest; validated here, parsed by `parseDuration` where used. */
export const durationSchema = z
  .string()
  .regex(DURATION_RE, 'must be a duration such as 30s, 5m, 1h or 1h30m')
  .refine((text) => parseDuration(text) > 0, 'must be longer than zero');
