// Engine-level benchmark on the fleet workload (no HTTP): ingest with default durability from 4
// concurrent writers in batches of 5,000 samples, peak RSS, recovery after kill -9, bytes per sample
// once compacted, and the latency of the five fleet queries, every answer checked against the
// generator.
// Usage: node bench/run-ts.js bench/engine/fleet.ts [--devices 1000] [--hours 6] [--seed 1] [--runs 20]
//
// Ingest runs in a child process that is SIGKILLed once it has printed its figures; recovery is timed
// from spawning a fresh process until a full count answers exactly (Node's own start-up included).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../sidecar/src/engine/engine';
import { LabelSet, Matcher } from '../../sidecar/src/engine/model/types';
import { Fleet, METRICS, SampleChunk } from '../workload/fleet';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const DEVICES = Number(arg('devices', '1000'));
const HOURS = Number(arg('hours', '6'));
const SEED = Number(arg('seed', '1'));
const RUNS = Number(arg('runs', '20'));
const BATCH = 5000;
const WRITERS = 4;
const END_MS = Date.UTC(2026, 10, 25, 12);

const fleet = new Fleet({ devices: DEVICES, hours: HOURS, seed: SEED, endMs: END_MS });
const name = (v: string): Matcher => ({ name: '__name__', op: '=', value: v });

function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

async function countAll(engine: Engine): Promise<number> {
  const [all] = await engine.aggregate({ matchers: [], start: fleet.startMs, end: fleet.endMs, step: fleet.endMs - fleet.startMs, agg: 'count', groupBy: [], crossAgg: 'sum' });
  return all ? all.values[0] : 0;
}

/** Child: ingest the whole fleet, print the figures, wait to be killed. */
async function ingest(dir: string): Promise<void> {
  const fsyncMs: number[] = [];
  const engine = await Engine.open({ dataDir: dir, observer: { onFsync: (ms) => fsyncMs.push(ms) } });
  const labels = fleet.series.map((s) => ({ __name__: s.metric, ...s.labels }));
  const chunks = fleet.chunks(BATCH);
  let latencyMaxMs = 0;
  // Write latency while a compaction runs, and while none does: does merging stall ingest?
  const duringCompaction: number[] = [];
  const outsideCompaction: number[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Each chunk becomes one columnar batch, grouped by series as the sidecar's ingest parsers group a
  // request: the engine's columnar write takes it without an object per sample.
  const series = fleet.series.map((_, i) => ({ labels: labels[i], ref: -1 }));
  async function writer(): Promise<void> {
    for (;;) {
      const next = chunks.next();
      if (next.done) return;
      const batch = columnsOf(next.value, series);
      const compacting = engine.stats().compaction.running;
      const w0 = performance.now();
      const r = await engine.writeColumns(batch);
      const ms = performance.now() - w0;
      latencyMaxMs = Math.max(latencyMaxMs, ms);
      (compacting || engine.stats().compaction.running ? duringCompaction : outsideCompaction).push(ms);
      if (r.rejected) throw new Error(`rejected ${r.rejected}: ${JSON.stringify(r.rejections[0])}`);
      batch.series.forEach((s, i) => (s.ref = r.refs[i]));
    }
  }
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const count = await countAll(engine);
  if (count !== fleet.sampleCount) throw new Error(`count ${count} != ${fleet.sampleCount}`);
  const wal = engine.stats().wal;
  process.stdout.write(
    JSON.stringify({
      samplesPerSec: fleet.sampleCount / seconds,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMiB: peakRssMiB(),
      writeLatencyMaxMs: latencyMaxMs,
      fsyncs: wal.fsyncs,
      avgGroupSize: wal.avgGroupSize,
      fsyncLatencyMsAvg: wal.fsyncLatencyMsAvg,
      compactions: engine.stats().compaction.runs,
      writesDuringCompaction: duringCompaction.length,
      writeLatencyMsDuringCompaction: { ...stats(duringCompaction), max: Math.max(...duringCompaction) },
      writeLatencyMsOutsideCompaction: { ...stats(outsideCompaction), max: Math.max(...outsideCompaction) },
      fsyncLatencyMsMedian: stats(fsyncMs).median,
      fsyncLatencyMsP95: stats(fsyncMs).p95,
    }) + '\n',
  );
  await new Promise(() => undefined);
}

/** Per series index: its slot in the batch being built, valid while `stampOf` holds that batch's stamp. */
let slotOf = new Int32Array(0);
let stampOf = new Int32Array(0);
let stamp = 0;

/** A chunk's samples grouped by series (a counting sort), as one columnar batch. */
function columnsOf(c: SampleChunk, series: Array<{ labels: LabelSet; ref: number }>): { series: Array<{ labels: LabelSet; ref: number }>; offsets: Int32Array; timestamps: Float64Array; values: Float64Array } {
  if (slotOf.length < series.length) {
    slotOf = new Int32Array(series.length);
    stampOf = new Int32Array(series.length);
  }
  stamp++;
  const order: number[] = [];
  for (let i = 0; i < c.length; i++) {
    const s = c.series[i];
    if (stampOf[s] !== stamp) {
      stampOf[s] = stamp;
      slotOf[s] = order.length;
      order.push(s);
    }
  }
  const offsets = new Int32Array(order.length + 1);
  for (let i = 0; i < c.length; i++) offsets[slotOf[c.series[i]] + 1]++;
  for (let k = 1; k <= order.length; k++) offsets[k] += offsets[k - 1];
  const at = offsets.slice(0, order.length);
  const timestamps = new Float64Array(c.length);
  const values = new Float64Array(c.length);
  for (let i = 0; i < c.length; i++) {
    const j = at[slotOf[c.series[i]]]++;
    timestamps[j] = c.timestampsMs[i];
    values[j] = c.values[i];
  }
  return { series: order.map((s) => series[s]), offsets, timestamps, values };
}

/** Child: open after a crash and answer a full count. */
async function recover(dir: string): Promise<void> {
  const engine = await Engine.open({ dataDir: dir });
  const readyMs = performance.now();
  const count = await countAll(engine);
  if (count !== fleet.sampleCount) throw new Error(`after recovery, count ${count} != ${fleet.sampleCount}`);
  process.stdout.write(JSON.stringify({ readyMs, queryableMs: performance.now(), peakRssMiB: peakRssMiB() }) + '\n');
  await engine.close();
}

function child(role: string, dir: string, killOnLine: boolean): Promise<{ line: Record<string, number>; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = ['--devices', String(DEVICES), '--hours', String(HOURS), '--seed', String(SEED), '--role', role, '--dir', dir];
    const p = spawn(process.execPath, [process.argv[1], ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let line: Record<string, number> | undefined;
    let wallMs = 0;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0 && !line) {
        wallMs = performance.now() - t0;
        line = JSON.parse(out.slice(0, nl));
        if (killOnLine) p.kill('SIGKILL');
      }
    });
    p.on('exit', (code, signal) => (line ? resolve({ line, wallMs }) : reject(new Error(`${role} exited with ${code ?? signal}`))));
  });
}

function stats(xs: number[]): { median: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)] };
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`wrong answer: ${what}`);
}

async function queries(dir: string): Promise<Record<string, unknown>> {
  const engine = await Engine.open({ dataDir: dir, compactionIntervalMs: 0 });
  await engine.flush();
  await engine.compact();
  await engine.compact();
  const st = engine.stats();
  const segmentBytes = st.segments.bytes;
  const dev = fleet.series[0].labels.device;
  const hourAgo = fleet.endMs - 3_600_000;
  const q1want = fleet.raw(0, 'temperature', hourAgo, fleet.endMs);
  const q2want = fleet.fleetMeans('temperature', 60_000);
  const q3want = fleet.siteMeans('temperature', 300_000);
  const q4want = fleet.last('temperature');
  const cases: Record<string, () => Promise<void>> = {
    Q1: async () => {
      const [s] = await engine.select({ matchers: [name('temperature'), { name: 'device', op: '=', value: dev }], start: hourAgo, end: fleet.endMs });
      check(s.timestamps.length === q1want.timestampsMs.length && s.values.every((v, i) => v === q1want.values[i]), 'Q1');
    },
    Q2: async () => {
      const [s] = await engine.aggregate({ matchers: [name('temperature')], start: fleet.startMs, end: fleet.endMs, step: 60_000, agg: 'avg', groupBy: [], crossAgg: 'avg' });
      check(s.values.length === q2want.values.length && s.values.every((v, i) => close(v, q2want.values[i])), 'Q2');
    },
    Q3: async () => {
      const r = await engine.aggregate({ matchers: [name('temperature')], start: fleet.startMs, end: fleet.endMs, step: 300_000, agg: 'avg', groupBy: ['site'], crossAgg: 'avg' });
      check(r.length === q3want.size && r.every((s) => s.values.every((v, i) => close(v, q3want.get(s.labels.site)!.values[i]))), 'Q3');
    },
    Q4: async () => {
      const r = await engine.latest({ matchers: [name('temperature')] });
      const want = new Map(q4want.map((l) => [l.device, l.value]));
      check(r.length === DEVICES && r.every((l) => want.get(l.labels.device) === l.v), 'Q4');
    },
    Q5: async () => {
      const r = await engine.select({ matchers: [{ name: 'device', op: '=', value: dev }], start: fleet.startMs, end: fleet.endMs });
      check(r.length === METRICS.length && r.every((s) => s.timestamps.length === fleet.steps), 'Q5');
    },
  };
  const latency: Record<string, { median: number; p95: number }> = {};
  for (const [q, run] of Object.entries(cases)) {
    for (let i = 0; i < 3; i++) await run();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    latency[q] = stats(times);
  }
  // Closing cuts the WAL back to what it holds: what an idle store keeps on disk.
  await engine.close();
  return { segmentBytes, segments: st.segments.count, diskBytes: dirBytes(dir), latency };
}

async function main(): Promise<void> {
  const role = arg('role', 'main');
  const dir = arg('dir', '');
  if (role === 'ingest') return ingest(dir);
  if (role === 'recover') return recover(dir);
  if (role !== 'main') throw new Error(`unknown --role ${role}`);
  const work = mkdtempSync(join(tmpdir(), 'ss-bench-engine-'));
  try {
    console.log(`# engine fleet benchmark: ${DEVICES} devices × 4 metrics × ${fleet.steps} steps = ${fleet.sampleCount} samples (seed ${SEED})`);
    const ing = await child('ingest', work, true);
    console.log(`ingest        ${(ing.line.samplesPerSec / 1e6).toFixed(2)} M samples/s (${ing.line.seconds.toFixed(2)} s, ${ing.line.cpuSeconds.toFixed(2)} CPU-s), peak RSS ${ing.line.peakRssMiB.toFixed(0)} MiB, max write latency ${ing.line.writeLatencyMaxMs.toFixed(1)} ms, ${ing.line.fsyncs} fsyncs (avg group ${ing.line.avgGroupSize.toFixed(1)}, median ${ing.line.fsyncLatencyMsMedian.toFixed(2)} ms, p95 ${ing.line.fsyncLatencyMsP95.toFixed(2)} ms)`);
    const during = ing.line.writeLatencyMsDuringCompaction as unknown as { median: number; p95: number; max: number };
    const outside = ing.line.writeLatencyMsOutsideCompaction as unknown as { median: number; p95: number; max: number };
    const fmt = (x: { median: number; p95: number; max: number }) => `median ${x.median.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms, max ${x.max.toFixed(1)} ms`;
    console.log(`compaction    ${ing.line.compactions} merges during the ingest; write latency while merging (${ing.line.writesDuringCompaction} writes): ${fmt(during)}; otherwise: ${fmt(outside)}`);
    const rec = await child('recover', work, false);
    console.log(`kill -9 → ready ${rec.line.readyMs.toFixed(0)} ms, every sample queryable ${rec.wallMs.toFixed(0)} ms after spawn (peak RSS ${rec.line.peakRssMiB.toFixed(0)} MiB)`);
    const q = await queries(work);
    const segBytes = q.segmentBytes as number;
    console.log(`disk          ${(segBytes / fleet.sampleCount).toFixed(3)} bytes/sample in ${q.segments} segments (${((q.diskBytes as number) / fleet.sampleCount).toFixed(3)} for the whole data directory once closed)`);
    for (const [k, v] of Object.entries(q.latency as Record<string, { median: number; p95: number }>)) {
      console.log(`${k}            median ${v.median.toFixed(2)} ms, p95 ${v.p95.toFixed(2)} ms`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
