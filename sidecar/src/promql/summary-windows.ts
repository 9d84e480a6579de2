// The window functions that need only a count, sum, extremes or last value (count, sum, avg, min,
// max, last, present and absent_over_time), evaluated from summaries wherever a whole stretch of
// samples lies inside a window: the engine's block summaries (blocks it did not decode because no
// window edge falls inside them) and summaries built here over chunks of the decoded samples, so a
// long window costs its two edges and one step per chunk instead of a pass over every sample.
//
// Answers equal Prometheus' pass over the samples in time order: counts, extremes (with Prometheus'
// NaN rules) and last values exactly, sums and means within rounding (summary sums are compensated,
// so the combination stays within a few units in the last place of the exact sum). Staleness
// markers never count. A summary holds no NaN, and only values small enough that no window's sum can
// overflow; anything else stays a loose sample, and a window whose answer still depends on the
// order of additions (an overflowing mean) is left to the caller as undefined.

import { SampleSummary, SummarizedSeries } from '../engine/model/types';
import { lowerBound } from '../engine/query/runs';
import { isStaleMarker } from './values';

export const SUMMARY_FUNCTIONS: ReadonlySet<string> = new Set([
  'count_over_time',
  'sum_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'last_over_time',
  'present_over_time',
  'absent_over_time',
]);

/**
 * Values in summaries stay within ±2^960: fewer than 2^53 of them sum to less than 2^1013, so no
 * window sum overflows whatever the order of additions.
 */
const SAFE_MAGNITUDE = 2 ** 960;

/** Windows holding fewer samples than this on average are cheaper walked than chunked. */
const MIN_CHUNKED_WINDOW_SAMPLES = 64;

/**
 * The cuts (SummarizedSelectRequest) of the windows [refs[i] - rangeMs, refs[i]]: the first
 * timestamp each window holds and the first past it.
 */
export function windowCuts(refs: Float64Array, rangeMs: number): Float64Array {
  const cuts = new Float64Array(2 * refs.length);
  for (let i = 0; i < refs.length; i++) {
    cuts[2 * i] = Math.ceil(refs[i] - rangeMs);
    cuts[2 * i + 1] = Math.floor(refs[i]) + 1;
  }
  return cuts;
}

/** A summary and where its samples sit among the decoded ones: from === to when not decoded. */
interface Chunk extends SampleSummary {
  from: number;
  to: number;
}

/** The windows of one series to evaluate: steps 0..steps-1 end at refs[i]. */
export interface SummaryWindows {
  name: string;
  refs: Float64Array;
  rangeMs: number;
  steps: number;
  /** Length of the result arrays (the grid). */
  count: number;
}

/**
 * Whether a series is worth evaluating here: it has engine summaries, or its windows overlap enough
 * that chunk summaries save more than they cost. Otherwise a plain walk over the samples is faster.
 */
export function worthSummarizing(s: SummarizedSeries, w: SummaryWindows): boolean {
  return s.summaries.length > 0 || chunkSize(s, w) > 0;
}

/**
 * The function over every window, or undefined when summaries cannot give Prometheus' answer (an
 * engine summary with values too large, or a mean whose finite samples overflow): then the caller
 * evaluates the samples themselves.
 */
export function evaluateSummarized(s: SummarizedSeries, w: SummaryWindows): { values: Float64Array; present: Uint8Array } | undefined {
  for (const b of s.summaries) if (!(Math.abs(b.min) <= SAFE_MAGNITUDE && Math.abs(b.max) <= SAFE_MAGNITUDE)) return undefined;
  const chunks = buildChunks(s, chunkSize(s, w));
  const ts = s.timestamps;
  const vs = s.values;
  const values = new Float64Array(w.count);
  const present = new Uint8Array(w.count);
  const acc = new WindowAccumulator(vs);
  let lo = 0;
  let hi = 0;
  let cLo = 0;
  let cHi = 0;
  for (let i = 0; i < w.steps; i++) {
    const end = w.refs[i];
    const start = end - w.rangeMs;
    while (lo < ts.length && ts[lo] < start) lo++;
    if (hi < lo) hi = lo;
    while (hi < ts.length && ts[hi] <= end) hi++;
    while (cLo < chunks.length && chunks[cLo].minT < start) cLo++;
    if (cHi < cLo) cHi = cLo;
    while (cHi < chunks.length && chunks[cHi].maxT <= end) cHi++;
    assertNotCut(chunks[cLo - 1], start, end);
    assertNotCut(chunks[cHi], start, end);
    acc.reset();
    let pos = lo;
    for (let k = cLo; k < cHi; k++) {
      const c = chunks[k];
      acc.addSamples(pos, c.from);
      acc.addSummary(c);
      pos = c.to;
    }
    acc.addSamples(pos, hi);
    if (acc.count === 0) continue;
    const v = acc.result(w.name);
    if (v === undefined) return undefined;
    present[i] = 1;
    values[i] = v;
  }
  return { values, present };
}

/** An engine summary the window only partly covers would have had to come as samples. */
function assertNotCut(c: Chunk | undefined, start: number, end: number): void {
  if (c && c.from === c.to && c.maxT >= start && c.minT <= end) {
    throw new Error(`the engine summarized samples [${c.minT}, ${c.maxT}] that the window [${start}, ${end}] cuts`);
  }
}

/**
 * How many decoded samples one chunk summary stands for, or 0 for none: chunks pay off when the
 * windows overlap and hold many samples, and are then about sqrt(samples per window / 2) long, which
 * balances the loose samples at a window's two edges against the chunks in between.
 */
function chunkSize(s: SummarizedSeries, w: SummaryWindows): number {
  const n = s.timestamps.length;
  if (n === 0 || w.steps < 2) return 0;
  let total = n;
  let first = s.timestamps[0];
  let last = s.timestamps[n - 1];
  for (const b of s.summaries) {
    total += b.count;
    first = Math.min(first, b.minT);
    last = Math.max(last, b.maxT);
  }
  const perWindow = (total * w.rangeMs) / Math.max(last - first, w.rangeMs);
  if (perWindow < MIN_CHUNKED_WINDOW_SAMPLES || w.steps * perWindow < 4 * n) return 0;
  return Math.min(1024, Math.max(8, Math.round(Math.sqrt(perWindow / 2))));
}

/**
 * The engine's summaries and, with size > 0, summaries of runs of up to `size` decoded samples,
 * all in time order. A chunk never spans an engine summary, and takes only safe finite values.
 */
function buildChunks(s: SummarizedSeries, size: number): Chunk[] {
  const ts = s.timestamps;
  const vs = s.values;
  const out: Chunk[] = [];
  let e = 0;
  let open: Chunk | undefined;
  // The chunk's sum is compensated as the engine's block sums are.
  let compensation = 0;
  const close = () => {
    if (open) {
      open.sum += compensation;
      out.push(open);
    }
    open = undefined;
    compensation = 0;
  };
  const engineSummariesBefore = (t: number) => {
    while (e < s.summaries.length && s.summaries[e].minT < t) {
      close();
      const b = s.summaries[e++];
      const at = lowerBound(ts, b.minT);
      out.push({ minT: b.minT, maxT: b.maxT, count: b.count, min: b.min, max: b.max, sum: b.sum, last: b.last, from: at, to: at });
    }
  };
  for (let i = 0; i < ts.length; i++) {
    engineSummariesBefore(ts[i]);
    if (size === 0) continue;
    const v = vs[i];
    if (!(Math.abs(v) <= SAFE_MAGNITUDE)) {
      close();
      continue;
    }
    if (!open) {
      open = { minT: ts[i], maxT: ts[i], count: 1, min: v, max: v, sum: v, last: v, from: i, to: i + 1 };
    } else {
      open.maxT = ts[i];
      open.count++;
      if (v < open.min) open.min = v;
      if (v > open.max) open.max = v;
      const t = open.sum + v;
      compensation += Math.abs(open.sum) >= Math.abs(v) ? open.sum - t + v : v - t + open.sum;
      open.sum = t;
      open.last = v;
      open.to = i + 1;
    }
    if (open.count === size) close();
  }
  close();
  engineSummariesBefore(Infinity);
  return out;
}

/**
 * One window's count, compensated sum, extremes and last value, fed in time order with loose samples
 * and summaries. Extremes follow Prometheus' `v < min || isNaN(min)`: a NaN only stays the minimum if
 * nothing follows it, and of equal values the first is kept.
 */
class WindowAccumulator {
  count = 0;
  private sum = 0;
  private compensation = 0;
  private min = NaN;
  private max = NaN;
  private last = NaN;
  private sawNaN = false;
  private sawPlusInf = false;
  private sawMinusInf = false;

  constructor(private readonly vs: Float64Array) {}

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.compensation = 0;
    this.sawNaN = this.sawPlusInf = this.sawMinusInf = false;
  }

  addSamples(from: number, to: number): void {
    const vs = this.vs;
    for (let j = from; j < to; j++) {
      const v = vs[j];
      if (v !== v) {
        if (isStaleMarker(vs, j)) continue;
        this.sawNaN = true;
      } else if (v === Infinity) this.sawPlusInf = true;
      else if (v === -Infinity) this.sawMinusInf = true;
      this.add(v, v, v, v, 1);
    }
  }

  addSummary(c: SampleSummary): void {
    this.add(c.min, c.max, c.sum, c.last, c.count);
  }

  private add(min: number, max: number, sum: number, last: number, n: number): void {
    if (this.count === 0) {
      this.min = min;
      this.max = max;
    } else {
      if (min < this.min || this.min !== this.min) this.min = min;
      if (max > this.max || this.max !== this.max) this.max = max;
    }
    // Neumaier's compensated addition, as Prometheus' kahanSumInc.
    const t = this.sum + sum;
    if (Math.abs(this.sum) >= Math.abs(sum)) this.compensation += this.sum - t + sum;
    else this.compensation += sum - t + this.sum;
    this.sum = t;
    this.last = last;
    this.count += n;
  }

  result(name: string): number | undefined {
    switch (name) {
      case 'count_over_time':
        return this.count;
      case 'sum_over_time':
        return this.sum === Infinity || this.sum === -Infinity ? this.sum : this.sum + this.compensation;
      case 'avg_over_time':
        return this.mean();
      case 'min_over_time':
        return this.min;
      case 'max_over_time':
        return this.max;
      case 'last_over_time':
        return this.last;
      default:
        return 1;
    }
  }

  /**
   * The sum over the count while it is finite. Otherwise Prometheus' running mean decides, and with
   * summaries holding only safe finite values its answer follows from the loose samples: NaN with a
   * NaN or both infinities, else the infinity there is; finite samples that overflow need the walk.
   */
  private mean(): number | undefined {
    const total = this.sum + this.compensation;
    if (Number.isFinite(total)) return total / this.count;
    if (this.sawNaN || (this.sawPlusInf && this.sawMinusInf)) return NaN;
    if (this.sawPlusInf) return Infinity;
    if (this.sawMinusInf) return -Infinity;
    return undefined;
  }
}
