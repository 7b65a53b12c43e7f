/** Thrown when an issuer's OpenID configuration cannot be fetched or does not hold together. */
export class OidcDiscoveryError extends Error {
  constructor(issuer: string, reason: string, options?: { cause?: unknown }) {
    super(`OpenID discovery for issuer ${issuer} failed: ${reason}`, options);
    this.name = 'OidcDiscoveryError';
  }
}

/** The discovery document's address: the issuer with the well-known path appended. */
export function discoveryUrl(issuer: string): URL {
  // OpenID Connect Discovery 1.0 §4: strip a trailing slash, then append the path.
  return new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

/**
 * Finds the issuer's jwks_uri through OpenID Connect Discovery.
 * https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  let response: Response;
  try {
    response = await fetch(discoveryUrl(issuer), {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new OidcDiscoveryError(issuer, 'the request failed', { cause });
  }
  if (!response.ok) throw new OidcDiscoveryError(issuer, `HTTP status ${response.status}`);

  let document: unknown;
  try {
    document = await response.json();
  } catch (cause) {
    throw new OidcDiscoveryError(issuer, 'the document is not JSON', { cause });
  }
  return jwksUriOf(issuer, document);
}

function jwksUriOf(issuer: string, document: unknown): URL {
  if (typeof document !== 'object' || document === null) {
    throw new OidcDiscoveryError(issuer, 'the document is not a JSON object');
  }
  const { issuer: declared, jwks_uri: jwksUri } = document as Record<string, unknown>;

  // §4.3: the issuer in the document must be identical to the one it was fetched for.
  if (declared !== issuer) {
    throw new OidcDiscoveryError(issuer, 'the document declares a different issuer');
  }
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
    throw new OidcDiscoveryError(issuer, 'the document has no valid jwks_uri');
  }
  const url = new URL(jwksUri);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OidcDiscoveryError(issuer, 'jwks_uri is not an HTTP(S) URL');
  }
  return url;
}
