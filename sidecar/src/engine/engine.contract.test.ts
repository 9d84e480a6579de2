// One contract suite, four storage states: the same writes only in the head, only in segments,
// split between them, and after compaction (and once more after a restart) must answer every query
// as the in-memory model does — late samples, overwrites and NaN included. Integer-valued series
// without NaN are answered from block summaries wherever blocks fit in a bucket; their answers must
// be exactly the model's, so every state gives the same bits.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from './engine';
import { FaultFileIO } from './fs/fault-io';
import { NodeFileIO } from './fs/node-io';
import { AggregateRequest, ColumnarBatch, Matcher, StorageEngine, WriteBatch } from './model/types';
import { MemoryEngine } from './testing/memory-engine';

const seed = Number(process.env.SEED ?? 20261125);
const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 28, 20); // spans the Europe/Berlin DST change of 2026-03-29
/** The counter starts at T0 + 4 h, midnight UTC, and then lies within one UTC day. */
const COUNTER_FIRST_STEP = 16;

/** mulberry32, so a failure replays from its seed. */
function rng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Batches in write order: regular data, late backfill, overwrites and NaN; a clean integer counter. */
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
      // A counter: integers, in order, no NaN, from midnight UTC on, so its blocks can be summarised.
      if (step >= COUNTER_FIRST_STEP) {
        const ts = [0, 1, 2, 3, 4].map((k) => T0 + step * 15 * 60_000 + k * 60_000 + i * 1000);
        const vs = ts.map(() => Math.floor(r() * 1_000_000) - 1000);
        batch.push({ labels: { __name__: 'counter', device, site: i % 2 ? 'berlin' : 'paris', ...(i === 4 ? {} : { kind: 'k1' }) }, timestamps: ts, values: vs });
      }
    }
    batches.push(batch);
  }
  return batches;
}

const name = (v: string): Matcher => ({ name: '__name__', op: '=', value: v });
const START = T0 - H;
const END = T0 + 16 * H;

interface Query {
  what: string;
  run: (e: StorageEngine) => Promise<unknown>;
  /** Compared bit for bit: integer sums do not depend on the order they are added in. */
  exact?: boolean;
}

/** The whole counter in one UTC day: in segments every block of it fits that bucket. */
const COUNTER_DAY_SUM: Query = {
  what: 'counter: sum per UTC day',
  run: (e) => e.aggregate({ matchers: [name('counter')], start: START, end: END, step: 24 * H, agg: 'sum' }),
  exact: true,
};

function counterQueries(): Query[] {
  const aggs: Array<Partial<AggregateRequest>> = [
    { step: 24 * H, agg: 'sum' },
    { step: 4 * H, agg: 'avg' },
    { step: 4 * H, agg: 'min', fill: 'previous' },
    { step: 4 * H, agg: 'max' },
    { step: 2 * H, agg: 'count', fill: 'linear' },
    { step: 4 * H, agg: 'first' },
    { step: 4 * H, agg: 'last' },
    { step: 24 * H, agg: 'sum', groupBy: ['site'], crossAgg: 'sum' },
    { step: 4 * H, agg: 'max', groupBy: ['kind'], crossAgg: 'min' },
    { step: 24 * H, agg: 'avg', timeZone: 'Europe/Berlin', groupBy: [], crossAgg: 'avg' },
  ];
  const out: Query[] = [];
  for (const [start, end] of [
    [START, END],
    [T0 + 6 * H, T0 + 12 * H],
  ]) {
    out.push({ what: `counter: raw ${start}..${end}`, run: (e) => e.select({ matchers: [name('counter')], start, end }) });
    for (const a of aggs) {
      out.push({ what: `counter: aggregate ${JSON.stringify(a)} ${start}..${end}`, run: (e) => e.aggregate({ matchers: [name('counter')], start, end, ...a } as AggregateRequest) });
    }
    out.push({ what: `counter: latest before ${end}`, run: (e) => e.latest({ matchers: [name('counter')], start, end }) });
  }
  return out;
}

function queries(): Query[] {
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
  const out: Query[] = [];
  for (const [start, end] of ranges) {
    out.push({ what: `raw temperature ${start}..${end}`, run: (e) => e.select({ matchers: [name('temperature')], start, end }) });
    out.push({ what: `raw site=~par.* ${start}..${end}`, run: (e) => e.select({ matchers: [{ name: 'site', op: '=~', value: 'par.*' }], start, end }) });
    for (const a of aggs) {
      out.push({ what: `aggregate ${JSON.stringify(a)} ${start}..${end}`, run: (e) => e.aggregate({ matchers: [name('temperature')], start, end, ...a } as AggregateRequest) });
    }
    out.push({ what: `latest before ${end}`, run: (e) => e.latest({ matchers: [{ name: 'device', op: '!=', value: 'd2' }], start, end }) });
  }
  out.push({ what: 'latest', run: (e) => e.latest({ matchers: [] }) });
  for (const q of counterQueries()) out.push({ ...q, exact: true });
  out.push({ what: 'label values', run: (e) => e.labelValues('device', { matchers: [name('humidity')], start: T0 + 10 * H, end: END }) });
  out.push({ what: 'label names', run: (e) => e.labelNames({}) });
  out.push({ what: 'series count', run: (e) => e.seriesCount({ matchers: [{ name: 'kind', op: '=', value: '' }] }) });
  return out;
}

/** Deep equality where NaN equals NaN and, unless `exact`, sums may differ by float rounding only. */
function same(a: unknown, b: unknown, exact: boolean, path = ''): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return undefined;
    if (Object.is(a, b) || (!exact && Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)))) return undefined;
    return `${path}: ${a} != ${b}`;
  }
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const xa = [...(a as ArrayLike<unknown> as unknown[])];
    const xb = ArrayBuffer.isView(b) || Array.isArray(b) ? [...(b as ArrayLike<unknown> as unknown[])] : undefined;
    if (!xb || xa.length !== xb.length) return `${path}: length ${xa.length} != ${xb?.length}`;
    for (let i = 0; i < xa.length; i++) {
      const d = same(xa[i], xb[i], exact, `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${path}: keys ${ka} != ${kb}`;
    for (const k of ka) {
      const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], exact, `${path}.${k}`);
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

/**
 * Writes every batch, then batch 3 once more (late samples and overwrites of data written long
 * before), flushing and compacting as `state` asks. Each state ends with the same data:
 * - head: nothing flushed.
 * - segments: three flushes (the last after batch 3 again), fewer than compaction waits for, so
 *   segments overlap in time and the head ends empty.
 * - mixed: flushed at half time; the rest, batch 3 again included, in the head.
 * - compacted: flushed every 9 batches, batch 3 again, flushed, merged into time partitions.
 * - restarted: merged first; batch 3 again then lands in the head over the partitions; restarted.
 */
async function load(state: State, dir: string, batches: WriteBatch[], io: FaultFileIO): Promise<Engine> {
  // No block cache: a block a query needs is read from the file every time, so reads can be counted.
  const open = () => Engine.open({ dataDir: dir, io, snapshotIntervalMs: 0, compactionIntervalMs: 0, partitionMs: 4 * H, headMaxSamples: 1e9, blockCacheBytes: 0 });
  let e = await open();
  const half = Math.floor(batches.length / 2);
  const write = (b: WriteBatch, columnar: boolean) => (columnar ? e.writeColumns(toColumns(b)) : e.write(b));
  for (const [i, b] of batches.entries()) {
    // Half the batches go through the columnar write, which must store exactly the same.
    await write(b, i % 2 === 1);
    if (state === 'mixed' && i === half) await e.flush();
    if (state === 'segments' && i % 20 === 19 && i < batches.length - 1) await e.flush();
    if ((state === 'compacted' || state === 'restarted') && i % 9 === 8) await e.flush();
  }
  if (state === 'restarted') {
    await e.flush();
    await e.compact();
  }
  await write(batches[3], true);
  if (state === 'segments') await e.flush();
  if (state === 'compacted') {
    await e.flush();
    await e.compact();
  }
  if (state === 'restarted') {
    await e.close();
    e = await open();
  }
  return e;
}

/** Reads of segment files while `run` runs. */
async function segmentReads(io: FaultFileIO, run: () => Promise<unknown>): Promise<number> {
  io.log.length = 0;
  io.logCalls = true;
  try {
    await run();
  } finally {
    io.logCalls = false;
  }
  return io.log.filter((l) => l.startsWith('read ') && l.endsWith('.seg')).length;
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
    const io = new FaultFileIO(new NodeFileIO());
    const engine = await load(state, dir, batches, io);
    try {
      const st = engine.stats();
      const files = readdirSync(join(dir, 'segments'));
      if (state === 'head') expect(st.segments.count).toBe(0);
      if (state === 'segments') expect([st.head.samples, st.segments.count, st.compaction.runs]).toEqual([0, 3, 0]);
      if (state === 'mixed') expect(st.head.samples * st.segments.count).toBeGreaterThan(0);
      if (state === 'compacted') expect([st.head.samples, files.every((f) => f.endsWith('-L1.seg'))]).toEqual([0, true]);
      if (state === 'restarted') expect([st.head.samples > 0, files.every((f) => f.endsWith('-L1.seg'))]).toEqual([true, true]);
      if (state !== 'head') {
        // The counter's blocks each lie in one day and overlap nothing: their summaries answer.
        expect(await segmentReads(io, () => COUNTER_DAY_SUM.run(engine))).toBe(0);
        expect(await segmentReads(io, () => engine.select({ matchers: [name('counter')], start: START, end: END }))).toBeGreaterThan(0);
      }
      for (const q of [COUNTER_DAY_SUM, ...queries()]) {
        const want = await q.run(model);
        const got = await q.run(engine);
        const diff = same(got, want, q.exact ?? false);
        if (diff) throw new Error(`${state}: ${q.what} differs (SEED=${seed}): ${diff}`);
      }
    } finally {
      await engine.close();
    }
  });
});
