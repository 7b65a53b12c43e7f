import type { AccessPolicy } from '@portcullis/crds';
import { pino } from 'pino';
import { createGateMetrics } from '../observability/gate-metrics.js';
import { ApprovalHolds } from './approval-holds.js';
import type { ApprovalAsk, ApprovalChannel, ApprovalOutcome } from './operator-channel.js';

const policy = { metadata: { name: 'web', namespace: 'shop' } } as unknown as AccessPolicy;
const logger = pino({ level: 'silent' });
const operation: ApprovalAsk['operation'] = { kind: 'statement', statement: 'DELETE FROM t' };

/** A channel answering each request with the next scripted outcome, or throwing. */
class ScriptedChannel implements ApprovalChannel {
  asks: ApprovalAsk[] = [];
  constructor(private readonly answer: (signal: AbortSignal) => Promise<ApprovalOutcome>) {}
  request(ask: ApprovalAsk, signal?: AbortSignal): Promise<ApprovalOutcome> {
    this.asks.push(ask);
    return this.answer(signal ?? new AbortController().signal);
  }
}

function holds(approvals?: ApprovalChannel) {
  const metrics = createGateMetrics({ processMetrics: false });
  const h = new ApprovalHolds({
    policy,
    dataSource: 'db',
    identity: 'system:serviceaccount:shop:web',
    session: 's1',
    logger,
    metrics,
    ...(approvals ? { approvals } : {}),
  });
  const outcomes = async () =>
    (await metrics.approvalsTotal.get()).values.map((v) => `${v.labels.outcome}=${v.value}`);
  return { h, outcomes };
}

describe('ApprovalHolds', () => {
  it('goes on only when approved, and asks with the policy name, identity and session', async () => {
    const channel = new ScriptedChannel(() =>
      Promise.resolve({ request: 'r1', phase: 'Approved' }),
    );
    const { h, outcomes } = holds(channel);
    await expect(h.hold('approval.rules[0]', 'delete needs approval', operation)).resolves.toBe(
      undefined,
    );
    expect(channel.asks[0]).toMatchObject({
      policy: 'web',
      dataSource: 'db',
      identity: 'system:serviceaccount:shop:web',
      session: 's1',
      operation,
    });
    expect(await outcomes()).toEqual(['approved=1']);
  });

  it.each([
    ['Denied' as const, 'approval request r2 was denied by bob', 'denied=1'],
    ['Expired' as const, 'approval request r2 timed out without a decision', 'timed_out=1'],
  ])('refuses with 42501 when %s', async (phase, message, counted) => {
    const channel = new ScriptedChannel(() =>
      Promise.resolve({ request: 'r2', phase, decidedBy: 'bob' }),
    );
    const { h, outcomes } = holds(channel);
    const error = await h.hold('approval.rules[1]', 'delete needs approval', operation);
    expect(error?.sqlstate).toBe('42501');
    expect(error?.message).toContain(message);
    expect(error?.message).toContain('policy shop/web, rule approval.rules[1]');
    expect(await outcomes()).toEqual([counted]);
  });

  it('fails closed without a channel and when the request cannot be filed', async () => {
    const none = holds();
    expect((await none.h.hold('r', 'needs approval', operation))?.message).toContain(
      'no approval channel',
    );
    const broken = holds(new ScriptedChannel(() => Promise.reject(new Error('down'))));
    const error = await broken.h.hold('r', 'needs approval', operation);
    expect(error?.sqlstate).toBe('42501');
    expect(error?.message).toContain('could not be filed');
    expect(await broken.outcomes()).toEqual(['failed=1']);
  });

  it('answers 57014 when the client cancels the hold', async () => {
    const channel = new ScriptedChannel(
      (signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve({ request: 'r3', phase: 'Expired' })),
        ),
    );
    const { h } = holds(channel);
    expect(h.cancel()).toBe(false);
    const waiting = h.hold('r', 'needs approval', operation);
    expect(h.cancel()).toBe(true);
    const error = await waiting;
    expect(error?.sqlstate).toBe('57014');
    expect(error?.detail).toContain('approval request r3 withdrawn');
  });
});
