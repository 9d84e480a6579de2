// A 100,000-point answer over HTTP with the real engine: written through the JSON ingest endpoint,
// read back raw, gzip-compressed on the wire when the client accepts it, and exact once decoded.

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { Engine } from '../../engine/engine';
import { COMPRESS_MIN_BYTES } from '../app';
import { TestServer, startTestServer } from '../testing/serve';

const T0 = Date.UTC(2025, 0, 1);
const SERIES = 2;
const POINTS_PER_SERIES = 50_000;

let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sensorstore-large-answer-'));
  server = await startTestServer({ engine: await Engine.open({ dataDir: dir, snapshotIntervalMs: 0, compactionIntervalMs: 0, idleFlushMs: 0 }) });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const times = Array.from({ length: POINTS_PER_SERIES }, (_, i) => T0 + i * 1000);
/** Per series, full-precision doubles, so any loss in encoding or decoding shows. */
const values = Array.from({ length: SERIES }, (_, s) => times.map((_, i) => Math.sin(i / 7 + s) * 1000 + i / 3));

/** The raw answer bytes and headers, without the automatic decompression fetch() does. */
function postRaw(path: string, body: unknown, acceptEncoding: string): Promise<{ status: number; encoding?: string; bytes: Buffer }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept-Encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

it('answers 100,000 points exactly, gzip-compressed on the wire when the client accepts it', async () => {
  const write = await fetch(`${server.url}/api/native/write`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ series: Array.from({ length: SERIES }, (_, s) => ({ metric: 'big', labels: { device: `d${s}` }, samples: times.map((t, i) => [t, values[s][i]]) })) }),
  });
  expect(write.status).toBe(204);

  const query = { metric: 'big', start: T0, end: T0 + POINTS_PER_SERIES * 1000, raw: true };
  const expected = Array.from({ length: SERIES }, (_, s) => ({ metric: 'big', labels: { device: `d${s}` }, times, values: values[s] }));

  const zipped = await postRaw('/api/native/query', query, 'gzip');
  expect(zipped.status).toBe(200);
  expect(zipped.encoding).toBe('gzip');
  const decoded = gunzipSync(zipped.bytes);
  expect(zipped.bytes.length).toBeLessThan(decoded.length / 2);
  const answer = JSON.parse(decoded.toString('utf8'));
  expect(answer.stats).toMatchObject({ series: SERIES, points: SERIES * POINTS_PER_SERIES, truncated: false });
  expect(answer.series).toEqual(expected);

  const plain = await postRaw('/api/native/query', query, 'identity');
  expect(plain.encoding).toBeUndefined();
  expect(JSON.parse(plain.bytes.toString('utf8')).series).toEqual(expected);

  // fetch() asks for gzip and decodes it, as the plugin's and other clients' HTTP stacks do.
  const viaFetch = await fetch(`${server.url}/api/native/query`, { method: 'POST', body: JSON.stringify(query) });
  expect(((await viaFetch.json()) as { series: unknown }).series).toEqual(expected);
});

it('compresses an answer from the threshold up and leaves a smaller one plain', async () => {
  // One series' raw answer grows with its range: find a range whose answer is just below the
  // threshold and one just above, then ask for both with gzip accepted.
  const firstPoints = (points: number) => ({ metric: 'big', matchers: [{ name: 'device', op: '=', value: 'd0' }], start: T0, end: T0 + points * 1000, raw: true });
  const sizeOf = async (points: number) => (await postRaw('/api/native/query', firstPoints(points), 'identity')).bytes.length;
  let lo = 1;
  let hi = POINTS_PER_SERIES;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await sizeOf(mid)) < COMPRESS_MIN_BYTES) lo = mid;
    else hi = mid;
  }
  const ask = (points: number) => postRaw('/api/native/query', firstPoints(points), 'gzip');
  const below = await ask(lo);
  expect(below.encoding).toBeUndefined();
  expect(below.bytes.length).toBeLessThan(COMPRESS_MIN_BYTES);
  const above = await ask(hi);
  expect(above.encoding).toBe('gzip');
  expect(gunzipSync(above.bytes).length).toBeGreaterThanOrEqual(COMPRESS_MIN_BYTES);
});

it('leaves small answers and empty ones uncompressed', async () => {
  const small = await postRaw('/api/native/series/count', {}, 'gzip');
  expect(small.status).toBe(200);
  expect(small.encoding).toBeUndefined();
  const write = await fetch(`${server.url}/write?precision=ms`, { method: 'POST', headers: { 'Accept-Encoding': 'gzip' }, body: `small value=1 ${T0}` });
  expect(write.status).toBe(204);
  expect(write.headers.get('content-encoding')).toBeNull();
});
