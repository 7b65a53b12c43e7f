import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jwtVerify } from 'jose';
import { IssuerKeys } from './issuer-keys.js';
import { OidcDiscoveryError } from './oidc-discovery.js';
import { OidcTestIssuer } from './oidc-test-issuer.js';

describe('IssuerKeys', () => {
  let issuer: OidcTestIssuer;

  beforeAll(async () => {
    issuer = await OidcTestIssuer.start();
  });

  afterAll(() => issuer.close());

  it('discovers an issuer once and keeps its key set for later tokens', async () => {
    const keys = new IssuerKeys();
    const before = { discovery: issuer.discoveryRequests, jwks: issuer.jwksRequests };

    for (let i = 0; i < 3; i += 1) {
      const token = await issuer.sign({ aud: 'portcullis' });
      await jwtVerify(token, await keys.forIssuer(issuer.issuer, undefined));
    }

    expect(issuer.discoveryRequests - before.discovery).toBe(1);
    expect(issuer.jwksRequests - before.jwks).toBe(1);
  });

  it('discovers again once the discovery is older than its maximum age', async () => {
    const keys = new IssuerKeys({ discoveryMaxAgeMs: 0 });
    const before = issuer.discoveryRequests;

    const first = await keys.forIssuer(issuer.issuer, undefined);
    const second = await keys.forIssuer(issuer.issuer, undefined);

    expect(issuer.discoveryRequests - before).toBe(2);
    // The jwks_uri did not change, so the cached key set is kept.
    expect(second).toBe(first);
  });

  it('keeps the key set for the same URL and makes a new one when the URL changes', async () => {
    const keys = new IssuerKeys();
    const elsewhere = `${issuer.issuer}/other-jwks`;

    const discovered = await keys.forIssuer(issuer.issuer, undefined);
    const sameUrl = await keys.forIssuer(issuer.issuer, issuer.jwksUri);
    const configured = await keys.forIssuer(issuer.issuer, elsewhere);

    expect(sameUrl).toBe(discovered);
    expect(configured).not.toBe(discovered);
    expect(await keys.forIssuer(issuer.issuer, elsewhere)).toBe(configured);
  });

  it('forgets a failed discovery so that the next token tries again', async () => {
    const keys = new IssuerKeys();
    issuer.discovery = false;
    await expect(keys.forIssuer(issuer.issuer, undefined)).rejects.toThrow(OidcDiscoveryError);

    issuer.discovery = true;
    await expect(keys.forIssuer(issuer.issuer, undefined)).resolves.toBeInstanceOf(Function);
  });
});
