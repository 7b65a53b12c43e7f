import type { LabelSelector } from '@portcullis/crds';
import { selectorsIntersect } from './selector-intersection.js';

describe('selectorsIntersect', () => {
  it.each<[string, LabelSelector, LabelSelector, boolean]>([
    ['two empty selectors', {}, {}, true],
    ['an empty selector and any other', {}, { matchLabels: { app: 'shop' } }, true],
    [
      'different keys: a pod may carry both',
      { matchLabels: { app: 'shop' } },
      { matchLabels: { tier: 'db' } },
      true,
    ],
    [
      'same key, different values',
      { matchLabels: { app: 'shop' } },
      { matchLabels: { app: 'blog' } },
      false,
    ],
    [
      'same key, same value',
      { matchLabels: { app: 'shop' } },
      { matchLabels: { app: 'shop' } },
      true,
    ],
    [
      'In sets that share a value',
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'c'] }] },
      true,
    ],
    [
      'disjoint In sets',
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['a'] }] },
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['c'] }] },
      false,
    ],
    [
      'In against NotIn of all its values',
      { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['a', 'b'] }] },
      false,
    ],
    [
      'In against NotIn of some of its values',
      { matchLabels: { app: 'a' } },
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['b'] }] },
      true,
    ],
    [
      'Exists against DoesNotExist',
      { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
      { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      false,
    ],
    [
      'Exists against NotIn: another value is always possible',
      { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    [
      'DoesNotExist against NotIn: the label can be left off',
      { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    [
      'one conflicting key among compatible ones',
      { matchLabels: { app: 'shop', tier: 'web' } },
      { matchLabels: { app: 'shop', tier: 'db' } },
      false,
    ],
  ])('%s', (_name, a, b, expected) => {
    expect(selectorsIntersect(a, b)).toBe(expected);
    expect(selectorsIntersect(b, a)).toBe(expected);
  });
});
