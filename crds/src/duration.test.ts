import { durationSchema, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['45s', 45_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '1.5h', '-5m', '5 m', '5min'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('durationSchema', () => {
  it('rejects a zero duration with a message a person can act on', () => {
    const result = durationSchema.safeParse('0s');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be longer than zero');
  });
});
