// The sidecar as a benchmark target: the built process (sidecar/dist/main.js) on a temp data dir,
// fed line protocol on /write and remote write on /api/v1/write, asked in its native API and, for
// Q2 and Q3, also in PromQL on its Prometheus-compatible API (to compare that path with Prometheus).
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { nativeCount, nativeQuery } from '../dialects/native';
import { promqlQuery } from '../dialects/promql';
import { BenchError } from '../errors';
import { gaugeValue } from '../metrics-text';
import { fetchText } from '../queries';
import { REMOTE_WRITE_HEADERS } from '../remote-write';
import { Target } from './target';

/**
 * True while the sidecar has work left that changes its files: a compaction running, or samples
 * still in the head, which it flushes into segments (and merges, and gives back the WAL's
 * preallocated space) after 30 s without writes.
 */
export function sidecarBusy(metricsText: string): boolean {
  return (gaugeValue(metricsText, 'sensorstore_compaction_running') ?? 0) > 0 || (gaugeValue(metricsText, 'sensorstore_head_samples') ?? 0) > 0;
}

export function sidecarTarget(repoRoot: string): Target {
  const main = join(repoRoot, 'sidecar', 'dist', 'main.js');
  return {
    id: 'sidecar',
    title: 'Sensorstore sidecar',
    version: () => `sensorstore ${(JSON.parse(readFileSync(join(repoRoot, 'sidecar', 'package.json'), 'utf8')) as { version: string }).version}`,
    formats: ['lp', 'rw'],
    async launch(dir, port) {
      if (!existsSync(main)) throw new BenchError('PEER_MISSING', 'sidecar / start', `${main} is missing: build it with "npm run build -w sidecar"`);
      return { command: process.execPath, args: [main, '--data-dir', join(dir, 'data'), '--host', '127.0.0.1', '--port', String(port)] };
    },
    readyPath: '/ready',
    setup: async () => undefined,
    writeEndpoint: (format) =>
      format === 'lp'
        ? { path: '/write?precision=ns', headers: { 'Content-Type': 'text/plain; charset=utf-8' } }
        : { path: '/api/v1/write', headers: REMOTE_WRITE_HEADERS },
    count: nativeCount,
    dialects: ['native', 'promql'],
    query: (dialect, baseUrl, id, spec, where) => (dialect === 'promql' ? promqlQuery(baseUrl, id, spec, where) : nativeQuery(baseUrl, id, spec, where)),
    async busy(baseUrl) {
      return sidecarBusy(await fetchText(`${baseUrl}/metrics`, {}, 'sidecar / settle'));
    },
  };
}
