// The window functions answered from block and chunk summaries must answer as the walk over every
// decoded sample does: the same queries run on one engine through selectSummarized and through a
// view of it that offers only select. Random data (SEED) in segments of many blocks, a head on top,
// late samples overlapping a segment, NaN, staleness markers, gaps and values too large to summarize.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine';
import { SeriesWrite, StorageEngine, SummarizedSelectRequest } from '../engine/model/types';
import { Random, testSeed } from '../engine/query/testing/random';
import { instantQuery, QueryResult, rangeQuery } from './query';

const seed = testSeed();
const T0_MS = 1_704_067_200_000;
const MIN = 60_000;
const H = 60 * MIN;
const SPAN_MS = 48 * H;
/** Prometheus' staleness marker, 0x7ff0000000000002. */
const STALE_BITS = 0x7ff0000000000002n;

function random(s: number): () => number {
  const r = new Random(s);
  return () => r.next();
}

type Kind = 'plain' | 'signed' | 'nan' | 'stale' | 'gaps' | 'huge';
const KINDS: Kind[] = ['plain', 'signed', 'nan', 'stale', 'gaps', 'huge'];

/** 15-second samples (with gaps for 'gaps') over two days; values with two decimals, as sensors send. */
function series(kind: Kind, rnd: () => number): { timestamps: number[]; values: Float64Array } {
  const timestamps: number[] = [];
  const values: number[] = [];
  const stale: number[] = [];
  let level = 50 * rnd();
  for (let t = T0_MS; t < T0_MS + SPAN_MS; t += 15_000) {
    if (kind === 'gaps' && Math.floor((t - T0_MS) / (5 * H)) % 3 === 1 && rnd() < 0.97) continue;
    level += rnd() - 0.5;
    let v = Math.round((kind === 'signed' ? level - 25 : level) * 100) / 100;
    // NaN alone and in runs of five minutes, so that windows also begin on one (min and max then
    // take the next value, as in Prometheus).
    if (kind === 'nan' && (rnd() < 0.002 || (t - T0_MS) % (3 * H) < 5 * MIN)) v = NaN;
    if (kind === 'stale' && rnd() < 0.001) stale.push(values.length);
    if (kind === 'huge' && rnd() < 0.001) v = 1e300 * (rnd() < 0.5 ? -1 : 1);
    if (kind === 'huge' && rnd() < 0.0005) v = Infinity;
    timestamps.push(t);
    values.push(v);
  }
  const out = Float64Array.from(values);
  // Set through bits: a NaN's payload does not survive every JavaScript copy.
  const bits = new BigUint64Array(out.buffer);
  for (const i of stale) bits[i] = STALE_BITS;
  return { timestamps, values: out };
}

/** The samples in [fromMs, toMs) that `keep` accepts, copied bit for bit. */
function slice(all: { timestamps: number[]; values: Float64Array }, fromMs: number, toMs: number, keep: (i: number) => boolean = () => true): { timestamps: number[]; values: Float64Array } {
  const picked: number[] = [];
  all.timestamps.forEach((t, i) => {
    if (t >= fromMs && t < toMs && keep(i)) picked.push(i);
  });
  const values = new Float64Array(picked.length);
  const from = new BigUint64Array(all.values.buffer);
  const to = new BigUint64Array(values.buffer);
  picked.forEach((i, k) => (to[k] = from[i]));
  return { timestamps: picked.map((i) => all.timestamps[i]), values };
}

/** Only select: every window walks its decoded samples. */
function decodingOnly(engine: StorageEngine): StorageEngine {
  return { ...bind(engine), selectSummarized: undefined };
}

function bind(engine: StorageEngine): StorageEngine {
  return {
    write: (b) => engine.write(b),
    writeColumns: (b) => engine.writeColumns(b),
    select: (r) => engine.select(r),
    selectSummarized: engine.selectSummarized && ((r: SummarizedSelectRequest) => engine.selectSummarized!(r)),
    aggregate: (r) => engine.aggregate(r),
    latest: (r) => engine.latest(r),
    labelNames: (r) => engine.labelNames(r),
    labelValues: (n, r) => engine.labelValues(n, r),
    series: (r) => engine.series(r),
    seriesCount: (r) => engine.seriesCount(r),
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
}

/**
 * Counts, extremes and last values must be identical; sums and means agree within 1e-9 relative, or
 * 1e-9 absolute where two-decimal values cancel to about nothing.
 */
function agree(a: number, b: number, exact: boolean): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (exact || !Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b);
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1);
}

function compare(query: string, want: QueryResult, got: QueryResult): string | undefined {
  const exact = !/^(sum|avg)_/.test(query);
  if (want.resultType !== 'vector' && want.resultType !== 'matrix') return `unexpected ${want.resultType}`;
  const rows = (r: QueryResult) =>
    r.resultType === 'vector'
      ? r.samples.map((s) => ({ key: JSON.stringify(s.labels), ts: [s.timestampMs], vs: [s.value] }))
      : r.resultType === 'matrix'
        ? r.series.map((s) => ({ key: JSON.stringify(s.labels), ts: [...s.timestamps], vs: [...s.values] }))
        : [];
  const w = rows(want);
  const g = rows(got);
  if (w.length !== g.length) return `${g.length} series instead of ${w.length}`;
  for (let i = 0; i < w.length; i++) {
    if (w[i].key !== g[i].key) return `series ${g[i].key} instead of ${w[i].key}`;
    if (w[i].ts.join() !== g[i].ts.join()) return `${w[i].key}: times differ`;
    for (let k = 0; k < w[i].vs.length; k++) {
      if (!agree(w[i].vs[k], g[i].vs[k], exact)) return `${w[i].key} at ${w[i].ts[k]}: ${g[i].vs[k]} instead of ${w[i].vs[k]}`;
    }
  }
  return undefined;
}

describe(`window functions from summaries (SEED=${seed})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-summary-windows-'));
  let engine: Engine;
  let summarized = 0;
  let viaSummaries: StorageEngine;

  beforeAll(async () => {
    const rnd = random(seed);
    engine = await Engine.open({ dataDir: dir, snapshotIntervalMs: 0, compactionIntervalMs: 0, idleFlushMs: 0, headMaxSamples: 1e9 });
    const data = KINDS.map((kind) => ({ kind, ...series(kind, rnd) }));
    const labels = (kind: Kind) => ({ __name__: 'level', kind });
    const part = (fromMs: number, toMs: number, keep?: (i: number) => boolean): SeriesWrite[] => data.map((d) => ({ labels: labels(d.kind), ...slice(d, fromMs, toMs, keep) }));
    // Two segments of many blocks each, a head after them, and late samples of the 'plain' series
    // (every tenth sample of its first day, held back) that overlap the first segment.
    const held = (i: number) => i % 10 === 3;
    await engine.write(part(T0_MS, T0_MS + 20 * H, (i) => !held(i)));
    await engine.flush();
    await engine.write(part(T0_MS + 20 * H, T0_MS + 40 * H));
    await engine.flush();
    await engine.write(part(T0_MS + 40 * H, T0_MS + SPAN_MS));
    await engine.write([{ labels: labels('plain'), ...slice(data[0], T0_MS, T0_MS + 20 * H, held) }]);
    const counting = bind(engine);
    viaSummaries = {
      ...counting,
      selectSummarized: async (req) => {
        const answer = await engine.selectSummarized(req);
        for (const s of answer) summarized += s.summaries.length;
        return answer;
      },
    };
  });

  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const FUNCTIONS = ['count_over_time', 'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'last_over_time', 'present_over_time'];
  const RANGES = ['3h', '7h', '12h', '1d', '36h'];
  const rnd = random(seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const cases: Array<{ query: string; run: (e: StorageEngine) => Promise<QueryResult> }> = [];
  for (let n = 0; n < 30; n++) {
    const modifier = pick(['', '', ' offset 90m', ' offset -2h', ` @ ${(T0_MS + 30 * H) / 1000}`]);
    const query = `${pick(FUNCTIONS)}(level${pick(['', '{kind="plain"}', '{kind=~"nan|stale|huge"}'])}[${pick(RANGES)}]${modifier})`;
    const atMs = T0_MS + Math.floor(rnd() * SPAN_MS * 1.2);
    cases.push({ query: `${query} at ${atMs}`, run: (e) => instantQuery(e, query, atMs) });
    const stepMs = pick([60_000, 7 * 60_000 + 13_000, 4 * H, 11 * H]);
    const startMs = T0_MS + Math.floor(rnd() * 12 * H);
    // At most 200 steps: the walk over every sample that the answers are held to is slow.
    const endMs = Math.min(startMs + 40 * H, startMs + 200 * stepMs);
    cases.push({ query: `${query} every ${stepMs} ms`, run: (e) => rangeQuery(e, query, startMs, endMs, stepMs) });
  }
  cases.push({ query: 'absent_over_time(level{kind="gaps"}[20m])', run: (e) => rangeQuery(e, 'absent_over_time(level{kind="gaps"}[20m])', T0_MS, T0_MS + SPAN_MS, 5 * MIN) });

  test.each(cases.map((c) => [c.query, c] as const))('%s', async (_, c) => {
    const want = await c.run(decodingOnly(engine));
    const got = await c.run(viaSummaries);
    const problem = compare(c.query, want, got);
    if (problem) throw new Error(`SEED=${seed} ${c.query}: ${problem}`);
  });

  test('windows whose edges fall on the first or last sample of a block', async () => {
    const rangeMs = 6 * H;
    const blocks = await engine.selectSummarized({ matchers: [{ name: '__name__', op: '=', value: 'level' }], start: T0_MS, end: T0_MS + SPAN_MS, cuts: new Float64Array(0) });
    const edges = blocks.flatMap((s) => s.summaries.flatMap((b) => [b.minT, b.maxT]));
    expect(edges.length).toBeGreaterThan(20);
    const problems: string[] = [];
    let n = 0;
    for (const edge of edges.filter((_, i) => i % 7 === 0)) {
      for (const atMs of [edge - 1, edge, edge + 1, edge + rangeMs - 1, edge + rangeMs, edge + rangeMs + 1]) {
        for (const f of [FUNCTIONS[n++ % FUNCTIONS.length]]) {
          const query = `${f}(level[${rangeMs / 1000}s])`;
          const instant = (e: StorageEngine) => instantQuery(e, query, atMs);
          // Steps of 5 hours around the edge: blocks between the windows' edges come as summaries.
          const range = (e: StorageEngine) => rangeQuery(e, query, atMs - 5 * H, atMs + 10 * H, 5 * H);
          for (const run of [instant, range]) {
            const problem = compare(query, await run(decodingOnly(engine)), await run(viaSummaries));
            if (problem) problems.push(`${query} at ${atMs}: ${problem}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('blocks inside windows were taken by their summaries', () => {
    expect(summarized).toBeGreaterThan(0);
  });
});
