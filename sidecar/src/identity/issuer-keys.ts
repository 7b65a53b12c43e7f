import type { JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet } from 'jose';
import { discoverJwksUri } from './oidc-discovery.js';

/** How keys are fetched; the defaults suit production. */
export interface IssuerKeysOptions {
  /** Timeout of one discovery or JWKS request. Default 5s. */
  fetchTimeoutMs?: number;
  /** Least time between two JWKS fetches caused by an unknown kid. Default 30s. */
  cooldownMs?: number;
  /** How long a discovered jwks_uri is trusted before discovery runs again. Default 1h. */
  discoveryMaxAgeMs?: number;
}

interface Entry {
  /** The jwks_uri a policy set, or undefined when it was discovered. */
  configured: string | undefined;
  jwksUri: string;
  keys: JWTVerifyGetKey;
  discoveredAt: number;
}

/**
 * One remote JWKS per issuer. jose's remote set caches the keys and refetches when a token
 * names a kid it does not hold, which is how a key rotation at the issuer is picked up.
 * Only issuers that a policy names ever reach this map, so it stays as small as the policies.
 */
export class IssuerKeys {
  readonly #entries = new Map<string, Promise<Entry>>();
  readonly #fetchTimeoutMs: number;
  readonly #cooldownMs: number;
  readonly #discoveryMaxAgeMs: number;

  constructor(options: IssuerKeysOptions = {}) {
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#discoveryMaxAgeMs = options.discoveryMaxAgeMs ?? 3_600_000;
  }

  /** The key resolver for an issuer; `jwksUri` is the policy's override of discovery. */
  async forIssuer(issuer: string, jwksUri: string | undefined): Promise<JWTVerifyGetKey> {
    const cached = this.#entries.get(issuer);
    if (cached !== undefined) {
      const entry = await cached.catch(() => undefined);
      if (entry !== undefined && this.#usable(entry, jwksUri)) return entry.keys;
    }

    const loading = this.#load(issuer, jwksUri, cached);
    this.#entries.set(issuer, loading);
    // A failed load is forgotten so that the next token retries instead of failing forever.
    loading.catch(() => {
      if (this.#entries.get(issuer) === loading) this.#entries.delete(issuer);
    });
    return (await loading).keys;
  }

  #usable(entry: Entry, configured: string | undefined): boolean {
    if (entry.configured !== configured) return false;
    if (configured !== undefined) return true;
    return Date.now() - entry.discoveredAt < this.#discoveryMaxAgeMs;
  }

  async #load(
    issuer: string,
    configured: string | undefined,
    previous: Promise<Entry> | undefined,
  ): Promise<Entry> {
    const jwksUri = configured ?? (await discoverJwksUri(issuer, this.#fetchTimeoutMs)).toString();

    // Rediscovery that finds the same jwks_uri keeps the key set and its cache.
    const old = await previous?.catch(() => undefined);
    if (old !== undefined && old.jwksUri === jwksUri) {
      return { ...old, configured, discoveredAt: Date.now() };
    }

    const keys = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: this.#fetchTimeoutMs,
      cooldownDuration: this.#cooldownMs,
    });
    return { configured, jwksUri, keys, discoveredAt: Date.now() };
  }
}
