// Aggregation operators (sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, quantile,
// count_values) with by/without, computed per step as Prometheus 2.x does: the same running formulas
// in the same input order, so answers agree to the last bits where it matters (avg, stddev).

import { LabelSet, METRIC_NAME_LABEL } from '../engine/model/types';
import { AggregateOp } from './ast';
import { ExecutionError } from './errors';
import { formatFloatFixed } from './format';
import { quantile } from './range-functions';
import { labelsKey, StepSeries, VectorBuilder } from './values';

export interface AggregateEnv {
  count: number;
  maxSamples: number;
}

export interface Grouping {
  labels: string[];
  without: boolean;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_INT64 = 9.223372036854776e18;

/** The labels a series' group is known by: `by` keeps the listed ones, `without` drops them and the name. */
function groupLabels(labels: LabelSet, g: Grouping): LabelSet {
  const out: Record<string, string> = {};
  if (g.without) {
    for (const k in labels) if (k !== METRIC_NAME_LABEL && !g.labels.includes(k)) out[k] = labels[k];
  } else {
    for (const k of g.labels) if (labels[k] !== undefined) out[k] = labels[k];
  }
  return out;
}

interface Groups {
  labels: LabelSet[];
  /** groupOf[s] is the group of input series s. */
  groupOf: Uint32Array;
}

function assignGroups(input: StepSeries[], g: Grouping): Groups {
  const index = new Map<string, number>();
  const labels: LabelSet[] = [];
  const groupOf = new Uint32Array(input.length);
  input.forEach((s, k) => {
    const gl = groupLabels(s.labels, g);
    const key = labelsKey(gl);
    let id = index.get(key);
    if (id === undefined) {
      id = labels.length;
      index.set(key, id);
      labels.push(gl);
    }
    groupOf[k] = id;
  });
  return { labels, groupOf };
}

/** sum, avg, min, max, count, group, stddev, stdvar: one running state per group and step. */
function simpleAggregate(op: AggregateOp, input: StepSeries[], grouping: Grouping, env: AggregateEnv): StepSeries[] {
  const { count } = env;
  const { labels, groupOf } = assignGroups(input, grouping);
  const cells = labels.length * count;
  const value = new Float64Array(cells);
  const mean = new Float64Array(cells);
  const n = new Float64Array(cells);
  for (let k = 0; k < input.length; k++) {
    const s = input[k];
    const base = groupOf[k] * count;
    for (let i = 0; i < count; i++) {
      if (!s.present[i]) continue;
      const v = s.values[i];
      const c = base + i;
      if (n[c] === 0) {
        n[c] = 1;
        value[c] = op === 'stddev' || op === 'stdvar' ? 0 : op === 'group' ? 1 : v;
        mean[c] = v;
        continue;
      }
      switch (op) {
        case 'sum':
          value[c] += v;
          break;
        case 'avg': {
          const cnt = ++n[c];
          const m = mean[c];
          if (!Number.isFinite(m) && !Number.isNaN(m)) {
            // An infinite mean is already right unless a NaN or an infinity of the other sign comes.
            if (!Number.isFinite(v) && !Number.isNaN(v) && m > 0 === v > 0) break;
            if (Number.isFinite(v)) break;
          }
          mean[c] = m + (v / cnt - m / cnt);
          break;
        }
        case 'max':
          if (value[c] < v || Number.isNaN(value[c])) value[c] = v;
          break;
        case 'min':
          if (value[c] > v || Number.isNaN(value[c])) value[c] = v;
          break;
        case 'count':
          n[c]++;
          break;
        case 'stddev':
        case 'stdvar': {
          const cnt = ++n[c];
          const delta = v - mean[c];
          mean[c] += delta / cnt;
          value[c] += delta * (v - mean[c]);
          break;
        }
        default:
          break;
      }
    }
  }
  const out: StepSeries[] = [];
  labels.forEach((gl, g) => {
    const values = new Float64Array(count);
    const present = new Uint8Array(count);
    let any = false;
    for (let i = 0; i < count; i++) {
      const c = g * count + i;
      if (n[c] === 0) continue;
      any = true;
      present[i] = 1;
      switch (op) {
        case 'avg':
          values[i] = mean[c];
          break;
        case 'count':
          values[i] = n[c];
          break;
        case 'stdvar':
          values[i] = value[c] / n[c];
          break;
        case 'stddev':
          values[i] = Math.sqrt(value[c] / n[c]);
          break;
        default:
          values[i] = value[c];
      }
    }
    if (any) out.push({ labels: gl, values, present });
  });
  return out;
}

/** Go's container/heap over series indexes, ordered by `less` on their values. */
class ValueHeap {
  readonly items: number[] = [];
  constructor(
    private readonly values: Float64Array,
    private readonly less: (a: number, b: number) => boolean,
  ) {}

  private lessAt(i: number, j: number): boolean {
    return this.less(this.values[this.items[i]], this.values[this.items[j]]);
  }

  private swap(i: number, j: number): void {
    const t = this.items[i];
    this.items[i] = this.items[j];
    this.items[j] = t;
  }

  push(item: number): void {
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Replaces the top and restores the heap, as heap.Fix(h, 0). */
  replaceTop(item: number): void {
    this.items[0] = item;
    if (!this.down(0)) this.up(0);
  }

  private up(j: number): void {
    for (;;) {
      const i = Math.trunc((j - 1) / 2);
      if (i === j || !this.lessAt(j, i)) break;
      this.swap(i, j);
      j = i;
    }
  }

  private down(i0: number): boolean {
    const n = this.items.length;
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && this.lessAt(j2, j1)) j = j2;
      if (!this.lessAt(j, i)) break;
      this.swap(i, j);
      i = j;
    }
    return i > i0;
  }
}

function checkedK(param: number): number {
  if (!(param <= MAX_INT64 && param >= -MAX_INT64)) throw new ExecutionError(`Scalar value ${param} overflows int64`);
  return Math.trunc(param);
}

/** topk / bottomk: the k largest (smallest) series of each group at each step keep their labels. */
function selectK(op: 'topk' | 'bottomk', input: StepSeries[], grouping: Grouping, kParam: Float64Array, env: AggregateEnv): StepSeries[] {
  const { count } = env;
  const { labels, groupOf } = assignGroups(input, grouping);
  const top = op === 'topk';
  const stepValues = new Float64Array(input.length);
  const less = top ? (a: number, b: number) => Number.isNaN(a) || a < b : (a: number, b: number) => Number.isNaN(a) || a > b;
  const out = new VectorBuilder(count, env.maxSamples, op);
  const outSeries = input.map((s) => out.series(s.labels));
  const order: number[] = [];
  for (let i = 0; i < count; i++) {
    const k = checkedK(kParam[i]);
    if (k < 1) continue;
    const heaps: Array<ValueHeap | undefined> = new Array(labels.length);
    for (let s = 0; s < input.length; s++) {
      if (!input[s].present[i]) continue;
      const v = input[s].values[i];
      stepValues[s] = v;
      const g = groupOf[s];
      let heap = heaps[g];
      if (!heap) {
        heap = heaps[g] = new ValueHeap(stepValues, less);
        heap.push(s);
        continue;
      }
      if (heap.items.length < k) {
        heap.push(s);
        continue;
      }
      const topValue = stepValues[heap.items[0]];
      const better = top ? topValue < v : topValue > v;
      if (better || (Number.isNaN(topValue) && !Number.isNaN(v))) {
        if (k > 1) heap.replaceTop(s);
        else heap.items[0] = s;
      }
    }
    for (const heap of heaps) {
      if (!heap) continue;
      for (const s of heap.items) out.set(outSeries[s], i, stepValues[s]);
      if (count === 1) order.push(...[...heap.items].sort((a, b) => (top ? stepValues[b] - stepValues[a] : stepValues[a] - stepValues[b])));
    }
  }
  if (count === 1) return order.map((s) => outSeries[s]);
  return outSeries.filter((s) => s.present.includes(1));
}

function quantileAggregate(input: StepSeries[], grouping: Grouping, qParam: Float64Array, env: AggregateEnv): StepSeries[] {
  const { count } = env;
  const { labels, groupOf } = assignGroups(input, grouping);
  const out = new VectorBuilder(count, env.maxSamples, 'quantile');
  const outSeries = labels.map((gl) => out.series(gl));
  for (let i = 0; i < count; i++) {
    const values: number[][] = labels.map(() => []);
    for (let s = 0; s < input.length; s++) if (input[s].present[i]) values[groupOf[s]].push(input[s].values[i]);
    values.forEach((vs, g) => {
      if (vs.length > 0) out.set(outSeries[g], i, quantile(qParam[i], vs));
    });
  }
  return outSeries.filter((s) => s.present.includes(1));
}

function countValues(input: StepSeries[], grouping: Grouping, valueLabel: string, env: AggregateEnv): StepSeries[] {
  if (!LABEL_NAME_RE.test(valueLabel)) throw new ExecutionError(`invalid label name ${JSON.stringify(valueLabel)}`);
  const { count } = env;
  const g: Grouping = grouping.without ? grouping : { labels: [...grouping.labels, valueLabel], without: false };
  const out = new VectorBuilder(count, env.maxSamples, 'count_values');
  for (let i = 0; i < count; i++) {
    const counts = new Map<string, { labels: LabelSet; n: number }>();
    for (const s of input) {
      if (!s.present[i]) continue;
      const gl = groupLabels({ ...s.labels, [valueLabel]: formatFloatFixed(s.values[i]) }, g);
      const key = labelsKey(gl);
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { labels: gl, n: 1 });
    }
    for (const [key, c] of counts) out.set(out.series(c.labels, key), i, c.n);
  }
  return out.result();
}

/**
 * Aggregates an instant vector over the grid. `param` is the per-step scalar of topk/bottomk/quantile
 * or the label name of count_values.
 */
export function aggregate(op: AggregateOp, input: StepSeries[], grouping: Grouping, param: Float64Array | string | undefined, env: AggregateEnv): StepSeries[] {
  switch (op) {
    case 'topk':
    case 'bottomk':
      return selectK(op, input, grouping, param as Float64Array, env);
    case 'quantile':
      return quantileAggregate(input, grouping, param as Float64Array, env);
    case 'count_values':
      return countValues(input, grouping, param as string, env);
    default:
      return simpleAggregate(op, input, grouping, env);
  }
}
