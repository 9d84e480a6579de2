// Prometheus 2.42 (Debian's prometheus) as a benchmark target: the remote-write receiver on, TSDB
// under the temp dir, HTTP on 127.0.0.1, and a config that scrapes nothing, so every sample it
// stores comes from the benchmark.
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { promCount, promqlQuery } from '../dialects/promql';
import { REMOTE_WRITE_HEADERS } from '../remote-write';
import { Target } from './target';
import { gaugeValue } from '../metrics-text';
import { fetchText } from '../queries';

/** The head is cut into a block once it spans more than 1.5 block ranges (2 h blocks): 3 h. */
const HEAD_COMPACTABLE_SPAN_MS = 3 * 3_600_000;

/** True while the head spans enough to be compacted into a block, which Prometheus then does. */
export function prometheusBusy(metricsText: string): boolean {
  const minMs = gaugeValue(metricsText, 'prometheus_tsdb_head_min_time');
  const maxMs = gaugeValue(metricsText, 'prometheus_tsdb_head_max_time');
  return minMs !== undefined && maxMs !== undefined && maxMs - minMs > HEAD_COMPACTABLE_SPAN_MS;
}

export function prometheusTarget(binary = '/usr/bin/prometheus'): Target {
  return {
    id: 'prometheus',
    title: 'Prometheus',
    version: () => execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim(),
    formats: ['rw'],
    async launch(dir, port) {
      const config = join(dir, 'prometheus.yml');
      writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
      return {
        command: binary,
        args: ['--web.enable-remote-write-receiver', '--storage.tsdb.path', join(dir, 'data'), '--web.listen-address', `127.0.0.1:${port}`, '--config.file', config],
      };
    },
    readyPath: '/-/ready',
    setup: async () => undefined,
    writeEndpoint: () => ({ path: '/api/v1/write', headers: REMOTE_WRITE_HEADERS }),
    count: promCount,
    dialects: ['promql'],
    query: (_dialect, baseUrl, id, spec, where) => promqlQuery(baseUrl, id, spec, where),
    busy: async (baseUrl) => prometheusBusy(await fetchText(`${baseUrl}/metrics`, {}, 'prometheus / settle')),
  };
}
