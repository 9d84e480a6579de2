// InfluxDB 1.6.7 (Debian's influxdb) as a benchmark target: a generated config that keeps meta,
// data and WAL under the temp dir, HTTP on 127.0.0.1, reporting and self-monitoring off, and an
// fsync per write (its default). The two cold-write durations are shortened (defaults 10 min and
// 4 h) so its cache snapshot and full compaction happen within the run and its settled size is the
// one it reaches after hours without writes.
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { influxCount, influxqlQuery } from '../dialects/influxql';
import { freePort } from '../proc';
import { fetchText } from '../queries';
import { Target } from './target';

export const INFLUX_DB = 'bench';

/**
 * True while a shard still holds samples in its cache (not yet snapshotted to TSM files) or runs a
 * compaction, from the engine statistics InfluxDB serves on /debug/vars.
 */
export function influxBusy(vars: Record<string, unknown>): boolean {
  for (const [key, stat] of Object.entries(vars)) {
    const values = (stat as { values?: Record<string, number> } | null)?.values ?? {};
    if (key.startsWith('tsm1_cache:') && (values.memBytes ?? 0) > 0) return true;
    if (key.startsWith('tsm1_engine:') && Object.entries(values).some(([name, v]) => name.endsWith('CompactionsActive') && v > 0)) return true;
  }
  return false;
}

/** The config for a server whose files all live under dataDir. */
export function influxConfig(dataDir: string, httpPort: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dataDir, 'meta')}"

[data]
  dir = "${join(dataDir, 'data')}"
  wal-dir = "${join(dataDir, 'wal')}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "2s"
  compact-full-write-cold-duration = "5s"

[monitor]
  store-enabled = false

[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false

[logging]
  level = "warn"
`;
}

export function influxdbTarget(binary = '/usr/bin/influxd'): Target {
  return {
    id: 'influxdb',
    title: 'InfluxDB',
    version: () => execFileSync(binary, ['version'], { encoding: 'utf8' }).trim(),
    formats: ['lp'],
    async launch(dir, port) {
      const config = join(dir, 'influxdb.conf');
      // The RPC (backup) service binds a port of its own: give it a free one, never the default 8088.
      writeFileSync(config, influxConfig(join(dir, 'data'), port, await freePort()));
      return { command: binary, args: ['-config', config] };
    },
    readyPath: '/ping',
    async setup(baseUrl) {
      await fetchText(`${baseUrl}/query?${new URLSearchParams({ q: `CREATE DATABASE ${INFLUX_DB}` })}`, { method: 'POST' }, 'influxdb / setup');
    },
    writeEndpoint: () => ({ path: `/write?db=${INFLUX_DB}&precision=ns`, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }),
    count: (baseUrl, spec, where) => influxCount(baseUrl, INFLUX_DB, spec, where),
    dialects: ['influxql'],
    query: (_dialect, baseUrl, id, spec, where) => influxqlQuery(baseUrl, INFLUX_DB, id, spec, where),
    busy: async (baseUrl) => influxBusy(JSON.parse(await fetchText(`${baseUrl}/debug/vars`, {}, 'influxdb / settle')) as Record<string, unknown>),
  };
}
