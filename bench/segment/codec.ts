// Segment format benchmark: bytes per sample, encode and decode speed on the fleet workload
// (1,000 devices × 4 sensor metrics, every 10 s for 6 h = 8.64 M samples), for several block sizes,
// and the same figures on a noisier Prometheus-like workload so the fallbacks are known.
// Usage: node bench/run-ts.js bench/segment/codec.ts [--seed 1] [--runs 15] [--blocks 120,360,720,2160]
//
// Both workloads are generated here, deterministically from the seed. Every decoded sample is
// compared bit for bit with what was written before anything is timed, so a fast wrong decoder
// cannot pass. Timings are the fastest and the median of --runs runs after warm-up, with the CPU
// time of the median run (on a shared machine other processes stretch wall time).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileIO } from '../../sidecar/src/engine/fs/node-io';
import { BlockCache } from '../../sidecar/src/engine/segment/cache';
import { BlockRef, SegmentReader } from '../../sidecar/src/engine/segment/reader';
import { encodeBlock, summarize } from '../../sidecar/src/engine/segment/block';
import { ByteWriter } from '../../sidecar/src/engine/segment/bytes';
import { DEFAULT_BLOCK_SAMPLES, SegmentSeries, writeSegment } from '../../sidecar/src/engine/segment/writer';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const SEED = Number(arg('seed', '1'));
const RUNS = Number(arg('runs', '15'));
const BLOCK_SIZES = arg('blocks', '120,240,360,720,1080,2160').split(',').map(Number);
const START_MS = Date.UTC(2026, 0, 15, 6);
const DEVICES = 1000;
const STEPS = 2160;

/** mulberry32 seeded per series, so any series can be regenerated alone. */
function rng(...parts: number[]): () => number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ p, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  let s = h >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal from two uniforms (Box–Muller). */
function gauss(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

// Each metric is a smooth walk: velocity' = 0.9 velocity + noise, value' = value + velocity + drift
// + pull back to the device's mean; rounded to 2 decimals. Noise is chosen so a series spans
// its stated range over hours, with typical 10 s changes of a few hundredths.
const METRICS = [
  { name: 'battery', mean: (u: number) => 60 + 40 * u, noise: 0.002, revert: 0, drift: (u: number) => -(0.0005 + 0.004 * u), lo: 0, hi: 100 },
  { name: 'humidity', mean: (u: number) => 30 + 40 * u, noise: 0.01, revert: 0.002, drift: () => 0, lo: 0, hi: 100 },
  { name: 'pressure', mean: (u: number) => 993 + 40 * u, noise: 0.005, revert: 0.001, drift: () => 0, lo: 900, hi: 1100 },
  { name: 'temperature', mean: (u: number) => 15 + 10 * u, noise: 0.004, revert: 0.002, drift: () => 0, lo: -40, hi: 85 },
] as const;

function device(d: number): string {
  return `dev-${String(d).padStart(4, '0')}`;
}

function fleetSeries(metric: number, d: number, noiseScale: number): SegmentSeries {
  const m = METRICS[metric];
  const u = rng(SEED, metric, d);
  const level = u();
  const mean = m.mean(level);
  const drift = m.drift(u());
  const timestamps = new Float64Array(STEPS);
  const values = new Float64Array(STEPS);
  let x = mean;
  let velocity = 0;
  for (let i = 0; i < STEPS; i++) {
    timestamps[i] = START_MS + i * 10_000;
    velocity = 0.9 * velocity + m.noise * noiseScale * gauss(u);
    x = Math.min(m.hi, Math.max(m.lo, x + velocity + drift + (mean - x) * m.revert));
    values[i] = Math.round(x * 100) / 100;
  }
  return { labels: { __name__: m.name, device: device(d), site: `site-${String(d % 20).padStart(2, '0')}` }, timestamps, values };
}

/** The fleet in label order (metric name, then device): what a head flush would hand the writer. */
function* fleet(noiseScale = 1): Generator<SegmentSeries> {
  for (let metric = 0; metric < METRICS.length; metric++) {
    for (let d = 0; d < DEVICES; d++) yield fleetSeries(metric, d, noiseScale);
  }
}

// The noisy case: Prometheus scrapes every 15 s with ±25 ms jitter and 1 % missed scrapes, of
// counters, CPU seconds, memory gauges in bytes, and ratios computed in floating point.
const NOISY_KINDS = ['http_requests_total', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'cache_hit_ratio'] as const;

function noisySeries(kind: number, d: number): SegmentSeries {
  const u = rng(SEED, 1000 + kind, d);
  const ts: number[] = [];
  const vs: number[] = [];
  let requests = Math.floor(u() * 1e6);
  let cpuCentis = Math.floor(u() * 1e6);
  let memory = 50e6 + Math.floor(u() * 1e8);
  let hits = 1;
  let lookups = 1;
  for (let i = 0; i < 1440; i++) {
    if (u() < 0.01) continue;
    ts.push(START_MS + i * 15_000 + Math.round((u() - 0.5) * 50));
    requests += Math.round(40 + 20 * gauss(u) ** 2);
    cpuCentis += Math.floor(u() * 30);
    memory += Math.round(gauss(u) * 200_000);
    lookups += 100 + Math.floor(u() * 50);
    hits += Math.floor(u() * 100);
    vs.push([requests, cpuCentis / 100, memory, hits / lookups][kind]);
  }
  return {
    labels: { __name__: NOISY_KINDS[kind], instance: `host-${String(d).padStart(4, '0')}:9100`, job: 'node' },
    timestamps: Float64Array.from(ts),
    values: Float64Array.from(vs),
  };
}

function* noisy(kinds: readonly number[]): Generator<SegmentSeries> {
  const sorted = [...kinds].sort((a, b) => NOISY_KINDS[a].localeCompare(NOISY_KINDS[b]));
  for (const kind of sorted) for (let d = 0; d < DEVICES; d++) yield noisySeries(kind, d);
}

interface Timing {
  bestMs: number;
  medianMs: number;
  cpuMs: number;
}

async function time(run: () => unknown, runs = RUNS, warmup = 3): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    samples.push({ wall, cpu: (cpu.user + cpu.system) / 1000 });
  }
  samples.sort((a, b) => a.wall - b.wall);
  const median = samples[Math.floor(samples.length / 2)];
  return { bestMs: samples[0].wall, medianMs: median.wall, cpuMs: median.cpu };
}

const rate = (samples: number, ms: number): string => `${(samples / ms / 1000).toFixed(1)} M/s`;
const fmt = (t: Timing, samples: number): string =>
  `cpu ${t.cpuMs.toFixed(1)} ms (${rate(samples, t.cpuMs)}); wall best ${t.bestMs.toFixed(1)} ms (${rate(samples, t.bestMs)}), median ${t.medianMs.toFixed(1)} ms`;

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.every((v, i) => v === y[i]);
}

const io = new NodeFileIO();

/** Writes a segment, checks every sample reads back identically, returns its size and reader. */
async function writeAndCheck(dir: string, name: string, source: () => Iterable<SegmentSeries>, blockSamples: number) {
  const info = await writeSegment(io, dir, name, source(), { blockSamples });
  const reader = await SegmentReader.open(io, join(dir, name), { cache: new BlockCache(256 * 1024 * 1024) });
  let i = 0;
  for (const want of source()) {
    const [got] = await reader.readSeries([{ series: i++ }]);
    if (!sameBits(got.timestamps, want.timestamps) || !sameBits(got.values, want.values)) {
      throw new Error(`${name}: series ${i - 1} does not read back bit for bit`);
    }
  }
  return { info, reader };
}

/** Decodes every block of the reader (payloads already cached) into two reused arrays. */
async function decodeAll(reader: SegmentReader): Promise<() => void> {
  const refs: BlockRef[] = reader.series.flatMap((s, series) => s.blocks.map((_, block) => ({ series, block })));
  const payloads = await reader.readBlocks(refs);
  const maxCount = Math.max(...reader.series.flatMap((s) => s.blocks.map((b) => b.count)));
  const ts = new Float64Array(maxCount);
  const vs = new Float64Array(maxCount);
  return () => {
    for (let k = 0; k < refs.length; k++) reader.decodeBlock(refs[k], payloads[k], ts, vs);
  };
}

/** Encodes every series of the source into blocks in memory (no I/O, no index): the codec's cost. */
function encodeAll(series: SegmentSeries[], blockSamples: number): () => void {
  const w = new ByteWriter(64 * 1024 * 1024);
  return () => {
    w.pos = 0;
    for (const s of series) {
      const n = s.timestamps.length;
      const blocks = Math.ceil(n / blockSamples);
      const per = Math.ceil(n / blocks);
      for (let from = 0; from < n; from += per) {
        const count = Math.min(per, n - from);
        encodeBlock(w, s.timestamps, s.values, from, count);
        summarize(s.timestamps, s.values, from, count);
      }
    }
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-segment-'));
  try {
    const samples = DEVICES * METRICS.length * STEPS;
    console.log(`fleet workload: ${DEVICES} devices × ${METRICS.length} metrics × ${STEPS} samples = ${samples} samples, seed ${SEED}`);
    console.log('\nblock size: bytes/sample of the whole file, of which index, summaries and footer; decode speed');
    for (const blockSamples of BLOCK_SIZES) {
      const { info, reader } = await writeAndCheck(dir, `fleet-${blockSamples}`, () => fleet(), blockSamples);
      const decode = await time(await decodeAll(reader), 5, 1);
      const blockBytes = reader.series.reduce((n, s) => n + s.blocks.reduce((m, b) => m + b.sizeBytes, 0), 0);
      console.log(
        `  ${String(blockSamples).padStart(5)}: ${(info.sizeBytes / samples).toFixed(3)} B/sample (${(info.sizeBytes / 1e6).toFixed(2)} MB; ` +
          `index, summaries and footer ${((info.sizeBytes - blockBytes) / samples).toFixed(3)}), ` +
          `decode all blocks ${rate(samples, decode.cpuMs)} (cpu)`,
      );
      await reader.close();
    }

    const blockSamples = DEFAULT_BLOCK_SAMPLES;
    console.log(`\nat the default block size (${blockSamples}):`);
    const { info, reader } = await writeAndCheck(dir, 'fleet', () => fleet(), blockSamples);
    console.log(`  size: ${(info.sizeBytes / samples).toFixed(3)} bytes/sample`);
    const inMemory = [...fleet()];
    console.log(`  encode (blocks + summaries, in memory): ${fmt(await time(encodeAll(inMemory, blockSamples), 5, 1), samples)}`);
    const write = await time(() => writeSegment(io, dir, 'fleet-again', inMemory, { blockSamples }), 5, 1);
    console.log(`  writeSegment (checks, encode, CRC, index, write, fsync, rename): ${fmt(write, samples)}`);
    console.log(`  decode every block into reused arrays:  ${fmt(await time(await decodeAll(reader)), samples)}`);
    await reader.close();

    // A query over one metric of the whole fleet: 1,000 series, 2.16 M samples, fresh arrays.
    const temperature = Array.from({ length: DEVICES }, (_, d) => ({ series: 3 * DEVICES + d }));
    const querySamples = DEVICES * STEPS;
    const open = await time(async () => (await SegmentReader.open(io, join(dir, 'fleet'))).close());
    console.log(`  open (header, footer, CRC-checked index of 4,000 series / 12,000 blocks): ${fmt(open, samples).replace(/ \(.*?M\/s\)/g, '')}`);
    const uncachedReader = await SegmentReader.open(io, join(dir, 'fleet'));
    const uncached = await time(() => uncachedReader.readSeries(temperature));
    console.log(`  query 1,000 series / 2.16 M samples, nothing cached (read, CRC, decode): ${fmt(uncached, querySamples)}`);
    await uncachedReader.close();
    const cache = new BlockCache();
    const warmReader = await SegmentReader.open(io, join(dir, 'fleet'), { cache });
    const warm = await time(() => warmReader.readSeries(temperature));
    console.log(`  same query, blocks cached (decode only):                              ${fmt(warm, querySamples)}`);
    await warmReader.close();

    console.log('\nrougher sensors (4× the noise), default block size:');
    {
      const rough = await writeAndCheck(dir, 'rough', () => fleet(4), blockSamples);
      console.log(`  size: ${(rough.info.sizeBytes / samples).toFixed(3)} bytes/sample`);
      await rough.reader.close();
    }

    console.log('\nnoisy Prometheus-like workload (15 s ± 25 ms scrapes, 1 % missed), default block size:');
    for (const kinds of [[0], [1], [2], [3], [0, 1, 2, 3]]) {
      const label = kinds.length === 1 ? NOISY_KINDS[kinds[0]] : 'all four kinds';
      const noisyRun = await writeAndCheck(dir, `noisy-${kinds.join('')}`, () => noisy(kinds), blockSamples);
      const n = noisyRun.info.samples;
      const decode = await time(await decodeAll(noisyRun.reader), 5, 1);
      const encode = await time(encodeAll([...noisy(kinds)], blockSamples), 3, 1);
      console.log(
        `  ${label.padEnd(30)} ${(noisyRun.info.sizeBytes / n).toFixed(3)} B/sample, encode ${rate(n, encode.cpuMs)}, decode ${rate(n, decode.cpuMs)} (cpu)`,
      );
      await noisyRun.reader.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
