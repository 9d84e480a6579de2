// Measures what PromQL evaluation itself costs on the fleet benchmark's Q2 and Q3, apart from storage:
// the samples are prepared in memory and `select` hands out subarrays of them, so the figures are the
// parse + evaluate + JSON time of the sidecar's Prometheus API on 1,000 series × 2,160 samples.
// CPU time is printed beside wall time: on a busy machine it is the steadier figure.
// Run: node bench/run-ts.js test/promql/eval-cost.ts [repetitions]
import express from 'express';
import { AddressInfo } from 'net';
import { Fleet } from '../../bench/workload/fleet';
import { matchesAll } from '../../sidecar/src/engine/testing/memory-engine';
import { SelectRequest, SeriesSamples, StorageEngine } from '../../sidecar/src/engine/model/types';
import { prometheusApiRouter } from '../../sidecar/src/http/prometheus/router';
import { rangeQuery } from '../../sidecar/src/promql/query';

/** Prepared samples of one metric; select answers subarrays (no copy, no decoding). */
function preparedEngine(series: SeriesSamples[]): StorageEngine {
  const lowerBound = (ts: Float64Array, t: number) => {
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const unsupported = () => Promise.reject(new Error('not part of the measurement'));
  return {
    async select(req: SelectRequest) {
      const out: SeriesSamples[] = [];
      for (const s of series) {
        if (!matchesAll(req.matchers, s.labels)) continue;
        const a = lowerBound(s.timestamps, req.start);
        const b = lowerBound(s.timestamps, req.end);
        if (b > a) out.push({ labels: s.labels, timestamps: s.timestamps.subarray(a, b), values: s.values.subarray(a, b) });
      }
      return out;
    },
    write: unsupported,
    writeColumns: unsupported,
    aggregate: unsupported,
    latest: unsupported,
    labelNames: unsupported,
    labelValues: unsupported,
    series: unsupported,
    seriesCount: unsupported,
    stats: () => {
      throw new Error('not part of the measurement');
    },
    close: async () => undefined,
  };
}

function temperatureSeries(fleet: Fleet): SeriesSamples[] {
  const byIndex = new Map<number, { t: number[]; v: number[] }>();
  for (const chunk of fleet.chunks(100_000)) {
    for (let i = 0; i < chunk.length; i++) {
      const meta = fleet.series[chunk.series[i]];
      if (meta.metric !== 'temperature') continue;
      let s = byIndex.get(meta.index);
      if (!s) byIndex.set(meta.index, (s = { t: [], v: [] }));
      s.t.push(chunk.timestampsMs[i]);
      s.v.push(chunk.values[i]);
    }
  }
  return [...byIndex.entries()].map(([index, s]) => ({
    labels: { __name__: 'temperature', ...fleet.series[index].labels },
    timestamps: Float64Array.from(s.t),
    values: Float64Array.from(s.v),
  }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const repetitions = Number(process.argv[2] ?? 20);
  const fleet = new Fleet({ devices: 1000, hours: 6, seed: 1, endMs: 1_700_013_600_000 });
  const series = temperatureSeries(fleet);
  const engine = preparedEngine(series);
  const samples = series.reduce((n, s) => n + s.timestamps.length, 0);
  console.log(`${series.length} series, ${samples} samples`);
  const queries = [
    { id: 'Q2', query: 'avg(avg_over_time(temperature[60000ms]))', bucketMs: 60_000 },
    { id: 'Q3', query: 'avg by (site) (avg_over_time(temperature[300000ms]))', bucketMs: 300_000 },
  ];
  const app = express();
  app.use('/api/v1', prometheusApiRouter({ engine }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const q of queries) {
    const startMs = fleet.startMs + q.bucketMs - 1;
    const endMs = fleet.endMs - 1;
    const evalMs: number[] = [];
    const evalCpuMs: number[] = [];
    const httpMs: number[] = [];
    const httpCpuMs: number[] = [];
    const cpuMs = (since: NodeJS.CpuUsage) => {
      const d = process.cpuUsage(since);
      return (d.user + d.system) / 1000;
    };
    for (let r = 0; r < repetitions; r++) {
      let t = performance.now();
      let cpu = process.cpuUsage();
      const result = await rangeQuery(engine, q.query, startMs, endMs, q.bucketMs);
      evalMs.push(performance.now() - t);
      evalCpuMs.push(cpuMs(cpu));
      if (result.resultType !== 'matrix' || result.series.length === 0) throw new Error(`${q.id}: empty answer`);
      const params = new URLSearchParams({ query: q.query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(q.bucketMs / 1000) });
      t = performance.now();
      cpu = process.cpuUsage();
      const res = await fetch(`${base}/api/v1/query_range`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString() });
      await res.text();
      httpMs.push(performance.now() - t);
      httpCpuMs.push(cpuMs(cpu));
    }
    const f = (xs: number[]) => median(xs).toFixed(1);
    console.log(
      `${q.id} ${q.query} (${repetitions} runs, medians): evaluation ${f(evalMs)} ms wall / ${f(evalCpuMs)} ms CPU; ` +
        `over HTTP (client in the same process) ${f(httpMs)} ms wall / ${f(httpCpuMs)} ms CPU`,
    );
  }
  server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
