import type { Subject } from '@portcullis/crds';
import type { JWTPayload } from 'jose';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import type { Identity } from './identity.js';
import type { IssuerKeysOptions } from './issuer-keys.js';
import { IssuerKeys } from './issuer-keys.js';
import { describeJoseFailure, isKeyFetchFailure, tokenRefused } from './token-errors.js';

/** The oidc part of an AccessPolicy subject. */
export type OidcSubject = NonNullable<Subject['oidc']>;

/**
 * Asymmetric JWS algorithms only (RFC 7518 §3.1, RFC 8037). `none` would accept anyone; an
 * HMAC (HS*) key is a shared secret the gate does not hold, and accepting it would let anyone
 * who knows the public key sign with it as the HMAC secret.
 */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Verification settings; the defaults suit production. */
export interface OidcVerifierOptions extends IssuerKeysOptions {
  logger: Logger;
  /** Allowed clock skew for exp and nbf, in seconds. Default 30. */
  clockToleranceSec?: number;
}

/** Verifies OIDC JWTs against the issuers and audiences that policy subjects name. */
export class OidcVerifier {
  readonly #keys: IssuerKeys;
  readonly #logger: Logger;
  readonly #clockToleranceSec: number;
  readonly #warnedPlainHttp = new Set<string>();

  constructor(options: OidcVerifierOptions) {
    this.#keys = new IssuerKeys(options);
    this.#logger = options.logger;
    this.#clockToleranceSec = options.clockToleranceSec ?? 30;
  }

  /**
   * Verifies a token for one data source, whose policies name `subjects`, and maps its claims
   * to an Identity. Throws GateError 28P01 saying what failed.
   */
  async verify(token: string, subjects: OidcSubject[], dataSource: string): Promise<Identity> {
    const issuer = unverifiedIssuer(token);
    const trusted = subjects.filter((s) => s.issuer === issuer);
    if (trusted.length === 0) {
      throw tokenRefused(`token issuer ${quote(issuer)} is not trusted for ${dataSource}`);
    }

    const keys = await this.#keysFor(issuer, trusted);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience: [...new Set(trusted.map((s) => s.audience))],
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: this.#clockToleranceSec,
        // A token without exp would never expire; RFC 7519 leaves exp optional, the gate not.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (isKeyFetchFailure(error)) {
        this.#logger.warn({ err: error, issuer }, 'cannot fetch the JWKS of an OIDC issuer');
      }
      throw describeJoseFailure(error, issuer);
    }
    return toIdentity(issuer, payload, trusted);
  }

  async #keysFor(issuer: string, trusted: OidcSubject[]) {
    const configured = [...new Set(trusted.map((s) => s.jwksUri).filter((u) => u !== undefined))];
    if (configured.length > 1) {
      this.#logger.warn({ issuer }, 'policies name different jwksUri values for one issuer');
      throw tokenRefused(`policies disagree on the JWKS of issuer ${issuer}`);
    }
    this.#warnIfPlainHttp(issuer, configured[0] ?? issuer);
    try {
      return await this.#keys.forIssuer(issuer, configured[0]);
    } catch (error) {
      this.#logger.warn({ err: error, issuer }, 'cannot load the keys of an OIDC issuer');
      throw tokenRefused(`keys of issuer ${issuer} could not be fetched`, error);
    }
  }

  // NOTE: the CRD accepts http:// issuers and jwksUri (local test issuers need them); keys
  // fetched without TLS from another host can be swapped by anyone on the path, and with them
  // any token forged. The gate only warns, once per issuer.
  #warnIfPlainHttp(issuer: string, keysFrom: string): void {
    const url = new URL(keysFrom);
    if (url.protocol !== 'http:' || LOOPBACK_HOSTS.has(url.hostname)) return;
    if (this.#warnedPlainHttp.has(issuer)) return;
    this.#warnedPlainHttp.add(issuer);
    this.#logger.warn({ issuer }, 'OIDC keys are fetched over plain HTTP from another host');
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

// The issuer decides which keys to fetch, so it is read before the signature is checked; the
// header's algorithm is checked first so that a none or HS* token never causes a fetch.
function unverifiedIssuer(token: string): string {
  let alg: unknown;
  let iss: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    iss = decodeJwt(token).iss;
  } catch (error) {
    throw tokenRefused('token is not a valid signed JWT', error);
  }
  if (typeof alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(alg)) {
    throw tokenRefused(`token algorithm ${quote(alg)} is not accepted; sign it asymmetrically`);
  }
  if (typeof iss !== 'string' || iss === '') throw tokenRefused('token has no issuer (iss)');
  return iss;
}

function toIdentity(issuer: string, payload: JWTPayload, trusted: OidcSubject[]): Identity {
  // The subject whose audience the token carries names the claim that names the caller.
  const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  const subject = trusted.find((s) => aud.includes(s.audience)) ?? trusted[0];
  const usernameClaim = subject?.usernameClaim ?? 'sub';
  const name = payload[usernameClaim];
  if (typeof name !== 'string' || name === '') {
    throw tokenRefused(`token has no ${usernameClaim} claim to name the caller`);
  }
  return { kind: 'oidc', name, issuer, groups: groupsOf(payload), claims: { ...payload } };
}

function groupsOf(payload: JWTPayload): string[] {
  const groups = payload['groups'];
  if (typeof groups === 'string') return [groups];
  if (!Array.isArray(groups)) return [];
  return groups.filter((g): g is string => typeof g === 'string');
}

// Values read from an unverified token are the caller's own, but still bounded and quoted.
function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
