// Functions over a range vector window (`rate(x[5m])`, `avg_over_time(x[5m])`, ...), computed as
// Prometheus 2.x computes them, on the window's slice of one series' sample arrays.

/**
 * One window of one series: samples lo..hi-1 of `ts`/`vs`, all within [rangeStartMs, rangeEndMs]
 * (staleness markers already removed). `evalMs` is the evaluation time itself (differs from
 * rangeEndMs by offset and @); `param` is the scalar argument of the call at this step, if any.
 */
export interface Window {
  ts: Float64Array;
  vs: Float64Array;
  lo: number;
  hi: number;
  rangeStartMs: number;
  rangeEndMs: number;
  rangeMs: number;
  evalMs: number;
  param: number;
}

/** The value of the function on the window, or undefined for "no output at this step". */
export type WindowFunction = (w: Window) => number | undefined;

/** Neumaier-compensated addition, as Prometheus' kahanSumInc. */
function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const last = hi - 1;
  let result = vs[last] - vs[lo];
  if (isCounter) {
    let prev = vs[lo];
    for (let j = lo + 1; j <= last; j++) {
      if (vs[j] < prev) result += prev;
      prev = vs[j];
    }
  }
  let durationToStart = (ts[lo] - w.rangeStartMs) / 1000;
  const durationToEnd = (w.rangeEndMs - ts[last]) / 1000;
  const sampledInterval = (ts[last] - ts[lo]) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && vs[lo] >= 0) {
    // A counter cannot go below zero: extrapolate at most to where it would have been zero.
    const durationToZero = sampledInterval * (vs[lo] / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

function instantValue(w: Window, isRate: boolean): number | undefined {
  if (w.hi - w.lo < 2) return undefined;
  const last = w.hi - 1;
  const lastValue = w.vs[last];
  const previousValue = w.vs[last - 1];
  const result = isRate && lastValue < previousValue ? lastValue : lastValue - previousValue;
  const sampledIntervalMs = w.ts[last] - w.ts[last - 1];
  if (sampledIntervalMs === 0) return undefined;
  return isRate ? result / (sampledIntervalMs / 1000) : result;
}

/** Least-squares slope and intercept, x in seconds relative to `interceptMs`. */
function linearRegression(w: Window, interceptMs: number): [number, number] {
  const { ts, vs, lo, hi } = w;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo];
  let constY = true;
  for (let j = lo; j < hi; j++) {
    const y = vs[j];
    if (constY && j > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[j] - interceptMs) / 1000;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

/**
 * The φ-quantile of values (sorted in place), interpolating between neighbours as Prometheus does:
 * q < 0 is -Inf, q > 1 is +Inf, NaN q or no values is NaN. NaN values sort first.
 */
export function quantile(q: number, values: Float64Array | number[]): number {
  const n = values.length;
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort((a: number, b: number) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex] * (1 - weight) + values[upperIndex] * weight;
}

/** Prometheus' running mean, which stays finite where a sum would overflow and handles infinities. */
function incrementalMean(w: Window): number {
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let j = w.lo; j < w.hi; j++) {
    const v = w.vs[j];
    count++;
    if (mean === Infinity || mean === -Infinity) {
      // An infinite mean stays as it is unless a NaN or an infinity of the other sign comes.
      if ((v === Infinity || v === -Infinity) && mean > 0 === v > 0) continue;
      if (Number.isFinite(v)) continue;
    }
    [mean, c] = kahanInc(v / count - mean / count, mean, c);
  }
  return mean === Infinity || mean === -Infinity ? mean : mean + c;
}

/**
 * The mean as a compensated sum divided by the count: as exact as Prometheus' running mean (well
 * within 1e-9) at half the cost, which matters on this hot path. Where the sum is not finite
 * (overflow, infinities, NaN), Prometheus' own running mean decides.
 */
function avgOverTime(w: Window): number {
  let sum = 0;
  let c = 0;
  const vs = w.vs;
  for (let j = w.lo; j < w.hi; j++) {
    const v = vs[j];
    const t = sum + v;
    if (Math.abs(sum) >= Math.abs(v)) c += sum - t + v;
    else c += v - t + sum;
    sum = t;
  }
  const total = sum + c;
  return Number.isFinite(total) ? total / (w.hi - w.lo) : incrementalMean(w);
}

function sumOverTime(w: Window): number {
  let sum = 0;
  let c = 0;
  const vs = w.vs;
  for (let j = w.lo; j < w.hi; j++) {
    const inc = vs[j];
    const t = sum + inc;
    if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
    else c += inc - t + sum;
    sum = t;
  }
  return sum === Infinity || sum === -Infinity ? sum : sum + c;
}

function varianceOverTime(w: Window): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let j = w.lo; j < w.hi; j++) {
    const v = w.vs[j];
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function minOverTime(w: Window): number {
  let min = w.vs[w.lo];
  for (let j = w.lo; j < w.hi; j++) {
    const v = w.vs[j];
    if (v < min || Number.isNaN(min)) min = v;
  }
  return min;
}

function maxOverTime(w: Window): number {
  let max = w.vs[w.lo];
  for (let j = w.lo; j < w.hi; j++) {
    const v = w.vs[j];
    if (v > max || Number.isNaN(max)) max = v;
  }
  return max;
}

function resets(w: Window): number {
  let count = 0;
  for (let j = w.lo + 1; j < w.hi; j++) if (w.vs[j] < w.vs[j - 1]) count++;
  return count;
}

function changes(w: Window): number {
  let count = 0;
  for (let j = w.lo + 1; j < w.hi; j++) {
    const cur = w.vs[j];
    const prev = w.vs[j - 1];
    if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) count++;
  }
  return count;
}

export const WINDOW_FUNCTIONS: ReadonlyMap<string, WindowFunction> = new Map<string, WindowFunction>([
  ['rate', (w) => extrapolatedRate(w, true, true)],
  ['increase', (w) => extrapolatedRate(w, true, false)],
  ['delta', (w) => extrapolatedRate(w, false, false)],
  ['irate', (w) => instantValue(w, true)],
  ['idelta', (w) => instantValue(w, false)],
  ['deriv', (w) => (w.hi - w.lo < 2 ? undefined : linearRegression(w, w.ts[w.lo])[0])],
  [
    'predict_linear',
    (w) => {
      if (w.hi - w.lo < 2) return undefined;
      const [slope, intercept] = linearRegression(w, w.evalMs);
      return slope * w.param + intercept;
    },
  ],
  ['resets', resets],
  ['changes', changes],
  ['avg_over_time', avgOverTime],
  ['sum_over_time', sumOverTime],
  ['min_over_time', minOverTime],
  ['max_over_time', maxOverTime],
  ['count_over_time', (w) => w.hi - w.lo],
  ['last_over_time', (w) => w.vs[w.hi - 1]],
  ['present_over_time', () => 1],
  ['absent_over_time', () => 1],
  ['stdvar_over_time', varianceOverTime],
  ['stddev_over_time', (w) => Math.sqrt(varianceOverTime(w))],
  ['quantile_over_time', (w) => quantile(w.param, w.vs.slice(w.lo, w.hi))],
]);
