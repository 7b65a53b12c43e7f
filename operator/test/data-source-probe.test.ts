import type { DataSource } from '@portcullis/crds';
import { dataSourceSchema } from '@portcullis/crds';
import {
  createMinterRole,
  startPostgres,
  type MinterCredential,
  type PostgresServer,
} from '@portcullis/testkit';
import pg from 'pg';
import { probeDataSource } from '../src/controllers/data-source-probe.js';
import type { SecretReader } from '../src/controllers/minter-login.js';

// Real PostgreSQL, real minter logins: readiness reasons and the reaping of expired roles.

let server: PostgresServer;
let minter: MinterCredential;

function dataSource(overrides: Partial<DataSource['spec']> & { grantableRoles?: string[] } = {}) {
  const { grantableRoles, ...spec } = overrides;
  return dataSourceSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name: 'orders', namespace: 'shop', generation: 1 },
    spec: {
      host: server.host,
      port: server.port,
      database: 'postgres',
      tls: { mode: 'require' },
      minter: {
        secretRef: { name: 'orders-minter' },
        grantableRoles: grantableRoles ?? ['app_read'],
        roleNamePrefix: 'pcl_',
      },
      ...spec,
    },
  });
}

function secrets(login: MinterCredential, extra: Record<string, Record<string, string>> = {}) {
  const all: Record<string, Record<string, string>> = {
    'shop/orders-minter': { username: login.username, password: login.password },
    ...extra,
  };
  const reader: SecretReader = (namespace, name) => {
    const data = all[`${namespace}/${name}`];
    if (data === undefined) return undefined;
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
  };
  return reader;
}

async function asMinter<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: server.url('postgres', minter.username, minter.password),
    ssl: { rejectUnauthorized: false },
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function roleNames(prefix: string): Promise<string[]> {
  const out = await server.sql(
    `SELECT rolname FROM pg_roles WHERE starts_with(rolname, '${prefix}') ORDER BY 1`,
  );
  return out.split('\n').filter((line) => line !== '');
}

beforeAll(async () => {
  server = await startPostgres({ tls: true });
  await server.sql(`
    CREATE ROLE app_read NOLOGIN;
    CREATE ROLE app_write NOLOGIN;
    CREATE ROLE boss NOLOGIN SUPERUSER;
    CREATE ROLE plain LOGIN PASSWORD 'plain-password';
    GRANT CREATE ON SCHEMA public TO app_read;
  `);
  minter = await createMinterRole(server, { grantableRoles: ['app_read'] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('probeDataSource', () => {
  it('reports Ready with the server version when the minter can do its job', async () => {
    const probe = await probeDataSource(dataSource(), { secrets: secrets(minter), reap: false });

    expect(probe.ready).toMatchObject({ type: 'Ready', status: 'True', reason: 'Ready' });
    const version = (await server.sql('SHOW server_version')).trim();
    expect(probe.serverVersion).toBe(version);
    expect(probe.mintedRoles).toBe(0);
  });

  it('reports SecretNotFound when the minter Secret is missing, naming it', async () => {
    const probe = await probeDataSource(dataSource(), { secrets: () => undefined, reap: false });
    expect(probe.ready).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(probe.ready.message).toContain('shop/orders-minter');
  });

  it('reports SecretNotFound when the Secret lacks the password key', async () => {
    const reader: SecretReader = () => ({ username: Buffer.from(minter.username) });
    const probe = await probeDataSource(dataSource(), { secrets: reader, reap: false });
    expect(probe.ready).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(probe.ready.message).toContain('"password"');
  });

  it('reports LoginFailed for a wrong password without echoing it', async () => {
    const wrong = { username: minter.username, password: 'not-the-password' };
    const probe = await probeDataSource(dataSource(), { secrets: secrets(wrong), reap: false });
    expect(probe.ready).toMatchObject({ status: 'False', reason: 'LoginFailed' });
    expect(probe.ready.message).toContain('password authentication failed');
    expect(probe.ready.message).not.toContain('not-the-password');
  });

  it('reports CannotCreateRoles for a login without CREATEROLE', async () => {
    const plain = { username: 'plain', password: 'plain-password' };
    const probe = await probeDataSource(dataSource(), { secrets: secrets(plain), reap: false });
    expect(probe.ready).toMatchObject({ status: 'False', reason: 'CannotCreateRoles' });
  });

  it('reports RoleNotGrantable for a role that does not exist', async () => {
    const probe = await probeDataSource(dataSource({ grantableRoles: ['app_read', 'nope'] }), {
      secrets: secrets(minter),
      reap: false,
    });
    expect(probe.ready).toMatchObject({ status: 'False', reason: 'RoleNotGrantable' });
    expect(probe.ready.message).toContain('nope');
  });

  it('reports RoleNotGrantable for a superuser role, whatever the minter may do', async () => {
    const probe = await probeDataSource(dataSource({ grantableRoles: ['boss'] }), {
      secrets: secrets(minter),
      reap: false,
    });
    expect(probe.ready).toMatchObject({ status: 'False', reason: 'RoleNotGrantable' });
    expect(probe.ready.message).toContain('boss');
  });

  it('requires ADMIN OPTION on PostgreSQL 16 and later, CREATEROLE before', async () => {
    // The minter has ADMIN OPTION on app_read only (on 16+); app_write tells the versions apart.
    const probe = await probeDataSource(dataSource({ grantableRoles: ['app_write'] }), {
      secrets: secrets(minter),
      reap: false,
    });
    const major = await server.majorVersion();
    expect(probe.ready.reason).toBe(major >= 16 ? 'RoleNotGrantable' : 'Ready');
  });

  it('checks the server certificate in verify-full mode', async () => {
    const ca = { 'shop/pg-ca': { 'ca.crt': server.tls!.certPem } };
    const verified = dataSource({
      host: '127.0.0.1',
      tls: { mode: 'verify-full', caSecretRef: { name: 'pg-ca', key: 'ca.crt' } },
    });
    const ok = await probeDataSource(verified, { secrets: secrets(minter, ca), reap: false });
    expect(ok.ready.reason).toBe('Ready');

    // Without the CA the chain is not trusted.
    const untrusted = dataSource({ host: '127.0.0.1', tls: { mode: 'verify-full' } });
    const refused = await probeDataSource(untrusted, { secrets: secrets(minter), reap: false });
    expect(refused.ready).toMatchObject({ status: 'False', reason: 'LoginFailed' });
  });

  it('reaps expired minted roles, and only those', async () => {
    await asMinter(async (client) => {
      await client.query(`CREATE ROLE pcl_expired IN ROLE app_read VALID UNTIL '2000-01-01'`);
      await client.query(`CREATE ROLE pcl_live IN ROLE app_read VALID UNTIL 'infinity'`);
      await client.query(`CREATE ROLE pcl_no_expiry IN ROLE app_read`);
      await client.query(`CREATE ROLE other_expired VALID UNTIL '2000-01-01'`);
    });

    const probe = await probeDataSource(dataSource(), {
      secrets: secrets(minter),
      reap: true,
      reapGraceSeconds: 0,
    });

    expect(probe.reap).toEqual({ reaped: ['pcl_expired'], failed: [] });
    expect(probe.mintedRoles).toBe(2);
    expect(await roleNames('pcl_')).toEqual(['pcl_live', 'pcl_no_expiry']);
    expect(await roleNames('other_')).toEqual(['other_expired']);
    await server.sql('DROP ROLE pcl_live, pcl_no_expiry, other_expired');
  });

  it('leaves a role alone within the grace period after its expiry', async () => {
    await asMinter((client) =>
      client.query(`CREATE ROLE pcl_just_expired VALID UNTIL '${new Date().toISOString()}'`),
    );
    const probe = await probeDataSource(dataSource(), {
      secrets: secrets(minter),
      reap: true,
      reapGraceSeconds: 3600,
    });
    expect(probe.reap?.reaped).toEqual([]);
    expect(await roleNames('pcl_')).toEqual(['pcl_just_expired']);
    await server.sql('DROP ROLE pcl_just_expired');
  });

  it('reaps a role that owns a table, handing the table to the minter', async () => {
    await asMinter((client) =>
      client.query(`CREATE ROLE pcl_owner LOGIN PASSWORD 'owner-pw' IN ROLE app_read`),
    );
    const session = new pg.Client({
      connectionString: server.url('postgres', 'pcl_owner', 'owner-pw'),
      ssl: { rejectUnauthorized: false },
    });
    await session.connect();
    await session.query('CREATE TABLE left_behind (id int)');
    await session.end();
    await asMinter((client) => client.query(`ALTER ROLE pcl_owner VALID UNTIL '2000-01-01'`));

    const probe = await probeDataSource(dataSource(), {
      secrets: secrets(minter),
      reap: true,
      reapGraceSeconds: 0,
    });

    expect(probe.reap).toEqual({ reaped: ['pcl_owner'], failed: [] });
    expect(await roleNames('pcl_')).toEqual([]);
    const owner = await server.sql(
      `SELECT tableowner FROM pg_tables WHERE tablename = 'left_behind'`,
    );
    expect(owner.trim()).toBe(minter.username);
    await server.sql('DROP TABLE left_behind');
  });
});
