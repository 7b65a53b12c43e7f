import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { DataSource } from '@portcullis/crds';
import { createSelfSignedCertificate } from '@portcullis/testkit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { RoleMinter, type MintRequest } from '../src/credentials/role-minter.js';
import { loginUpstream, UpstreamLoginError } from '../src/credentials/upstream-login.js';
import { UpstreamConnectError } from '../src/credentials/upstream-socket.js';
import type { UpstreamTls } from '../src/credentials/upstream-tls.js';
import { startGate, startUpstream, testLogger, type Upstream } from './support/gate-fixture.js';

jest.setTimeout(30_000);

let upstream: Upstream;
const minters: RoleMinter[] = [];

beforeAll(async () => {
  upstream = await startUpstream({ tls: true });
}, 60_000);

afterAll(async () => {
  await Promise.all(minters.map((minter) => minter.end()));
  await upstream?.server.stop();
}, 30_000);

function dataSource(): DataSource {
  return {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name: 'shop-db', namespace: 'shop' },
    spec: {
      host: '127.0.0.1',
      port: upstream.server.port,
      database: 'app',
      tls: { mode: 'disable' },
      classification: {},
      minter: {
        secretRef: { name: 'pg-minter', usernameKey: 'username', passwordKey: 'password' },
        grantableRoles: ['app_reader', 'app_writer'],
        roleNamePrefix: 'cred_',
        poolSize: 2,
      },
    },
  };
}

function minter(owner?: { host: string; pid: number }): RoleMinter {
  const created = new RoleMinter({
    dataSource: dataSource(),
    credential: upstream.minter,
    tls: { mode: 'disable', ca: undefined },
    logger: testLogger(),
    ...(owner ? { owner } : {}),
  });
  minters.push(created);
  return created;
}

const request = (ttlMs = 60_000): MintRequest => ({
  grantRole: 'app_reader',
  ttlMs,
  connectionLimit: 2,
  identity: 'system:serviceaccount:shop:web',
  policy: 'shop/web-reads',
  sessionId: 'test-session',
});

async function login(
  user: string,
  password: string,
  tls: UpstreamTls = { mode: 'disable', ca: undefined },
) {
  const connection = await loginUpstream({
    target: { host: '127.0.0.1', port: upstream.server.port, tls },
    user,
    password,
    database: 'app',
    maxMessageSize: 1 << 20,
  });
  return connection;
}

async function roleExists(name: string): Promise<boolean> {
  const out = await upstream.server.sql(`select count(*) from pg_roles where rolname = '${name}'`);
  return out.trim() === '1';
}

describe('the SCRAM-SHA-256 login against the real server', () => {
  it('logs in as a minted role and reads the backend key', async () => {
    const role = await minter().mint(request());
    const connection = await login(role.name, role.password);
    expect(connection.processId).toBeGreaterThan(0);
    expect(connection.parameterStatus.length).toBeGreaterThan(5);
    connection.socket.destroy();
  });

  it('is refused with 28P01 for a wrong password', async () => {
    const role = await minter().mint(request());
    const failure = login(role.name, 'not-the-password');
    await expect(failure).rejects.toBeInstanceOf(UpstreamLoginError);
    await expect(failure).rejects.toMatchObject({ server: { code: '28P01' } });
  });

  it('stores a SCRAM verifier, never the plaintext password', async () => {
    const role = await minter().mint(request());
    const stored = await upstream.server.sql(
      `select rolpassword from pg_authid where rolname = '${role.name}'`,
    );
    expect(stored.trim()).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(stored).not.toContain(role.password);
  });
});

describe('expiry and the reaper', () => {
  it('an expired role cannot log in, and the reaper drops it', async () => {
    const minting = minter();
    const role = await minting.mint(request(1_000));
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    await expect(login(role.name, role.password)).rejects.toMatchObject({
      server: { code: '28P01' },
    });
    // A second gate process on another host reaps it: it has expired, whoever minted it.
    const dropped = await minter({ host: 'another-pod', pid: 1 }).reap();
    expect(dropped).toContain(role.name);
    expect(await roleExists(role.name)).toBe(false);
  });

  it('leaves unexpired roles of live gates and roles it did not mint alone', async () => {
    const role = await minter({ host: 'pod-a', pid: process.pid }).mint(request());
    await upstream.server.sql("create role cred_not_ours login valid until '2000-01-01'");

    const dropped = await minter({ host: 'pod-b', pid: 1 }).reap();
    expect(dropped).not.toContain(role.name);
    expect(dropped).not.toContain('cred_not_ours');
    expect(await roleExists('cred_not_ours')).toBe(true);
  });
});

describe('dropping a role', () => {
  it('terminates its backends and drops it with what it owns', async () => {
    await upstream.server.sql('grant create on schema public to app_writer', 'app');
    const minting = minter();
    const role = await minting.mint({ ...request(), grantRole: 'app_writer' });
    const client = new pg.Client({
      host: '127.0.0.1',
      port: upstream.server.port,
      database: 'app',
      user: role.name,
      password: role.password,
    });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('create table public.scratch_by_minted_role (n int)');
    await client.query('create temp table scratch_temp (n int)');

    await minting.drop(role.name);
    expect(await roleExists(role.name)).toBe(false);
    await expect(client.query('select 1')).rejects.toThrow();
    const owner = await upstream.server.sql(
      "select tableowner from pg_tables where tablename = 'scratch_by_minted_role'",
      'app',
    );
    expect(owner.trim()).toBe(upstream.minter.username);
  });
});

describe('upstream TLS', () => {
  it('requires TLS (mode require) without checking the certificate', async () => {
    const role = await minter().mint(request());
    const connection = await login(role.name, role.password, { mode: 'require', ca: undefined });
    expect('encrypted' in connection.socket && connection.socket.encrypted).toBe(true);
    connection.socket.destroy();
  });

  it('verifies the certificate against the CA (mode verify-full)', async () => {
    const role = await minter().mint(request());
    const ca = upstream.server.tls!.certPem;
    const connection = await login(role.name, role.password, { mode: 'verify-full', ca });
    connection.socket.destroy();
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-other-ca-'));
    try {
      const other = await createSelfSignedCertificate(dir);
      const role = await minter().mint(request());
      const failure = login(role.name, role.password, { mode: 'verify-full', ca: other.certPem });
      await expect(failure).rejects.toBeInstanceOf(UpstreamConnectError);
      await expect(failure).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/certificate/i) },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves psql through a gate whose DataSource says verify-full', async () => {
    const gate = await startGate(upstream, {
      tls: { mode: 'verify-full', ca: upstream.server.tls!.certPem },
    });
    try {
      const client = new pg.Client({ connectionString: gate.url() });
      await client.connect();
      const { rows } = await client.query<{ ssl: boolean }>(
        'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
      );
      expect(rows[0]?.ssl).toBe(true);
      await client.end();
    } finally {
      await gate.stop();
    }
  });
});
