import { z } from 'zod';
import { CEL_RULES_KEY, withRules } from './validation-rule.js';

describe('withRules', () => {
  const pair = withRules(z.strictObject({ low: z.number(), high: z.number() }), {
    rule: 'self.low <= self.high',
    message: 'low may not exceed high',
    fieldPath: '.low',
    holds: (p) => p.low <= p.high,
  });

  it('reports a failed rule at its fieldPath, and carries its CEL in the metadata', () => {
    expect(pair.safeParse({ low: 2, high: 1 }).error?.issues).toMatchObject([
      { path: ['low'], message: 'low may not exceed high' },
    ]);
    expect(pair.meta()?.[CEL_RULES_KEY]).toEqual([
      { rule: 'self.low <= self.high', message: 'low may not exceed high', fieldPath: '.low' },
    ]);
  });

  it('reports the same path on every parse, however often the schema is used', () => {
    const list = z.array(pair);
    for (let i = 0; i < 3; i++) {
      expect(list.safeParse([{ low: 2, high: 1 }]).error?.issues[0]?.path).toEqual([0, 'low']);
    }
  });

  it('still runs beside a problem in another field, so a parse reports both', () => {
    const issues = pair.safeParse({ low: 2, high: 1, extra: true }).error?.issues;
    expect(issues?.map((i) => i.message)).toEqual([
      expect.stringContaining('extra'),
      'low may not exceed high',
    ]);
  });

  it('fails closed when a rule throws on a value nothing else refused', () => {
    const throwing = withRules(z.string(), {
      rule: 'true',
      message: 'checked by a broken rule',
      holds: () => {
        throw new Error('bug');
      },
    });
    expect(throwing.safeParse('x').error?.issues.map((i) => i.message)).toEqual([
      'checked by a broken rule',
    ]);
  });

  it('rejects a fieldPath the API server would not take', () => {
    expect(() =>
      withRules(z.string(), { rule: 'true', message: 'm', fieldPath: 'x[0]', holds: () => true }),
    ).toThrow(/fieldPath/);
  });
});
