import type { Condition } from '@portcullis/crds';
import { isConditionTrue, setCondition } from './conditions.js';

const t0 = new Date('2026-01-01T10:00:00.123Z');
const t1 = new Date('2026-01-01T10:05:00.000Z');

describe('setCondition', () => {
  it('adds a condition stamped with the time and generation', () => {
    const result = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'LoginFailed', message: 'bad password' },
      3,
      t0,
    );
    expect(result).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'LoginFailed',
        message: 'bad password',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-01T10:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when only the reason or message changes', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'LoginFailed', message: 'a' },
      1,
      t0,
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'b' },
      2,
      t1,
    );
    expect(second[0]).toMatchObject({
      reason: 'SecretNotFound',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T10:00:00Z',
    });
  });

  it('moves lastTransitionTime when the status changes', () => {
    const first = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'LoginFailed', message: 'a' },
      1,
      t0,
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' },
      1,
      t1,
    );
    expect(second[0]?.lastTransitionTime).toBe('2026-01-01T10:05:00Z');
    expect(isConditionTrue(second, 'Ready')).toBe(true);
  });

  it('leaves other condition types alone', () => {
    const other: Condition = {
      type: 'Degraded',
      status: 'True',
      reason: 'X',
      message: 'y',
      lastTransitionTime: '2025-12-31T00:00:00Z',
    };
    const result = setCondition(
      [other],
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' },
      undefined,
      t0,
    );
    expect(result).toContainEqual(other);
    expect(result.find((c) => c.type === 'Ready')).not.toHaveProperty('observedGeneration');
  });
});
