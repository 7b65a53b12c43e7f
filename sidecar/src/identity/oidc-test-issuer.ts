import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** How a test token is signed; every field defaults to the issuer's current key. */
export interface TestTokenOptions {
  alg?: string;
  kid?: string;
  /** Sign with this key instead of the issuer's: a forged or foreign signature. */
  privateKey?: CryptoKey | Uint8Array;
  /** exp as seconds since the epoch; default one hour from now; null leaves exp out. */
  expiresAt?: number | null;
  notBefore?: number;
}

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * A real OpenID provider for tests: an HTTP server on 127.0.0.1 (port 0) that serves the
 * discovery document and a JWKS, signs tokens with ES256, and rotates its key on demand.
 * Test support only; the gate never imports it.
 */
export class OidcTestIssuer {
  /** Number of JWKS requests served: shows when a verifier refetched the keys. */
  jwksRequests = 0;
  /** Number of discovery requests served. */
  discoveryRequests = 0;
  /** When false, the discovery document is not served (404), as for a bare JWKS issuer. */
  discovery = true;
  #key: KeyPair;
  readonly #server: Server;

  private constructor(key: KeyPair) {
    this.#key = key;
    this.#server = createServer((req, res) => this.#serve(req, res));
  }

  /** Starts an issuer with one fresh key. */
  static async start(): Promise<OidcTestIssuer> {
    const issuer = new OidcTestIssuer(await newKey());
    await new Promise<void>((resolve, reject) => {
      issuer.#server.once('error', reject);
      issuer.#server.listen(0, '127.0.0.1', resolve);
    });
    return issuer;
  }

  /** The issuer URL (iss), http://127.0.0.1:PORT. */
  get issuer(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  get kid(): string {
    return this.#key.kid;
  }

  /** Replaces the signing key; the old one is no longer served. */
  async rotate(): Promise<void> {
    this.#key = await newKey();
  }

  /** Signs claims as this issuer: iss is set, sub/aud/exp come from claims or defaults. */
  async sign(claims: JWTPayload, options: TestTokenOptions = {}): Promise<string> {
    const alg = options.alg ?? 'ES256';
    const jwt = new SignJWT({ iss: this.issuer, sub: 'alice', ...claims })
      .setProtectedHeader({ alg, kid: options.kid ?? this.#key.kid, typ: 'JWT' })
      .setIssuedAt();
    if (options.expiresAt !== null) {
      jwt.setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 3600);
    }
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    return jwt.sign(options.privateKey ?? this.#key.privateKey);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const isDiscovery = req.url === '/.well-known/openid-configuration';
    const body =
      isDiscovery && this.discovery
        ? { issuer: this.issuer, jwks_uri: this.jwksUri }
        : req.url === '/jwks'
          ? { keys: [this.#key.jwk] }
          : undefined;
    if (isDiscovery) this.discoveryRequests += 1;
    if (req.url === '/jwks') this.jwksRequests += 1;
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  }
}

/** An unsecured token (alg none, RFC 7519 §6), which a verifier must refuse. */
export function unsecuredToken(claims: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

async function newKey(): Promise<KeyPair> {
  const kid = randomUUID();
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateKey, jwk };
}
