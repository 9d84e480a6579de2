// The index and query modules, wired as the engine wires them, give the same answers as MemoryEngine
// (the specification's model) on random data and random requests. The seed is in the test name;
// replay a failure with SEED=<n>.

import { LabelIndex } from '../index/label-index';
import { EngineError } from '../model/errors';
import { normalizeLabels, seriesKey } from '../model/labels';
import {
  AggregateRequest,
  Aggregation,
  BucketSeries,
  CrossAggregation,
  Fill,
  LabelSet,
  LatestRequest,
  LatestSample,
  Matcher,
  MetadataRequest,
  SelectRequest,
  SeriesSamples,
} from '../model/types';
import { MemoryEngine } from '../testing/memory-engine';
import { AggregateEvaluator } from './aggregate';
import { Bucketing } from './bucketing';
import { assertPointsWithin, assertSeriesWithin } from './limits';
import { Part, SampleRun, SummaryPart, wholeRun } from './parts';
import { Samples, mergeRuns, sliceRun } from './runs';
import { Random, testSeed } from './testing/random';

const seed = testSeed();
const H = 3_600_000;
const DAY = 24 * H;

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Beirut', 'America/Havana', 'Australia/Lord_Howe', 'Asia/Kolkata'];
/** Starts of data windows: the epoch, and a few days before DST changes in the zones above. */
const ORIGINS = [0, -5 * DAY, Date.UTC(2024, 2, 28), Date.UTC(2024, 9, 25), Date.UTC(2024, 2, 8), Date.UTC(2024, 10, 1), Date.UTC(2024, 3, 5)];
const AGGS: Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];
const FILLS: Fill[] = ['none', 'null', 'previous', 'linear'];
const CROSS: CrossAggregation[] = ['avg', 'min', 'max', 'sum', 'count'];
const LABEL_NAMES = ['__name__', 'site', 'device', 'room', 'nope'];
const VALUES: Record<string, string[]> = {
  __name__: ['temp', 'hum', 'a:b'],
  site: ['berlin', 'paris', 'new york', 'a.b', 'x|y', 'Zürich', 'line\nbreak', ''],
  device: ['d1', 'd2', 'd3', 'd10', 'd11', ''],
  room: ['r1', 'r2', '', '', ''],
};
const PATTERNS = ['ber.*', '.*', '.+', 'b.*|p.*', 'berlin|paris', 'berlin|', 'a\\.b', 'x\\|y', '(?:ber|par)is', '[bp].*', 'd[1-3]', 'd1.*', 'd1.+', '.*o.*', 'Zür.*', 'line.*', '', 'r1', 't.*|', 'hum|temp', 'a:.*'];

/** One random store: series with data written in a few batches (a later batch wins). */
interface World {
  labels: LabelSet[];
  /** Per series, one sorted unique run per batch that wrote to it, oldest first. */
  sources: SampleRun[][];
  merged: Samples[];
  index: LabelIndex;
  oracle: MemoryEngine;
  /** Integer-valued data: sums are exact in any order, so block summaries may be used. */
  exact: boolean;
  scale: number;
  origin: number;
}

async function randomWorld(r: Random): Promise<World> {
  const exact = r.chance(0.5);
  const scale = r.pick([1, 1000, 60_000, H]);
  const origin = r.pick(ORIGINS);
  const labels: LabelSet[] = [];
  const keys = new Set<string>();
  const seriesCount = r.int(1, scale === H ? 7 : 12);
  while (labels.length < seriesCount) {
    const raw: Record<string, string> = { __name__: r.pick(VALUES.__name__) };
    for (const name of ['site', 'device', 'room']) raw[name] = r.pick(VALUES[name]);
    const normal = normalizeLabels(raw);
    if (keys.has(seriesKey(normal))) continue;
    keys.add(seriesKey(normal));
    labels.push(normal);
  }
  const oracle = new MemoryEngine();
  const index = new LabelIndex();
  labels.forEach((l, id) => index.add(id, l));
  const sources: SampleRun[][] = labels.map(() => []);
  const batches = r.int(1, 3);
  const perSeries = scale === H ? 20 : 40;
  for (let b = 0; b < batches; b++) {
    const batch = [];
    for (let id = 0; id < labels.length; id++) {
      if (b > 0 && r.chance(0.5)) continue;
      const times = new Set<number>();
      const n = r.chance(0.1) ? 0 : r.int(1, perSeries);
      for (let i = 0; i < n; i++) times.add(origin + r.int(-24, 120) * scale + (scale > 1 ? r.int(0, scale - 1) * (r.chance(0.5) ? 1 : 0) : 0));
      const ts = Float64Array.from([...times].sort((x, y) => x - y));
      const vs = ts.map(() => randomValue(r, exact));
      batch.push({ labels: labels[id], timestamps: ts, values: vs });
      if (ts.length > 0) {
        sources[id].push(wholeRun(ts, vs));
        index.extend(id, ts[0], ts[ts.length - 1]);
      }
    }
    await oracle.write(batch);
  }
  const merged = sources.map((runs) => mergeRuns(runs));
  return { labels, sources, merged, index, oracle, exact, scale, origin };
}

function randomValue(r: Random, exact: boolean): number {
  const u = r.next();
  if (u < 0.08) return NaN;
  if (u < 0.1) return r.pick([Infinity, -Infinity, -0]);
  return exact ? r.int(-40, 40) / 2 : (r.next() - 0.5) * 1000;
}

function randomMatchers(r: Random): Matcher[] {
  const out: Matcher[] = [];
  const n = r.int(0, 3);
  for (let i = 0; i < n; i++) {
    const name = r.pick(LABEL_NAMES);
    const op = r.pick(['=', '!=', '=~', '!~'] as const);
    const value = op === '=' || op === '!=' ? r.pick(VALUES[name] ?? ['', 'x']) : r.pick(PATTERNS);
    out.push({ name, op, value });
  }
  return out;
}

function randomRange(r: Random, w: World): { start: number; end: number } {
  const start = w.origin + r.int(-30, 125) * w.scale + r.int(-3, 3);
  return { start, end: start + r.int(1, 100) * w.scale + r.int(0, 3) };
}

// ---- the engine's side, wired from the modules under test ---------------------------------------

function selected(w: World, matchers: readonly Matcher[], start: number, end: number, maxSeries?: number): Int32Array {
  const ids = w.index.select(matchers, start, end);
  assertSeriesWithin(ids.length, maxSeries);
  return w.index.sortByLabels(ids);
}

function select(w: World, req: SelectRequest): SeriesSamples[] {
  const out: SeriesSamples[] = [];
  for (const id of selected(w, req.matchers, req.start, req.end, req.maxSeries)) {
    const s = mergeRuns(w.sources[id], req.start, req.end);
    if (s.timestamps.length > 0) out.push({ labels: w.labels[id], ...s });
  }
  assertPointsWithin(out.reduce((n, s) => n + s.timestamps.length, 0), req.maxPoints);
  return out;
}

/** The series' data in [start, end) as the engine hands it over: runs, some blocks as summaries. */
function partsOf(r: Random, w: World, id: number, bucketing: Bucketing): Part[] {
  const slice = sliceRun(wholeRun(w.merged[id].timestamps, w.merged[id].values), bucketing.start, bucketing.end);
  const parts: Part[] = [];
  for (let from = slice.from; from < slice.to; ) {
    const to = Math.min(slice.to, from + r.int(1, 6));
    const run = { timestamps: slice.timestamps, values: slice.values, from, to };
    const summary = w.exact && r.chance(0.5) ? summarise(run) : undefined;
    parts.push(summary && bucketing.spanIndex(summary.minT, summary.maxT) >= 0 ? summary : run);
    from = to;
  }
  return parts;
}

function summarise(run: SampleRun): SummaryPart | undefined {
  const vs = Array.from(run.values.subarray(run.from, run.to));
  if (vs.some((v) => Number.isNaN(v))) return undefined;
  return {
    count: vs.length,
    minT: run.timestamps[run.from],
    maxT: run.timestamps[run.to - 1],
    min: Math.min(...vs),
    max: Math.max(...vs),
    sum: vs.reduce((a, b) => a + b, 0),
    first: vs[0],
    last: vs[vs.length - 1],
  };
}

function aggregate(r: Random, w: World, req: AggregateRequest): BucketSeries[] {
  const bucketing = Bucketing.create(req);
  const evaluator = new AggregateEvaluator(bucketing, req);
  for (const id of selected(w, req.matchers, req.start, req.end, req.maxSeries)) {
    const before = req.fill === 'previous' ? latestIn(w.merged[id], -Infinity, req.start)?.v : undefined;
    evaluator.add(w.labels[id], partsOf(r, w, id, bucketing), before);
  }
  return evaluator.result();
}

/** The latest non-NaN sample with start <= t < end, by a backwards scan of the merged series. */
function latestIn(merged: { timestamps: ArrayLike<number>; values: ArrayLike<number> }, start: number, end: number): { t: number; v: number } | undefined {
  for (let i = merged.timestamps.length - 1; i >= 0; i--) {
    const t = merged.timestamps[i];
    const v = merged.values[i];
    if (t >= start && t < end && v === v) return { t, v };
  }
  return undefined;
}

function latest(w: World, req: LatestRequest): LatestSample[] {
  const start = req.start ?? -Infinity;
  const end = req.end ?? Infinity;
  const out: LatestSample[] = [];
  for (const id of selected(w, req.matchers, start, end, req.maxSeries)) {
    const found = latestIn(w.merged[id], start, end);
    if (found) out.push({ labels: w.labels[id], t: found.t, v: found.v });
  }
  return out;
}

function randomAggregate(r: Random, w: World): AggregateRequest {
  const dayish = w.scale === H && r.chance(0.6);
  const step = dayish ? r.pick([DAY, 2 * DAY, 7 * DAY, 14 * DAY]) : r.pick([1, 2, 5, 7, 10, 36]) * w.scale;
  const { start, end } = randomRange(r, w);
  const grouped = r.chance(0.4);
  return {
    matchers: randomMatchers(r),
    start,
    end,
    step,
    agg: r.pick(AGGS),
    fill: r.chance(0.2) ? undefined : r.pick(FILLS),
    timeZone: r.chance(0.2) ? undefined : r.pick(ZONES),
    groupBy: grouped ? r.some(LABEL_NAMES, 2) : undefined,
    crossAgg: grouped && r.chance(0.8) ? r.pick(CROSS) : undefined,
    maxSeries: r.chance(0.1) ? r.int(0, 5) : undefined,
    maxPoints: r.chance(0.15) ? r.int(0, 60) : undefined,
  };
}

function randomMetadata(r: Random, w: World): MetadataRequest {
  const range = r.chance(0.5) ? randomRange(r, w) : {};
  return { matchers: r.chance(0.7) ? randomMatchers(r) : undefined, ...range, limit: r.chance(0.3) ? r.int(0, 4) : undefined };
}

/** Both answer the same, or both refuse with the same code and message. */
async function same<T>(what: string, req: unknown, mine: () => T, model: () => Promise<T>): Promise<void> {
  let expected: T | undefined;
  let expectedError: EngineError | undefined;
  try {
    expected = await model();
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    expectedError = e;
  }
  let got: T | undefined;
  let gotError: EngineError | undefined;
  try {
    got = mine();
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    gotError = e;
  }
  const context = `${what} ${JSON.stringify(req)} (SEED=${seed})`;
  if (expectedError || gotError) {
    expect({ context, code: gotError?.code, message: gotError?.message }).toEqual({ context, code: expectedError?.code, message: expectedError?.message });
    return;
  }
  expect({ context, answer: got }).toEqual({ context, answer: expected });
}

describe(`index and query modules against MemoryEngine (SEED=${seed})`, () => {
  it('answer select, aggregate, latest and metadata requests alike', async () => {
    const r = new Random(seed);
    for (let world = 0; world < 60; world++) {
      const w = await randomWorld(r);
      for (let q = 0; q < 12; q++) {
        const sel = { matchers: randomMatchers(r), ...randomRange(r, w), maxSeries: r.chance(0.1) ? r.int(0, 4) : undefined, maxPoints: r.chance(0.1) ? r.int(0, 40) : undefined };
        await same('select', sel, () => select(w, sel), () => w.oracle.select(sel));
        const agg = randomAggregate(r, w);
        await same('aggregate', agg, () => aggregate(r, w, agg), () => w.oracle.aggregate(agg));
        const lat: LatestRequest = { matchers: randomMatchers(r), ...(r.chance(0.5) ? randomRange(r, w) : {}) };
        await same('latest', lat, () => latest(w, lat), () => w.oracle.latest(lat));
        const meta = randomMetadata(r, w);
        const name = r.pick(LABEL_NAMES);
        await same('labelNames', meta, () => w.index.labelNames(meta), () => w.oracle.labelNames(meta));
        await same(`labelValues(${name})`, meta, () => w.index.labelValues(name, meta), () => w.oracle.labelValues(name, meta));
        await same('series', meta, () => w.index.series(meta), () => w.oracle.series(meta));
        await same('seriesCount', meta, () => w.index.seriesCount(meta), () => w.oracle.seriesCount(meta));
      }
    }
  });
});
