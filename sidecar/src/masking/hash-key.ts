import { randomBytes } from 'node:crypto';
import type { Masking } from '@portcullis/crds';

/** Raised when the policy names a hash key Secret the sidecar does not hold. */
export class HashKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HashKeyError';
  }
}

// Without hashKeySecretRef, hashes are keyed per sidecar process: stable within it, so joins
// across queries and sessions of one pod still match.
const SIDECAR_KEY = randomBytes(32);

/**
 * The key of the hash strategy: the Secret key the policy names, else the sidecar's own.
 * Throws when the named Secret or key is missing, so masking never runs with a guessable key.
 */
export function resolveHashKey(
  masking: Masking,
  secrets: ReadonlyMap<string, Record<string, string>>,
): Buffer {
  const ref = masking.hashKeySecretRef;
  if (ref === undefined) return SIDECAR_KEY;
  const value = secrets.get(ref.name)?.[ref.key];
  if (value === undefined || value.length === 0) {
    throw new HashKeyError(`hash key Secret ${ref.name} has no key ${ref.key}`);
  }
  return Buffer.from(value, 'utf8');
}
