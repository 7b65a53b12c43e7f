import type { CacheChange } from '../kube/cache.js';
import { MemoryCache } from '../webhooks/memory-cache.js';
import { parseWait, touches, waitForCache } from './cache-wait.js';

const change = (kind: CacheChange['kind'], namespace: string, name: string) =>
  ({ kind, event: { type: 'add', object: { metadata: { namespace, name } } } }) as CacheChange;

describe('parseWait', () => {
  it.each<[unknown, number | undefined]>([
    [undefined, 0],
    ['30s', 30_000],
    ['1500ms', 1_500],
    ['45', 45_000],
    ['600s', 60_000],
    ['soon', undefined],
    [['1s', '2s'], undefined],
  ])('reads %j as %j', (value, expected) => {
    expect(parseWait(value, 60_000)).toBe(expected);
  });
});

describe('touches', () => {
  const relevant = touches('shop', 'orders-1');

  it.each<[CacheChange, boolean]>([
    [change('Secret', 'shop', 'orders-minter'), true],
    [change('AccessPolicy', 'shop', 'p'), true],
    [change('Pod', 'shop', 'orders-1'), true],
    [change('Pod', 'shop', 'orders-2'), false],
    [change('AccessPolicy', 'billing', 'p'), false],
  ])('%j -> %j', (c, expected) => {
    expect(relevant(c)).toBe(expected);
  });
});

describe('waitForCache', () => {
  it('checks only after relevant changes and resolves with the first value', async () => {
    const cache = new MemoryCache();
    let checks = 0;
    const waiting = waitForCache(
      cache,
      () => (++checks === 2 ? 'ready' : undefined),
      5_000,
      new AbortController().signal,
      (c) => c.kind === 'Secret',
    );
    cache.put('Pod', { metadata: { namespace: 'shop', name: 'noise' } });
    await new Promise((resolve) => setImmediate(resolve));
    cache.put('Secret', { metadata: { namespace: 'shop', name: 'a' } });
    await new Promise((resolve) => setImmediate(resolve));
    cache.put('Secret', { metadata: { namespace: 'shop', name: 'b' } });
    await expect(waiting).resolves.toBe('ready');
    expect(checks).toBe(2);
  });

  it('resolves undefined when the caller leaves', async () => {
    const controller = new AbortController();
    const waiting = waitForCache(new MemoryCache(), () => 'x', 5_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
