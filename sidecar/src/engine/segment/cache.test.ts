import { BlockCache } from './cache';

const bytes = (n: number): Uint8Array => new Uint8Array(n);

describe('BlockCache', () => {
  it('evicts the least recently used entries to stay within its byte budget', () => {
    const cache = new BlockCache(100);
    cache.set('a', bytes(40));
    cache.set('b', bytes(40));
    expect(cache.get('a')).toBeDefined(); // a is now more recent than b
    cache.set('c', bytes(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.stats()).toEqual({ entries: 2, sizeBytes: 80, maxBytes: 100, hits: 3, misses: 1, evictions: 1 });
  });

  it('does not cache a payload larger than the whole budget, and replaces a key in place', () => {
    const cache = new BlockCache(50);
    cache.set('big', bytes(51));
    expect(cache.stats()).toMatchObject({ entries: 0, sizeBytes: 0 });
    cache.set('k', bytes(10));
    cache.set('k', bytes(30));
    expect(cache.stats()).toMatchObject({ entries: 1, sizeBytes: 30 });
    cache.delete('k');
    cache.delete('absent');
    expect(cache.stats()).toMatchObject({ entries: 0, sizeBytes: 0 });
  });

  it('refuses a budget that is not a number of bytes', () => {
    expect(() => new BlockCache(-1)).toThrow(RangeError);
    expect(() => new BlockCache(NaN)).toThrow(RangeError);
  });
});
