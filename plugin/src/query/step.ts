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

/**
 * Most buckets a range can touch with a given step, whatever the buckets are aligned to: the first
 * and last may be partial, hence the extra one.
 */
export function maxBucketCount(startMs: number, endMs: number, stepMs: number): number {
  return Math.ceil((endMs - startMs) / stepMs) + 1;
}

export interface StepInput {
  startMs: number;
  endMs: number;
  /** Grafana's suggested interval for the panel width. */
  intervalMs: number;
  maxDataPoints?: number;
  /** The query's or datasource's lower bound; 0 for none. */
  minIntervalMs: number;
}

/**
 * The step sent to the sidecar. Grafana's interval is rounded up to a nice step; a minimum interval
 * the user typed is kept as typed (`7m` stays `7m`) unless the range would then need more points
 * than `maxDataPoints`, in which case the next nice step that fits is used.
 */
export function chooseStepMs(input: StepInput): number {
  const { startMs, endMs, maxDataPoints } = input;
  let stepMs = roundUpToNiceStep(Math.max(input.intervalMs, 1));
  if (input.minIntervalMs > stepMs) {
    stepMs = input.minIntervalMs;
  }
  if (maxDataPoints === undefined || maxDataPoints <= 1 || endMs <= startMs) {
    return stepMs;
  }
  while (maxBucketCount(startMs, endMs, stepMs) > maxDataPoints) {
    const perPointMs = (endMs - startMs) / (maxDataPoints - 1);
    stepMs = roundUpToNiceStep(Math.max(stepMs + 1, perPointMs));
  }
  return stepMs;
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
