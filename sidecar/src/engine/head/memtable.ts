// A memtable: the head's samples for one stretch of the WAL, per series in growable typed arrays.
//
// Invariants:
// - A memtable covers the WAL records of files [walFrom, walTo); the active one is open-ended
//   (walTo = Infinity) and is the only one that changes. Frozen ones wait to be flushed to a segment.
// - Per series, samples are kept in arrival order, so a later write of a timestamp comes after an
//   earlier one; reads sort stably and keep the last, which is exactly last-write-wins. Samples that
//   arrive in time order (the common case) are appended, and a repeat of the latest timestamp
//   overwrites in place, so such series never need sorting.
// - Arrays are never shortened or reordered in place: sorting and growing allocate new arrays. A
//   capture (for a snapshot) of (arrays, length) therefore stays valid while writes go on.

import { SampleRun } from '../query/parts';

export class SeriesBuffer {
  timestamps: Float64Array;
  values: Float64Array;
  length = 0;
  /** Index of the first sample that broke time order, or -1 when the buffer is sorted and unique. */
  firstUnsorted = -1;

  constructor(capacity = 16, timestamps = new Float64Array(capacity), values = new Float64Array(capacity)) {
    this.timestamps = timestamps;
    this.values = values;
  }

  append(ts: ArrayLike<number>, vs: ArrayLike<number>, from: number, to: number): void {
    const need = this.length + (to - from);
    if (need > this.timestamps.length) this.grow(need);
    const T = this.timestamps;
    const V = this.values;
    let n = this.length;
    for (let i = from; i < to; i++) {
      const t = ts[i];
      if (n > 0) {
        const last = T[n - 1];
        if (t === last && this.firstUnsorted < 0) {
          V[n - 1] = vs[i];
          continue;
        }
        if (t <= last && this.firstUnsorted < 0) this.firstUnsorted = n;
      }
      T[n] = t;
      V[n] = vs[i];
      n++;
    }
    this.length = n;
  }

  /** Sorts by time keeping the last write of each timestamp; allocates new arrays (see invariants). */
  sort(): void {
    if (this.firstUnsorted < 0) return;
    const sorted = sortUnique(this.timestamps, this.values, this.length, this.firstUnsorted);
    this.timestamps = sorted.timestamps;
    this.values = sorted.values;
    this.length = sorted.timestamps.length;
    this.firstUnsorted = -1;
  }

  private grow(need: number): void {
    let cap = Math.max(16, this.timestamps.length * 2);
    while (cap < need) cap *= 2;
    const t = new Float64Array(cap);
    const v = new Float64Array(cap);
    t.set(this.timestamps.subarray(0, this.length));
    v.set(this.values.subarray(0, this.length));
    this.timestamps = t;
    this.values = v;
  }
}

/**
 * Sorted, unique copy of the first `n` samples, of which [0, sortedPrefix) are already sorted and
 * unique. The unsorted tail is sorted stably; on equal timestamps the later arrival wins.
 */
function sortUnique(T: Float64Array, V: Float64Array, n: number, sortedPrefix: number): { timestamps: Float64Array; values: Float64Array } {
  const tailLength = n - sortedPrefix;
  const order = new Uint32Array(tailLength);
  for (let i = 0; i < tailLength; i++) order[i] = sortedPrefix + i;
  // Typed-array sort is not guaranteed stable; break ties by arrival index.
  order.sort((a, b) => T[a] - T[b] || a - b);
  const outT = new Float64Array(n);
  const outV = new Float64Array(n);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < sortedPrefix || j < tailLength) {
    let src: number;
    if (j >= tailLength || (i < sortedPrefix && T[i] < T[order[j]])) src = i++;
    else if (i < sortedPrefix && T[i] === T[order[j]]) {
      i++; // the tail arrived later: it wins
      continue;
    } else src = order[j++];
    const t = T[src];
    if (k > 0 && outT[k - 1] === t) {
      outV[k - 1] = V[src];
      continue;
    }
    outT[k] = t;
    outV[k] = V[src];
    k++;
  }
  return { timestamps: outT.subarray(0, k), values: outV.subarray(0, k) };
}

/**
 * A new series buffer starts with room for its share of the head's sample budget (an hour at 10 s
 * for a fleet of a thousand devices), then doubles. Sized for the largest share, 40,000 series took
 * 160 MiB per memtable for about 25 samples each; with shares, that is 20 MiB.
 */
const MAX_INITIAL_CAPACITY = 256;
const MIN_INITIAL_CAPACITY = 16;

/** The room a new series buffer starts with: `headMaxSamples / series` as a power of two, within bounds. */
export function initialCapacity(headMaxSamples: number, series: number): number {
  const share = headMaxSamples / Math.max(1, series);
  let cap = MIN_INITIAL_CAPACITY;
  while (cap < share && cap < MAX_INITIAL_CAPACITY) cap *= 2;
  return cap;
}

/**
 * New buffers are carved from slabs, one allocation for many series: thousands of small typed
 * arrays cost more to allocate and to track than their memory (replay makes one pair per series).
 */
const SLAB_DOUBLES = 2 * MAX_INITIAL_CAPACITY * 64;

export class Memtable {
  /** Buffers by series id (dense ids: a plain array beats a Map on the ingest path). */
  private readonly buffers: Array<SeriesBuffer | undefined> = [];
  /** The ids that have a buffer, in first-write order. */
  readonly ids: number[] = [];
  samples = 0;
  walTo = Infinity;
  private slab = new Float64Array(0);
  private slabUsed = 0;

  /** `capacity()`: the room a series new to this memtable starts with (see initialCapacity). */
  constructor(
    readonly walFrom: number,
    private readonly capacity: () => number = () => MAX_INITIAL_CAPACITY,
  ) {}

  get frozen(): boolean {
    return this.walTo !== Infinity;
  }

  append(id: number, ts: ArrayLike<number>, vs: ArrayLike<number>, from = 0, to = ts.length): void {
    let s = this.buffers[id];
    if (s === undefined) {
      while (this.buffers.length < id) this.buffers.push(undefined);
      const cap = this.capacity();
      s = to - from > cap ? new SeriesBuffer(to - from) : this.carve(cap);
      this.buffers[id] = s;
      this.ids.push(id);
    }
    s.append(ts, vs, from, to);
    this.samples += to - from;
  }

  /** A buffer of `cap` from the slab; slices never overlap, so arrays stay private. */
  private carve(cap: number): SeriesBuffer {
    if (this.slab.length - this.slabUsed < 2 * cap) {
      this.slab = new Float64Array(SLAB_DOUBLES);
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    this.slabUsed += 2 * cap;
    return new SeriesBuffer(cap, this.slab.subarray(at, at + cap), this.slab.subarray(at + cap, at + 2 * cap));
  }

  has(id: number): boolean {
    return this.buffers[id] !== undefined;
  }

  /** The series' samples, sorted and unique (views; do not modify). */
  read(id: number): { timestamps: Float64Array; values: Float64Array } | undefined {
    const s = this.buffers[id];
    if (!s || s.length === 0) return undefined;
    s.sort();
    return { timestamps: s.timestamps.subarray(0, s.length), values: s.values.subarray(0, s.length) };
  }

  /**
   * read() as a run over the series' own arrays, which makes no views: queries ask this of every
   * series they read. Arrays are never changed below `to` but by an overwrite of the latest sample,
   * as with read()'s views (see the invariants).
   */
  run(id: number): SampleRun | undefined {
    const s = this.buffers[id];
    if (!s || s.length === 0) return undefined;
    s.sort();
    return { timestamps: s.timestamps, values: s.values, from: 0, to: s.length };
  }

  /** Stops accepting writes: the memtable now covers WAL files [walFrom, walTo). */
  freeze(walTo: number): void {
    this.walTo = walTo;
  }
}
