// A hash table from raw byte strings (series keys as they appear in request bodies) to values,
// so the ingest hot path finds a known series without creating a string or decoding anything.
//
// Invariants: keys are copied into an arena on insert (request buffers are not kept); a look-up
// compares the full key bytes, never just the hash; the table is cleared when it holds maxEntries
// keys, which bounds its memory (a fleet's set of series is stable, so clearing costs one slow-path
// parse per live series).

/** The seed of the FNV-1a-style hashes the ingest paths compute over key bytes. */
export const HASH_SEED = 0x811c9dc5;

/** The hash of bytes [start, end), four bytes per step (callers that scan anyway use hashStep). */
export function hashRange(view: DataView, start: number, end: number): number {
  let h = HASH_SEED;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ view.getUint8(i), 0x01000193);
  return h;
}

/** MurmurHash3's finaliser: FNV-1a leaves the low bits (the slot index) poorly mixed. */
function spread(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class KeyTable<V> {
  private slots: Int32Array; // entry index + 1, or 0 for empty
  private mask: number;
  private arena: Buffer;
  private arenaView: DataView;
  private arenaUsed = 0;
  private offsets: number[] = [];
  private lengths: number[] = [];
  private hashes: number[] = [];
  private values: V[] = [];
  /** How often the table was cleared (on reaching maxEntries). */
  clears = 0;

  constructor(private readonly maxEntries = 1_000_000) {
    this.slots = new Int32Array(1024);
    this.mask = this.slots.length - 1;
    this.arena = Buffer.allocUnsafe(64 * 1024);
    this.arenaView = new DataView(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength);
  }

  get size(): number {
    return this.values.length;
  }

  /** The value stored for bytes [start, end) of `buf` (seen through a DataView), whose hash is `hash`. */
  get(buf: DataView, start: number, end: number, hash: number): V | undefined {
    const len = end - start;
    const slots = this.slots;
    const mask = this.mask;
    for (let i = spread(hash) & mask; ; i = (i + 1) & mask) {
      const e = slots[i] - 1;
      if (e < 0) return undefined;
      if (this.hashes[e] === hash && this.lengths[e] === len && this.sameBytes(e, buf, start, len)) return this.values[e];
    }
  }

  set(buf: Uint8Array, start: number, end: number, hash: number, value: V): void {
    if (this.values.length >= this.maxEntries) this.clear();
    const len = end - start;
    if (this.arenaUsed + len > this.arena.length) this.growArena(len);
    this.arena.set(buf.subarray(start, end), this.arenaUsed);
    const e = this.values.length;
    this.offsets.push(this.arenaUsed);
    this.lengths.push(len);
    this.hashes.push(hash);
    this.values.push(value);
    this.arenaUsed += len;
    if (this.values.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e);
  }

  clear(): void {
    this.clears++;
    this.slots = new Int32Array(1024);
    this.mask = this.slots.length - 1;
    this.arenaUsed = 0;
    this.offsets = [];
    this.lengths = [];
    this.hashes = [];
    this.values = [];
  }

  /** Compares four bytes per step, then the tail byte by byte. */
  private sameBytes(e: number, buf: DataView, start: number, len: number): boolean {
    const arena = this.arenaView;
    const offset = this.offsets[e];
    let k = 0;
    for (; k + 4 <= len; k += 4) if (arena.getInt32(offset + k) !== buf.getInt32(start + k)) return false;
    for (; k < len; k++) if (arena.getUint8(offset + k) !== buf.getUint8(start + k)) return false;
    return true;
  }

  private place(e: number): void {
    for (let i = spread(this.hashes[e]) & this.mask; ; i = (i + 1) & this.mask) {
      if (this.slots[i] === 0) {
        this.slots[i] = e + 1;
        return;
      }
    }
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let e = 0; e < this.values.length; e++) this.place(e);
  }

  private growArena(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + needed));
    this.arena.copy(next, 0, 0, this.arenaUsed);
    this.arena = next;
    this.arenaView = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
}
