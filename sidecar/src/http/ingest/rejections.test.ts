// Per-sample rejection reasons over HTTP with the real engine: samples older than the retention and
// samples with impossible timestamps are refused with their reason in a PARTIAL_WRITE answer, the
// rest is stored, and /metrics counts each reason per format.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Engine } from '../../engine/engine';
import { TestServer, startTestServer } from '../testing/serve';

const HOUR_MS = 3_600_000;
const NOW_MS = Date.UTC(2025, 0, 1, 12);

let dir: string;
let server: TestServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sensorstore-rejections-'));
  const engine = await Engine.open({ dataDir: dir, snapshotIntervalMs: 0, compactionIntervalMs: 0, idleFlushMs: 0, retention: { maxAgeMs: HOUR_MS }, now: () => NOW_MS });
  server = await startTestServer({ engine });
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: string) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function rejectedCounter(format: string, reason: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`sensorstore_ingest_rejected_samples_total{format="${format}",reason="${reason}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function storedTimes(metric: string): Promise<number[]> {
  const res = await post('/api/native/query', JSON.stringify({ metric, start: 0, end: NOW_MS + HOUR_MS, raw: true }));
  return res.body.series.flatMap((s: { times: number[] }) => s.times);
}

it('refuses samples older than the retention as out_of_retention, storing the rest', async () => {
  const old = NOW_MS - 2 * HOUR_MS;
  const res = await post('/write?precision=ms', `t value=1 ${old}\nt value=2 ${old + 1}\nt value=3 ${NOW_MS - 1000}\n`);
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({
    code: 'PARTIAL_WRITE',
    details: { storedSamples: 1, rejectedLines: 0, rejectedSamples: 2, byReason: { out_of_retention: 2 }, seriesErrors: [{ series: 't{}', reason: 'out_of_retention', samples: 2 }] },
  });
  expect(res.body.message).toContain('2 out_of_retention');
  expect(await storedTimes('t')).toEqual([NOW_MS - 1000]);
  expect(await rejectedCounter('influx_v1', 'out_of_retention')).toBe(2);
});

it('refuses samples whose timestamp is not a safe integer of ms as invalid_sample, storing the rest', async () => {
  const body = {
    series: [
      { metric: 'ok', samples: [[NOW_MS, 1]] },
      { metric: 'far', samples: [[1e300, 2], [NOW_MS, 3]] },
    ],
  };
  const res = await post('/api/native/write', JSON.stringify(body));
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({
    code: 'PARTIAL_WRITE',
    details: { storedSamples: 1, rejectedSamples: 2, byReason: { invalid_sample: 2 }, seriesErrors: [{ series: 'far{}', reason: 'invalid_sample', samples: 2 }] },
  });
  expect(res.body.details.seriesErrors[0].message).toContain('is not an integer number of milliseconds');
  expect(await storedTimes('ok')).toEqual([NOW_MS]);
  expect(await storedTimes('far')).toEqual([]);
  expect(await rejectedCounter('json', 'invalid_sample')).toBe(2);
  expect(await rejectedCounter('json', 'out_of_retention')).toBe(0);
});

it('answers PARTIAL_WRITE, not a code per reason, when every sample was rejected', async () => {
  const res = await post('/write?precision=ms', `t value=1 ${NOW_MS - 2 * HOUR_MS}`);
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ code: 'PARTIAL_WRITE', details: { storedSamples: 0, byReason: { out_of_retention: 1 } } });
});
