// The kind path cannot run here (no Docker), so what it relies on is checked here instead:
// the database the in-cluster check expects is the one e2e/kind/postgres.yaml deploys, its
// init SQL gives the Secret's minter what a DataSource needs (on a real PostgreSQL), and
// run.sh hands the suite only variables the suite reads, and the suite on an existing cluster
// builds nothing with Go.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startPostgres, type PostgresServer } from '@portcullis/testkit';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import { BinariesError, resolveClientBinaries } from '../src/binaries.js';
import { openCluster } from '../src/cluster.js';
import { KIND_DATABASE } from '../src/kind-database.js';
import type { KubeObject } from '../src/kube-api.js';
import { repoPath } from '../src/paths.js';

type Manifest = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

let manifests: Manifest[];
beforeAll(async () => {
  const text = await readFile(repoPath('e2e/kind/postgres.yaml'), 'utf8');
  manifests = parseAllDocuments(text).map((doc) => doc.toJS() as Manifest);
});

function find(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!found) throw new Error(`e2e/kind/postgres.yaml has no ${kind} ${name}`);
  return found;
}

describe('the database of the kind path', () => {
  test('is where e2e/src/kind-database.ts says', () => {
    const db = KIND_DATABASE;
    expect(find('Namespace', db.namespace)).toBeDefined();
    const service = find('Service', db.service);
    expect(service.metadata?.namespace).toBe(db.namespace);
    expect(service.spec?.['ports']).toEqual([expect.objectContaining({ port: db.port })]);

    const deployment = find('Deployment', 'postgres');
    const pod = (deployment.spec as { template: { spec: { containers: KubeObject[] } } }).template;
    const env = pod.spec.containers[0]?.['env'] as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'POSTGRES_DB')?.value).toBe(db.database);
    expect(Object.keys(find('Secret', db.minterSecret).stringData ?? {}).sort()).toEqual([
      'password',
      'username',
    ]);
  });

  describe('its init SQL, on a real PostgreSQL', () => {
    let server: PostgresServer;
    beforeAll(async () => {
      server = await startPostgres();
      await server.sql(find('ConfigMap', 'postgres-init').data?.['init.sql'] ?? '');
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    test.each(KIND_DATABASE.grantableRoles)(
      "lets the Secret's minter create a role and grant it %s",
      async (role) => {
        const secret = find('Secret', KIND_DATABASE.minterSecret).stringData ?? {};
        const client = new pg.Client({
          host: server.host,
          port: server.port,
          database: 'postgres',
          user: secret['username'],
          password: secret['password'],
        });
        await client.connect();
        try {
          await client.query(`CREATE ROLE kind_check_${role} LOGIN VALID UNTIL 'infinity'`);
          await client.query(`GRANT ${role} TO kind_check_${role}`);
          await client.query(`DROP ROLE kind_check_${role}`);
        } finally {
          await client.end();
        }
      },
    );
  });
});

test('run.sh hands the suite only variables the suite reads', async () => {
  const script = await readFile(repoPath('e2e/kind/run.sh'), 'utf8');
  const exported = [...new Set([...script.matchAll(/\b(E2E_[A-Z_]+)=/g)].map((m) => m[1]!))];
  expect(exported).toEqual(expect.arrayContaining(['E2E_CLUSTER']));

  const sources: string[] = [];
  for (const dir of ['e2e/src', 'e2e/tests']) {
    const files = await readdir(repoPath(dir), { recursive: true });
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      sources.push(await readFile(join(repoPath(dir), file), 'utf8'));
    }
  }
  const read = (name: string) =>
    sources.some((text) => text.includes(`env.${name}`) || text.includes(`env['${name}']`));
  expect(exported.filter((name) => !read(name))).toEqual([]);
});

describe('on an existing cluster', () => {
  // A Go that fails and an empty cache: any build the suite asked for would fail.
  let cache: string;
  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'portcullis-no-build-'));
  });
  afterAll(() => rm(cache, { recursive: true, force: true }));
  const noGo = () => ({ PATH: process.env.PATH, GO: '/bin/false', PORTCULLIS_CACHE: cache });

  test('takes kubectl and helm as given and builds no control plane', async () => {
    const env = { ...noGo(), KUBECTL: '/bin/true', HELM: '/bin/true' };
    await expect(resolveClientBinaries(env)).resolves.toEqual({
      kubectl: '/bin/true',
      helm: '/bin/true',
    });
    const kubeconfig = join(cache, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: kind, cluster: {server: "https://127.0.0.1:6443"}}]',
        'users: [{name: admin, user: {token: unused}}]',
        'contexts: [{name: kind, context: {cluster: kind, user: admin}}]',
        'current-context: kind',
      ].join('\n'),
    );
    const cluster = await openCluster({ ...env, E2E_CLUSTER: 'existing', KUBECONFIG: kubeconfig });
    expect(cluster).toMatchObject({ mode: 'existing', binaries: { kubectl: '/bin/true' } });
  });

  test('builds what is not given (here: fails, with no Go)', async () => {
    await expect(resolveClientBinaries({ ...noGo(), HELM: '/bin/true' })).rejects.toThrow(
      BinariesError,
    );
  });
});
