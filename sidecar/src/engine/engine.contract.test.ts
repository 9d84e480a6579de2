// One contract suite, four storage states: the same data only in the head, only in segments, split
// between them, and after compaction (and once more after a restart) must answer every query exactly
// as the in-memory model does — late samples, overwrites and NaN included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from './engine';
import { AggregateRequest, ColumnarBatch, Matcher, StorageEngine, WriteBatch } from './model/types';
import { MemoryEngine } from './testing/memory-engine';

const seed = Number(process.env.SEED ?? 20261125);
const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 28, 20); // spans the Europe/Berlin DST change of 2026-03-29

/** mulberry32, so a failure replays from its seed. */
function rng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Batches in write order: regular data, late backfill, overwrites and NaN. */
function workload(seedValue: number): WriteBatch[] {
  const r = rng(seedValue);
  const devices = ['d1', 'd2', 'd3', 'd4', 'd5'];
  const batches: WriteBatch[] = [];
  for (let step = 0; step < 60; step++) {
    const batch: WriteBatch[number][] = [];
    for (const [i, device] of devices.entries()) {
      for (const metric of ['temperature', 'humidity']) {
        if (r() < 0.15) continue; // gaps
        const ts: number[] = [];
        const vs: number[] = [];
        for (let k = 0; k < 5; k++) {
          ts.push(T0 + step * 15 * 60_000 + k * 60_000 + i * 1000);
          vs.push(r() < 0.03 ? NaN : Math.round(r() * 4000) / 100);
        }
        // Late samples: a device uploads a backlog from hours ago.
        if (r() < 0.1) {
          const late = T0 + Math.floor(r() * step) * 15 * 60_000 + 7 * 1000;
          ts.push(late);
          vs.push(Math.round(r() * 100) / 10);
        }
        // Overwrite: the same timestamp written again, later.
        if (r() < 0.1 && step > 2) {
          ts.push(T0 + (step - 2) * 15 * 60_000 + i * 1000);
          vs.push(-1 - Math.round(r() * 100));
        }
        batch.push({ labels: { __name__: metric, device, site: i % 2 ? 'berlin' : 'paris', ...(i === 4 ? {} : { kind: 'k1' }) }, timestamps: ts, values: vs });
      }
    }
    batches.push(batch);
  }
  return batches;
}

const name = (v: string): Matcher => ({ name: '__name__', op: '=', value: v });
const START = T0 - H;
const END = T0 + 16 * H;

function queries(): Array<{ what: string; run: (e: StorageEngine) => Promise<unknown> }> {
  const aggs: Array<Partial<AggregateRequest>> = [
    { step: 60_000, agg: 'avg' },
    { step: 15 * 60_000, agg: 'sum', fill: 'null' },
    { step: 30 * 60_000, agg: 'max', fill: 'previous' },
    { step: H, agg: 'count', fill: 'linear' },
    { step: 2 * H, agg: 'first' },
    { step: 2 * H, agg: 'last', groupBy: ['site'], crossAgg: 'max' },
    { step: 10 * 60_000, agg: 'avg', groupBy: [], crossAgg: 'avg' },
    { step: 45 * 60_000, agg: 'min', groupBy: ['kind'], crossAgg: 'count', fill: 'previous' },
    { step: 24 * H, agg: 'avg', timeZone: 'Europe/Berlin' },
    { step: 24 * H, agg: 'sum', timeZone: 'America/New_York', groupBy: ['site'], crossAgg: 'sum' },
  ];
  const ranges: Array<[number, number]> = [
    [START, END],
    [T0 + 3 * H + 17_000, T0 + 9 * H - 5],
  ];
  const out: Array<{ what: string; run: (e: StorageEngine) => Promise<unknown> }> = [];
  for (const [start, end] of ranges) {
    out.push({ what: `raw temperature ${start}..${end}`, run: (e) => e.select({ matchers: [name('temperature')], start, end }) });
    out.push({ what: `raw site=~par.* ${start}..${end}`, run: (e) => e.select({ matchers: [{ name: 'site', op: '=~', value: 'par.*' }], start, end }) });
    for (const a of aggs) {
      out.push({ what: `aggregate ${JSON.stringify(a)} ${start}..${end}`, run: (e) => e.aggregate({ matchers: [name('temperature')], start, end, ...a } as AggregateRequest) });
    }
    out.push({ what: `latest before ${end}`, run: (e) => e.latest({ matchers: [{ name: 'device', op: '!=', value: 'd2' }], start, end }) });
  }
  out.push({ what: 'latest', run: (e) => e.latest({ matchers: [] }) });
  out.push({ what: 'label values', run: (e) => e.labelValues('device', { matchers: [name('humidity')], start: T0 + 10 * H, end: END }) });
  out.push({ what: 'label names', run: (e) => e.labelNames({}) });
  out.push({ what: 'series count', run: (e) => e.seriesCount({ matchers: [{ name: 'kind', op: '=', value: '' }] }) });
  return out;
}

/** Deep equality where NaN equals NaN and sums may differ by float rounding only. */
function same(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return undefined;
    if (a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b))) return undefined;
    return `${path}: ${a} != ${b}`;
  }
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const xa = [...(a as ArrayLike<unknown> as unknown[])];
    const xb = ArrayBuffer.isView(b) || Array.isArray(b) ? [...(b as ArrayLike<unknown> as unknown[])] : undefined;
    if (!xb || xa.length !== xb.length) return `${path}: length ${xa.length} != ${xb?.length}`;
    for (let i = 0; i < xa.length; i++) {
      const d = same(xa[i], xb[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${path}: keys ${ka} != ${kb}`;
    for (const k of ka) {
      const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : `${path}: ${String(a)} != ${String(b)}`;
}

type State = 'head' | 'segments' | 'mixed' | 'compacted' | 'restarted';

function toColumns(batch: WriteBatch): ColumnarBatch {
  const offsets = [0];
  const timestamps: number[] = [];
  const values: number[] = [];
  for (const s of batch) {
    timestamps.push(...Array.from(s.timestamps));
    values.push(...Array.from(s.values));
    offsets.push(timestamps.length);
  }
  return { series: batch.map((s) => ({ labels: s.labels })), offsets, timestamps: Float64Array.from(timestamps), values: Float64Array.from(values) };
}

async function load(state: State, dir: string, batches: WriteBatch[]): Promise<Engine> {
  const open = () => Engine.open({ dataDir: dir, snapshotIntervalMs: 0, compactionIntervalMs: 0, partitionMs: 4 * H, headMaxSamples: 1e9 });
  let e = await open();
  const half = Math.floor(batches.length / 2);
  for (const [i, b] of batches.entries()) {
    // Half the batches go through the columnar write, which must store exactly the same.
    if (i % 2) await e.writeColumns(toColumns(b));
    else await e.write(b);
    if (state === 'mixed' && i === half) await e.flush();
    if ((state === 'compacted' || state === 'restarted') && i % 9 === 8) await e.flush();
  }
  if (state === 'segments') await e.flush();
  if (state === 'compacted' || state === 'restarted') {
    await e.flush();
    await e.compact();
    // A late sample and an overwrite after compaction, so head and partitions overlap again.
    await e.write(batches[3]);
  }
  if (state === 'restarted') {
    await e.close();
    e = await open();
  }
  return e;
}

describe(`engine contract (SEED=${seed})`, () => {
  const batches = workload(seed);
  const model = new MemoryEngine();
  const dirs: string[] = [];
  beforeAll(async () => {
    for (const b of batches) await model.write(b);
    await model.write(batches[3]);
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each<State>(['head', 'segments', 'mixed', 'compacted', 'restarted'])('answers like the model with data %s', async (state) => {
    const dir = mkdtempSync(join(tmpdir(), `ss-contract-${state}-`));
    dirs.push(dir);
    const engine = await load(state, dir, batches);
    // Every state but the pure head replays batch 3 again at the end; the head gets it too.
    if (state === 'head' || state === 'segments' || state === 'mixed') await engine.write(batches[3]);
    const st = engine.stats();
    if (state === 'head') expect(st.segments.count).toBe(0);
    if (state === 'segments') expect(st.head.samples).toBeGreaterThan(0); // batch 3 again, on top of segments
    if (state === 'compacted') expect(st.compaction.runs).toBeGreaterThanOrEqual(1);
    try {
      for (const q of queries()) {
        const want = await q.run(model);
        const got = await q.run(engine);
        const diff = same(got, want);
        if (diff) throw new Error(`${state}: ${q.what} differs (SEED=${seed}): ${diff}`);
      }
    } finally {
      await engine.close();
    }
  });
});
