// The query limits of model/types.ts, worded once for every read path (select, aggregate, latest).

import { QueryLimitError } from '../model/errors';

/** QueryLimitError when more than `maxSeries` series match with data in range. */
export function assertSeriesWithin(series: number, maxSeries: number | undefined): void {
  if (maxSeries !== undefined && series > maxSeries) {
    throw new QueryLimitError(`the query matches ${series} series, more than the limit of ${maxSeries}`, 'series', maxSeries);
  }
}

/**
 * QueryLimitError when an answer holds more than `maxPoints` points (samples or buckets) in all.
 * `points` may be a running count: a read stops as soon as it passes the limit, so the message
 * says "at least".
 */
export function assertPointsWithin(points: number, maxPoints: number | undefined): void {
  if (maxPoints !== undefined && points > maxPoints) {
    throw new QueryLimitError(`the query would return at least ${points} points, more than the limit of ${maxPoints}`, 'points', maxPoints);
  }
}
