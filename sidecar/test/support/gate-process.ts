import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type ManagedProcess } from '@portcullis/testkit';
import { testManifests, type TestManifestOptions } from './manifests.js';
import type { Upstream } from './gate-fixture.js';

const SIDECAR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(SIDECAR, 'bin', 'portcullis-sidecar.js');

/** The gate as its own process, started from the compiled bin like a user would. */
export interface GateProcess {
  process: ManagedProcess;
  port: number;
  pid: number;
}

/** Writes the manifests into a new directory; returns it. */
export async function policyDirectory(
  upstream: Upstream,
  manifest: Omit<TestManifestOptions, 'server' | 'minter'> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-policies-'));
  await writeFile(
    join(dir, 'policies.yaml'),
    testManifests({ ...manifest, server: upstream.server, minter: upstream.minter }),
  );
  return dir;
}

/** Starts portcullis-sidecar on a free port over dir; resolves once it is ready. */
export async function startGateProcess(
  dir: string,
  extraArgs: string[] = [],
): Promise<GateProcess> {
  if (!existsSync(join(SIDECAR, 'dist', 'src', 'cli.js'))) {
    throw new Error('sidecar/dist is missing: run `make build` (tsc --build) first');
  }
  const child = startProcess({
    command: process.execPath,
    args: [
      BIN,
      '--policies',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--identity',
      'system:serviceaccount:shop:web',
      ...extraArgs,
    ],
  });
  const match = await child.waitForOutput(/"address":"127\.0\.0\.1:(\d+)"/, 20_000);
  await child.waitForOutput(/"msg":"gate ready"/, 20_000);
  return { process: child, port: Number(match[1]), pid: child.pid ?? 0 };
}

/** Resident set size and its peak, in bytes, of a Linux process (from /proc). */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
