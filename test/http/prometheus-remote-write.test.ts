// A real Prometheus server (Debian's prometheus 2.42) scrapes itself and remote-writes to the
// sidecar. Every sample the sidecar stored must equal Prometheus' own sample (same series, same
// timestamp, same value), and none up to the sidecar's latest may be missing.

import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SidecarProcess, freePort, rawSeries, removeDir, startSidecar, tempDir } from './sidecar';

const WRITE_TOKEN = 'prom-writer';
const METRICS = ['up', 'prometheus_tsdb_head_series', 'prometheus_http_requests_total'];

interface PromSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

let sidecar: SidecarProcess;
let prometheus: ChildProcess;
let promUrl: string;
let promOutput = '';
const dirs: string[] = [];

beforeAll(async () => {
  sidecar = await startSidecar({ args: ['--token-write', WRITE_TOKEN] });
  const dir = tempDir('prometheus');
  dirs.push(dir);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: prometheus, static_configs: [ { targets: ['127.0.0.1:${port}'] } ] }`,
      'remote_write:',
      `  - url: ${sidecar.url}/api/v1/write`,
      `    authorization: { credentials: ${WRITE_TOKEN} }`,
      '    queue_config: { batch_send_deadline: 1s, max_samples_per_send: 500 }',
      '',
    ].join('\n'),
  );
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prometheus.stdout?.on('data', (c: Buffer) => (promOutput += c.toString()));
  prometheus.stderr?.on('data', (c: Buffer) => (promOutput += c.toString()));
});

afterAll(async () => {
  if (prometheus?.exitCode === null) {
    const exited = new Promise((resolve) => prometheus.once('exit', resolve));
    process.kill(prometheus.pid!, 'SIGTERM');
    await exited;
  }
  await sidecar?.stop();
  removeDir(sidecar.dataDir);
  for (const dir of dirs) removeDir(dir);
});

async function promRaw(metric: string, atSeconds: number): Promise<PromSeries[]> {
  const url = `${promUrl}/api/v1/query?query=${encodeURIComponent(`${metric}[10m]`)}&time=${atSeconds}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: { result: PromSeries[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

function key(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

it('stores what Prometheus remote-writes, sample for sample', async () => {
  const start = Date.now() - 60_000;
  // Wait until a few scrapes have travelled through remote write.
  for (let i = 0; ; i++) {
    const up = await rawSeries(sidecar.url, 'up', start, Date.now() + 60_000).catch(() => []);
    if ((up[0]?.times.length ?? 0) >= 5) break;
    if (i > 600) throw new Error(`no remote write arrived in time:\n${promOutput.slice(-3000)}\n${sidecar.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const end = Date.now() + 60_000;
  for (const metric of METRICS) {
    const ours = await rawSeries(sidecar.url, metric, start, end);
    const theirs = new Map((await promRaw(metric, end / 1000)).map((s) => [key(s.metric), s.values]));
    expect(ours.length).toBeGreaterThan(0);
    let compared = 0;
    for (const series of ours) {
      const promValues = theirs.get(key({ __name__: series.metric, ...series.labels }));
      expect(promValues).toBeDefined();
      const byTime = new Map(promValues!.map(([t, v]) => [Math.round(t * 1000), Number(v)]));
      series.times.forEach((t, i) => {
        expect(byTime.has(t)).toBe(true);
        expect(series.values[i]).toBe(byTime.get(t));
        compared++;
      });
      // Nothing Prometheus sent before our latest sample of the series is missing.
      const last = series.times[series.times.length - 1];
      const expected = promValues!.filter(([t]) => Math.round(t * 1000) <= last && Math.round(t * 1000) >= start).length;
      expect(series.times.length).toBe(expected);
    }
    expect(compared).toBeGreaterThan(0);
  }
  const metrics = await (await fetch(`${sidecar.url}/metrics`)).text();
  expect(metrics).toMatch(/^sensorstore_ingest_samples_total\{format="remote_write"\} [1-9]\d*$/m);
});
