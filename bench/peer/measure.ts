// The measurements taken on a running server: start-up until ready, ingest until every sample is
// queryable (with server CPU and peak RSS), settled size on disk, query latency with every answer
// checked, and restart after SIGKILL or SIGTERM.
import { join } from 'path';
import { BodySet } from './bodies';
import { BenchError } from './errors';
import { sendAll } from './load';
import { dirSizeBytes, machineCpuSeconds, ownCpuSeconds, ServerProcess } from './proc';
import { Answer, checkAnswer, PreparedQuery, QueryId, QuerySpec } from './queries';
import { Target } from './targets/target';

export interface Instance {
  target: Target;
  dir: string;
  port: number;
  baseUrl: string;
  proc: ServerProcess;
}

const POLL_MS = 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the target on dir (fresh: run its one-off setup) and resolves once it is ready. */
export async function start(target: Target, dir: string, port: number, fresh: boolean, readyTimeoutMs: number): Promise<{ instance: Instance; readyMs: number }> {
  const launch = await target.launch(dir, port);
  const proc = new ServerProcess(target.id, launch.command, launch.args, join(dir, `${target.id}.log`));
  const instance = { target, dir, port, baseUrl: `http://127.0.0.1:${port}`, proc };
  const readyMs = await waitReady(instance, readyTimeoutMs);
  if (fresh) await target.setup(instance.baseUrl);
  return { instance, readyMs };
}

/** Milliseconds from the spawn until the ready path answered 2xx. */
async function waitReady(instance: Instance, timeoutMs: number): Promise<number> {
  const url = `${instance.baseUrl}${instance.target.readyPath}`;
  while (performance.now() - instance.proc.startedAtMs < timeoutMs) {
    instance.proc.assertAlive('start');
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return performance.now() - instance.proc.startedAtMs;
    } catch {
      // not listening yet
    }
    await sleep(POLL_MS);
  }
  throw new BenchError('NOT_READY', `${instance.target.id} / start`, `${url} did not answer 2xx within ${timeoutMs} ms; log tail:\n${instance.proc.logTail()}`);
}

/**
 * Polls the full count until it equals `expected`, for at most timeoutMs from now; resolves with the
 * milliseconds from `sinceMs` until that exact answer arrived. A count above `expected` (duplicates)
 * fails at once.
 */
export async function waitQueryable(instance: Instance, spec: QuerySpec, expected: number, sinceMs: number, timeoutMs: number, phase: string): Promise<number> {
  const where = `${instance.target.id} / ${phase}`;
  const t0 = performance.now();
  let last = -1;
  while (last === -1 || performance.now() - t0 < timeoutMs) {
    instance.proc.assertAlive(phase);
    last = await instance.target.count(instance.baseUrl, spec, where);
    if (last === expected) return performance.now() - sinceMs;
    if (last > expected) throw new BenchError('WRONG_ANSWER', where, `full count answered ${last} samples, more than the ${expected} written`);
    await sleep(POLL_MS);
  }
  throw new BenchError('NOT_QUERYABLE', where, `full count still ${last} instead of ${expected} after ${timeoutMs} ms`);
}

export interface IngestFigures {
  samples: number;
  /** Until the last write was acknowledged. */
  ackMs: number;
  /** Until a full count answered exactly: the figure ingest throughput is computed from. */
  queryableMs: number;
  samplesPerSecond: number;
  cpuSeconds: number;
  /** CPU the benchmark client used meanwhile (sending pre-generated bodies). */
  clientCpuSeconds: number;
  /** CPU every other process on the machine used meanwhile: noise from outside the benchmark. */
  otherCpuSeconds: number;
  peakRssBytes: number;
}

export interface IngestOptions {
  maxSkew: number;
  queryableTimeoutMs: number;
}

export async function ingest(instance: Instance, bodies: BodySet, spec: QuerySpec, options: IngestOptions): Promise<IngestFigures> {
  const endpoint = instance.target.writeEndpoint(bodies.format);
  const where = `${instance.target.id} / ingest ${bodies.format}`;
  const cpu0 = instance.proc.cpuSeconds();
  const machine0 = machineCpuSeconds();
  const client0 = ownCpuSeconds();
  const t0 = performance.now();
  const load = await sendAll({ url: `${instance.baseUrl}${endpoint.path}`, headers: endpoint.headers, bodies, maxSkew: options.maxSkew, where });
  const queryableMs = await waitQueryable(instance, spec, bodies.sampleCount, t0, options.queryableTimeoutMs, `ingest ${bodies.format}`);
  const cpuSeconds = instance.proc.cpuSeconds() - cpu0;
  const clientCpuSeconds = ownCpuSeconds() - client0;
  return {
    samples: bodies.sampleCount,
    ackMs: load.elapsedMs,
    queryableMs,
    samplesPerSecond: bodies.sampleCount / (queryableMs / 1000),
    cpuSeconds,
    clientCpuSeconds,
    otherCpuSeconds: Math.max(0, machineCpuSeconds() - machine0 - cpuSeconds - clientCpuSeconds),
    peakRssBytes: instance.proc.peakRssBytes(),
  };
}

export interface SettleFigures {
  bytes: number;
  settled: boolean;
  waitedMs: number;
}

/** Waits until the data directory stops changing (and the server reports no compaction) for quietMs. */
export async function settle(instance: Instance, quietMs: number, timeoutMs: number): Promise<SettleFigures> {
  const dataDir = join(instance.dir, 'data');
  const t0 = performance.now();
  let bytes = dirSizeBytes(dataDir);
  let quietSince = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    instance.proc.assertAlive('settle');
    await sleep(500);
    const now = dirSizeBytes(dataDir);
    if (now !== bytes || (await instance.target.busy(instance.baseUrl))) {
      bytes = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= quietMs) {
      return { bytes, settled: true, waitedMs: performance.now() - t0 };
    }
  }
  return { bytes, settled: false, waitedMs: performance.now() - t0 };
}

export interface LatencyFigures {
  medianMs: number;
  p95Ms: number;
  runs: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Warm-up runs, then timed runs one after another; every answer (warm-up included) is checked. */
export async function latency(query: PreparedQuery, id: QueryId, want: Answer, warmups: number, runs: number, where: string): Promise<LatencyFigures> {
  const timesMs: number[] = [];
  for (let i = 0; i < warmups + runs; i++) {
    const t0 = performance.now();
    const bodies = await query.send();
    const elapsedMs = performance.now() - t0;
    checkAnswer(id, query.parse(bodies), want, where);
    if (i >= warmups) timesMs.push(elapsedMs);
  }
  timesMs.sort((a, b) => a - b);
  return { medianMs: percentile(timesMs, 50), p95Ms: percentile(timesMs, 95), runs };
}

export interface RestartFigures {
  /** Until the old process exited after the signal (for SIGKILL only the kernel's reaping). */
  shutdownMs: number;
  readyMs: number;
  queryableMs: number;
}

/** Signals the server, starts it again on the same data and port, and times its recovery. */
export async function restart(instance: Instance, signal: 'SIGKILL' | 'SIGTERM', expected: number, spec: QuerySpec, options: { readyTimeoutMs: number; queryableTimeoutMs: number }): Promise<{ instance: Instance; figures: RestartFigures }> {
  const shutdownMs = await instance.proc.stop(signal);
  const { instance: next, readyMs } = await start(instance.target, instance.dir, instance.port, false, options.readyTimeoutMs);
  const queryableMs = await waitQueryable(next, spec, expected, next.proc.startedAtMs, options.queryableTimeoutMs, `restart after ${signal}`);
  return { instance: next, figures: { shutdownMs, readyMs, queryableMs } };
}
