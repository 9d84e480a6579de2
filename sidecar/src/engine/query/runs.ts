// Raw sample runs of one series: slicing to [start, end) and merging runs from several sources
// (head, segments of different ages) where the newer source wins on an equal timestamp.
//
// Invariant relied on: within one run timestamps are sorted and unique. Merging keeps that true of
// its output.

import { SampleRun } from './parts';

/** Samples as one pair of arrays of equal length. */
export interface Samples {
  timestamps: Float64Array;
  values: Float64Array;
}

/** The first index i in [from, to) with a[i] >= x, or `to` when there is none. */
export function lowerBound(a: Float64Array, x: number, from = 0, to = a.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index i with a[i] > x, or a.length when there is none. */
export function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The part of a run with start <= t < end, sharing its arrays. */
export function sliceRun(run: SampleRun, start: number, end: number): SampleRun {
  const from = lowerBound(run.timestamps, start, run.from, run.to);
  const to = lowerBound(run.timestamps, end, from, run.to);
  return { timestamps: run.timestamps, values: run.values, from, to };
}

/**
 * Merges runs of one series into one time-ordered run within [start, end). `runs` are ordered from
 * the oldest source to the newest: on an equal timestamp the value of the later run wins. Runs that
 * do not overlap in time are concatenated; otherwise a k-way merge with a heap.
 * @example mergeRuns([segmentRun, headRun], req.start, req.end)
 */
export function mergeRuns(runs: readonly SampleRun[], start = -Infinity, end = Infinity): Samples {
  const parts: SampleRun[] = [];
  let total = 0;
  for (const run of runs) {
    const part = sliceRun(run, start, end);
    if (part.to > part.from) {
      parts.push(part);
      total += part.to - part.from;
    }
  }
  if (parts.length === 0) return { timestamps: new Float64Array(0), values: new Float64Array(0) };
  if (parts.length === 1) {
    const p = parts[0];
    return { timestamps: p.timestamps.slice(p.from, p.to), values: p.values.slice(p.from, p.to) };
  }
  const byStart = [...parts].sort((a, b) => a.timestamps[a.from] - b.timestamps[b.from]);
  return disjoint(byStart) ? concatenate(byStart, total) : mergeOverlapping(parts, total);
}

function disjoint(byStart: readonly SampleRun[]): boolean {
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1];
    if (byStart[i].timestamps[byStart[i].from] <= prev.timestamps[prev.to - 1]) return false;
  }
  return true;
}

function concatenate(parts: readonly SampleRun[], total: number): Samples {
  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    timestamps.set(p.timestamps.subarray(p.from, p.to), at);
    values.set(p.values.subarray(p.from, p.to), at);
    at += p.to - p.from;
  }
  return { timestamps, values };
}

/**
 * k-way merge. The heap holds run numbers ordered by (current timestamp, newest run first), so of
 * several samples at one timestamp the newest is taken first and the others are skipped.
 */
function mergeOverlapping(parts: readonly SampleRun[], total: number): Samples {
  const k = parts.length;
  const pos = new Int32Array(k);
  const heap = new Int32Array(k);
  for (let r = 0; r < k; r++) pos[r] = parts[r].from;
  const before = (a: number, b: number): boolean => {
    const ta = parts[a].timestamps[pos[a]];
    const tb = parts[b].timestamps[pos[b]];
    return ta < tb || (ta === tb && a > b);
  };
  const siftDown = (i: number, size: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const c = l + 1 < size && before(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!before(heap[c], heap[i])) return;
      const tmp = heap[c];
      heap[c] = heap[i];
      heap[i] = tmp;
      i = c;
    }
  };
  for (let r = 0; r < k; r++) heap[r] = r;
  let size = k;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i, size);

  const timestamps = new Float64Array(total);
  const values = new Float64Array(total);
  let n = 0;
  while (size > 0) {
    const r = heap[0];
    const run = parts[r];
    const t = run.timestamps[pos[r]];
    if (n === 0 || timestamps[n - 1] !== t) {
      timestamps[n] = t;
      values[n] = run.values[pos[r]];
      n++;
    }
    if (++pos[r] >= run.to) heap[0] = heap[--size];
    siftDown(0, size);
  }
  return n === total ? { timestamps, values } : { timestamps: timestamps.slice(0, n), values: values.slice(0, n) };
}
