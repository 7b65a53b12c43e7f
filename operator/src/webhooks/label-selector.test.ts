import type { LabelSelector } from '@portcullis/crds';
import { labelSelectorProblems, selectorMatches } from './label-selector.js';

const app = { app: 'orders', tier: 'web' };

describe('selectorMatches', () => {
  it.each<[string, LabelSelector, Record<string, string> | undefined, boolean]>([
    ['empty selector selects everything', {}, app, true],
    ['empty selector selects a pod without labels', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { app: 'orders' } }, app, true],
    ['matchLabels different value', { matchLabels: { app: 'billing' } }, app, false],
    ['matchLabels missing key', { matchLabels: { team: 'a' } }, app, false],
    [
      'In holds',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
      app,
      true,
    ],
    [
      'In fails',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] },
      app,
      false,
    ],
    [
      'In on missing key',
      { matchExpressions: [{ key: 'x', operator: 'In', values: ['a'] }] },
      app,
      false,
    ],
    [
      'NotIn holds',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
      app,
      true,
    ],
    [
      'NotIn fails',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] },
      app,
      false,
    ],
    [
      'NotIn on missing key',
      { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] },
      app,
      true,
    ],
    ['Exists holds', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, app, true],
    ['Exists fails', { matchExpressions: [{ key: 'x', operator: 'Exists' }] }, app, false],
    [
      'DoesNotExist holds',
      { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] },
      app,
      true,
    ],
    [
      'DoesNotExist fails',
      { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      app,
      false,
    ],
    [
      'labels and expressions must all hold',
      {
        matchLabels: { app: 'orders' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }],
      },
      app,
      false,
    ],
  ])('%s', (_name, selector, labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('labelSelectorProblems', () => {
  it('accepts a well-formed selector', () => {
    expect(
      labelSelectorProblems({
        matchExpressions: [
          { key: 'a', operator: 'In', values: ['x'] },
          { key: 'b', operator: 'Exists' },
        ],
      }),
    ).toEqual([]);
  });

  it('names In without values and Exists with values', () => {
    expect(
      labelSelectorProblems({
        matchExpressions: [
          { key: 'a', operator: 'In', values: [] },
          { key: 'b', operator: 'Exists', values: ['x'] },
        ],
      }),
    ).toEqual([
      'matchExpressions[0] (a In): values must not be empty',
      'matchExpressions[1] (b Exists): values must be empty',
    ]);
  });
});
