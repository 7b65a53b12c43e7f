// `make demo` end to end, as a newcomer runs it but without a terminal: the built demo script
// against its own control plane, PostgreSQL, operator and gate. The key moments must show in
// its output, and it must leave nothing running.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoPath } from '../src/paths.js';

const SCRIPT = repoPath('e2e/dist/src/demo/demo-cluster.js');

let child: ChildProcess | undefined;
let transcript = '';
let exitCode: number | null = null;

beforeAll(async () => {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run make build first`);
  const env = { ...process.env };
  delete env.E2E_CLUSTER;
  child = spawn(process.execPath, [SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (transcript += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (transcript += chunk.toString()));
  exitCode = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
  child = undefined;
}, 600_000);

afterAll(() => {
  // Only after a jest timeout: the demo stops everything it started on SIGTERM.
  child?.kill('SIGTERM');
});

describe('make demo (the whole system)', () => {
  test('exits 0', () => {
    if (exitCode !== 0) throw new Error(`the demo exited ${exitCode}:\n${transcript}`);
  });

  test('the session runs as a role minted for it, dropped afterwards', () => {
    const role = /current_user\s*\n-+\n\s*(portcullis_\w+)/.exec(transcript)?.[1];
    expect(role).toBeDefined();
    expect(transcript).toContain(`the minted role ${role} is gone.`);
  });

  test('emails and card numbers arrive masked, never in clear', () => {
    expect(transcript).toMatch(/Ada Lovelace \| \*\*\*@example\.com \| \*{12}1111/);
    expect(transcript).not.toContain('ada@example.com');
    expect(transcript).not.toContain('4111111111111111');
  });

  test('DROP TABLE is refused with 42501, naming the policy and the rule', () => {
    expect(transcript).toMatch(
      /drop table orders;\n(?:.*\n)*?ERROR: {2}42501: Portcullis policy "shop\/shop-app" refuses DDL \(rule guardrails\.deny\[ddl\]\)/,
    );
  });

  test('the DELETE waits, is approved with kubectl portcullis, then completes', () => {
    const name = /kubectl portcullis approve (shop-app-\w+) -n shop/.exec(transcript)?.[1];
    expect(name).toBeDefined();
    expect(transcript).toMatch(new RegExp(`${name}\\s+Pending\\s+shop-app`));
    expect(transcript).toContain(`accessrequest.portcullis.dev/${name} approved`);
    expect(transcript).toMatch(/and back in psql:\nDELETE 6\n/);
    expect(transcript).toMatch(new RegExp(`${name}\\s+Approved\\s+shop-app`));
  });

  test('it cleans up what it started', () => {
    expect(transcript).toContain(
      'stopped what the demo started (gate, operator, kube-apiserver, etcd, PostgreSQL); removed its files',
    );
    const dir = /writes it to (\/\S+)\/pod-token/.exec(transcript)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir!)).toBe(false);
  });
});
