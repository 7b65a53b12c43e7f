import { LruMap } from './lru-map.js';

describe('LruMap', () => {
  it('drops the least recently used entry past its count', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([1, undefined, 3]);
    expect(map.evictions).toBe(1);
  });

  it('drops old entries past its total weight, and never keeps one heavier than it', () => {
    const map = new LruMap<string, string>(10, 10);
    map.set('a', 'x', 6);
    map.set('b', 'y', 4);
    map.set('c', 'z', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([undefined, 'y', 'z']);
    map.set('huge', 'w', 11);
    expect(map.get('huge')).toBeUndefined();
    expect(map.size).toBe(2);
  });

  it('counts a replaced entry once', () => {
    const map = new LruMap<string, number>(2, 5);
    map.set('a', 1, 5);
    map.set('a', 2, 5);
    expect(map.get('a')).toBe(2);
    expect(map.evictions).toBe(0);
  });
});
