// Builds one columnar write batch from samples that arrive in any series order (as lines and remote
// write time series do), without an object per sample: samples go into flat typed arrays first and
// are scattered into one contiguous run per series at the end (a counting sort).

import { HttpError } from '../errors';
import { LabelSet, SeriesWrite, WriteResult } from '../../engine/model/types';

/** What a batch entry needs of its series: labels, and the engine's ref once known (-1 before). */
export interface SeriesHandle {
  readonly labels: LabelSet;
  ref: number;
}

let nextSeriesId = 1;

/**
 * A series as the ingest paths cache it, keyed by its raw bytes: its labels (or why they are
 * invalid) and the engine's ref once a write has returned one.
 */
export class CachedSeries implements SeriesHandle {
  ref = -1;
  /** Unique in this thread; decode workers name series to the main thread by it. */
  readonly id = nextSeriesId++;
  /** The decode-worker generation in which the main thread last learnt this series' labels. */
  announcedIn = -1;
  /** The builder (by its epoch) that last gave this series a slot, and that slot. */
  epoch = 0;
  slot = 0;

  constructor(
    readonly labels: LabelSet,
    /** Why this series can not be stored (bad labels); every sample of it is rejected. */
    readonly error?: string,
  ) {}
}

let nextEpoch = 1;

/** Samples grouped by series: those of series[i] are [offsets[i], offsets[i + 1]) of times/values. */
export interface BatchColumns {
  series: CachedSeries[];
  offsets: Int32Array;
  times: Float64Array;
  values: Float64Array;
}

/**
 * A decoded request, in columns: the samples of series[i] are [offsets[i], offsets[i + 1]) of times
 * and values. Written with the engine's columnar write, so no object is made per series.
 */
export interface BuiltBatch {
  series: SeriesHandle[];
  offsets: Int32Array;
  times: Float64Array;
  values: Float64Array;
  samples: number;
  /** The same samples as one SeriesWrite per series (views of the columns), made when first asked for. */
  readonly batch: SeriesWrite[];
}

class Columns implements BuiltBatch {
  private entries?: SeriesWrite[];

  constructor(
    readonly series: SeriesHandle[],
    readonly offsets: Int32Array,
    readonly times: Float64Array,
    readonly values: Float64Array,
  ) {}

  get samples(): number {
    return this.offsets[this.series.length];
  }

  get batch(): SeriesWrite[] {
    this.entries ??= this.series.map((handle, s) => {
      const start = this.offsets[s];
      const length = this.offsets[s + 1] - start;
      const entry: SeriesWrite = {
        labels: handle.labels,
        timestamps: new Float64Array(this.times.buffer, this.times.byteOffset + start * 8, length),
        values: new Float64Array(this.values.buffer, this.values.byteOffset + start * 8, length),
      };
      if (handle.ref >= 0) entry.ref = handle.ref;
      return entry;
    });
    return this.entries;
  }
}

/** The columns as a batch (no copy). */
export function toBatch(series: readonly SeriesHandle[], offsets: Int32Array, times: Float64Array, values: Float64Array): BuiltBatch {
  return new Columns(series as SeriesHandle[], offsets, times, values);
}

/** Collects (series, timestamp, value) triples; `build` turns them into one SeriesWrite per series. */
export class BatchBuilder {
  private readonly epoch = nextEpoch++;
  private readonly series: CachedSeries[] = [];
  private slots: Int32Array;
  private times: Float64Array;
  private values: Float64Array;
  private n = 0;

  /** @param maxSamples more samples than this throws TOO_MANY_SAMPLES (413); nothing is stored. */
  constructor(
    private readonly maxSamples: number,
    initialCapacity = 4096,
  ) {
    const capacity = Math.max(1, Math.min(initialCapacity, maxSamples));
    this.slots = new Int32Array(capacity);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  add(series: CachedSeries, t: number, v: number): void {
    if (series.epoch !== this.epoch) {
      series.epoch = this.epoch;
      series.slot = this.series.length;
      this.series.push(series);
    }
    if (this.n === this.slots.length) this.grow();
    this.slots[this.n] = series.slot;
    this.times[this.n] = t;
    this.values[this.n] = v;
    this.n++;
  }

  /** Sets the timestamp of every sample added since `from` (line protocol puts it after the fields). */
  setTimes(from: number, t: number): void {
    // A loop, not fill(): a line has few fields, and the builtin's call costs more than the stores.
    const times = this.times;
    for (let i = from; i < this.n; i++) times[i] = t;
  }

  /** Forgets the samples added since `from` (a line that turned out invalid). */
  rollback(from: number): void {
    this.n = from;
  }

  build(): BuiltBatch {
    const columns = this.columns();
    return toBatch(columns.series, columns.offsets, columns.times, columns.values);
  }

  /** The samples grouped by series, series without samples (all rolled back) left out. */
  columns(): BatchColumns {
    const count = new Int32Array(this.series.length + 1);
    for (let i = 0; i < this.n; i++) count[this.slots[i] + 1]++;
    for (let s = 1; s <= this.series.length; s++) count[s] += count[s - 1];
    const times = new Float64Array(this.n);
    const values = new Float64Array(this.n);
    const next = count.slice(0, this.series.length);
    for (let i = 0; i < this.n; i++) {
      const at = next[this.slots[i]]++;
      times[at] = this.times[i];
      values[at] = this.values[i];
    }
    const series: CachedSeries[] = [];
    const offsets: number[] = [0];
    for (let s = 0; s < this.series.length; s++) {
      if (count[s + 1] === count[s]) continue;
      series.push(this.series[s]);
      offsets.push(count[s + 1]);
    }
    return { series, offsets: Int32Array.from(offsets), times, values };
  }

  private grow(): void {
    if (this.n >= this.maxSamples) {
      throw new HttpError('TOO_MANY_SAMPLES', `the request holds more than ${this.maxSamples} samples, the per-request limit; nothing was stored`, {
        limit: this.maxSamples,
      });
    }
    const capacity = Math.min(this.slots.length * 2, this.maxSamples);
    const slots = new Int32Array(capacity);
    slots.set(this.slots);
    const times = new Float64Array(capacity);
    times.set(this.times);
    const values = new Float64Array(capacity);
    values.set(this.values);
    this.slots = slots;
    this.times = times;
    this.values = values;
  }
}

/** Remembers the refs the engine handed out, so the next write of each series skips label hashing. */
export function rememberRefs(built: BuiltBatch, result: WriteResult): void {
  for (let i = 0; i < built.series.length; i++) {
    const ref = result.refs[i];
    if (ref !== undefined && ref >= 0) built.series[i].ref = ref;
  }
}
