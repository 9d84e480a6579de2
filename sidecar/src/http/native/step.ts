// Picks the bucket width when a query gives maxPoints instead of step: the smallest "nice" step
// (one a person would choose: 1s, 5m, 1h, 1d...) that keeps the range within maxPoints buckets.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const NICE_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY,
];

/** Default bucket count when a query gives neither step nor maxPoints. */
export const DEFAULT_MAX_POINTS = 1000;

/**
 * @example niceStepMs(0, 3_600_000, 100) // 60_000 (36 s would do; the next nice step is 1 min)
 */
export function niceStepMs(startMs: number, endMs: number, maxPoints: number): number {
  const minimum = Math.max(1, Math.ceil((endMs - startMs) / maxPoints));
  for (const step of NICE_STEPS_MS) if (step >= minimum) return step;
  return Math.ceil(minimum / DAY) * DAY;
}
