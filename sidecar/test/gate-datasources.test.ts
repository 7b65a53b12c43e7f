import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@portcullis/testkit';
import pg from 'pg';
import { parseAllDocuments, stringify } from 'yaml';
import { parseWorkloadIdentity } from '../src/identity/workload-identity.js';
import { FilePolicySource } from '../src/policy/file-source.js';
import { Gate } from '../src/session/gate.js';
import { startUpstream, testLogger, type Upstream } from './support/gate-fixture.js';
import { testManifests } from './support/manifests.js';

// A gate follows its policies: a DataSource added on reload gets a listener, one removed
// loses its listener and its sessions, without a restart.
jest.setTimeout(30_000);

let upstream: Upstream;
let dir: string;
let gate: Gate;
const ports = { first: 0, second: 0 };

/** The test manifests with one DataSource (and its policy) per name, each on its own port. */
function manifests(served: Partial<typeof ports>): string {
  const docs = parseAllDocuments(testManifests(upstream)).map((doc) => doc.toJS() as Manifest);
  const secret = docs.filter((doc) => doc.kind === 'Secret');
  const dataSource = docs.find((doc) => doc.kind === 'DataSource') as Manifest;
  const policy = docs.find((doc) => doc.kind === 'AccessPolicy') as Manifest;
  const out: Manifest[] = [...secret];
  for (const [key, localPort] of Object.entries(served)) {
    const name = `shop-${key}`;
    out.push({
      ...dataSource,
      metadata: { ...dataSource.metadata, name },
      spec: { ...dataSource.spec, localPort },
    });
    out.push({
      ...policy,
      metadata: { ...policy.metadata, name: `reads-${key}` },
      spec: { ...policy.spec, dataSourceRef: { name } },
    });
  }
  return out.map((doc) => stringify(doc)).join('---\n');
}

interface Manifest {
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the gate did not get there in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function reload(served: Partial<typeof ports>, until: () => boolean): Promise<void> {
  await writeFile(join(dir, 'policies.yaml'), manifests(served));
  await waitFor(until);
}

function client(port: number): pg.Client {
  const c = new pg.Client({ connectionString: `postgresql://app:workload@127.0.0.1:${port}/app` });
  c.on('error', () => undefined);
  return c;
}

/** Does anything accept TCP connections on this loopback port? */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  upstream = await startUpstream();
  ports.first = await freePort();
  ports.second = await freePort();
  dir = await mkdtemp(join(tmpdir(), 'portcullis-datasources-'));
  await writeFile(join(dir, 'policies.yaml'), manifests({ first: ports.first }));
  const logger = testLogger();
  gate = await Gate.start({
    policySource: new FilePolicySource({ dir, logger, watch: true, debounceMs: 50 }),
    logger,
    workloadIdentity: parseWorkloadIdentity('system:serviceaccount:shop:web'),
    reapIntervalMs: 0,
  });
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await upstream?.server.stop();
}, 30_000);

describe('DataSources added and removed while the gate runs', () => {
  it('serves the DataSource it started with on its localPort', async () => {
    expect([...gate.addresses]).toEqual([
      ['shop-first', expect.objectContaining({ port: ports.first })],
    ]);
    expect(await accepts(ports.second)).toBe(false);
  });

  it('opens a listener for a DataSource added on reload', async () => {
    await reload({ first: ports.first, second: ports.second }, () =>
      gate.addresses.has('shop-second'),
    );
    expect(gate.addresses.get('shop-second')?.port).toBe(ports.second);

    const c = client(ports.second);
    await c.connect();
    const { rows } = await c.query<{ user: string }>('SELECT current_user AS user');
    await c.end();
    expect(rows[0]?.user).toMatch(/^pc_/);
  });

  it('closes the listener of a removed DataSource and ends its sessions', async () => {
    const removed = client(ports.first);
    const kept = client(ports.second);
    await removed.connect();
    await kept.connect();
    const ended = new Promise<Error>((resolve) => removed.once('error', resolve));

    await reload({ second: ports.second }, () => !gate.addresses.has('shop-first'));

    expect(await ended).toMatchObject({
      code: '57P01',
      message: 'session ended by Portcullis: DataSource shop-first was removed',
    });
    expect(await accepts(ports.first)).toBe(false);
    const { rows } = await kept.query('SELECT 1 AS still_served');
    expect(rows).toEqual([{ still_served: 1 }]);
    await kept.end();
    // The gate ends a session (dropping its role) after the client has gone.
    await waitFor(() => gate.sessionCount === 0);
  });

  it('serves a DataSource again when it comes back', async () => {
    await reload({ first: ports.first, second: ports.second }, () =>
      gate.addresses.has('shop-first'),
    );
    const c = client(ports.first);
    await c.connect();
    await c.query('SELECT 1');
    await c.end();
  });
});
