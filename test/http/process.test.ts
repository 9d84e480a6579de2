// The sidecar as a process (sidecar/dist/main.js): every endpoint once over real HTTP with the real
// engine, configuration by flags, environment and file, start-up errors, and data that survives a
// restart.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { REMOTE_WRITE_HEADERS, encodeWriteRequest } from '../../sidecar/src/http/testing/remote-write-encoder';
import { REPO_ROOT, SIDECAR_MAIN, SidecarProcess, postJson, rawSeries, removeDir, startSidecar, tempDir } from './sidecar';

const T0 = Date.UTC(2025, 0, 1);
/** pino's level number for warn. */
const WARN = 40;

function logLines(sidecar: SidecarProcess): Array<{ level: number; msg: string; url?: string }> {
  return sidecar.output().trim().split('\n').map((l) => JSON.parse(l));
}
const READ = { Authorization: 'Bearer r-token' };
const WRITE = { Authorization: 'Bearer w-token' };

describe('the sidecar process', () => {
  let sidecar: SidecarProcess;

  beforeAll(async () => {
    sidecar = await startSidecar({ args: ['--token-read', 'r-token'], env: { SENSORSTORE_TOKEN_WRITE: 'w-token' } });
  });

  afterAll(async () => {
    expect(await sidecar.stop()).toBe(0);
    removeDir(sidecar.dataDir);
  });

  it('logs where it listens, as structured JSON, without a token warning when both tokens are set', () => {
    const lines = logLines(sidecar);
    expect(lines.find((l) => l.msg.includes('listening on'))?.url).toBe(sidecar.url);
    expect(lines.some((l) => l.msg === 'ready')).toBe(true);
    expect(lines.filter((l) => l.level === WARN)).toEqual([]);
  });

  it('stores every ingest format and answers every query endpoint', async () => {
    const lp = await fetch(`${sidecar.url}/write?db=e2e&precision=ms`, { method: 'POST', headers: { ...WRITE, 'Content-Encoding': 'gzip' }, body: gzipSync(`temperature,device=d1 value=21.5 ${T0}\n`) });
    expect(lp.status).toBe(204);
    const v2 = await fetch(`${sidecar.url}/api/v2/write?org=o&bucket=e2e&precision=s`, { method: 'POST', headers: { Authorization: 'Token w-token' }, body: `temperature,device=d2 value=19.25 ${T0 / 1000}` });
    expect(v2.status).toBe(204);
    const rw = await fetch(`${sidecar.url}/api/v1/write`, {
      method: 'POST',
      headers: { ...REMOTE_WRITE_HEADERS, ...WRITE },
      body: new Uint8Array(encodeWriteRequest([{ labels: [{ name: '__name__', value: 'temperature' }, { name: 'device', value: 'd3' }, { name: 'db', value: 'e2e' }], samples: [{ value: -4.125, timestamp: T0 }] }])),
    });
    expect(rw.status).toBe(204);
    const json = await postJson(`${sidecar.url}/api/native/write`, { series: [{ metric: 'temperature', labels: { device: 'd4', db: 'e2e' }, samples: [[T0, 30]] }] }, WRITE);
    expect(json.status).toBe(204);

    const series = await rawSeries(sidecar.url, 'temperature', T0, T0 + 1, READ);
    expect(series.map((s) => [s.labels.device, s.values[0]])).toEqual([
      ['d1', 21.5],
      ['d2', 19.25],
      ['d3', -4.125],
      ['d4', 30],
    ]);
    const buckets = await postJson(`${sidecar.url}/api/native/query`, { metric: 'temperature', start: T0, end: T0 + 60_000, step: 60_000, groupBy: [], crossAgg: 'max' }, READ);
    expect(buckets.body.series).toEqual([{ metric: 'temperature', labels: {}, unit: 'celsius', times: [T0], values: [30] }]);
    const latest = await postJson(`${sidecar.url}/api/native/latest`, { metric: 'temperature', matchers: [{ name: 'device', op: '=~', value: 'd[12]' }] }, READ);
    expect((latest.body.series as unknown[]).length).toBe(2);
    expect((await postJson(`${sidecar.url}/api/native/metrics`, {}, READ)).body.data).toEqual(['temperature']);
    expect((await postJson(`${sidecar.url}/api/native/labels`, {}, READ)).body.data).toEqual(['db', 'device']);
    expect((await postJson(`${sidecar.url}/api/native/label/device/values`, { search: 'd', limit: 3 }, READ)).body.data).toEqual(['d1', 'd2', 'd3']);
    expect((await postJson(`${sidecar.url}/api/native/series/count`, {}, READ)).body.data).toEqual({ series: 4 });
    const status = await (await fetch(`${sidecar.url}/api/native/status`, { headers: READ })).json();
    expect(status).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), series: 4, ready: true });
    const prom = await (await fetch(`${sidecar.url}/api/v1/query?query=max(temperature)&time=${T0 / 1000}`, { headers: READ })).json();
    expect(prom).toMatchObject({ status: 'success', data: { resultType: 'vector', result: [{ value: [T0 / 1000, '30'] }] } });
  });

  it('answers errors with the documented codes', async () => {
    expect((await postJson(`${sidecar.url}/api/native/metrics`, {})).status).toBe(401);
    expect((await fetch(`${sidecar.url}/write`, { method: 'POST', headers: READ, body: 'm value=1' })).status).toBe(403);
    const partial = await fetch(`${sidecar.url}/write?precision=ms`, { method: 'POST', headers: WRITE, body: `m value=1 ${T0}\nm value=x ${T0}\n` });
    expect(partial.status).toBe(400);
    expect(await partial.json()).toMatchObject({ code: 'PARTIAL_WRITE', details: { lineErrors: [{ line: 2 }] } });
    expect((await postJson(`${sidecar.url}/api/native/query`, { metric: 'm', start: 0, end: 1, step: 1, timeZone: 'Nowhere/Land' }, READ)).body.code).toBe('INVALID_QUERY');
    expect((await fetch(`${sidecar.url}/nothing`)).status).toBe(404);
  });

  it('exposes /health, /ready and /metrics', async () => {
    expect(await (await fetch(`${sidecar.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${sidecar.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${sidecar.url}/metrics`, { headers: READ })).text();
    expect(metrics).toMatch(/^sensorstore_ingest_samples_total\{format="remote_write"\} 1$/m);
    expect(metrics).toMatch(/^sensorstore_wal_fsync_duration_seconds_count [1-9]\d*$/m);
    expect(metrics).toMatch(/^sensorstore_head_series \d+$/m);
  });
});

describe('configuration and start-up', () => {
  it.each([
    [[], 'no tokens configured: anyone who can reach this address can read and write'],
    [['--token-read', 'r'], 'no write token configured: anyone who can reach this address can write'],
    [['--token-write', 'w'], 'no read token configured: anyone who can reach this address can read'],
  ])('warns at start-up when a scope is open (%j)', async (args, warning) => {
    const sidecar = await startSidecar({ args });
    try {
      const warnings = logLines(sidecar).filter((l) => l.level === WARN);
      expect(warnings.map((l) => l.msg)).toEqual([expect.stringContaining(warning)]);
    } finally {
      expect(await sidecar.stop()).toBe(0);
      removeDir(sidecar.dataDir);
    }
  });

  it('reads a config file and answers --help', async () => {
    const dir = tempDir('config');
    const file = join(dir, 'sensorstore.json');
    writeFileSync(file, JSON.stringify({ maxSeries: 2, durability: 'interval:20', logLevel: 'warn' }));
    const sidecar = await startSidecar({ args: ['--config', file] });
    try {
      const body = ['a', 'b', 'c'].map((d) => `m,device=${d} value=1 ${T0}`).join('\n');
      const res = await fetch(`${sidecar.url}/write?precision=ms`, { method: 'POST', body });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ code: 'CARDINALITY_LIMIT', details: { storedSamples: 2 } });
    } finally {
      expect(await sidecar.stop()).toBe(0);
      removeDir(dir);
      removeDir(sidecar.dataDir);
    }
    const help = spawnSync(process.execPath, [SIDECAR_MAIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--retention-rule');
  });

  it('names only built files as the package entry points', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'sidecar', 'package.json'), 'utf8')) as { main?: string; bin: Record<string, string> };
    const entries = [...(pkg.main === undefined ? [] : [pkg.main]), ...Object.values(pkg.bin)];
    expect(entries).toContain('dist/main.js');
    for (const entry of entries) expect(existsSync(join(REPO_ROOT, 'sidecar', entry))).toBe(true);
  });

  it('exits 2 with a message naming the bad option', () => {
    const result = spawnSync(process.execPath, [SIDECAR_MAIN, '--durability', 'maybe'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--durability: "maybe" must be fsync, interval:<ms>');
    const env = spawnSync(process.execPath, [SIDECAR_MAIN], { encoding: 'utf8', env: { ...process.env, SENSORSTORE_PORT: 'eighty' } });
    expect(env.status).toBe(2);
    expect(env.stderr).toContain('environment variable SENSORSTORE_PORT: "eighty" is not an integer');
  });

  it('exits 1 when the port is taken', async () => {
    const first = await startSidecar();
    try {
      const second = await startSidecar({ port: first.port, waitFor: 'nothing' });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`can not listen on 127.0.0.1:${first.port}`);
      removeDir(second.dataDir);
    } finally {
      await first.stop();
      removeDir(first.dataDir);
    }
  });

  it('keeps acknowledged data across a restart', async () => {
    const dataDir = tempDir('restart');
    const first = await startSidecar({ dataDir });
    expect((await fetch(`${first.url}/write?precision=ms`, { method: 'POST', body: `m,device=a value=1.5 ${T0}\nm,device=a value=2.5 ${T0 + 1000}` })).status).toBe(204);
    expect(await first.stop()).toBe(0);
    const second = await startSidecar({ dataDir });
    try {
      const series = await rawSeries(second.url, 'm', T0, T0 + 2000);
      expect(series).toEqual([{ metric: 'm', labels: { device: 'a' }, times: [T0, T0 + 1000], values: [1.5, 2.5] }]);
    } finally {
      await second.stop();
      removeDir(dataDir);
    }
  });
});

describe('decode workers', () => {
  it('store exactly what each request carried, across workers and requests, and refuse with the same codes', async () => {
    const sidecar = await startSidecar({ args: ['--ingest-workers', '2', '--max-samples-per-request', '300'] });
    try {
      // Requests in parallel land on both workers; series repeat, so each worker's cache and the
      // main thread's table of its series ids are used again.
      await Promise.all(
        Array.from({ length: 20 }, async (_, r) => {
          const lines = Array.from({ length: 50 }, (_, i) => `load,device=d${i % 25} value=${r * 100 + i} ${T0 + r * 1000 + i}`).join('\n');
          const lp = await fetch(`${sidecar.url}/write?precision=ms`, { method: 'POST', body: lines });
          expect(lp.status).toBe(204);
          const series = Array.from({ length: 5 }, (_, d) => ({
            labels: [{ name: '__name__', value: 'rw_load' }, { name: 'device', value: `d${d}` }],
            samples: [{ value: r + d / 10, timestamp: T0 + r }],
          }));
          const rw = await fetch(`${sidecar.url}/api/v1/write`, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: new Uint8Array(encodeWriteRequest(series)) });
          expect(rw.status).toBe(204);
        }),
      );
      const load = await rawSeries(sidecar.url, 'load', T0, T0 + 100_000);
      expect(load).toHaveLength(25);
      for (const s of load) {
        const d = Number(s.labels.device.slice(1));
        const expected = Array.from({ length: 20 }, (_, r) => [r * 100 + d, r * 100 + d + 25]).flat();
        expect(s.values).toEqual(expected);
      }
      const rw = await rawSeries(sidecar.url, 'rw_load', T0, T0 + 100);
      expect(rw.map((s) => s.values)).toEqual(Array.from({ length: 5 }, (_, d) => Array.from({ length: 20 }, (_, r) => r + d / 10)));

      const tooMany = await fetch(`${sidecar.url}/write?precision=ms`, { method: 'POST', body: Array.from({ length: 301 }, (_, i) => `x value=1 ${i}`).join('\n') });
      expect(tooMany.status).toBe(413);
      expect(await tooMany.json()).toMatchObject({ code: 'TOO_MANY_SAMPLES' });
      const broken = await fetch(`${sidecar.url}/api/v1/write`, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body: 'not snappy' });
      expect(broken.status).toBe(400);
      const partial = await fetch(`${sidecar.url}/write?precision=ms`, { method: 'POST', body: 'x value=1 1\nx value=oops 2\n' });
      expect(await partial.json()).toMatchObject({ code: 'PARTIAL_WRITE', details: { lineErrors: [{ line: 2 }] } });
    } finally {
      expect(await sidecar.stop()).toBe(0);
      removeDir(sidecar.dataDir);
    }
  });
});
