import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import {
  createMinterRole,
  loadSampleData,
  SAMPLE_ROLES,
  startPostgres,
  type MinterCredential,
  type PostgresServer,
} from '@portcullis/testkit';
import { parseWorkloadIdentity } from '../../src/identity/workload-identity.js';
import { FilePolicySource } from '../../src/policy/file-source.js';
import { Gate, type GateOptions } from '../../src/session/gate.js';
import { testManifests, type TestManifestOptions } from './manifests.js';

/** A PostgreSQL server with the sample data and a minter, shared by one test file. */
export interface Upstream {
  server: PostgresServer;
  minter: MinterCredential;
}

export async function startUpstream(options: { tls?: boolean } = {}): Promise<Upstream> {
  const server = await startPostgres({ tls: options.tls ?? false });
  await loadSampleData(server);
  const minter = await createMinterRole(server, {
    grantableRoles: [SAMPLE_ROLES.reader, SAMPLE_ROLES.writer],
  });
  return { server, minter };
}

/** A gate running in this process over a temporary policy directory. */
export interface RunningGate {
  gate: Gate;
  port: number;
  dir: string;
  /** psql/pg connection URL through the gate. */
  url: (user?: string, password?: string) => string;
  /** Rewrites the policy file with other manifest options. */
  rewrite: (manifest: Omit<TestManifestOptions, 'server' | 'minter'>) => Promise<void>;
  stop: () => Promise<void>;
}

/** Quiet unless PORTCULLIS_TEST_LOG=debug (or another level) is set. */
export function testLogger(): Logger {
  return pino({ level: process.env.PORTCULLIS_TEST_LOG ?? 'silent' });
}

/** Writes the manifests and starts a gate on a free loopback port. */
export async function startGate(
  upstream: Upstream,
  manifest: Omit<TestManifestOptions, 'server' | 'minter'> = {},
  gateOptions: Partial<GateOptions> = {},
  watch = false,
): Promise<RunningGate> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-policies-'));
  await writeFile(
    join(dir, 'policies.yaml'),
    testManifests({ ...manifest, server: upstream.server, minter: upstream.minter }),
  );
  const logger = testLogger();
  const gate = await Gate.start({
    policySource: new FilePolicySource({ dir, logger, watch, debounceMs: 50 }),
    logger,
    workloadIdentity: parseWorkloadIdentity('system:serviceaccount:shop:web'),
    port: 0,
    reapIntervalMs: 0,
    ...gateOptions,
  });
  const port = [...gate.addresses.values()][0]?.port ?? 0;
  return {
    gate,
    port,
    dir,
    url: (user = 'app', password = 'workload') =>
      `postgresql://${user}:${password}@127.0.0.1:${port}/app`,
    rewrite: (next) =>
      writeFile(
        join(dir, 'policies.yaml'),
        testManifests({ ...next, server: upstream.server, minter: upstream.minter }),
      ),
    stop: async () => {
      await gate.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
