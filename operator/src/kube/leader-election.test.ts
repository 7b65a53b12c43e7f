import { mayAcquire, type ObservedLease } from './leader-election.js';

describe('mayAcquire', () => {
  const held: ObservedLease = {
    holder: 'replica-a',
    renewTime: '2026-01-01T10:00:00.000000Z',
    leaseDurationMs: 15_000,
    observedAt: 1_000_000,
  };

  it('takes a lease nobody has recorded or nobody holds', () => {
    expect(mayAcquire(undefined, 'replica-b', 0)).toBe(true);
    expect(mayAcquire({ ...held, holder: undefined }, 'replica-b', held.observedAt)).toBe(true);
    expect(mayAcquire({ ...held, holder: '' }, 'replica-b', held.observedAt)).toBe(true);
  });

  it('renews its own lease at any time', () => {
    expect(mayAcquire(held, 'replica-a', held.observedAt + 1)).toBe(true);
  });

  it("leaves another holder's lease alone until it has gone unrenewed for its duration", () => {
    expect(mayAcquire(held, 'replica-b', held.observedAt + 14_999)).toBe(false);
    expect(mayAcquire(held, 'replica-b', held.observedAt + 15_000)).toBe(true);
  });
});
