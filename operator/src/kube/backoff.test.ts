import { Backoff, jittered } from './backoff.js';

describe('jittered', () => {
  it('stretches the base by up to the spread, never shrinks it', () => {
    expect(jittered(1000, 0.2, () => 0)).toBe(1000);
    expect(jittered(1000, 0.2, () => 0.5)).toBe(1100);
    expect(jittered(1000, 0.2, () => 0.999)).toBeLessThan(1200);
  });

  it('spreads replicas that use the real random source', () => {
    const values = new Set(Array.from({ length: 20 }, () => jittered(1000)));
    expect(values.size).toBeGreaterThan(1);
    for (const value of values) {
      expect(value).toBeGreaterThanOrEqual(1000);
      expect(value).toBeLessThan(1200);
    }
  });
});

describe('Backoff', () => {
  it('doubles up to the maximum and starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 500, random: () => 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      100, 200, 400, 500,
    ]);
    expect(backoff.attempts).toBe(4);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('never exceeds the maximum, jitter included', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 500, random: () => 0.99 });
    for (let i = 0; i < 10; i++) expect(backoff.next()).toBeLessThanOrEqual(500);
  });
});
