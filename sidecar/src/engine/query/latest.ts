// The latest non-NaN sample of one series, read from its newest part backwards: what `latest`
// answers, and the value `fill: previous` carries into a range (the latest sample before start).

import { Part, isSampleRun } from './parts';
import { lowerBound } from './runs';

export interface TimedValue {
  t: number;
  v: number;
}

/**
 * The latest sample with start <= t < end whose value is not NaN, or undefined. `parts` are in time
 * order and do not overlap. A summary answers for its block only when the block ends before `end`
 * (its last value is at maxT and summarised blocks hold no NaN).
 * @example latestSample(parts, -Infinity, req.start) // what fill "previous" starts from
 */
export function latestSample(parts: readonly Part[], start = -Infinity, end = Infinity): TimedValue | undefined {
  for (let p = parts.length - 1; p >= 0; p--) {
    const part = parts[p];
    if (isSampleRun(part)) {
      const ts = part.timestamps;
      const lo = lowerBound(ts, start, part.from, part.to);
      for (let i = lowerBound(ts, end, lo, part.to) - 1; i >= lo; i--) {
        const v = part.values[i];
        if (v === v) return { t: ts[i], v };
      }
      if (lo > part.from) return undefined;
    } else {
      if (part.minT >= end) continue;
      if (part.maxT >= end) throw new RangeError(`a block summary over [${part.minT}, ${part.maxT}] crosses the end ${end}; pass its samples`);
      if (part.maxT < start) return undefined;
      return { t: part.maxT, v: part.last };
    }
  }
  return undefined;
}
