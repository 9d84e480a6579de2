// CI smoke test of the peer benchmark, so it cannot rot: the whole harness end to end (bodies, ingest
// until every sample is queryable, SIGKILL and SIGTERM restarts, settled size, all five queries with
// every answer checked against the generator, the scale step and the report) against each target on
// a tiny fleet. It asserts that every figure was taken and every answer was right, never speed.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { renderReport, ROWS } from '../../bench/peer/report';
import { BenchOptions, runBenchmark, RunResult } from '../../bench/peer/run';
import { influxdbTarget } from '../../bench/peer/targets/influxdb';
import { prometheusTarget } from '../../bench/peer/targets/prometheus';
import { sidecarTarget } from '../../bench/peer/targets/sidecar';
import { Target, TargetId } from '../../bench/peer/targets/target';

const repoRoot = join(__dirname, '..', '..');
const workDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function options(target: Target): BenchOptions {
  return {
    devices: 20,
    hours: 1 / 6,
    seed: 11,
    clients: 4,
    samplesPerRequest: 500,
    maxSkewMs: 600_000,
    warmups: 1,
    runs: 3,
    settleQuietMs: 1500,
    settleTimeoutMs: 60_000,
    readyTimeoutMs: 60_000,
    queryableTimeoutMs: 60_000,
    scale: [10, 20],
    restarts: true,
    targets: [target],
    workDir,
    keepData: false,
    memoryBudgetBytes: 2 ** 30,
    log: () => undefined,
  };
}

const results: Partial<Record<TargetId, RunResult>> = {};

/** The figures each target must have after a run: its rows of the report, plus scale. */
function expectedKeys(id: TargetId): string[] {
  const keys = ROWS.filter((row) => {
    if (row.key.includes('sidecar-promql')) return id === 'sidecar';
    if (row.key.startsWith('ingest.lp')) return id !== 'prometheus';
    if (row.key.startsWith('ingest.rw')) return id !== 'influxdb';
    return true;
  }).map((row) => row.key);
  const scale = [10, 20].flatMap((d) => [...(id === 'prometheus' ? [] : [`scale.${d}.lp`]), ...(id === 'influxdb' ? [] : [`scale.${d}.rw`]), `scale.${d}.q2`]);
  return [...keys, ...scale].sort();
}

async function smoke(target: Target): Promise<void> {
  const result = await runBenchmark(options(target));
  results[target.id] = result;
  const keys = Object.keys(result.figures).filter((k) => result.figures[k][target.id] !== undefined);
  expect(keys.sort()).toEqual(expectedKeys(target.id));
  for (const k of keys) {
    const value = result.figures[k][target.id]!;
    expect(Number.isFinite(value) && value >= 0).toBe(true);
  }
  expect(result.figures['ingest.' + (target.id === 'prometheus' ? 'rw' : 'lp') + '.rate'][target.id]).toBeGreaterThan(0);
  expect(result.figures['disk.bytesPerSample'][target.id]).toBeGreaterThan(0);
}

describe('peer benchmark, end to end on 20 devices × 10 minutes', () => {
  it('measures InfluxDB with every answer right', () => smoke(influxdbTarget()));

  it('measures Prometheus with every answer right', () => smoke(prometheusTarget()));

  it('measures the sidecar (line protocol and remote write, native and PromQL) with every answer right', () => smoke(sidecarTarget(repoRoot)));

  it('reports every figure of every target with its ratios and judges every target of the issue', () => {
    const merged: RunResult = { figures: {}, notes: [] };
    for (const r of Object.values(results)) {
      for (const [key, byTarget] of Object.entries(r.figures)) Object.assign((merged.figures[key] ??= {}), byTarget);
    }
    const meta = { date: 'now', command: 'smoke', machine: [], versions: {}, workload: 'smoke', runs: 1 };
    const report = renderReport(meta, [merged], [10, 20]);
    expect(report).toMatch(/\| Ingest, line protocol \| samples\/s \| [\d,]+ \| [\d,]+ \| {2}\| [\d.]+× \| {2}\|/);
    expect(report).toMatch(/\| Ingest, remote write \| samples\/s \| [\d,]+ \| {2}\| [\d,]+ \| {2}\| [\d.]+× \|/);
    expect(report).toMatch(/\| Q2 median \| ms \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+× \| [\d.]+× \|/);
    expect(report).toMatch(/\| Q3 median, PromQL on the sidecar \| ms \| [\d.]+ \| {2}\| [\d.]+ \| {2}\| [\d.]+× \|/);
    expect(report).toMatch(/\| 20 \| [\d,]+ \| [\d,]+ \| [\d.]+× \| [\d,]+ \| [\d,]+ \| [\d.]+× \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    expect(report).not.toContain('not measured');
  });
});
