// The fleet workload every benchmark shares: D devices with labels device/site/kind, four sensor
// metrics as smooth random walks rounded to 2 decimals, one sample per interval, deterministic from a
// seed, streamed in time order in chunks, plus the exact answers to the benchmark queries.
//
// Every series has its own random stream, seeded from (seed, device, metric), so one series can be
// regenerated on its own (for expected answers) and a device looks the same in fleets of any size.

export const METRICS = ['temperature', 'humidity', 'pressure', 'battery'] as const;
export type MetricName = (typeof METRICS)[number];

export const KINDS = ['k1', 'k2', 'k3'] as const;

export interface FleetOptions {
  /** Number of devices (default 1,000). */
  devices?: number;
  /** Length of the range in hours (default 6); may be fractional if it is a whole number of intervals. */
  hours?: number;
  /** Time between two samples of a series (default 10 s). */
  intervalMs?: number;
  /** Seed of every random stream (default 1). */
  seed?: number;
  /** Exclusive end of the range; default the start of the current UTC hour ("aligned now"). */
  endMs?: number;
  /** Number of sites the devices are spread over, round robin (default 20). */
  sites?: number;
}

export interface FleetSeries {
  /** Position in `Fleet.series`: device * 4 + metric index. */
  index: number;
  device: number;
  metric: MetricName;
  labels: { device: string; site: string; kind: string };
}

/**
 * Samples in time order. `series[i]` indexes `Fleet.series`; all arrays have `length` entries.
 * Every chunk has arrays of its own, so a caller may keep them.
 */
export interface SampleChunk {
  length: number;
  series: Uint32Array;
  timestampsMs: Float64Array;
  values: Float64Array;
}

export interface ChunkOptions {
  /** Only the devices d with d % shards === shard (default: every device). */
  shard?: number;
  shards?: number;
}

/** A time-ordered run of points: raw samples, or bucket starts with their means. */
export interface Points {
  timestampsMs: Float64Array;
  values: Float64Array;
}

export interface LastValue {
  device: string;
  timestampMs: number;
  value: number;
}

/** How one metric walks: value' = value + velocity + drift + (mean - value) * revert, within [lo, hi]. */
interface WalkParams {
  mean: number;
  amplitude: number;
  drift: number;
  revert: number;
  lo: number;
  hi: number;
  start: number;
}

const VELOCITY_DAMPING = 0.95;
const HOUR_MS = 3_600_000;

/** mulberry32: a tiny, fast 32-bit generator; state is one uint32. */
function nextUniform(state: Uint32Array, i: number): number {
  const s = (state[i] + 0x6d2b79f5) | 0;
  state[i] = s;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Mixes integers into a well-spread 32-bit seed (murmur3's finaliser). */
function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`fleet option ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * The fleet workload.
 * @example
 * const fleet = new Fleet({ devices: 20, hours: 1, seed: 7 });
 * for (const chunk of fleet.chunks(5000)) send(chunk);
 * fleet.fleetMeans('temperature', 60_000); // what an "avg across the fleet per minute" must answer
 */
export class Fleet {
  readonly devices: number;
  readonly sites: number;
  readonly seed: number;
  readonly intervalMs: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Samples per series: one per interval in [startMs, endMs). */
  readonly steps: number;
  readonly series: readonly FleetSeries[];
  private readonly walks: WalkParams[];

  constructor(options: FleetOptions = {}) {
    this.devices = options.devices ?? 1000;
    this.sites = options.sites ?? 20;
    this.seed = options.seed ?? 1;
    this.intervalMs = options.intervalMs ?? 10_000;
    const durationMs = Math.round((options.hours ?? 6) * HOUR_MS);
    this.endMs = options.endMs ?? Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    requireInteger('devices', this.devices, 1);
    requireInteger('sites', this.sites, 1);
    requireInteger('seed', this.seed, 0);
    requireInteger('intervalMs', this.intervalMs, 1);
    requireInteger('endMs', this.endMs, 0);
    if (durationMs <= 0 || durationMs % this.intervalMs !== 0) {
      throw new RangeError(`fleet option hours must be a positive whole number of ${this.intervalMs} ms intervals, got ${options.hours}`);
    }
    this.steps = durationMs / this.intervalMs;
    this.startMs = this.endMs - durationMs;
    const width = Math.max(4, String(this.devices).length);
    const series: FleetSeries[] = [];
    this.walks = [];
    for (let d = 0; d < this.devices; d++) {
      const deviceRng = Uint32Array.of(mixSeed(this.seed, d, 0x5eed));
      const labels = {
        device: `dev-${String(d + 1).padStart(width, '0')}`,
        site: `site-${String((d % this.sites) + 1).padStart(2, '0')}`,
        kind: KINDS[Math.floor(nextUniform(deviceRng, 0) * KINDS.length)],
      };
      for (let m = 0; m < METRICS.length; m++) {
        series.push({ index: series.length, device: d, metric: METRICS[m], labels });
        this.walks.push(walkFor(METRICS[m], nextUniform(deviceRng, 0)));
      }
    }
    this.series = series;
  }

  /** Total number of samples: every series has one per step. */
  get sampleCount(): number {
    return this.series.length * this.steps;
  }

  /** Samples of all series (or a metric) with timestamps in [startMs, endMs). */
  count(startMs = this.startMs, endMs = this.endMs, metric?: MetricName): number {
    const first = Math.max(0, Math.ceil((startMs - this.startMs) / this.intervalMs));
    const last = Math.min(this.steps, Math.ceil((endMs - this.startMs) / this.intervalMs));
    const perSeries = Math.max(0, last - first);
    return perSeries * (metric ? this.devices : this.series.length);
  }

  /** The index of a device's series of one metric. */
  seriesIndex(device: number, metric: MetricName): number {
    const m = METRICS.indexOf(metric);
    if (m < 0 || device < 0 || device >= this.devices) throw new RangeError(`no series for device ${device} metric ${metric}`);
    return device * METRICS.length + m;
  }

  /**
   * Samples in time order (every selected series at step k before step k+1), `samplesPerChunk` at a
   * time; the last chunk may be shorter. Nothing is kept between chunks.
   */
  *chunks(samplesPerChunk: number, options: ChunkOptions = {}): Generator<SampleChunk> {
    requireInteger('samplesPerChunk', samplesPerChunk, 1);
    const shards = options.shards ?? 1;
    const shard = options.shard ?? 0;
    requireInteger('shards', shards, 1);
    if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw new RangeError(`shard must be in [0, ${shards}), got ${shard}`);
    const selected: number[] = [];
    for (const s of this.series) if (s.device % shards === shard) selected.push(s.index);
    const n = selected.length;
    const walk = new WalkState(this, Uint32Array.from(selected));
    let chunk = newChunk(samplesPerChunk);
    let filled = 0;
    for (let step = 0; step < this.steps; step++) {
      const t = this.startMs + step * this.intervalMs;
      for (let i = 0; i < n; i++) {
        chunk.series[filled] = walk.seriesIndexes[i];
        chunk.timestampsMs[filled] = t;
        chunk.values[filled] = walk.next(i);
        if (++filled === samplesPerChunk) {
          yield chunk;
          chunk = newChunk(samplesPerChunk);
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      yield { length: filled, series: chunk.series.subarray(0, filled), timestampsMs: chunk.timestampsMs.subarray(0, filled), values: chunk.values.subarray(0, filled) };
    }
  }

  /** Every value of one series, one per step, regenerated from its own stream. */
  seriesValues(seriesIndex: number): Float64Array {
    if (!Number.isInteger(seriesIndex) || seriesIndex < 0 || seriesIndex >= this.series.length) throw new RangeError(`no series ${seriesIndex}`);
    const walk = new WalkState(this, Uint32Array.of(seriesIndex));
    const values = new Float64Array(this.steps);
    for (let step = 0; step < this.steps; step++) values[step] = walk.next(0);
    return values;
  }

  /** Raw samples of one device's metric with timestamps in [startMs, endMs). */
  raw(device: number, metric: MetricName, startMs = this.startMs, endMs = this.endMs): Points {
    const values = this.seriesValues(this.seriesIndex(device, metric));
    const first = Math.max(0, Math.ceil((startMs - this.startMs) / this.intervalMs));
    const last = Math.min(this.steps, Math.ceil((endMs - this.startMs) / this.intervalMs));
    const timestampsMs = new Float64Array(Math.max(0, last - first));
    for (let i = 0; i < timestampsMs.length; i++) timestampsMs[i] = this.startMs + (first + i) * this.intervalMs;
    return { timestampsMs, values: values.slice(first, Math.max(first, last)) };
  }

  /**
   * Mean of every sample of `metric` across the whole fleet, per bucket of `bucketMs` (buckets start
   * at multiples of bucketMs since the epoch), over [startMs, endMs). Only buckets holding samples.
   */
  fleetMeans(metric: MetricName, bucketMs: number, startMs = this.startMs, endMs = this.endMs): Points {
    return this.groupMeans(metric, bucketMs, startMs, endMs, () => 'fleet').get('fleet') ?? emptyPoints();
  }

  /** Like fleetMeans, one run of bucket means per site (keyed by the site label). */
  siteMeans(metric: MetricName, bucketMs: number, startMs = this.startMs, endMs = this.endMs): Map<string, Points> {
    return this.groupMeans(metric, bucketMs, startMs, endMs, (s) => s.labels.site);
  }

  /** The last sample of `metric` of every device, in device order. */
  last(metric: MetricName): LastValue[] {
    const out: LastValue[] = [];
    const timestampMs = this.startMs + (this.steps - 1) * this.intervalMs;
    for (let d = 0; d < this.devices; d++) {
      const values = this.seriesValues(this.seriesIndex(d, metric));
      out.push({ device: this.series[d * METRICS.length].labels.device, timestampMs, value: values[this.steps - 1] });
    }
    return out;
  }

  private groupMeans(metric: MetricName, bucketMs: number, startMs: number, endMs: number, groupOf: (s: FleetSeries) => string): Map<string, Points> {
    requireInteger('bucketMs', bucketMs, 1);
    const first = Math.max(0, Math.ceil((startMs - this.startMs) / this.intervalMs));
    const last = Math.min(this.steps, Math.ceil((endMs - this.startMs) / this.intervalMs));
    if (last <= first) return new Map();
    const firstBucket = Math.floor((this.startMs + first * this.intervalMs) / bucketMs);
    const buckets = Math.floor((this.startMs + (last - 1) * this.intervalMs) / bucketMs) - firstBucket + 1;
    const sums = new Map<string, { sum: Float64Array; count: Float64Array }>();
    for (const s of this.series) {
      if (s.metric !== metric) continue;
      const group = groupOf(s);
      let acc = sums.get(group);
      if (!acc) {
        acc = { sum: new Float64Array(buckets), count: new Float64Array(buckets) };
        sums.set(group, acc);
      }
      const values = this.seriesValues(s.index);
      for (let step = first; step < last; step++) {
        const b = Math.floor((this.startMs + step * this.intervalMs) / bucketMs) - firstBucket;
        acc.sum[b] += values[step];
        acc.count[b]++;
      }
    }
    const out = new Map<string, Points>();
    for (const [group, { sum, count }] of [...sums].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const timestampsMs: number[] = [];
      const values: number[] = [];
      for (let b = 0; b < buckets; b++) {
        if (count[b] === 0) continue;
        timestampsMs.push((firstBucket + b) * bucketMs);
        values.push(sum[b] / count[b]);
      }
      out.set(group, { timestampsMs: Float64Array.from(timestampsMs), values: Float64Array.from(values) });
    }
    return out;
  }

  /** @internal the walk parameters of one series, for WalkState. */
  walkOf(seriesIndex: number): WalkParams {
    return this.walks[seriesIndex];
  }
}

/** Per-metric behaviour; `u` in [0, 1) picks where this device sits in the metric's range. */
function walkFor(metric: MetricName, u: number): WalkParams {
  switch (metric) {
    case 'temperature':
      return { mean: 15 + 10 * u, amplitude: 0.004, drift: 0, revert: 0.002, lo: -40, hi: 85, start: 15 + 10 * u };
    case 'humidity':
      return { mean: 35 + 30 * u, amplitude: 0.01, drift: 0, revert: 0.002, lo: 0, hi: 100, start: 35 + 30 * u };
    case 'pressure':
      return { mean: 998 + 30 * u, amplitude: 0.006, drift: 0, revert: 0.001, lo: 900, hi: 1100, start: 998 + 30 * u };
    case 'battery':
      // Drains 0.0005–0.0025 % per sample, i.e. 1–5 % over six hours, from a charge of 50–100 %.
      return { mean: 0, amplitude: 0.0002, drift: -(0.0005 + 0.002 * u), revert: 0, lo: 0, hi: 100, start: 50 + 50 * u };
  }
}

/** The moving state of a set of series: position, velocity and random stream of each. */
class WalkState {
  private readonly rng: Uint32Array;
  private readonly value: Float64Array;
  private readonly velocity: Float64Array;
  private readonly params: WalkParams[];

  constructor(
    fleet: Fleet,
    readonly seriesIndexes: Uint32Array,
  ) {
    const n = seriesIndexes.length;
    this.rng = new Uint32Array(n);
    this.value = new Float64Array(n);
    this.velocity = new Float64Array(n);
    this.params = [];
    for (let i = 0; i < n; i++) {
      const s = fleet.series[seriesIndexes[i]];
      const p = fleet.walkOf(s.index);
      this.params.push(p);
      this.rng[i] = mixSeed(fleet.seed, s.device, s.index % METRICS.length, 0xa11ce);
      this.value[i] = p.start;
    }
  }

  /** The next value of series i, rounded to 2 decimals (the nearest double to a whole number of hundredths). */
  next(i: number): number {
    const p = this.params[i];
    const v = VELOCITY_DAMPING * this.velocity[i] + p.amplitude * (2 * nextUniform(this.rng, i) - 1);
    this.velocity[i] = v;
    let x = this.value[i] + v + p.drift + (p.mean - this.value[i]) * p.revert;
    if (x < p.lo) x = p.lo;
    else if (x > p.hi) x = p.hi;
    this.value[i] = x;
    return Math.round(x * 100) / 100;
  }
}

function newChunk(size: number): SampleChunk {
  return { length: size, series: new Uint32Array(size), timestampsMs: new Float64Array(size), values: new Float64Array(size) };
}

function emptyPoints(): Points {
  return { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
}
