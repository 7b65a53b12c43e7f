import {
  accessRequestSchema,
  accessRequestUpdateFailures,
  type AccessRequest,
} from './access-request.js';
import { GROUP_VERSION } from './common.js';
import { celEquals } from './validation-rule.js';

const pending: AccessRequest = accessRequestSchema.parse({
  apiVersion: GROUP_VERSION,
  kind: 'AccessRequest',
  metadata: { name: 'support-agent-7f3k', namespace: 'shop' },
  spec: {
    policyRef: { name: 'support-agent' },
    dataSourceRef: { name: 'orders' },
    requester: { identity: 'agent-7', session: 's-123' },
    operation: { kind: 'rows', rowCount: 1000, tables: ['public.orders'] },
    reason: 'a result of more than 1000 rows',
    expiresAt: '2026-12-03T20:00:00Z',
  },
});

const withSpec = (spec: Partial<AccessRequest['spec']>): AccessRequest => ({
  ...pending,
  spec: { ...pending.spec, ...spec },
});

describe('accessRequestUpdateFailures', () => {
  const approved = withSpec({ decision: { verdict: 'approve', comment: 'ok' } });

  it('lets an approver add the decision, and a later update keep it', () => {
    expect(accessRequestUpdateFailures(pending, approved)).toEqual([]);
    expect(accessRequestUpdateFailures(approved, structuredClone(approved))).toEqual([]);
  });

  it.each([
    ['changed', withSpec({ decision: { verdict: 'deny' } })],
    ['removed', withSpec({ decision: undefined })],
  ])('refuses a decision %s after it was set', (_how, updated) => {
    expect(accessRequestUpdateFailures(approved, updated)).toEqual([
      { path: ['spec', 'decision'], message: 'decision cannot change once set' },
    ]);
  });

  it('refuses a change to what waits, even together with a decision', () => {
    const updated = withSpec({
      decision: { verdict: 'approve' },
      operation: { ...pending.spec.operation, rowCount: 10 },
      reason: 'nothing to see',
    });
    expect(accessRequestUpdateFailures(pending, updated)).toEqual([
      { path: ['spec', 'operation'], message: 'operation cannot change' },
      { path: ['spec', 'reason'], message: 'reason cannot change' },
    ]);
  });
});

describe('celEquals', () => {
  it.each([
    [{ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [[1, 2], [2, 1], false],
    [{ a: null }, { a: undefined }, false],
  ])('compares %j and %j: %s', (a, b, equal) => {
    expect(celEquals(a, b)).toBe(equal);
  });
});
