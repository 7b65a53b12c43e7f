import { z } from 'zod';
import { withRules } from './validation-rule.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

// One or more <integer><unit> pairs ("1h30m", "45s", "500ms"): a subset of what Go's
// time.ParseDuration and CEL's duration() accept, so the API server reads every duration the
// same way. Go has no day unit, hence none here.
const DURATION_PATTERN = '^([0-9]{1,9}(ms|s|m|h))+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const PART_RE = /([0-9]+)(ms|s|m|h)/g;

/**
 * CEL that evaluates `expr` only when every named field holds a well-formed duration. The API
 * server runs CEL rules even beside a failed pattern, and duration() of a malformed string is
 * an evaluation error that would bury the one message that matters; the pattern reports it.
 */
export function celWithDurations(fields: readonly string[], expr: string): string {
  const malformed = fields.map((field) => `!${field}.matches('${DURATION_PATTERN}')`);
  return [...malformed, expr].join(' || ');
}

/** The longest duration a manifest may name: Go durations overflow at about 290 years. */
export const MAX_DURATION = '8760h';

/** Parses a Kubernetes-style duration such as `5m` or `1h30m` into milliseconds. */
export function parseDuration(text: string): number {
  if (!DURATION_RE.test(text)) {
    throw new RangeError(`invalid duration "${text}": use a number and a unit (ms, s, m, h)`);
  }

  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART_RE)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** A duration string in a manifest; validated here, parsed by `parseDuration` where used. */
export const durationSchema = withRules(
  z
    .string()
    .max(40)
    .regex(DURATION_RE, 'must be a duration such as 30s, 5m, 1h or 1h30m (units ms, s, m, h)'),
  {
    rule: celWithDurations(['self'], "duration(self) > duration('0s')"),
    message: 'must be longer than zero',
    holds: (self) => parseDuration(self) > 0,
  },
  {
    rule: celWithDurations(['self'], `duration(self) <= duration('${MAX_DURATION}')`),
    message: `must be at most ${MAX_DURATION}`,
    holds: (self) => parseDuration(self) <= parseDuration(MAX_DURATION),
  },
);
