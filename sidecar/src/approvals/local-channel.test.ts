import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessPolicy } from '@portcullis/crds';
import { pino } from 'pino';
import { AlreadyDecidedError, ApprovalQueue, UnknownRequestError } from './approval-file.js';
import { DecisionRefusedError, isRequester } from './approver-check.js';
import { decideRequest, phaseOf } from './decide-request.js';
import { LocalApprovalChannel } from './local-channel.js';
import type { ApprovalAsk } from './operator-channel.js';

const logger = pino({ level: 'silent' });

function policy(timeout = '10m'): AccessPolicy {
  return {
    metadata: { name: 'web-writes', namespace: 'shop' },
    spec: {
      approval: {
        rules: [{ classes: ['delete'] }],
        approvers: { users: ['bob'], groups: ['dba'] },
        timeout,
      },
    },
  } as unknown as AccessPolicy;
}

const ask: ApprovalAsk = {
  policy: 'web-writes',
  dataSource: 'shop-db',
  identity: 'alice@example.com',
  session: 'session-1',
  operation: { kind: 'statement', statement: 'DELETE FROM orders', classes: ['delete'] },
  reason: 'delete on public.orders needs approval',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-approvals-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function channel(timeout?: string) {
  return new LocalApprovalChannel({ dir, policyFor: () => policy(timeout), logger, pollMs: 10 });
}

/** Waits until the channel has filed its request and returns the request's name. */
async function filed(queue: ApprovalQueue): Promise<string> {
  for (;;) {
    const [entry] = await queue.list();
    if (entry) return entry.request.name;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LocalApprovalChannel', () => {
  it('files a request in a private directory and resolves Approved once an approver decides', async () => {
    const queue = new ApprovalQueue(dir);
    const waiting = channel().request(ask);
    const name = await filed(queue);
    expect(name).toMatch(/^web-writes-[0-9a-f]{8}$/);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    await decideRequest(queue, {
      name,
      verdict: 'approve',
      decider: { user: 'bob', groups: [] },
      comment: 'ok',
    });
    await expect(waiting).resolves.toEqual({
      request: name,
      phase: 'Approved',
      decidedBy: 'bob',
      comment: 'ok',
    });
    expect(phaseOf((await queue.list())[0]!)).toBe('Approved');
  });

  it('resolves Denied for a denial by a member of an approver group', async () => {
    const queue = new ApprovalQueue(dir);
    const waiting = channel().request(ask);
    const name = await filed(queue);
    await decideRequest(queue, {
      name,
      verdict: 'deny',
      decider: { user: 'carol', groups: ['dba'] },
    });
    await expect(waiting).resolves.toMatchObject({ phase: 'Denied', decidedBy: 'carol' });
  });

  it('resolves Expired after the policy timeout, and on abort', async () => {
    await expect(channel('1s').request(ask)).resolves.toMatchObject({ phase: 'Expired' });
    const abort = new AbortController();
    const waiting = channel().request(ask, abort.signal);
    await filed(new ApprovalQueue(dir));
    abort.abort();
    await expect(waiting).resolves.toMatchObject({ phase: 'Expired' });
    // Nobody waits for it any more: the queue says so instead of offering it to approvers.
    const phases = (await new ApprovalQueue(dir).list()).map((entry) => phaseOf(entry));
    expect(phases).toEqual(['Expired', 'Withdrawn']);
  });

  it('refuses to file without an approval section (fail closed)', async () => {
    const none = new LocalApprovalChannel({ dir, policyFor: () => undefined, logger });
    await expect(none.request(ask)).rejects.toThrow('has no approval section');
  });

  it('treats an approval written by hand by the requester as a denial', async () => {
    const queue = new ApprovalQueue(dir);
    const waiting = channel().request(ask);
    const name = await filed(queue);
    const forged = { verdict: 'approve', decidedBy: 'alice', decidedAt: new Date().toISOString() };
    await writeFile(join(dir, `${name}.decision.json`), JSON.stringify(forged));
    const outcome = await waiting;
    expect(outcome.phase).toBe('Denied');
    expect(outcome.comment).toContain('requester');
  });
});

describe('decideRequest', () => {
  async function queued(expiresInMs = 60_000) {
    const queue = new ApprovalQueue(dir);
    await queue.init();
    const now = Date.now();
    await queue.add({
      name: 'web-writes-00000001',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + expiresInMs).toISOString(),
      ask,
      approvers: { users: ['bob', 'alice'], groups: [] },
    });
    return queue;
  }

  it('refuses the requester even when the policy lists them as approver', async () => {
    const queue = await queued();
    await expect(
      decideRequest(queue, {
        name: 'web-writes-00000001',
        verdict: 'approve',
        decider: { user: 'alice', groups: [] },
      }),
    ).rejects.toThrow(DecisionRefusedError);
    expect(await queue.decision('web-writes-00000001')).toBeUndefined();
  });

  it('refuses a user who is not an approver, an expired request and a second decision', async () => {
    const queue = await queued();
    const name = 'web-writes-00000001';
    await expect(
      decideRequest(queue, { name, verdict: 'deny', decider: { user: 'mallory', groups: ['x'] } }),
    ).rejects.toThrow('not an approver');
    await decideRequest(queue, { name, verdict: 'deny', decider: { user: 'bob', groups: [] } });
    await expect(
      decideRequest(queue, { name, verdict: 'approve', decider: { user: 'bob', groups: [] } }),
    ).rejects.toThrow(AlreadyDecidedError);
    expect((await queue.decision(name))?.verdict).toBe('deny');
  });

  it('refuses an expired request', async () => {
    const queue = await queued(-1_000);
    await expect(
      decideRequest(queue, {
        name: 'web-writes-00000001',
        verdict: 'approve',
        decider: { user: 'bob', groups: [] },
      }),
    ).rejects.toThrow('expired');
  });

  it('rejects names that are not queue names', async () => {
    const queue = await queued();
    await expect(queue.get('../etc/passwd')).rejects.toThrow(UnknownRequestError);
    await expect(queue.get('nope')).rejects.toThrow(UnknownRequestError);
  });
});

describe('isRequester', () => {
  it.each([
    ['web', 'system:serviceaccount:shop:web', true],
    ['alice', 'alice@example.com', true],
    ['Alice', 'alice', true],
    ['bob', 'alice@example.com', false],
    ['shop', 'system:serviceaccount:shop:web', false],
  ])('%s vs %s: %s', (user, identity, expected) => {
    expect(isRequester(user, identity)).toBe(expected);
  });
});
