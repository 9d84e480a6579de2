// One benchmark run: every target on the same generated fleet, one after another on this machine,
// each on a fresh temp directory; returns every figure keyed by name and target. Every process it
// starts is stopped before it returns, whatever happens.
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { join } from 'path';
import { Fleet, METRICS } from '../workload/fleet';
import { BodySet, buildBodies, IngestFormat } from './bodies';
import { BenchError } from './errors';
import { ingest, IngestFigures, Instance, latency, restart, settle, start, waitQueryable } from './measure';
import { freePort } from './proc';
import { Answer, expectedAnswer, QUERY_IDS, QueryId, querySpec, QuerySpec } from './queries';
import { Target, TargetId } from './targets/target';

export interface BenchOptions {
  devices: number;
  hours: number;
  seed: number;
  /** Fleets end here (default: the start of the current hour). */
  endMs?: number;
  clients: number;
  samplesPerRequest: number;
  /** How far in data time one client may run ahead of the slowest (Prometheus refuses samples an hour older than its newest). */
  maxSkewMs: number;
  warmups: number;
  runs: number;
  settleQuietMs: number;
  settleTimeoutMs: number;
  readyTimeoutMs: number;
  queryableTimeoutMs: number;
  /** Fleet sizes of the scale figures (ingest and Q2); the main size reuses the main figures. */
  scale: number[];
  /** Measure restart after SIGKILL and after SIGTERM. */
  restarts: boolean;
  targets: Target[];
  workDir: string;
  keepData: boolean;
  memoryBudgetBytes: number;
  log: (line: string) => void;
}

/** figures[name][target] in base units: samples/s, seconds, bytes, milliseconds. */
export type Figures = Record<string, Partial<Record<TargetId, number>>>;

export interface RunResult {
  figures: Figures;
  /** Things a reader must know about this run (e.g. a size that did not settle). */
  notes: string[];
}

class Recorder {
  readonly figures: Figures = {};
  readonly notes: string[] = [];
  set(name: string, target: TargetId, value: number): void {
    (this.figures[name] ??= {})[target] = value;
  }
  ingest(prefix: string, target: TargetId, f: IngestFigures): void {
    this.set(`${prefix}.rate`, target, f.samplesPerSecond);
    this.set(`${prefix}.cpu`, target, f.cpuSeconds);
    // Per CPU-second holds up better than per second when other processes share the machine; the
    // floor is /proc's resolution of one clock tick, which tiny ingests can stay under.
    this.set(`${prefix}.perCpu`, target, f.samples / Math.max(f.cpuSeconds, 0.01));
    // What other processes on this shared machine took meanwhile, in cores: the noise in the figures above.
    this.set(`${prefix}.otherCores`, target, f.otherCpuSeconds / (f.queryableMs / 1000));
    this.set(`${prefix}.rss`, target, f.peakRssBytes);
  }
}

export async function runBenchmark(options: BenchOptions): Promise<RunResult> {
  mkdirSync(options.workDir, { recursive: true });
  const rec = new Recorder();
  await runFleet(options, rec, options.devices, true);
  for (const devices of options.scale) {
    if (devices === options.devices) {
      for (const [key, into] of [['ingest.lp.rate', 'lp'], ['ingest.rw.rate', 'rw'], ['q2.median', 'q2']] as const) {
        for (const [target, value] of Object.entries(rec.figures[key] ?? {})) rec.set(`scale.${devices}.${into}`, target as TargetId, value);
      }
    } else {
      await runFleet(options, rec, devices, false);
    }
  }
  return { figures: rec.figures, notes: rec.notes };
}

/** Runs every target on one fleet: the full set of figures (main) or ingest and Q2 (scale). */
async function runFleet(options: BenchOptions, rec: Recorder, devices: number, main: boolean): Promise<void> {
  const fleet = new Fleet({ devices, hours: options.hours, seed: options.seed, endMs: options.endMs });
  const spec = querySpec(fleet);
  const queries: QueryId[] = main ? [...QUERY_IDS] : ['q2'];
  const expected = new Map(queries.map((id) => [id, expectedAnswer(fleet, spec, id)]));
  const seriesPerClient = Math.ceil(devices / options.clients) * METRICS.length;
  const dataMsPerRequest = (options.samplesPerRequest / seriesPerClient) * fleet.intervalMs;
  const maxSkewRequests = Math.max(1, Math.floor(options.maxSkewMs / dataMsPerRequest));
  options.log(`fleet of ${devices} devices: ${fleet.sampleCount.toLocaleString('en-US')} samples from ${new Date(fleet.startMs).toISOString()} to ${new Date(fleet.endMs).toISOString()}`);
  for (const format of ['lp', 'rw'] as const) {
    const targets = options.targets.filter((t) => t.formats.includes(format));
    if (targets.length === 0) continue;
    const t0 = performance.now();
    const bodies = buildBodies(fleet, format, { samplesPerRequest: options.samplesPerRequest, clients: options.clients, memoryBudgetBytes: options.memoryBudgetBytes, spillDir: options.workDir });
    options.log(`  ${format === 'lp' ? 'line protocol' : 'remote write'}: ${bodies.requests(0) * options.clients} requests, ${(bodies.bytes / 2 ** 20).toFixed(0)} MiB${bodies.spilled ? ' (spilled to disk)' : ''}, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      for (const target of targets) {
        // The sidecar's queries, restarts and size come from its line-protocol instance; remote write adds its ingest figures.
        const primary = target.id !== 'sidecar' || format === 'lp';
        await runTarget(options, rec, { target, format, bodies, spec, expected, fleet, full: main && primary, queries: primary, maxSkewRequests, scaleKey: main ? undefined : `scale.${devices}` });
      }
    } finally {
      bodies.dispose();
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
}

interface TargetJob {
  target: Target;
  format: IngestFormat;
  bodies: BodySet;
  spec: QuerySpec;
  expected: Map<QueryId, Answer>;
  fleet: Fleet;
  /** All figures (restart, disk, every query) rather than ingest (and Q2 for scale). */
  full: boolean;
  /** Run the queries on this instance. */
  queries: boolean;
  /** How many requests one client may run ahead of the slowest. */
  maxSkewRequests: number;
  scaleKey?: string;
}

async function runTarget(options: BenchOptions, rec: Recorder, job: TargetJob): Promise<void> {
  const { target, format, bodies, spec } = job;
  const name = `${target.id} (${format})`;
  const timeouts = { readyTimeoutMs: options.readyTimeoutMs, queryableTimeoutMs: options.queryableTimeoutMs };
  const ingestOptions = { maxSkew: job.maxSkewRequests, queryableTimeoutMs: options.queryableTimeoutMs };
  const instances: Instance[] = [];
  const dirs: string[] = [];
  const fresh = async () => {
    const dir = mkdtempSync(join(options.workDir, `${target.id}-${format}-`));
    dirs.push(dir);
    const { instance } = await start(target, dir, await freePort(), true, options.readyTimeoutMs);
    instances.push(instance);
    return instance;
  };
  try {
    let instance = await fresh();
    const ing = await ingest(instance, bodies, spec, ingestOptions);
    options.log(
      `  ${name}: ingest ${fmtRate(ing.samplesPerSecond)} samples/s (acknowledged in ${(ing.ackMs / 1000).toFixed(2)} s, all queryable at ${(ing.queryableMs / 1000).toFixed(2)} s), server ${ing.cpuSeconds.toFixed(1)} CPU-s, client ${ing.clientCpuSeconds.toFixed(1)} CPU-s, other processes ${ing.otherCpuSeconds.toFixed(1)} CPU-s`,
    );
    if (job.scaleKey) {
      rec.set(`${job.scaleKey}.${format}`, target.id, ing.samplesPerSecond);
    } else {
      rec.ingest(`ingest.${format}`, target.id, ing);
    }
    let peakRss = ing.peakRssBytes;
    if (job.full && options.restarts) {
      peakRss = Math.max(peakRss, instance.proc.peakRssBytes());
      const killed = await restart(instance, 'SIGKILL', bodies.sampleCount, spec, timeouts);
      instance = killed.instance;
      instances.push(instance);
      rec.set('kill.ready', target.id, killed.figures.readyMs / 1000);
      rec.set('kill.queryable', target.id, killed.figures.queryableMs / 1000);
      options.log(`  ${name}: after SIGKILL ready in ${(killed.figures.readyMs / 1000).toFixed(2)} s, all queryable in ${(killed.figures.queryableMs / 1000).toFixed(2)} s`);
    }
    if (job.full) {
      const settled = await settle(instance, options.settleQuietMs, options.settleTimeoutMs);
      // A size only counts if every sample is still there after the flushes and compactions.
      await waitQueryable(instance, spec, bodies.sampleCount, performance.now(), 0, 'after settling');
      rec.set('disk.bytesPerSample', target.id, settled.bytes / job.fleet.sampleCount);
      if (!settled.settled) rec.notes.push(`${target.id}: had not settled after ${options.settleTimeoutMs / 1000} s (files still changing or work still pending); its size on disk is the last one seen.`);
      options.log(`  ${name}: ${(settled.bytes / 2 ** 20).toFixed(1)} MiB on disk (${(settled.bytes / job.fleet.sampleCount).toFixed(2)} bytes/sample) after ${(settled.waitedMs / 1000).toFixed(0)} s`);
    }
    if (job.queries) await runQueries(options, rec, job, instance);
    if (job.full) rec.set('rss.peak', target.id, Math.max(peakRss, instance.proc.peakRssBytes()));
    await instance.proc.stop('SIGTERM');
    if (job.full && options.restarts) {
      const second = await fresh();
      await ingest(second, bodies, spec, ingestOptions);
      const termed = await restart(second, 'SIGTERM', bodies.sampleCount, spec, timeouts);
      instances.push(termed.instance);
      rec.set('term.shutdown', target.id, termed.figures.shutdownMs / 1000);
      rec.set('term.ready', target.id, termed.figures.readyMs / 1000);
      rec.set('term.queryable', target.id, termed.figures.queryableMs / 1000);
      options.log(`  ${name}: SIGTERM took ${(termed.figures.shutdownMs / 1000).toFixed(2)} s, then ready in ${(termed.figures.readyMs / 1000).toFixed(2)} s, all queryable in ${(termed.figures.queryableMs / 1000).toFixed(2)} s`);
      await termed.instance.proc.stop('SIGTERM');
    }
  } finally {
    for (const i of instances) if (i.proc.alive) await i.proc.stop('SIGKILL');
    if (!options.keepData) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function runQueries(options: BenchOptions, rec: Recorder, job: TargetJob, instance: Instance): Promise<void> {
  const { target, spec } = job;
  for (const dialect of target.dialects) {
    // The sidecar's PromQL path is compared with Prometheus on Q2 and Q3 (issue 6).
    const second = dialect !== target.dialects[0];
    for (const [id, want] of job.expected) {
      if (second && id !== 'q2' && id !== 'q3') continue;
      if (job.scaleKey && second) continue;
      const where = `${target.id} / ${id} (${dialect})`;
      const figures = await latency(target.query(dialect, instance.baseUrl, id, spec, where), id, want, options.warmups, options.runs, where);
      const key = second ? `${id}.${target.id}-${dialect}` : id;
      if (job.scaleKey) {
        rec.set(`${job.scaleKey}.${id}`, target.id, figures.medianMs);
      } else {
        rec.set(`${key}.median`, target.id, figures.medianMs);
        rec.set(`${key}.p95`, target.id, figures.p95Ms);
      }
      options.log(`  ${target.id}: ${id} in ${dialect}: median ${figures.medianMs.toFixed(1)} ms, p95 ${figures.p95Ms.toFixed(1)} ms (${figures.runs} runs, answers checked)`);
    }
  }
}

function fmtRate(samplesPerSecond: number): string {
  return Math.round(samplesPerSecond).toLocaleString('en-US');
}

export function assertOptions(options: BenchOptions): void {
  const positive: (keyof BenchOptions)[] = ['devices', 'clients', 'samplesPerRequest', 'runs'];
  for (const key of positive) {
    const value = options[key] as number;
    if (!Number.isInteger(value) || value < 1) throw new BenchError('BAD_OPTION', 'options', `${key} must be a positive integer, got ${value}`);
  }
  if (!(options.hours > 0)) throw new BenchError('BAD_OPTION', 'options', `hours must be positive, got ${options.hours}`);
  for (const d of options.scale) if (!Number.isInteger(d) || d < 1) throw new BenchError('BAD_OPTION', 'options', `scale sizes must be positive integers, got ${d}`);
}
