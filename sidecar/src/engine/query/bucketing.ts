// The buckets of an aggregation: where each starts, which one holds a timestamp, how many there are.
//
// Rules (model/types.ts, AggregateRequest): steps shorter than a day, or not a whole number of days,
// are aligned to multiples of the step since the epoch whatever the zone; n-day steps start at local
// midnights of days floor(D / n) * n, whole weeks on Mondays (floor((D - 4) / n) * n + 4). The
// buckets run from the one holding `start` to the one holding `end - 1`.
//
// The count is known without listing anything, so the engine can refuse `maxPoints` before reading.
// The boundary table (count + 1 instants) is built on first use; sub-day steps need no time zone
// look-ups at all, day steps three per bucket the first time a zone meets that day (see time-zone.ts).

import { InvalidQueryError, QueryLimitError } from '../model/errors';
import { upperBound } from './runs';
import { DAY_MS, DAY_WINDOW_MS, MAX_LOCAL_MS, MIN_LOCAL_MS, ZoneClock } from './time-zone';

/** The most buckets one query may hold, whatever its maxPoints, so a table always fits in memory. */
const MAX_BUCKETS = 10_000_000;

export interface BucketSpec {
  start: number;
  end: number;
  step: number;
  /** IANA zone; only day and week steps depend on it. Default UTC. */
  timeZone?: string;
}

/**
 * The buckets of one request.
 * @example
 * const b = Bucketing.create({ start: 0, end: 3_600_000, step: 60_000 });
 * b.count; // 60
 * b.indexOf(125_000); // 2
 */
export class Bucketing {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly clock: ZoneClock;
  /** Number of buckets. */
  readonly count: number;
  /** The step in whole days, or 0 for epoch-aligned steps. */
  readonly days: number;
  /** Epoch-aligned steps: floor(start / step). Day steps: the local day the first bucket starts on. */
  private readonly first: number;
  private table: Float64Array | undefined;
  private zeroLength = false;

  private constructor(spec: BucketSpec) {
    const { start, end, step } = spec;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new InvalidQueryError('start and end must be integers of ms');
    if (end <= start) throw new InvalidQueryError(`end (${end}) must be after start (${start})`);
    if (!Number.isSafeInteger(step) || step <= 0) throw new InvalidQueryError(`step must be a positive integer of ms, got ${step}`);
    this.start = start;
    this.end = end;
    this.step = step;
    this.clock = ZoneClock.of(spec.timeZone ?? 'UTC');
    this.days = step % DAY_MS === 0 ? step / DAY_MS : 0;
    if (this.days === 0) {
      this.first = Math.floor(start / step);
      this.count = Math.floor((end - 1) / step) - this.first + 1;
      return;
    }
    const outside = `day and week buckets need times from ${MIN_LOCAL_MS} (year 100) to ${MAX_LOCAL_MS} ms`;
    if (start < MIN_LOCAL_MS || end - 1 > MAX_LOCAL_MS) throw new InvalidQueryError(outside);
    this.first = this.alignDay(this.clock.localDay(start));
    this.count = (this.alignDay(this.clock.localDay(end - 1)) - this.first) / this.days + 1;
    // Every boundary, up to the end of the last bucket, is looked up as a local midnight.
    const lastBoundaryDay = this.first + this.count * this.days;
    if (this.first * DAY_MS - DAY_WINDOW_MS < MIN_LOCAL_MS || lastBoundaryDay * DAY_MS + DAY_WINDOW_MS > MAX_LOCAL_MS) {
      throw new InvalidQueryError(outside);
    }
  }

  /** Validates the spec (InvalidQueryError naming what is wrong) and sizes the buckets. */
  static create(spec: BucketSpec): Bucketing {
    return new Bucketing(spec);
  }

  /** QueryLimitError when the range holds more buckets than `maxPoints` (the spec's wording). */
  assertWithin(maxPoints: number | undefined): void {
    if (maxPoints !== undefined && this.count > maxPoints) {
      throw new QueryLimitError(`the range holds ${this.count} buckets of ${this.step} ms, more than the limit of ${maxPoints} points`, 'points', maxPoints);
    }
  }

  /**
   * count + 1 instants: bounds[k] is the start (and timestamp) of bucket k, bounds[count] the end of
   * the last one. A DST change that skips a whole local day gives two equal neighbours.
   */
  bounds(): Float64Array {
    if (this.table) return this.table;
    if (this.count > MAX_BUCKETS) {
      throw new QueryLimitError(`the range holds ${this.count} buckets of ${this.step} ms, more than the limit of ${MAX_BUCKETS}`, 'points', MAX_BUCKETS);
    }
    const table = new Float64Array(this.count + 1);
    if (this.days === 0) {
      for (let k = 0; k <= this.count; k++) table[k] = (this.first + k) * this.step;
    } else {
      for (let k = 0; k <= this.count; k++) table[k] = this.clock.startOfDay(this.first + k * this.days);
      for (let k = 0; k < this.count; k++) if (table[k] === table[k + 1]) this.zeroLength = true;
    }
    this.table = table;
    return table;
  }

  /** The bucket timestamps (starts), a view of bounds(). */
  timestamps(): Float64Array {
    return this.bounds().subarray(0, this.count);
  }

  /** True when some bucket has no instants (a whole local day skipped); see bounds(). */
  hasZeroLengthBuckets(): boolean {
    this.bounds();
    return this.zeroLength;
  }

  /** The bucket holding t, or -1 when t is outside [start, end). O(1) for epoch-aligned steps. */
  indexOf(t: number): number {
    if (!(t >= this.start && t < this.end)) return -1;
    if (this.days === 0) return Math.floor(t / this.step) - this.first;
    return upperBound(this.bounds(), t) - 1;
  }

  /**
   * The bucket holding all of [minT, maxT], or -1 when the span crosses a bucket boundary or leaves
   * [start, end). The engine answers a block from its summary only when this is not -1.
   */
  spanIndex(minT: number, maxT: number): number {
    if (!(minT >= this.start && maxT < this.end && minT <= maxT)) return -1;
    if (this.days === 0) {
      const k = Math.floor(minT / this.step);
      return k === Math.floor(maxT / this.step) ? k - this.first : -1;
    }
    const bounds = this.bounds();
    const k = upperBound(bounds, minT) - 1;
    return maxT < bounds[k + 1] ? k : -1;
  }

  private alignDay(day: number): number {
    const n = this.days;
    return n % 7 === 0 ? Math.floor((day - 4) / n) * n + 4 : Math.floor(day / n) * n;
  }
}

