// Picks the bucket width for a panel: fine enough to fill it, never more points than it can show.
import { rangeUtil } from '@grafana/data';

import { SidecarQueryError } from './errors';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Bucket widths a person reads at a glance; beyond the last one, whole days. */
const NICE_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SECOND_MS, 2 * SECOND_MS, 5 * SECOND_MS, 10 * SECOND_MS, 15 * SECOND_MS, 30 * SECOND_MS,
  MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS, 10 * MINUTE_MS, 15 * MINUTE_MS, 30 * MINUTE_MS,
  HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS,
  DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 30 * DAY_MS,
];

/** The smallest nice step that is at least `stepMs`. */
export function roundUpToNiceStep(stepMs: number): number {
  const wanted = Math.max(1, Math.ceil(stepMs));
  const nice = NICE_STEPS_MS.find((candidate) => candidate >= wanted);
  return nice ?? Math.ceil(wanted / DAY_MS) * DAY_MS;
}

/** Widenings tried before settling for the one step that always gives a single bucket. */
const MAX_WIDENINGS = 12;

/**
 * The number of buckets the sidecar makes for [startMs, endMs) with this step, by its own rule
 * (docs/api.md): a whole number of days is aligned to local midnights in `timeZone` (n-day steps on
 * days floor(D / n) * n, whole weeks on Mondays); any other step to multiples of itself since the
 * epoch. The buckets run from the one holding `startMs` to the one holding `endMs - 1`.
 */
export function bucketCount(startMs: number, endMs: number, stepMs: number, timeZone = 'UTC'): number {
  if (endMs <= startMs) {
    return 0;
  }
  if (stepMs % DAY_MS !== 0) {
    return Math.floor((endMs - 1) / stepMs) - Math.floor(startMs / stepMs) + 1;
  }
  const days = stepMs / DAY_MS;
  const align = (day: number) => (days % 7 === 0 ? Math.floor((day - 4) / days) * days + 4 : Math.floor(day / days) * days);
  return (align(localDay(endMs - 1, timeZone)) - align(localDay(startMs, timeZone))) / days + 1;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Days since 1970-01-01 of the local date that instant `timeMs` falls on in `timeZone`. */
function localDay(timeMs: number, timeZone: string): number {
  let format = dayFormats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      throw new SidecarQueryError('BAD_TIME_ZONE', `The dashboard's time zone "${timeZone}" is not a time zone this browser knows`);
    }
    dayFormats.set(timeZone, format);
  }
  const part = (type: string) => Number(format.formatToParts(timeMs).find((p) => p.type === type)?.value);
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(part('year'), part('month') - 1, part('day'));
  return Math.floor(date.getTime() / DAY_MS);
}

/**
 * A step of at least `lowerMs`, close to the smallest, that puts all of [startMs, endMs) into one
 * epoch-aligned bucket; undefined when none can (the range holds 1970-01-01T00:00Z, a boundary of
 * every such step). Whole numbers of days are skipped: the sidecar aligns those to local midnights.
 * @example singleBucketStepMs(100, 110, 1) // 14: the bucket [98, 112) holds 100 to 109
 */
export function singleBucketStepMs(startMs: number, endMs: number, lowerMs: number): number | undefined {
  if (startMs < 0 && endMs > 0) {
    return undefined;
  }
  // A range before the epoch is the mirror image of one after it: floor(t / s) for t < 0 equals
  // -1 - floor((-t - 1) / s), so the same steps keep both ends in one bucket.
  const [first, last] = startMs >= 0 ? [startMs, endMs - 1] : [-endMs, -startMs - 1];
  const lengthMs = last - first + 1;
  // Bucket k (k * s <= first, last < (k + 1) * s) needs ceil((last + 1) / (k + 1)) <= s <= floor(first / k);
  // that interval is at least one wide whenever k * (k + lengthMs + 1) <= first, so the search starts
  // just above the largest such k and goes down a few steps at most. Larger k mean smaller steps.
  const kMax = Math.floor((-lengthMs + Math.sqrt(lengthMs * lengthMs + 4 * first)) / 2) + 2;
  for (let k = Math.min(kMax, Math.floor(first / Math.max(1, lowerMs))); k >= 0; k--) {
    const highest = k === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(first / k);
    let stepMs = Math.max(lowerMs, Math.ceil((last + 1) / (k + 1)), 1);
    if (stepMs % DAY_MS === 0) {
      stepMs += 1;
    }
    if (stepMs <= highest) {
      return stepMs;
    }
  }
  return undefined;
}

export interface StepInput {
  startMs: number;
  endMs: number;
  /** Grafana's suggested interval for the panel width. */
  intervalMs: number;
  maxDataPoints?: number;
  /** The query's or datasource's lower bound; 0 for none. */
  minIntervalMs: number;
  /** The zone the sidecar aligns day buckets to; UTC when absent. */
  timeZone?: string;
}

/**
 * The step sent to the sidecar. Grafana's interval is rounded up to a nice step; a minimum interval
 * the user typed is kept as typed (`7m` stays `7m`) unless the range would then need more buckets
 * than `maxDataPoints` (counted as the sidecar aligns them), in which case the next nice step that
 * fits is used. With `maxDataPoints` 1 and no nice step that keeps the range in one bucket, the step
 * is the smallest one that does: a single value for the whole range, timed at its bucket's start.
 */
export function chooseStepMs(input: StepInput): number {
  const { startMs, endMs, maxDataPoints, timeZone } = input;
  const lowestMs = Math.max(roundUpToNiceStep(Math.max(input.intervalMs, 1)), input.minIntervalMs);
  let stepMs = lowestMs;
  // Grafana leaves maxDataPoints out, or at 0, when a panel sets no limit.
  if (maxDataPoints === undefined || maxDataPoints < 1 || endMs <= startMs) {
    return stepMs;
  }
  const limit = Math.floor(maxDataPoints);
  // Epoch-aligned buckets of (end - start) / (limit - 1) never number more than limit; local days
  // can be shorter than 24 hours, so a day step may need one more widening.
  const perBucketMs = limit > 1 ? (endMs - startMs) / (limit - 1) : endMs - startMs;
  for (let widenings = 0; widenings < MAX_WIDENINGS; widenings++) {
    if (bucketCount(startMs, endMs, stepMs, timeZone) <= limit) {
      return stepMs;
    }
    stepMs = roundUpToNiceStep(Math.max(stepMs + 1, perBucketMs));
  }
  if (bucketCount(startMs, endMs, stepMs, timeZone) <= limit) {
    return stepMs;
  }
  return singleBucketStepMs(startMs, endMs, lowestMs) ?? stepMs;
}

/** Parses `10s`, `1m`, `500ms`, `1h`, `1d`; empty means none (0). */
export function parseIntervalMs(text: string | undefined, where: string): number {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') {
    return 0;
  }
  if (!/^\d+(\.\d+)?(ms|s|m|h|d|w|y)$/.test(trimmed)) {
    throw new SidecarQueryError('BAD_INTERVAL', `${where}: "${trimmed}" is not an interval such as 10s, 1m or 1h`);
  }
  return rangeUtil.intervalToMs(trimmed);
}

/** Formats a step the way users type it (`1m`, `15s`, `250ms`). */
export function formatStep(stepMs: number): string {
  const units: Array<[string, number]> = [['d', DAY_MS], ['h', HOUR_MS], ['m', MINUTE_MS], ['s', SECOND_MS]];
  for (const [unit, sizeMs] of units) {
    if (stepMs % sizeMs === 0) {
      return `${stepMs / sizeMs}${unit}`;
    }
  }
  return `${stepMs}ms`;
}
