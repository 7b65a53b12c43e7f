import { durationSchema, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['45s', 45_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['48h', 172_800_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  // Go's time.ParseDuration (and so CEL's duration()) has no day unit: a "2d" the parser took
  // would be a rule the API server cannot evaluate.
  it.each(['', '5', 'm', '1.5h', '-5m', '5 m', '5min', '2d'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('durationSchema', () => {
  it.each([
    ['0s', 'must be longer than zero'],
    ['8761h', 'must be at most 8760h'],
    ['1d', 'must be a duration such as 30s, 5m, 1h or 1h30m (units ms, s, m, h)'],
  ])('rejects %j saying %j', (text, message) => {
    const result = durationSchema.safeParse(text);
    expect(result.error?.issues.map((i) => i.message)).toEqual([message]);
  });
});
