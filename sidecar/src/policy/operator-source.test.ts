import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createSelfSignedCertificate } from '@portcullis/testkit';
import { BundleServer } from '../../test/support/bundle-server.js';
import { OperatorPolicySource, PolicyFetchError } from './operator-source.js';
import type { PolicySnapshot } from './policy-source.js';

const logger = pino({ level: 'silent' });

function bundle(version: string, password: string) {
  return {
    version,
    dataSources: [
      {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'DataSource',
        metadata: { name: 'orders', namespace: 'shop' },
        spec: {
          host: 'db',
          database: 'orders',
          minter: { secretRef: { name: 'orders-minter' }, grantableRoles: ['app_rw'] },
        },
      },
    ],
    policies: [
      {
        apiVersion: 'portcullis.dev/v1alpha1',
        kind: 'AccessPolicy',
        metadata: { name: 'orders-rw', namespace: 'shop' },
        spec: {
          dataSourceRef: { name: 'orders' },
          workloadSelector: { matchLabels: { app: 'orders' } },
          subjects: [{ serviceAccount: { name: 'orders' } }],
          grant: { role: 'app_rw' },
        },
      },
    ],
    secrets: { 'orders-minter': { username: 'minter', password } },
  };
}

let dir: string;
let server: BundleServer;
let cert: Awaited<ReturnType<typeof createSelfSignedCertificate>>;
let tokenFile: string;
let source: OperatorPolicySource | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'operator-source-'));
  cert = await createSelfSignedCertificate(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  server = new BundleServer(bundle('"v1"', 'one'));
  await server.start(cert);
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, 'token-1\n');
});

afterEach(async () => {
  await source?.stop();
  source = undefined;
  await server.stop();
});

function makeSource(extra: Partial<ConstructorParameters<typeof OperatorPolicySource>[0]> = {}) {
  source = new OperatorPolicySource({
    url: server.url,
    tokenFile,
    caPem: cert.certPem,
    logger,
    waitSeconds: 5,
    backoffMs: { initial: 20, max: 100 },
    ...extra,
  });
  return source;
}

const nextChange = (s: OperatorPolicySource) =>
  new Promise<PolicySnapshot>((resolve) => {
    const off = s.onChange((next) => {
      off();
      resolve(next);
    });
  });

describe('OperatorPolicySource', () => {
  it('loads the first bundle with the token, schema defaults applied', async () => {
    const snapshot = await makeSource().start();
    expect(snapshot.version).toBe('"v1"');
    expect(snapshot.secrets.get('orders-minter')).toEqual({ username: 'minter', password: 'one' });
    expect(snapshot.policies[0]?.spec.grant.ttl).toBe('15m');
    expect(snapshot.dataSources[0]?.spec.port).toBe(5432);
    expect(server.tokens).toEqual(['Bearer token-1']);
  });

  it('reads how many pods share each row limit, and none from an operator that sends none', async () => {
    const plain = await makeSource().start();
    expect(plain.rowShares).toEqual(new Map());
    await source?.stop();

    server.current = { ...bundle('"v2"', 'one'), rowShares: { 'orders-rw': 3 } };
    const shared = await makeSource().start();
    expect(shared.rowShares).toEqual(new Map([['orders-rw', 3]]));
  });

  it.each([[{ 'orders-rw': 0 }], [{ 'orders-rw': 1.5 }], [{ 'orders-rw': '2' }], [[3]]])(
    'refuses a bundle whose row shares are malformed: %p',
    async (rowShares) => {
      server.current = { ...bundle('"v2"', 'one'), rowShares };
      await expect(makeSource({ startTimeoutMs: 300 }).start()).rejects.toThrow();
    },
  );

  it('receives a change through the long-poll, with the token reread from its file', async () => {
    const s = makeSource();
    await s.start();
    // kubelet replaces the token atomically; so does this test.
    await writeFile(`${tokenFile}.new`, 'token-2\n');
    await rename(`${tokenFile}.new`, tokenFile);

    const changed = nextChange(s);
    server.current = bundle('"v2"', 'two');
    server.publish();
    const next = await changed;
    expect(next.version).toBe('"v2"');
    expect(next.secrets.get('orders-minter')?.password).toBe('two');
    expect(s.current()).toBe(next);
    for (let i = 0; i < 100 && !server.tokens.includes('Bearer token-2'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.tokens).toContain('Bearer token-2');
  });

  it('fails closed at start when the operator refuses the pod', async () => {
    server.refuse = 403;
    const start = makeSource({ startTimeoutMs: 200 }).start();
    await expect(start).rejects.toThrow(PolicyFetchError);
    await expect(start).rejects.toThrow(/no policy bundle from https:\/\/127.0.0.1/);
  });

  it('fails closed at start when the CA does not match', async () => {
    const other = await createSelfSignedCertificate(await mkdtemp(join(tmpdir(), 'other-ca-')));
    const start = makeSource({ caPem: other.certPem, startTimeoutMs: 100 }).start();
    await expect(start).rejects.toThrow(PolicyFetchError);
  });

  it('drops every policy when the operator stops accepting the pod', async () => {
    const s = makeSource();
    await s.start();
    const changed = nextChange(s);
    server.refuse = 403;
    server.current = bundle('"v2"', 'two');
    server.publish();

    const next = await changed;
    expect(next.policies).toEqual([]);
    expect(next.secrets.size).toBe(0);
  });

  it('keeps the last bundle through operator errors and picks up once it answers again', async () => {
    const s = makeSource();
    await s.start();
    const seen: string[] = [];
    s.onChange((next) => seen.push(next.version));

    server.refuse = 500;
    server.current = bundle('"v2"', 'two');
    server.publish();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(s.current().version).toBe('"v1"');

    const changed = nextChange(s);
    server.refuse = undefined;
    expect((await changed).version).toBe('"v2"');
    expect(seen).toEqual(['"v2"']);
  });

  it('stops promptly while a long-poll is open', async () => {
    const s = makeSource({ waitSeconds: 30 });
    await s.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
