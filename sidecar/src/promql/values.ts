// The values PromQL evaluation passes between nodes. An evaluation runs over a grid of equally spaced
// times (one time for an instant query); an instant vector holds, per series, one dense Float64Array
// of values over the grid and a presence flag per step, so operators work column by column without
// per-sample objects.

import { seriesKey } from '../engine/model/labels';
import { LabelSet, METRIC_NAME_LABEL } from '../engine/model/types';
import { ExecutionError, TooManySamplesError } from './errors';

/** The evaluation times startMs + i × stepMs for i in [0, count). */
export interface Grid {
  startMs: number;
  stepMs: number;
  count: number;
}

export function gridTime(grid: Grid, i: number): number {
  return grid.startMs + i * grid.stepMs;
}

/** One series of an instant vector over a grid: `values[i]` counts only where `present[i]` is 1. */
export interface StepSeries {
  labels: LabelSet;
  values: Float64Array;
  present: Uint8Array;
}

/** Raw time-ordered points (range vectors answered by instant queries). */
export interface RawSeries {
  labels: LabelSet;
  timestamps: Float64Array;
  values: Float64Array;
}

export type Value =
  | { type: 'scalar'; values: Float64Array }
  | { type: 'vector'; series: StepSeries[] }
  | { type: 'matrix'; series: RawSeries[] }
  | { type: 'string'; value: string };

export function labelsKey(labels: LabelSet): string {
  return seriesKey(labels);
}

export function dropMetricName(labels: LabelSet): LabelSet {
  if (!(METRIC_NAME_LABEL in labels)) return labels;
  const out: Record<string, string> = {};
  for (const k in labels) if (k !== METRIC_NAME_LABEL) out[k] = labels[k];
  return out;
}

/** A label set as Prometheus prints it in messages: {__name__="x", a="b"}. */
export function formatLabels(labels: LabelSet): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${pairs.join(', ')}}`;
}

export function duplicateLabelsetError(): ExecutionError {
  return new ExecutionError('vector cannot contain metrics with the same labelset');
}

/**
 * Collects the output series of an operator by label set. Two results with the same labels at the
 * same step are an error, as in Prometheus; at different steps they are one series.
 */
export class VectorBuilder {
  private readonly byKey = new Map<string, StepSeries>();
  private cells = 0;

  constructor(
    private readonly count: number,
    private readonly maxSamples: number,
    private readonly where: string,
  ) {}

  series(labels: LabelSet, key: string = labelsKey(labels)): StepSeries {
    let s = this.byKey.get(key);
    if (!s) {
      this.cells += this.count;
      if (this.cells > this.maxSamples) throw new TooManySamplesError(this.maxSamples, this.where);
      s = { labels, values: new Float64Array(this.count), present: new Uint8Array(this.count) };
      this.byKey.set(key, s);
    }
    return s;
  }

  set(s: StepSeries, i: number, v: number): void {
    if (s.present[i]) throw duplicateLabelsetError();
    s.present[i] = 1;
    s.values[i] = v;
  }

  /** Adds every present point of `src` under new labels. */
  addAll(labels: LabelSet, src: StepSeries): void {
    const s = this.series(labels);
    for (let i = 0; i < this.count; i++) if (src.present[i]) this.set(s, i, src.values[i]);
  }

  result(): StepSeries[] {
    return [...this.byKey.values()];
  }
}

/** Series with new labels; those that now share labels merge, or fail if they overlap in time. */
export function relabel(series: StepSeries[], count: number, maxSamples: number, where: string, f: (labels: LabelSet) => LabelSet): StepSeries[] {
  const out = new VectorBuilder(count, maxSamples, where);
  for (const s of series) out.addAll(f(s.labels), s);
  return out.result();
}

/** Prometheus marks the end of a series with this NaN (0x7ff0000000000002); it is never a value. */
const STALE_HIGH_WORD = 0x7ff00000;
const STALE_LOW_WORD = 2;

/**
 * Whether values[i] is a staleness marker, read from its bits (a NaN's payload does not survive every
 * JavaScript copy, so it is checked where the engine put it). Only NaNs need the bit check, so hot
 * loops test `v !== v` first. Little-endian word order.
 */
export function isStaleMarker(values: Float64Array, i: number): boolean {
  const words = new Uint32Array(values.buffer, values.byteOffset + i * 8, 2);
  return words[1] === STALE_HIGH_WORD && words[0] === STALE_LOW_WORD;
}

/** Indexes of staleness markers in `values`. */
function staleIndexes(values: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v && isStaleMarker(values, i)) out.push(i);
  }
  return out;
}

/** The samples without staleness markers (the same arrays when there are none). */
export function withoutStaleMarkers(timestamps: Float64Array, values: Float64Array): { timestamps: Float64Array; values: Float64Array } {
  const stale = staleIndexes(values);
  if (stale.length === 0) return { timestamps, values };
  const n = values.length - stale.length;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let k = 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    if (s < stale.length && stale[s] === i) {
      s++;
      continue;
    }
    ts[k] = timestamps[i];
    vs[k] = values[i];
    k++;
  }
  return { timestamps: ts, values: vs };
}
