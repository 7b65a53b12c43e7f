import { errors } from 'jose';
import { GateError, SqlState } from '../errors/gate-error.js';

/** A refusal of the token itself (28P01): the client may retry with a better token. */
export function tokenRefused(message: string, cause?: unknown): GateError {
  return new GateError({ sqlstate: SqlState.invalidPassword, message, cause });
}

/**
 * Says what failed when jose rejects a token, in words of our own: jose's messages may quote
 * claim values, and nothing of the token is echoed to the client.
 */
export function describeJoseFailure(error: unknown, issuer: string): GateError {
  if (error instanceof errors.JWTExpired) return tokenRefused('token has expired', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return tokenRefused(claimFailure(error.claim, error.reason), error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return tokenRefused(`token signature does not verify with the keys of ${issuer}`, error);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return tokenRefused(`no key of issuer ${issuer} matches the token's key id`, error);
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return tokenRefused(`several keys of issuer ${issuer} match the token; it names no kid`, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return tokenRefused('token signature algorithm is not accepted', error);
  }
  if (isKeyFetchFailure(error)) {
    return tokenRefused(`keys of issuer ${issuer} could not be fetched`, error);
  }
  return tokenRefused('token is not a valid signed JWT', error);
}

/**
 * Did verification fail because the issuer's keys could not be fetched? That is the
 * operator's problem, not the caller's: jose reports a timeout or a bad key set as its own
 * errors, and passes a failed fetch through as whatever fetch threw.
 */
export function isKeyFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  return !(error instanceof errors.JOSEError);
}

function claimFailure(claim: string, reason: string): string {
  if (claim === 'nbf') return 'token is not valid yet (nbf)';
  if (claim === 'aud') return 'token audience is not one a policy accepts';
  if (claim === 'iat') return 'token issue time (iat) is invalid';
  return `token claim ${claim} is ${reason === 'missing' ? 'missing' : 'invalid'}`;
}
