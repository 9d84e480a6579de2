// Evaluates a PromQL syntax tree on the StorageEngine over a grid of evaluation times, with
// Prometheus 2.x semantics: 5-minute lookback for instant vectors, staleness markers end a series,
// closed [t - range, t] windows, `offset` and `@` pinning a selector's time, subqueries evaluated on
// their own step-aligned grid. Every selector is one engine read over the span all steps need, and
// per-step work runs on the returned Float64Arrays. Functions of counts, sums, extremes and last
// values read with `selectSummarized` where the engine offers it, so blocks no window edge cuts are
// taken by their summaries, undecoded (summary-windows.ts).

import { LabelSet, Matcher, SeriesSamples, StorageEngine, SummarizedSeries } from '../engine/model/types';
import { aggregate } from './aggregate';
import { AtModifier, Call, Expr, MatrixSelector, SubqueryExpr, unwrapParens, VectorSelector } from './ast';
import { scalarScalar, vectorScalar, vectorVector } from './binary';
import { QueryTimeoutError, TooManySamplesError } from './errors';
import { absentLabels, callInstantFunction } from './instant-functions';
import { Window, WindowFunction, WINDOW_FUNCTIONS } from './range-functions';
import { evaluateSummarized, SUMMARY_FUNCTIONS, SummaryWindows, windowCuts, worthSummarizing } from './summary-windows';
import { dropMetricName, duplicateLabelsetError, Grid, gridTime, isStaleMarker, labelsKey, RawSeries, relabel, StepSeries, Value, withoutStaleMarkers } from './values';

export interface EvaluatorOptions {
  engine: StorageEngine;
  /** How far back an instant vector looks for a sample (Prometheus: 5 minutes). */
  lookbackDeltaMs: number;
  /** Resolution of subqueries written without a step (Prometheus: the evaluation interval, 1 minute). */
  defaultSubqueryStepMs: number;
  /** Most points (series × steps) one intermediate result, or raw samples one selector, may hold. */
  maxSamples: number;
  /** Most series one selector may match (passed to the engine). */
  maxSeries?: number;
  /** Date.now() after which evaluation stops with QueryTimeoutError. */
  deadlineMs: number;
  timeoutMs: number;
  /** The query's own start and end: what `@ start()` and `@ end()` mean. */
  queryStartMs: number;
  queryEndMs: number;
}

/** Raw samples of the series a range function runs over, with the window end of each step. */
interface RangeData {
  series: RawSeries[];
  /** refs[i]: the (closed) end of step i's window; the window is [refs[i] - rangeMs, refs[i]]. */
  refs: Float64Array;
  rangeMs: number;
  /** Raw samples from the engine may hold staleness markers; subquery points never do. */
  mayHoldStaleMarkers: boolean;
}

/** The engine reads of one query, shared with the evaluators of its subqueries. */
interface Reads {
  selects: Map<string, Promise<SeriesSamples[]>>;
  summarized: Map<string, Promise<SummarizedSeries[]>>;
}

export class Evaluator {
  /**
   * @param clipMs Selectors without `@` see no sample after clipMs minus their offset: the bound
   * Prometheus 2.42 puts on what it selects inside a subquery whose `@` window moves (movingAt).
   */
  constructor(
    private readonly opts: EvaluatorOptions,
    private readonly clipMs?: number,
    private readonly reads: Reads = { selects: new Map(), summarized: new Map() },
  ) {}

  async eval(e: Expr, grid: Grid): Promise<Value> {
    this.checkDeadline('expression evaluation');
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', values: new Float64Array(grid.count).fill(e.value) };
      case 'string':
        return { type: 'string', value: e.value };
      case 'paren':
        return this.eval(e.expr, grid);
      case 'unary':
        return this.unary(e.op, e.expr, grid);
      case 'vectorSelector':
        return { type: 'vector', series: await this.vectorSelector(e, grid, false) };
      case 'matrixSelector':
      case 'subquery':
        return this.rangeValue(e, grid);
      case 'call':
        return this.call(e, grid);
      case 'aggregate': {
        const input = await this.vector(e.expr, grid);
        let param: Float64Array | string | undefined;
        if (e.param) {
          const p = await this.eval(e.param, grid);
          param = p.type === 'string' ? p.value : p.type === 'scalar' ? p.values : undefined;
        }
        const series = aggregate(e.op, input, { labels: e.grouping, without: e.without }, param, { count: grid.count, maxSamples: this.opts.maxSamples });
        return { type: 'vector', series };
      }
      case 'binary': {
        const lhs = await this.eval(e.lhs, grid);
        const rhs = await this.eval(e.rhs, grid);
        const env = { count: grid.count, maxSamples: this.opts.maxSamples };
        if (lhs.type === 'scalar' && rhs.type === 'scalar') return { type: 'scalar', values: scalarScalar(e.op, lhs.values, rhs.values) };
        if (lhs.type === 'vector' && rhs.type === 'scalar') return { type: 'vector', series: vectorScalar(e.op, lhs.series, rhs.values, false, e.returnBool, env) };
        if (lhs.type === 'scalar' && rhs.type === 'vector') return { type: 'vector', series: vectorScalar(e.op, rhs.series, lhs.values, true, e.returnBool, env) };
        if (lhs.type === 'vector' && rhs.type === 'vector') return { type: 'vector', series: vectorVector(e.op, lhs.series, rhs.series, e.matching!, e.returnBool, env) };
        throw new Error(`binary ${e.op} between ${lhs.type} and ${rhs.type}`);
      }
    }
  }

  private async vector(e: Expr, grid: Grid): Promise<StepSeries[]> {
    const v = await this.eval(e, grid);
    if (v.type !== 'vector') throw new Error(`expected an instant vector, got ${v.type}`);
    return v.series;
  }

  private async unary(op: '-' | '+', inner: Expr, grid: Grid): Promise<Value> {
    const v = await this.eval(inner, grid);
    if (op === '+') return v;
    if (v.type === 'scalar') return { type: 'scalar', values: v.values.map((x) => -x) };
    if (v.type !== 'vector') throw new Error(`unary minus on ${v.type}`);
    const negated = v.series.map((s) => ({ labels: s.labels, values: s.values.map((x) => -x), present: s.present }));
    return { type: 'vector', series: relabel(negated, grid.count, this.opts.maxSamples, 'unary expression', dropMetricName) };
  }

  private checkDeadline(where: string): void {
    if (Date.now() > this.opts.deadlineMs) throw new QueryTimeoutError(this.opts.timeoutMs, where);
  }

  private atMs(at: AtModifier): number {
    return at.kind === 'time' ? at.ms : at.kind === 'start' ? this.opts.queryStartMs : this.opts.queryEndMs;
  }

  /** The time each step reads at: its own time (or the `@` time) minus the offset. */
  private refs(grid: Grid, offsetMs: number, at: AtModifier | undefined): Float64Array {
    const refs = new Float64Array(grid.count);
    const pinned = at ? this.atMs(at) : undefined;
    for (let i = 0; i < grid.count; i++) refs[i] = (pinned ?? gridTime(grid, i)) - offsetMs;
    return refs;
  }

  /**
   * Prometheus 2.42 turns an `@` into an offset from the first step of the evaluation. Most calls
   * of a selector with `@` are then evaluated once and hold at every step; predict_linear, which
   * reads the evaluation time, is evaluated step by step, so its window moves with the steps:
   * step i reads as if at the `@` time + (t_i - t_0), while what is selected stays bounded by the
   * `@` time. Later versions keep the window fixed; the sidecar answers as 2.42 does.
   */
  private movingAt(name: string, at: AtModifier | undefined): boolean {
    return name === 'predict_linear' && at !== undefined;
  }

  /** The read times of a window moving from the `@` time with the steps (movingAt). */
  private movingRefs(grid: Grid, offsetMs: number, at: AtModifier): Float64Array {
    const refs = new Float64Array(grid.count);
    const atMs = this.atMs(at);
    for (let i = 0; i < grid.count; i++) refs[i] = atMs + (gridTime(grid, i) - grid.startMs) - offsetMs;
    return refs;
  }

  /** The last time a selector reads: its last read time, unless a moving `@` above bounds it. */
  private selectEnd(lastRefMs: number, offsetMs: number, at: AtModifier | undefined): number {
    return at || this.clipMs === undefined ? lastRefMs : Math.min(lastRefMs, this.clipMs - offsetMs);
  }

  /** Samples in [startMs, endMs] (both inclusive), one select per distinct request of a query. */
  private async select(matchers: readonly Matcher[], startMs: number, endMs: number): Promise<SeriesSamples[]> {
    if (endMs < startMs) return [];
    const key = JSON.stringify([matchers, startMs, endMs]);
    let p = this.reads.selects.get(key);
    if (!p) {
      p = this.opts.engine.select({ matchers, start: startMs, end: endMs + 1, maxSeries: this.opts.maxSeries, maxPoints: this.opts.maxSamples });
      this.reads.selects.set(key, p);
    }
    const out = await p;
    this.checkDeadline('series selection');
    return out;
  }

  /**
   * An instant vector selector: per step, the latest sample at or before the step's read time and at
   * most the lookback delta older, unless that sample is a staleness marker. With `timestamps`, the
   * values are the samples' own times in seconds (for timestamp()).
   */
  private async vectorSelector(sel: VectorSelector, grid: Grid, timestamps: boolean): Promise<StepSeries[]> {
    const refs = this.refs(grid, sel.offsetMs, sel.at);
    const lookback = this.opts.lookbackDeltaMs;
    const data = await this.select(sel.matchers, refs[0] - lookback, this.selectEnd(refs[grid.count - 1], sel.offsetMs, sel.at));
    if (data.length * grid.count > this.opts.maxSamples) throw new TooManySamplesError(this.opts.maxSamples, 'vector selector');
    const out: StepSeries[] = [];
    for (const s of data) {
      const ts = s.timestamps;
      const vs = s.values;
      const values = new Float64Array(grid.count);
      const present = new Uint8Array(grid.count);
      let any = false;
      let j = -1;
      for (let i = 0; i < grid.count; i++) {
        const ref = refs[i];
        while (j + 1 < ts.length && ts[j + 1] <= ref) j++;
        // Only the chosen sample can hide the series, so only it is checked for a marker.
        if (j >= 0 && ts[j] >= ref - lookback && !(vs[j] !== vs[j] && isStaleMarker(vs, j))) {
          present[i] = 1;
          values[i] = timestamps ? ts[j] / 1000 : vs[j];
          any = true;
        }
      }
      if (any) out.push({ labels: s.labels, values, present });
    }
    return out;
  }

  /** The samples under the windows of a range selector or subquery; `moving` as movingAt. */
  private async rangeData(arg: MatrixSelector | SubqueryExpr, grid: Grid, moving = false): Promise<RangeData> {
    if (arg.kind === 'matrixSelector') {
      const { offsetMs, at } = arg.selector;
      const refs = moving ? this.movingRefs(grid, offsetMs, at!) : this.refs(grid, offsetMs, at);
      const endMs = moving ? refs[0] : this.selectEnd(refs[grid.count - 1], offsetMs, at);
      const data = await this.select(arg.selector.matchers, refs[0] - arg.rangeMs, endMs);
      return { series: data, refs, rangeMs: arg.rangeMs, mayHoldStaleMarkers: true };
    }
    const refs = moving ? this.movingRefs(grid, arg.offsetMs, arg.at!) : this.refs(grid, arg.offsetMs, arg.at);
    // Inside, selectors are bounded by a moving `@` time, or by the bound above shifted by the
    // subquery's offset; an `@` that holds still leaves no bound to keep.
    const clipMs = moving ? refs[0] : arg.at || this.clipMs === undefined ? undefined : this.clipMs - arg.offsetMs;
    const within = clipMs === this.clipMs ? this : new Evaluator(this.opts, clipMs, this.reads);
    const stepMs = arg.stepMs ?? this.opts.defaultSubqueryStepMs;
    // The subquery's own grid: multiples of its step from the first window's start to the last end.
    const startMs = Math.ceil((refs[0] - arg.rangeMs) / stepMs) * stepMs;
    const endMs = refs[grid.count - 1];
    if (endMs < startMs) return { series: [], refs, rangeMs: arg.rangeMs, mayHoldStaleMarkers: false };
    const inner: Grid = { startMs, stepMs, count: Math.floor((endMs - startMs) / stepMs) + 1 };
    if (inner.count > this.opts.maxSamples) throw new TooManySamplesError(this.opts.maxSamples, 'subquery');
    const stepSeries = await within.vector(arg.expr, inner);
    const series = stepSeries.map((s) => {
      let n = 0;
      for (let i = 0; i < inner.count; i++) n += s.present[i];
      const timestamps = new Float64Array(n);
      const values = new Float64Array(n);
      let k = 0;
      for (let i = 0; i < inner.count; i++) {
        if (!s.present[i]) continue;
        timestamps[k] = gridTime(inner, i);
        values[k++] = s.values[i];
      }
      return { labels: s.labels, timestamps, values };
    });
    return { series, refs, rangeMs: arg.rangeMs, mayHoldStaleMarkers: false };
  }

  /** A range vector as a result of its own (instant queries only): the raw points of the window. */
  private async rangeValue(e: MatrixSelector | SubqueryExpr, grid: Grid): Promise<Value> {
    const data = await this.rangeData(e, grid);
    const end = data.refs[0];
    const start = end - data.rangeMs;
    const out: RawSeries[] = [];
    for (const raw of data.series) {
      const s = { labels: raw.labels, ...withoutStaleMarkers(raw.timestamps, raw.values) };
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo] < start) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi] <= end) hi++;
      if (hi > lo) out.push({ labels: s.labels, timestamps: s.timestamps.slice(lo, hi), values: s.values.slice(lo, hi) });
    }
    return { type: 'matrix', series: out };
  }

  private async call(e: Call, grid: Grid): Promise<Value> {
    const name = e.func.name;
    const window = WINDOW_FUNCTIONS.get(name);
    if (window) return this.rangeFunction(e, grid, window);
    const arg0 = e.args[0] && unwrapParens(e.args[0]);
    if (name === 'timestamp' && arg0?.kind === 'vectorSelector') {
      const series = await this.vectorSelector(arg0, grid, true);
      return { type: 'vector', series: relabel(series, grid.count, this.opts.maxSamples, 'timestamp', dropMetricName) };
    }
    const args: Value[] = [];
    for (const a of e.args) args.push(await this.eval(a, grid));
    return callInstantFunction(name, args, e.args, { grid, maxSamples: this.opts.maxSamples });
  }

  /** Functions of a range vector: one window per step and series. */
  private async rangeFunction(e: Call, grid: Grid, fn: WindowFunction): Promise<Value> {
    const name = e.func.name;
    const matrixIndex = e.func.argTypes.indexOf('matrix');
    const arg = unwrapParens(e.args[matrixIndex]) as MatrixSelector | SubqueryExpr;
    let param: Float64Array | undefined;
    const paramExpr = e.args.find((_, i) => i !== matrixIndex);
    if (paramExpr) {
      const p = await this.eval(paramExpr, grid);
      if (p.type === 'scalar') param = p.values;
    }
    const { results, steps } = (await this.windowsFromSummaries(name, arg, grid, fn)) ?? (await this.windowsFromSamples(name, arg, grid, param, fn));
    const out: StepSeries[] = [];
    for (const result of results) {
      if (!result.present.includes(1)) continue;
      if (steps === 1) {
        result.values.fill(result.values[0]);
        result.present.fill(1);
      }
      out.push({ labels: name === 'last_over_time' ? result.labels : dropMetricName(result.labels), values: result.values, present: result.present });
    }
    if (name === 'absent_over_time') return { type: 'vector', series: absentOverTime(out, arg, grid.count) };
    const keys = new Set<string>();
    for (const s of out) {
      const key = labelsKey(s.labels);
      if (keys.has(key)) throw duplicateLabelsetError();
      keys.add(key);
    }
    return { type: 'vector', series: out };
  }

  /** Windows over the samples themselves, two cursors walking each series once. */
  private async windowsFromSamples(name: string, arg: MatrixSelector | SubqueryExpr, grid: Grid, param: Float64Array | undefined, fn: WindowFunction): Promise<WindowResults> {
    const at = arg.kind === 'matrixSelector' ? arg.selector.at : arg.at;
    const { series, refs, rangeMs, mayHoldStaleMarkers } = await this.rangeData(arg, grid, this.movingAt(name, at));
    if (series.length * grid.count > this.opts.maxSamples) throw new TooManySamplesError(this.opts.maxSamples, name);
    const steps = stepsToCompute(refs, grid.count, name, param);
    const windows = windowRun(refs, rangeMs, steps, grid, param, fn);
    const results: WindowResult[] = [];
    for (const raw of series) {
      this.checkDeadline(name);
      results.push({ labels: raw.labels, ...runMarkedWindows(raw, mayHoldStaleMarkers, windows) });
    }
    return { results, steps };
  }

  /**
   * Windows of a plain range selector under a function of counts, sums, extremes or last values,
   * taken from summaries where whole blocks lie inside a window (summary-windows.ts). Undefined when
   * the engine has no summaries to give or a series needs its samples after all.
   */
  private async windowsFromSummaries(name: string, arg: MatrixSelector | SubqueryExpr, grid: Grid, fn: WindowFunction): Promise<WindowResults | undefined> {
    const engine = this.opts.engine;
    if (!SUMMARY_FUNCTIONS.has(name) || arg.kind !== 'matrixSelector' || !engine.selectSummarized) return undefined;
    if (this.clipMs !== undefined && !arg.selector.at) return undefined;
    const refs = this.refs(grid, arg.selector.offsetMs, arg.selector.at);
    const steps = stepsToCompute(refs, grid.count, name, undefined);
    const series = await this.selectSummarized(arg.selector.matchers, refs, arg.rangeMs, steps);
    if (series.length * grid.count > this.opts.maxSamples) throw new TooManySamplesError(this.opts.maxSamples, name);
    const summaryWindows: SummaryWindows = { name, refs, rangeMs: arg.rangeMs, steps, count: grid.count };
    const plain = windowRun(refs, arg.rangeMs, steps, grid, undefined, fn);
    const results: WindowResult[] = [];
    for (const s of series) {
      this.checkDeadline(name);
      const result = worthSummarizing(s, summaryWindows) ? evaluateSummarized(s, summaryWindows) : runMarkedWindows(s, true, plain);
      if (!result) return undefined;
      results.push({ labels: s.labels, ...result });
    }
    return { results, steps };
  }

  /** The samples and block summaries of [refs[0] - rangeMs, refs[steps - 1]], cut at every window's edges. */
  private async selectSummarized(matchers: readonly Matcher[], refs: Float64Array, rangeMs: number, steps: number): Promise<SummarizedSeries[]> {
    const startMs = refs[0] - rangeMs;
    const endMs = refs[steps - 1];
    // The windows are evenly spaced, so their first and last end and their number name the cuts.
    const key = JSON.stringify([matchers, startMs, endMs, rangeMs, steps]);
    let p = this.reads.summarized.get(key);
    if (!p) {
      const cuts = windowCuts(refs.subarray(0, steps), rangeMs);
      p = this.opts.engine.selectSummarized!({ matchers, start: startMs, end: endMs + 1, cuts, maxSeries: this.opts.maxSeries, maxPoints: this.opts.maxSamples });
      this.reads.summarized.set(key, p);
    }
    const out = await p;
    this.checkDeadline('series selection');
    return out;
  }
}

interface WindowResult {
  labels: LabelSet;
  values: Float64Array;
  present: Uint8Array;
}

interface WindowResults {
  results: WindowResult[];
  /** How many steps were computed: 1 when a pinned window is the same at every step. */
  steps: number;
}

/**
 * A window pinned by `@` is the same at every step: computed once, unless the function reads the
 * evaluation time or a per-step parameter.
 */
function stepsToCompute(refs: Float64Array, count: number, name: string, param: Float64Array | undefined): number {
  return refs[0] === refs[count - 1] && !param && name !== 'predict_linear' ? 1 : count;
}

/**
 * Staleness markers are found as the windows' ends pass them, with no separate scan of every sample;
 * a series that holds one is evaluated again without its markers.
 */
function runMarkedWindows(raw: RawSeries, mayHoldStaleMarkers: boolean, run: WindowRun): { values: Float64Array; present: Uint8Array } {
  return runWindows(raw, mayHoldStaleMarkers, run) ?? runWindows({ labels: raw.labels, ...withoutStaleMarkers(raw.timestamps, raw.values) }, false, run)!;
}

interface WindowRun {
  refs: Float64Array;
  rangeMs: number;
  /** How many steps to compute (1 when a pinned window is the same at every step). */
  steps: number;
  grid: Grid;
  param: Float64Array | undefined;
  fn: WindowFunction;
  w: Window;
}

/** A WindowRun with its one Window, reused for every step and series. */
function windowRun(refs: Float64Array, rangeMs: number, steps: number, grid: Grid, param: Float64Array | undefined, fn: WindowFunction): WindowRun {
  const w: Window = { ts: new Float64Array(0), vs: new Float64Array(0), lo: 0, hi: 0, rangeStartMs: 0, rangeEndMs: 0, rangeMs, evalMs: 0, param: NaN };
  return { refs, rangeMs, steps, grid, param, fn, w };
}

/**
 * The function over each step's window [refs[i] - rangeMs, refs[i]] of one series, with two cursors
 * walking the samples once. With `checkMarkers`, answers undefined as soon as a window would hold a
 * staleness marker (the caller then runs it again on the series without markers).
 */
function runWindows(s: RawSeries, checkMarkers: boolean, run: WindowRun): { values: Float64Array; present: Uint8Array } | undefined {
  const { refs, rangeMs, grid, param, fn, w } = run;
  const ts = s.timestamps;
  const vs = s.values;
  const values = new Float64Array(grid.count);
  const present = new Uint8Array(grid.count);
  w.ts = ts;
  w.vs = vs;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < run.steps; i++) {
    const end = refs[i];
    const start = end - rangeMs;
    while (lo < ts.length && ts[lo] < start) lo++;
    if (hi < lo) hi = lo;
    while (hi < ts.length && ts[hi] <= end) {
      const v = vs[hi];
      if (checkMarkers && v !== v && isStaleMarker(vs, hi)) return undefined;
      hi++;
    }
    if (hi === lo) continue;
    w.lo = lo;
    w.hi = hi;
    w.rangeStartMs = start;
    w.rangeEndMs = end;
    w.evalMs = gridTime(grid, i);
    if (param) w.param = param[i];
    const v = fn(w);
    if (v === undefined) continue;
    present[i] = 1;
    values[i] = v;
  }
  return { values, present };
}

/** absent_over_time: 1 at the steps where no series had a sample in its window. */
function absentOverTime(found: StepSeries[], arg: MatrixSelector | SubqueryExpr, count: number): StepSeries[] {
  const any = new Uint8Array(count);
  for (const s of found) for (let i = 0; i < count; i++) any[i] |= s.present[i];
  if (!any.includes(0)) return [];
  const values = new Float64Array(count).fill(1);
  const present = any.map((x) => 1 - x);
  return [{ labels: absentLabels(arg), values, present }];
}
