import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { approver, manifests } from './support/controlled-gate.js';
import { startUpstream, type Upstream } from './support/gate-fixture.js';
import { startGateProcess, type GateProcess } from './support/gate-process.js';

const run = promisify(execFile);
const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bin', 'portcullis.js');

let upstream: Upstream;
let dir: string;
let gate: GateProcess;

beforeAll(async () => {
  upstream = await startUpstream();
  dir = await mkdtemp(join(tmpdir(), 'portcullis-bin-'));
  const policies = join(dir, 'policies');
  await mkdir(policies);
  const policy = {
    approval: {
      rules: [{ classes: ['delete'] }],
      approvers: { users: [approver], groups: [] },
      timeout: '30s',
    },
  };
  await writeFile(join(policies, 'policies.yaml'), manifests(upstream, policy));
  gate = await startGateProcess(policies, [
    '--approvals-dir',
    join(dir, 'approvals'),
    '--record',
    join(dir, 'record.jsonl'),
  ]);
}, 60_000);

afterAll(async () => {
  await gate?.process.stop();
  await upstream?.server.stop();
  await rm(dir, { recursive: true, force: true });
});

async function portcullis(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [
    CLI,
    ...args,
    '--approvals-dir',
    join(dir, 'approvals'),
  ]);
  return stdout;
}

describe('portcullis-sidecar and portcullis, as processes', () => {
  it('hold a DELETE until `portcullis approvals approve`, and record the session on exit', async () => {
    const client = new pg.Client({
      connectionString: `postgresql://app:workload@127.0.0.1:${gate.port}/app`,
    });
    await client.connect();
    const deleting = client.query('DELETE FROM orders WHERE id = 3');

    let listed = '';
    for (let i = 0; i < 200 && !listed.includes('Pending'); i++) {
      listed = await portcullis('approvals', 'list');
    }
    const name = /^(\S+)\s+Pending/m.exec(listed)?.[1];
    expect(name).toBeDefined();
    expect(await portcullis('approvals', 'approve', name!)).toBe(
      `${name} approved by ${approver}\n`,
    );
    expect((await deleting).rowCount).toBe(1);
    await client.end();

    // SIGTERM: the gate ends its sessions and flushes the recording before it exits.
    await gate.process.stop('SIGTERM');
    const recording = await readFile(join(dir, 'record.jsonl'), 'utf8');
    const types = recording
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toContain('approval');
    expect(types.at(-1)).toBe('session_end');

    const { stdout: timeline } = await run(process.execPath, [
      CLI,
      'replay',
      join(dir, 'record.jsonl'),
    ]);
    expect(timeline).toContain(`approval approved ${name} by ${approver}`);
    expect(timeline).toContain('held by approval.rules[0] simple: DELETE FROM orders WHERE id = 3');
  }, 60_000);
});
