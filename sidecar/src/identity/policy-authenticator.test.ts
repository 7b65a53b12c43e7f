import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessPolicy } from '@portcullis/crds';
import { accessPolicySchema, dataSourceSchema, GROUP_VERSION } from '@portcullis/crds';
import { generateKeyPair } from 'jose';
import { pino } from 'pino';
import { GateError } from '../errors/gate-error.js';
import type { PolicySnapshot } from '../policy/policy-source.js';
import type { AuthenticationInput } from './identity.js';
import { OidcTestIssuer, unsecuredToken } from './oidc-test-issuer.js';
import { PolicyAuthenticator } from './policy-authenticator.js';
import { parseWorkloadIdentity } from './workload-identity.js';

const logger = pino({ level: 'silent' });
const NAMESPACE = 'shop';

function snapshotOf(...policies: AccessPolicy[]): PolicySnapshot {
  const dataSource = dataSourceSchema.parse({
    apiVersion: GROUP_VERSION,
    kind: 'DataSource',
    metadata: { name: 'orders', namespace: NAMESPACE },
    spec: {
      host: '127.0.0.1',
      database: 'orders',
      minter: { secretRef: { name: 'minter' }, grantableRoles: ['app_read'] },
    },
  });
  return { dataSources: [dataSource], policies, secrets: new Map(), version: '1' };
}

function policy(name: string, subjects: unknown[]): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: GROUP_VERSION,
    kind: 'AccessPolicy',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      dataSourceRef: { name: 'orders' },
      workloadSelector: {},
      subjects,
      grant: { role: 'app_read' },
    },
  });
}

/** The GateError a promise rejects with, so tests can check its SQLSTATE and message. */
async function refusal(promise: Promise<unknown>): Promise<GateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GateError)) throw new Error(`expected a GateError, got ${String(error)}`);
  return error;
}

describe('PolicyAuthenticator with OIDC tokens', () => {
  let issuer: OidcTestIssuer;
  let other: OidcTestIssuer;
  let authenticator: PolicyAuthenticator;
  let snapshot: PolicySnapshot;
  const input = (password: string | undefined): AuthenticationInput => ({
    dataSource: 'orders',
    user: 'app',
    password,
  });

  beforeAll(async () => {
    issuer = await OidcTestIssuer.start();
    other = await OidcTestIssuer.start();
    snapshot = snapshotOf(
      policy('analysts', [
        {
          oidc: {
            issuer: issuer.issuer,
            audience: 'portcullis',
            groups: ['analysts', 'dba'],
            claims: { email_verified: 'true', tenant: 'acme' },
            usernameClaim: 'email',
          },
        },
      ]),
    );
    // No cooldown, so that a token with a new kid refetches the keys at once.
    authenticator = new PolicyAuthenticator({ snapshot: () => snapshot, logger, cooldownMs: 0 });
  });

  afterAll(async () => {
    await issuer.close();
    await other.close();
  });

  const goodClaims = {
    aud: 'portcullis',
    email: 'alice@example.com',
    email_verified: true,
    tenant: 'acme',
    groups: ['staff', 'analysts'],
  };

  it('asks for a password when a policy of the data source has an OIDC subject', () => {
    expect(authenticator.needsPassword('orders')).toBe(true);
    expect(authenticator.needsPassword('elsewhere')).toBe(false);
  });

  it('maps a valid token to an identity named by the usernameClaim', async () => {
    const identity = await authenticator.authenticate(input(await issuer.sign(goodClaims)));

    expect(identity).toMatchObject({
      kind: 'oidc',
      name: 'alice@example.com',
      issuer: issuer.issuer,
      groups: ['staff', 'analysts'],
    });
    expect(identity.claims['sub']).toBe('alice');
  });

  it('refuses a token signed by a key that is not the issuer’s', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await issuer.sign(goodClaims, { privateKey });

    const error = await refusal(authenticator.authenticate(input(forged)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toMatch(/signature does not verify/);
    expect(error.message).not.toContain(forged);
  });

  it('refuses a token from an issuer no policy names, without fetching its keys', async () => {
    const token = await other.sign(goodClaims);

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toContain(`issuer "${other.issuer}" is not trusted for orders`);
    expect(other.jwksRequests).toBe(0);
  });

  it('refuses a token for another audience', async () => {
    const token = await issuer.sign({ ...goodClaims, aud: 'someone-else' });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toMatch(/audience/);
  });

  it('refuses an expired token beyond the clock tolerance, accepts one within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await issuer.sign(goodClaims, { expiresAt: now - 120 });
    const justExpired = await issuer.sign(goodClaims, { expiresAt: now - 5 });

    const error = await refusal(authenticator.authenticate(input(expired)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toBe('token has expired');
    await expect(authenticator.authenticate(input(justExpired))).resolves.toMatchObject({
      kind: 'oidc',
    });
  });

  it('refuses a token without an expiry, which would never expire', async () => {
    const token = await issuer.sign(goodClaims, { expiresAt: null });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toBe('token claim exp is missing');
  });

  it('refuses a token that is not valid yet', async () => {
    const later = Math.floor(Date.now() / 1000) + 600;
    const token = await issuer.sign(goodClaims, { notBefore: later, expiresAt: later + 600 });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toMatch(/not valid yet/);
  });

  it('accepts tokens signed with a rotated key, refetching the JWKS for the new kid', async () => {
    await authenticator.authenticate(input(await issuer.sign(goodClaims)));
    const fetchesBefore = issuer.jwksRequests;
    const oldToken = await issuer.sign(goodClaims);

    await issuer.rotate();
    const identity = await authenticator.authenticate(input(await issuer.sign(goodClaims)));

    expect(identity.name).toBe('alice@example.com');
    expect(issuer.jwksRequests).toBeGreaterThan(fetchesBefore);
    // The old key is no longer published, so tokens it signed no longer verify.
    const error = await refusal(authenticator.authenticate(input(oldToken)));
    expect(error.sqlstate).toBe('28P01');
  });

  it('refuses with 28000 a verified caller outside every required group', async () => {
    const token = await issuer.sign({ ...goodClaims, groups: ['staff'] });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28000');
    expect(error.message).toBe(
      `no AccessPolicy admits alice@example.com (issuer ${issuer.issuer}) to orders`,
    );
  });

  it('refuses with 28000 a caller whose claims differ from the required ones', async () => {
    const token = await issuer.sign({ ...goodClaims, tenant: 'globex' });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28000');
  });

  it('refuses an unsecured token (alg none)', async () => {
    const token = unsecuredToken({ ...goodClaims, iss: issuer.issuer, sub: 'mallory' });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toMatch(/algorithm "none" is not accepted/);
  });

  it('refuses an HMAC-signed token (HS256)', async () => {
    const secret = new TextEncoder().encode('a shared secret of thirty-two bytes!');
    const token = await issuer.sign(goodClaims, { alg: 'HS256', privateKey: secret });

    const error = await refusal(authenticator.authenticate(input(token)));

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toMatch(/algorithm "HS256" is not accepted/);
  });

  it('refuses a caller with no token when the sidecar has no workload identity', async () => {
    const error = await refusal(authenticator.authenticate(input(undefined)));

    expect(error.sqlstate).toBe('28000');
    expect(error.hint).toMatch(/OIDC token/);
  });
});

describe('PolicyAuthenticator with an issuer that publishes no discovery document', () => {
  let issuer: OidcTestIssuer;

  beforeAll(async () => {
    issuer = await OidcTestIssuer.start();
    issuer.discovery = false;
  });

  afterAll(() => issuer.close());

  const authenticatorFor = (jwksUri: string | undefined) => {
    const oidc = { issuer: issuer.issuer, audience: 'portcullis', jwksUri };
    const snapshot = snapshotOf(policy('people', [{ oidc }]));
    return new PolicyAuthenticator({ snapshot: () => snapshot, logger });
  };

  it('fetches the keys from the jwksUri the subject sets', async () => {
    const token = await issuer.sign({ aud: 'portcullis' });

    const identity = await authenticatorFor(issuer.jwksUri).authenticate({
      dataSource: 'orders',
      user: 'alice',
      password: token,
    });

    expect(identity).toMatchObject({ kind: 'oidc', name: 'alice' });
    expect(issuer.discoveryRequests).toBe(0);
  });

  it('refuses the token when the jwksUri cannot be reached', async () => {
    const token = await issuer.sign({ aud: 'portcullis' });
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    const unreachable = authenticatorFor('http://127.0.0.1:1/jwks');

    const error = await refusal(
      unreachable.authenticate({ dataSource: 'orders', user: 'a', password: token }),
    );

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toBe(`keys of issuer ${issuer.issuer} could not be fetched`);
  });

  it('refuses the token when discovery fails and no jwksUri is set', async () => {
    const token = await issuer.sign({ aud: 'portcullis' });

    const error = await refusal(
      authenticatorFor(undefined).authenticate({
        dataSource: 'orders',
        user: 'a',
        password: token,
      }),
    );

    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toBe(`keys of issuer ${issuer.issuer} could not be fetched`);
  });
});

describe('PolicyAuthenticator with the workload identity', () => {
  const workloadIdentity = parseWorkloadIdentity('system:serviceaccount:shop:checkout');
  const authenticate = (policies: AccessPolicy[], password: string | undefined) =>
    new PolicyAuthenticator({
      snapshot: () => snapshotOf(...policies),
      workloadIdentity,
      logger,
    }).authenticate({ dataSource: 'orders', user: 'app', password });

  it.each([
    ['no password', undefined],
    ['an empty password', ''],
    ['a password that is not a JWT', 'workload'],
  ])('admits the named service account with %s', async (_, password) => {
    const policies = [policy('checkout', [{ serviceAccount: { name: 'checkout' } }])];

    await expect(authenticate(policies, password)).resolves.toMatchObject({
      kind: 'serviceAccount',
      name: 'system:serviceaccount:shop:checkout',
    });
  });

  it.each([
    ['another account', { name: 'billing' }],
    ['the same name in another namespace', { name: 'checkout', namespace: 'billing' }],
  ])('refuses it when the policy names %s', async (_, serviceAccount) => {
    const policies = [policy('billing', [{ serviceAccount }])];

    const error = await refusal(authenticate(policies, undefined));

    expect(error.sqlstate).toBe('28000');
    expect(error.message).toBe(
      'no AccessPolicy admits system:serviceaccount:shop:checkout to orders',
    );
  });

  it('does not need a password when no policy has an OIDC subject', () => {
    const policies = [policy('checkout', [{ serviceAccount: { name: 'checkout' } }])];
    const authenticator = new PolicyAuthenticator({
      snapshot: () => snapshotOf(...policies),
      workloadIdentity,
      logger,
    });

    expect(authenticator.needsPassword('orders')).toBe(false);
  });
});
