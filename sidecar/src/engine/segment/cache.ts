// A least-recently-used cache of verified block payloads with a byte budget, shared by all segment
// readers, so repeated queries neither re-read nor re-check the same blocks.
//
// Invariants: sizeBytes is the sum of the cached payload lengths and never exceeds maxBytes after
// a call returns; a payload larger than the whole budget is not cached. Entries hold only bytes
// whose CRC was checked. A Map keeps insertion order, so re-inserting on every hit makes its first
// key the least recently used.

export interface BlockCacheStats {
  entries: number;
  sizeBytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export const DEFAULT_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;

export class BlockCache {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  /** @example new BlockCache(256 * 1024 * 1024) // a 256 MiB budget */
  constructor(readonly maxBytes = DEFAULT_BLOCK_CACHE_BYTES) {
    if (!(maxBytes >= 0)) throw new RangeError(`block cache budget must be a non-negative number of bytes, got ${maxBytes}`);
  }

  get(key: string): Uint8Array | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  set(key: string, payload: Uint8Array): void {
    this.delete(key);
    if (payload.length > this.maxBytes) return;
    this.entries.set(key, payload);
    this.bytes += payload.length;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.length;
      this.evictions++;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= old.length;
  }

  stats(): BlockCacheStats {
    return {
      entries: this.entries.size,
      sizeBytes: this.bytes,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
    };
  }
}
