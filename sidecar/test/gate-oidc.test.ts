import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateKeyPair } from 'jose';
import pg from 'pg';
import { OidcTestIssuer } from '../src/identity/oidc-test-issuer.js';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';

jest.setTimeout(30_000);

const AUDIENCE = 'portcullis-shop';
let upstream: Upstream;
let issuer: OidcTestIssuer;
let stranger: OidcTestIssuer;
let gate: RunningGate;

beforeAll(async () => {
  upstream = await startUpstream();
  issuer = await OidcTestIssuer.start();
  stranger = await OidcTestIssuer.start();
  gate = await startGate(upstream, {
    subjects: [{ oidc: { issuer: issuer.issuer, audience: AUDIENCE, groups: ['support'] } }],
  });
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await Promise.all([issuer?.close(), stranger?.close()]);
  await upstream?.server.stop();
}, 30_000);

async function connect(password: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: gate.url('alice', password) });
  await client.connect();
  return client;
}

async function refusal(password: string): Promise<{ code?: string; message: string }> {
  try {
    const client = await connect(password);
    await client.end();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('the gate admitted the session');
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('a caller with an OIDC token as password', () => {
  it('is admitted, and the minted role names the caller in its comment', async () => {
    const token = await issuer.sign({ aud: AUDIENCE, groups: ['support'] });
    const client = await connect(token);
    try {
      const { rows } = await client.query<{ comment: string }>(
        'select shobj_description(oid, $1) as comment from pg_roles where rolname = current_user',
        ['pg_authid'],
      );
      expect(rows[0]?.comment).toContain('"identity":"alice');
      expect(rows[0]?.comment).toContain('"policy":"shop/web-reads"');
    } finally {
      await client.end();
    }
  });

  it('is refused with 28P01 for an expired token', async () => {
    const token = await issuer.sign(
      { aud: AUDIENCE, groups: ['support'] },
      { expiresAt: Math.floor(Date.now() / 1000) - 600 },
    );
    expect((await refusal(token)).code).toBe('28P01');
  });

  it('is refused with 28P01 for a token for another audience', async () => {
    const token = await issuer.sign({ aud: 'someone-else', groups: ['support'] });
    expect((await refusal(token)).code).toBe('28P01');
  });

  it('is refused with 28P01 for a forged signature', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await issuer.sign(
      { aud: AUDIENCE, groups: ['support'], exp: inAnHour() },
      { privateKey },
    );
    expect((await refusal(token)).code).toBe('28P01');
  });

  it('is refused with 28P01 for a token from an issuer no policy names', async () => {
    const token = await stranger.sign({ aud: AUDIENCE, groups: ['support'] });
    expect((await refusal(token)).code).toBe('28P01');
  });

  it('is refused with 28000 when it lacks the group the policy requires', async () => {
    const token = await issuer.sign({ aud: AUDIENCE, groups: ['sales'] });
    expect((await refusal(token)).code).toBe('28000');
  });

  it('is refused with 28000 without a token, since no policy names the workload', async () => {
    expect((await refusal('just-a-password')).code).toBe('28000');
  });
});
