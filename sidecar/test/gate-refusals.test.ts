import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';

jest.setTimeout(30_000);
import pg from 'pg';
import { parseWorkloadIdentity } from '../src/identity/workload-identity.js';
import {
  startGate,
  startUpstream,
  type RunningGate,
  type Upstream,
} from './support/gate-fixture.js';

let upstream: Upstream;
let noPolicy: RunningGate;
let otherAccount: RunningGate;
let noIdentity: RunningGate;

beforeAll(async () => {
  upstream = await startUpstream();
  noPolicy = await startGate(upstream, { withoutPolicy: true });
  otherAccount = await startGate(
    upstream,
    {},
    { workloadIdentity: parseWorkloadIdentity('system:serviceaccount:shop:batch') },
  );
  noIdentity = await startGate(upstream, {}, { workloadIdentity: undefined });
}, 60_000);

afterAll(async () => {
  await Promise.all([noPolicy?.stop(), otherAccount?.stop(), noIdentity?.stop()]);
  await upstream?.server.stop();
}, 30_000);

async function refusal(url: string): Promise<{ code?: string; message: string }> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  await client.end();
  throw new Error('the gate admitted the session');
}

describe('sessions the gate refuses with 28000', () => {
  it('refuses when no policy covers the data source', async () => {
    const error = await refusal(noPolicy.url());
    expect(error.code).toBe('28000');
  });

  it('refuses a workload identity that no policy names', async () => {
    const error = await refusal(otherAccount.url());
    expect(error.code).toBe('28000');
    expect(error.message).toContain('system:serviceaccount:shop:batch');
  });

  it('refuses a caller without token when the sidecar has no workload identity', async () => {
    const error = await refusal(noIdentity.url());
    expect(error.code).toBe('28000');
  });

  it('mints no role for a refused session', async () => {
    const out = await upstream.server.sql(
      "select count(*) from pg_roles where rolname like 'pc\\_%'",
    );
    expect(out.trim()).toBe('0');
  });
});
