import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApprovalQueue } from './approvals/approval-file.js';
import { main } from './portcullis-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    decider: () => ({ user: 'bob', groups: [] }),
  });
  return { code, out, err };
}

describe('portcullis', () => {
  it('answers usage mistakes with exit code 2 and the usage text', async () => {
    for (const args of [[], ['frobnicate'], ['approvals', 'approve'], ['approvals', 'list', 'x']]) {
      const result = await run(...args);
      expect(result.code).toBe(2);
      expect(result.err).toContain('portcullis approvals list');
    }
    expect((await run('--bogus')).code).toBe(2);
    expect(await run('--help')).toMatchObject({ code: 0 });
  });

  it('refuses to decide a request that is not queued, with exit code 1', async () => {
    const result = await run('approvals', 'approve', 'web-1', '--approvals-dir', dir);
    expect(result).toMatchObject({
      code: 1,
      err: 'portcullis: no approval request named "web-1"\n',
    });
  });

  it('lists pending requests, and all of them as JSON with their phase', async () => {
    const queue = new ApprovalQueue(dir);
    await queue.init();
    const now = Date.now();
    await queue.add({
      name: 'web-reads-0a0b0c0d',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 60_000).toISOString(),
      ask: {
        policy: 'web-reads',
        dataSource: 'shop-db',
        identity: 'system:serviceaccount:shop:web',
        session: '12345678-aaaa',
        operation: { kind: 'statement', statement: 'DELETE FROM orders\n WHERE id = 1' },
        reason: 'delete on public.orders needs approval',
      },
      approvers: { users: ['bob'], groups: [] },
    });
    const listed = await run('approvals', 'list', '--approvals-dir', dir);
    expect(listed.out).toContain('web-reads-0a0b0c0d  Pending until');
    expect(listed.out).toContain('DELETE FROM orders WHERE id = 1');

    await run('approvals', 'deny', 'web-reads-0a0b0c0d', '--approvals-dir', dir);
    expect((await run('approvals', 'list', '--approvals-dir', dir)).out).toBe(
      'no pending approval requests\n',
    );
    const all = JSON.parse(
      (await run('approvals', 'list', '--all', '--json', '--approvals-dir', dir)).out,
    ) as {
      phase: string;
      decision: { decidedBy: string };
    }[];
    expect(all).toMatchObject([{ phase: 'Denied', decision: { decidedBy: 'bob' } }]);
  });
});
