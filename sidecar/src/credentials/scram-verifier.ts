import { randomBytes } from 'node:crypto';
import { saltedPassword, scramKeys } from './scram-primitives.js';

// PostgreSQL's own default (scram_iterations), so a minted login costs what any login costs.
const ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores in pg_authid.rolpassword, computed here so the
 * plaintext password never reaches the server, its logs or pg_stat_statements.
 * Format: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, all base64.
 */
export async function scramVerifier(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { storedKey, serverKey } = scramKeys(await saltedPassword(password, salt, ITERATIONS));
  return (
    `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}` +
    `$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
  );
}
