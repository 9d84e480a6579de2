// Per-series bucket aggregation: consumes one series' parts in time order, then applies fill.
//
// Rules (model/types.ts, AggregateRequest): per bucket, `agg` runs over the samples with
// start <= t < end whose value is not NaN; a bucket without such a sample is empty. Fill then gives
// empty buckets a value (previous, linear) or leaves them NaN.
//
// One accumulator is reused for every series of a query: its arrays are sized once (one slot per
// bucket) and nothing is allocated per sample. Sums are taken in time order, as the specification's
// model takes them, so answers built from samples alone are bit-identical to it; a block summary
// adds its own sum at once, which may differ from that order by rounding only.

import { InvalidQueryError } from '../model/errors';
import { Aggregation, Fill } from '../model/types';
import { Bucketing } from './bucketing';
import { Part, SummaryPart, isSampleRun } from './parts';
import { lowerBound } from './runs';

export const AGGREGATIONS: readonly Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];
export const FILLS: readonly Fill[] = ['none', 'null', 'previous', 'linear'];

/**
 * Buckets one series at a time.
 * @example
 * const acc = new SeriesAccumulator(bucketing, 'avg');
 * acc.reset();
 * acc.addParts(parts);
 * if (acc.finish('previous', latestBefore?.v)) use(acc.values);
 */
export class SeriesAccumulator {
  /** After finish: the value of each bucket, NaN where it has none. */
  readonly values: Float64Array;
  /** Non-NaN samples per bucket; 0 marks an empty bucket. */
  private readonly counts: Float64Array;
  /** The running sum, min, max, first or last value per bucket. */
  private readonly acc: Float64Array;
  private readonly bounds: Float64Array;
  private readonly initial: number;

  constructor(
    readonly bucketing: Bucketing,
    readonly agg: Aggregation,
  ) {
    if (!AGGREGATIONS.includes(agg)) throw new InvalidQueryError(`unknown aggregation ${JSON.stringify(agg)}; expected one of ${AGGREGATIONS.join(', ')}`);
    this.bounds = bucketing.bounds();
    const n = bucketing.count;
    this.values = new Float64Array(n);
    this.counts = new Float64Array(n);
    this.acc = new Float64Array(n);
    this.initial = agg === 'min' ? Infinity : agg === 'max' ? -Infinity : 0;
    this.reset();
  }

  /** Forgets the previous series. */
  reset(): void {
    this.counts.fill(0);
    this.acc.fill(this.initial);
  }

  addParts(parts: readonly Part[]): void {
    for (const part of parts) {
      if (isSampleRun(part)) this.addRun(part.timestamps, part.values, part.from, part.to);
      else this.addSummary(part);
    }
  }

  /** Adds samples timestamps/values[from, to) (sorted, unique, later than anything added before). */
  addRun(timestamps: Float64Array, values: Float64Array, from: number, to: number): void {
    const { start, end } = this.bucketing;
    if (to <= from) return;
    const i = timestamps[from] >= start ? from : lowerBound(timestamps, start, from, to);
    const stop = timestamps[to - 1] < end ? to : lowerBound(timestamps, end, i, to);
    if (i >= stop) return;
    const k = this.bucketing.indexOf(timestamps[i]);
    const { bounds, counts, acc } = this;
    switch (this.agg) {
      case 'avg':
      case 'sum':
        return sumRun(bounds, counts, acc, timestamps, values, i, stop, k);
      case 'count':
        return countRun(bounds, counts, timestamps, values, i, stop, k);
      case 'min':
        return minRun(bounds, counts, acc, timestamps, values, i, stop, k);
      case 'max':
        return maxRun(bounds, counts, acc, timestamps, values, i, stop, k);
      case 'first':
        return firstRun(bounds, counts, acc, timestamps, values, i, stop, k);
      case 'last':
        return lastRun(bounds, counts, acc, timestamps, values, i, stop, k);
    }
  }

  /** Adds a block by its summary; the block must lie in one bucket inside [start, end). */
  addSummary(s: SummaryPart): void {
    const k = this.bucketing.spanIndex(s.minT, s.maxT);
    if (k < 0) throw new RangeError(`a block summary over [${s.minT}, ${s.maxT}] does not lie in one bucket of the range; pass its samples`);
    const { counts, acc } = this;
    switch (this.agg) {
      case 'avg':
      case 'sum':
        acc[k] += s.sum;
        break;
      case 'min':
        acc[k] = Math.min(acc[k], s.min);
        break;
      case 'max':
        acc[k] = Math.max(acc[k], s.max);
        break;
      case 'first':
        if (counts[k] === 0) acc[k] = s.first;
        break;
      case 'last':
        acc[k] = s.last;
        break;
      case 'count':
        break;
    }
    counts[k] += s.count;
  }

  /**
   * Computes `values` and applies fill. `before` is the series' latest non-NaN value before start,
   * used by `previous` only. Returns whether the series belongs in the answer: some bucket has a
   * value that is not NaN.
   */
  finish(fill: Fill, before?: number): boolean {
    const { values, counts, acc } = this;
    const n = values.length;
    const avg = this.agg === 'avg';
    const count = this.agg === 'count';
    let any = false;
    for (let k = 0; k < n; k++) {
      const c = counts[k];
      const v = c === 0 ? NaN : avg ? acc[k] / c : count ? c : acc[k];
      values[k] = v;
      if (v === v) any = true;
    }
    if (this.bucketing.hasZeroLengthBuckets()) this.shareZeroLengthBuckets();
    switch (fill) {
      case 'none':
      case 'null':
        return any;
      case 'linear':
        // Interpolation needs two values that are not NaN, so it can not make a series appear.
        if (any) fillLinear(values, counts, this.bounds);
        return any;
      case 'previous':
        fillPrevious(values, counts, before);
        for (let k = 0; k < n; k++) if (values[k] === values[k]) return true;
        return false;
      default:
        throw new InvalidQueryError(`unknown fill ${JSON.stringify(fill)}; expected one of ${FILLS.join(', ')}`);
    }
  }

  /**
   * A bucket without instants (a skipped local day) carries the same timestamp as the next one and,
   * as the specification's model has it, the same value.
   */
  private shareZeroLengthBuckets(): void {
    const { values, counts, bounds } = this;
    for (let k = values.length - 2; k >= 0; k--) {
      if (bounds[k] === bounds[k + 1]) {
        values[k] = values[k + 1];
        counts[k] = counts[k + 1];
      }
    }
  }
}

function fillPrevious(values: Float64Array, counts: Float64Array, before: number | undefined): void {
  let has = before !== undefined;
  let carry = before ?? NaN;
  for (let k = 0; k < values.length; k++) {
    if (counts[k] !== 0) {
      carry = values[k];
      has = true;
    } else if (has) {
      values[k] = carry;
    }
  }
}

/** Interpolates by bucket timestamp between the non-empty neighbours, with the model's formula. */
function fillLinear(values: Float64Array, counts: Float64Array, bounds: Float64Array): void {
  let last = -1;
  for (let k = 0; k < values.length; k++) {
    if (counts[k] === 0) continue;
    if (last >= 0 && k - last > 1) {
      const a = values[last];
      const b = values[k];
      for (let g = last + 1; g < k; g++) values[g] = a + ((b - a) * (bounds[g] - bounds[last])) / (bounds[k] - bounds[last]);
    }
    last = k;
  }
}

// The loops below walk samples and bucket boundaries together: a bucket's running value lives in
// locals and is stored when the boundary is crossed. `k` is the bucket of ts[i]; ts[stop - 1] < end,
// so k never passes the last bucket.

/**
 * Sums optimistically: NaN samples are rare, so the loop adds every value and only a bucket whose
 * sum came out NaN is summed again, skipping NaN, in the same order. Without NaN both give the same
 * bits; the count is then the number of samples the bucket took.
 */
function sumRun(bounds: Float64Array, counts: Float64Array, acc: Float64Array, ts: Float64Array, vs: Float64Array, i: number, stop: number, k: number): void {
  let next = bounds[k + 1];
  let s = acc[k];
  let first = i;
  for (; i < stop; i++) {
    const t = ts[i];
    if (t >= next) {
      settleSum(counts, acc, vs, k, s, first, i);
      do next = bounds[++k + 1];
      while (t >= next);
      s = acc[k];
      first = i;
    }
    s += vs[i];
  }
  settleSum(counts, acc, vs, k, s, first, stop);
}

/** Stores the sum of bucket k over vs[from, to), summing again without NaN if it came out NaN. */
function settleSum(counts: Float64Array, acc: Float64Array, vs: Float64Array, k: number, s: number, from: number, to: number): void {
  if (s === s) {
    acc[k] = s;
    counts[k] += to - from;
    return;
  }
  s = acc[k];
  let c = counts[k];
  for (let i = from; i < to; i++) {
    const v = vs[i];
    if (v === v) {
      s += v;
      c++;
    }
  }
  acc[k] = s;
  counts[k] = c;
}

function countRun(bounds: Float64Array, counts: Float64Array, ts: Float64Array, vs: Float64Array, i: number, stop: number, k: number): void {
  let next = bounds[k + 1];
  let c = counts[k];
  for (; i < stop; i++) {
    const t = ts[i];
    if (t >= next) {
      counts[k] = c;
      do next = bounds[++k + 1];
      while (t >= next);
      c = counts[k];
    }
    if (vs[i] === vs[i]) c++;
  }
  counts[k] = c;
}

function minRun(bounds: Float64Array, counts: Float64Array, acc: Float64Array, ts: Float64Array, vs: Float64Array, i: number, stop: number, k: number): void {
  let next = bounds[k + 1];
  let m = acc[k];
  let c = counts[k];
  for (; i < stop; i++) {
    const t = ts[i];
    if (t >= next) {
      acc[k] = m;
      counts[k] = c;
      do next = bounds[++k + 1];
      while (t >= next);
      m = acc[k];
      c = counts[k];
    }
    const v = vs[i];
    if (v === v) {
      // Math.min, not <, so that -0 wins over 0 as in the model's Math.min(...values).
      m = Math.min(m, v);
      c++;
    }
  }
  acc[k] = m;
  counts[k] = c;
}

function maxRun(bounds: Float64Array, counts: Float64Array, acc: Float64Array, ts: Float64Array, vs: Float64Array, i: number, stop: number, k: number): void {
  let next = bounds[k + 1];
  let m = acc[k];
  let c = counts[k];
  for (; i < stop; i++) {
    const t = ts[i];
    if (t >= next) {
      acc[k] = m;
      counts[k] = c;
      do next = bounds[++k + 1];
      while (t >= next);
      m = acc[k];
      c = counts[k];
    }
    const v = vs[i];
    if (v === v) {
      m = Math.max(m, v);
      c++;
    }
  }
  acc[k] = m;
  counts[k] = c;
}

function firstRun(bounds: Float64Array, counts: Float64Array, acc: Float64Array, ts: Float64Array, vs: Float64Array, i: number, stop: number, k: number): void {
  let next = bounds[k + 1];
  let f = acc[k];
  let c = counts[k];
  for (; i < stop; i++) {
    const t = ts[i];
    if (t >= next) {
      acc[k] = f;
      counts[k] = c;
      do next = bounds[++k + 1];
      while (t >= next);
      f = acc[k];
      c = counts[k];
    }
    const v = vs[i];
    if (v === v) {
      if (c === 0) f = v;
      c++;
    }
  }
  acc[k] = f;
  counts[k] = c;
}

function lastRun(bounds: Float64Array, counts: Float64Array, acc: Float64Array, ts: Float64Array, vs: Float64Array, i: number, stop: number, k: number): void {
  let next = bounds[k + 1];
  let l = acc[k];
  let c = counts[k];
  for (; i < stop; i++) {
    const t = ts[i];
    if (t >= next) {
      acc[k] = l;
      counts[k] = c;
      do next = bounds[++k + 1];
      while (t >= next);
      l = acc[k];
      c = counts[k];
    }
    const v = vs[i];
    if (v === v) {
      l = v;
      c++;
    }
  }
  acc[k] = l;
  counts[k] = c;
}
