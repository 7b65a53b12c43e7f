// A JWS in compact serialization is three base64url parts; a JWE is five (RFC 7515 §7.1,
// RFC 7516 §7.1). The signature part of an unsecured JWT (alg none) is empty.
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const JWE_COMPACT =
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** What a password turns out to be: a signed token, an encrypted one, or no token at all. */
export type TokenShape = 'jws' | 'jwe' | 'none';

/**
 * Classifies a password by its shape alone. Anything shaped like a token is treated as one and
 * must verify, so a forged token never falls back to the workload identity.
 */
export function tokenShape(password: string | undefined): TokenShape {
  if (password === undefined || password === '') return 'none';
  if (JWS_COMPACT.test(password)) return 'jws';
  if (JWE_COMPACT.test(password)) return 'jwe';
  return 'none';
}
