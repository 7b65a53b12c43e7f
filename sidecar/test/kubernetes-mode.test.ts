import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import {
  createSelfSignedCertificate,
  freePort,
  startProcess,
  type ManagedProcess,
  type SelfSignedCertificate,
} from '@portcullis/testkit';
import { BundleServer, type BundleBody } from './support/bundle-server.js';
import { startUpstream, type Upstream } from './support/gate-fixture.js';
import { testManifests, type TestManifestOptions } from './support/manifests.js';

// The gate as the operator's webhook injects it (operator/src/webhooks/gate-container.ts):
// --operator-url, --token-file, --identity, --metrics-port/-host, --log-level, --first-port,
// the operator's CA in PORTCULLIS_OPERATOR_CA, POD_NAME and POD_NAMESPACE, and no other env.
// A stand-in for the operator serves its bundle and approvals over HTTPS.

jest.setTimeout(60_000);

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/portcullis-sidecar.js');
const IDENTITY = 'system:serviceaccount:shop:web';
const TOKEN = 'projected-token-for-web';
const APPROVER = 'alice';

let upstream: Upstream;
let dir: string;
let cert: SelfSignedCertificate;
let tokenFile: string;

beforeAll(async () => {
  if (!existsSync(resolve(dirname(BIN), '../dist/src/cli.js'))) {
    throw new Error('sidecar/dist is missing: run `make build` (tsc --build) first');
  }
  upstream = await startUpstream();
  dir = await mkdtemp(join(tmpdir(), 'kubernetes-mode-'));
  cert = await createSelfSignedCertificate(dir);
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
}, 60_000);

afterAll(async () => {
  await upstream?.server.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The bundle the operator would serve for the test manifests, plus a second DataSource
 * `zz-reports` that no policy names (it gets a listener, and refuses every session).
 */
function bundleOf(
  version: string,
  manifest: Omit<TestManifestOptions, 'server' | 'minter'> = {},
  approval: unknown = undefined,
): BundleBody {
  const docs = parseAllDocuments(
    testManifests({ ...manifest, server: upstream.server, minter: upstream.minter }),
  ).map((doc) => doc.toJS() as { kind: string; metadata: { name: string }; [k: string]: unknown });
  const dataSources = docs.filter((d) => d.kind === 'DataSource');
  const reports = structuredClone(dataSources[0]!);
  reports.metadata.name = 'zz-reports';
  const policies = docs.filter((d) => d.kind === 'AccessPolicy');
  for (const policy of policies) {
    if (approval !== undefined) (policy['spec'] as Record<string, unknown>)['approval'] = approval;
  }
  const secrets = Object.fromEntries(
    docs.filter((d) => d.kind === 'Secret').map((s) => [s.metadata.name, s['stringData']]),
  );
  return { version, dataSources: [...dataSources, reports], policies, secrets };
}

/** A port p with p + 1 free too, for the two DataSources the gate serves from p up. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const next = createServer();
    const free = await new Promise<boolean>((done) => {
      next.once('error', () => done(false));
      next.listen(port + 1, '127.0.0.1', () => done(true));
    });
    if (free) await new Promise((done) => next.close(done));
    if (free && port + 1 <= 65535) return port;
  }
}

interface InjectedGate {
  process: ManagedProcess;
  firstPort: number;
  metricsPort: number;
}

/** Starts the compiled gate with the injected command line; does not wait for it. */
async function startInjectedGate(operator: BundleServer): Promise<InjectedGate> {
  const firstPort = await freePortPair();
  const metricsPort = await freePort();
  const child = startProcess({
    command: process.execPath,
    args: [
      BIN,
      '--operator-url',
      operator.url,
      '--token-file',
      tokenFile,
      '--identity',
      IDENTITY,
      '--metrics-port',
      String(metricsPort),
      '--metrics-host',
      '127.0.0.1',
      '--log-level',
      'info',
      '--first-port',
      String(firstPort),
    ],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORTCULLIS_OPERATOR_CA: cert.certPem,
      POD_NAME: 'web-7d9f',
      POD_NAMESPACE: 'shop',
    },
  });
  return { process: child, firstPort, metricsPort };
}

/** The status of GET /readyz, as kubelet's startup probe sees it; 0 when nothing answers. */
function readyz(port: number): Promise<number> {
  return new Promise((done) => {
    get(`http://127.0.0.1:${port}/readyz`, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    }).on('error', () => done(0));
  });
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 50));
  }
}

async function mintedRoles(): Promise<string[]> {
  const out = await upstream.server.sql("select rolname from pg_roles where rolname like 'pc\\_%'");
  return out.split('\n').filter((line) => line !== '');
}

async function connect(port: number): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'app',
    password: 'workload',
    database: 'app',
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('a gate in Kubernetes mode', () => {
  const operator = new BundleServer({ version: 'unset' });
  let gate: InjectedGate;

  beforeAll(async () => {
    operator.current = bundleOf(
      '"v1"',
      {},
      {
        rules: [{ classes: ['delete'] }],
        approvers: { users: [APPROVER], groups: [] },
        timeout: '1m',
      },
    );
    await operator.start(cert);
    gate = await startInjectedGate(operator);
    await waitFor(async () => (await readyz(gate.metricsPort)) === 200);
  });

  afterAll(async () => {
    await gate?.process.stop();
    await operator.stop();
  });

  it('serves queries under the policy its bundle carries, after /readyz says so', async () => {
    expect(gate.process.output()).toMatch(/"pod":"shop\/web-7d9f".*"msg":"policy bundle loaded"/);
    expect(operator.tokens[0]).toBe(`Bearer ${TOKEN}`);

    const client = await connect(gate.firstPort);
    try {
      const { rows } = await client.query<{ me: string; n: string }>(
        'select current_user as me, count(*) as n from customers',
      );
      expect(rows[0]?.me).toMatch(/^pc_/);
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it('listens for every DataSource in the bundle, from --first-port up in name order', async () => {
    const refused = connect(gate.firstPort + 1);
    await expect(refused).rejects.toMatchObject({ code: '28000' });
  });

  it('files a held DELETE with the operator and runs it once approved', async () => {
    const client = await connect(gate.firstPort);
    try {
      const before = await upstream.server.sql('select count(*) from orders', 'app');
      const deleting = client.query('delete from orders where id = 20');
      await waitFor(() => operator.approvals.size === 1);
      const [held] = [...operator.approvals.values()];
      expect(held?.ask).toMatchObject({
        policy: 'web-reads',
        dataSource: 'shop-db',
        identity: IDENTITY,
        operation: { kind: 'statement', statement: expect.stringMatching(/delete from orders/i) },
      });
      expect(await upstream.server.sql('select count(*) from orders', 'app')).toBe(before);

      operator.decide(held!.name, { phase: 'Approved', decidedBy: APPROVER });
      await expect(deleting).resolves.toMatchObject({ rowCount: 1 });
    } finally {
      await client.end();
    }
  });

  it('ends a session whose policy the bundle withdraws, and refuses new ones', async () => {
    const client = await connect(gate.firstPort);
    const { rows } = await client.query<{ me: string }>('select current_user as me');
    const ended = new Promise<Error & { code?: string }>((done) => client.once('error', done));

    operator.current = bundleOf('"v2"', { withoutPolicy: true });
    operator.publish();
    const error = await ended;
    expect(error.code).toBe('57P01');
    expect(error.message).toMatch(/policy shop\/web-reads was changed or withdrawn/);
    await waitFor(async () => !(await mintedRoles()).includes(rows[0]?.me ?? ''));
    await expect(connect(gate.firstPort)).rejects.toMatchObject({ code: '28000' });
    // With no policy left the gate serves nobody, and says so to kubelet.
    expect(await readyz(gate.metricsPort)).toBe(503);

    // A policy given back admits new sessions without a restart.
    operator.current = bundleOf('"v3"');
    operator.publish();
    await waitFor(() => /"version":"\\"v3\\""/.test(gate.process.output()));
    const again = await connect(gate.firstPort);
    await again.end();
    expect(await readyz(gate.metricsPort)).toBe(200);
  });
});

describe('a gate whose operator sends no bundle', () => {
  it('exits non-zero without ever listening or turning ready', async () => {
    const operator = new BundleServer(bundleOf('"v1"'));
    operator.refuse = 403;
    await operator.start(cert);
    try {
      const gate = await startInjectedGate(operator);
      // The source retries the first bundle for 30 s before it gives up.
      const seen = new Set<number>();
      while (!gate.process.hasExited) {
        seen.add(await readyz(gate.metricsPort));
        const listening = await connect(gate.firstPort).then(
          async (c) => (await c.end(), true),
          () => false,
        );
        expect(listening).toBe(false);
        await new Promise((done) => setTimeout(done, 500));
      }
      expect(seen).toEqual(new Set([0]));
      expect((await gate.process.exited).code).toBe(1);
      expect(gate.process.output()).toMatch(/"msg":"the gate could not start"/);
      expect(gate.process.output()).toMatch(/no policy bundle from https:\/\/127\.0\.0\.1/);
      expect(gate.process.output()).not.toContain(TOKEN);
    } finally {
      await operator.stop();
    }
  }, 60_000);
});
