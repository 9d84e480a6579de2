// The native query API over HTTP: range queries (raw, buckets, fill, grouping, zones, limits),
// latest values, metadata and status, with the in-memory model as engine.

import { gzipSync } from 'node:zlib';

import { niceStepMs } from './step';
import { MemoryEngine } from '../../engine/testing/memory-engine';
import { TestServer, startTestServer } from '../testing/serve';

const H = 3_600_000;
const T0 = Date.UTC(2024, 2, 30, 0, 0, 0); // the weekend of Europe's switch to summer time

let server: TestServer;

async function call(path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) };
}

beforeAll(async () => {
  const engine = new MemoryEngine();
  const devices = [
    { device: 'd1', site: 'berlin', kind: 'indoor' },
    { device: 'd2', site: 'berlin', kind: 'outdoor' },
    { device: 'd3', site: 'paris', kind: 'indoor' },
  ];
  const times = Array.from({ length: 48 }, (_, i) => T0 + i * H);
  await engine.write(
    devices.flatMap((labels, d) => [
      { labels: { __name__: 'temperature', ...labels }, timestamps: times, values: times.map((_, i) => 20 + d + (i % 4)) },
      { labels: { __name__: 'humidity', ...labels }, timestamps: times.filter((_, i) => i % 2 === 0), values: times.filter((_, i) => i % 2 === 0).map(() => 50 + d) },
    ]),
  );
  await engine.write([{ labels: { __name__: 'battery', device: 'd1' }, timestamps: [T0, T0 + H], values: [90, NaN] }]);
  server = await startTestServer({ engine, config: { maxSeriesPerQuery: 5, maxPointsPerQuery: 500 } });
});

afterAll(() => server.close());

describe('POST /api/native/query', () => {
  it('answers raw samples column by column, with labels without the name and the unit', async () => {
    const res = await call('/api/native/query', { metric: 'temperature', matchers: [{ name: 'device', op: '=', value: 'd1' }], start: T0, end: T0 + 3 * H, raw: true });
    expect(res.status).toBe(200);
    expect(res.body.step).toBeUndefined();
    expect(res.body.series).toEqual([
      { metric: 'temperature', labels: { device: 'd1', kind: 'indoor', site: 'berlin' }, unit: 'celsius', times: [T0, T0 + H, T0 + 2 * H], values: [20, 21, 22] },
    ]);
    expect(res.body.stats).toMatchObject({ series: 1, points: 3, truncated: false });
  });

  it('aggregates into buckets of the given step', async () => {
    const res = await call('/api/native/query', { metric: 'temperature', matchers: [{ name: 'device', op: '=', value: 'd2' }], start: T0, end: T0 + 8 * H, step: 4 * H, agg: 'max' });
    expect(res.body.step).toBe(4 * H);
    expect(res.body.series[0]).toMatchObject({ times: [T0, T0 + 4 * H], values: [24, 24] });
  });

  it('picks a nice step from maxPoints', async () => {
    const res = await call('/api/native/query', { metric: 'temperature', start: T0, end: T0 + 24 * H, maxPoints: 10 });
    expect(res.body.step).toBe(3 * H);
    expect(res.body.series[0].times).toHaveLength(8);
  });

  it('fills empty buckets with null or the previous value', async () => {
    const q = { metric: 'humidity', matchers: [{ name: 'device', op: '=', value: 'd1' }], start: T0, end: T0 + 4 * H, step: H };
    expect((await call('/api/native/query', { ...q, fill: 'null' })).body.series[0].values).toEqual([50, null, 50, null]);
    expect((await call('/api/native/query', { ...q, fill: 'previous' })).body.series[0].values).toEqual([50, 50, 50, 50]);
    expect((await call('/api/native/query', { ...q, fill: 'none' })).body.series[0].times).toEqual([T0, T0 + 2 * H]);
  });

  it('answers stored NaN as null', async () => {
    const res = await call('/api/native/query', { metric: 'battery', start: T0, end: T0 + 2 * H, raw: true });
    expect(res.body.series[0].values).toEqual([90, null]);
    expect(res.body.series[0].unit).toBe('percent');
  });

  it('groups series by labels and combines them', async () => {
    const res = await call('/api/native/query', { metric: 'temperature', start: T0, end: T0 + H, step: H, groupBy: ['site'], crossAgg: 'sum' });
    expect(res.body.series).toEqual([
      { metric: 'temperature', labels: { site: 'berlin' }, unit: 'celsius', times: [T0], values: [41] },
      { metric: 'temperature', labels: { site: 'paris' }, unit: 'celsius', times: [T0], values: [22] },
    ]);
  });

  it('aligns day buckets to midnight in the time zone, 23 hours across the DST change', async () => {
    const res = await call('/api/native/query', { metric: 'temperature', matchers: [{ name: 'device', op: '=', value: 'd1' }], start: T0, end: T0 + 48 * H, step: 24 * H, agg: 'count', timeZone: 'Europe/Berlin' });
    const berlinMidnight30 = Date.UTC(2024, 2, 29, 23);
    const berlinMidnight31 = Date.UTC(2024, 2, 30, 23);
    const berlinMidnight01 = Date.UTC(2024, 2, 31, 22);
    expect(res.body.series[0].times).toEqual([berlinMidnight30, berlinMidnight31, berlinMidnight01]);
    expect(res.body.series[0].values).toEqual([23, 23, 2]);
  });

  it('keeps the first series up to limit and says the answer was truncated', async () => {
    const res = await call('/api/native/query', { metric: 'temperature', start: T0, end: T0 + H, step: H, limit: 2 });
    expect(res.body.series.map((s: { labels: { device: string } }) => s.labels.device)).toEqual(['d1', 'd2']);
    expect(res.body.stats).toMatchObject({ series: 2, truncated: true });
  });

  it.each([
    [{ metric: 'temperature', start: T0, end: T0 + H, stepp: 1 }, 400, 'INVALID_REQUEST', "Unrecognized key(s) in object: 'stepp'"],
    [{ start: T0, end: T0 + H }, 400, 'INVALID_REQUEST', 'metric: Required'],
    [{ metric: 'temperature', start: T0, end: T0 + H, agg: 'median' }, 400, 'INVALID_REQUEST', 'agg: Invalid enum value'],
    [{ metric: 'temperature', start: T0, end: T0 + H, crossAgg: 'first', groupBy: [] }, 400, 'INVALID_REQUEST', 'crossAgg'],
    [{ metric: 'temperature', start: T0, end: T0 + H, step: 0.5 }, 400, 'INVALID_REQUEST', 'step: Expected integer'],
    [{ metric: 'temperature', start: T0 + H, end: T0, step: H }, 400, 'INVALID_QUERY', 'must be after start'],
    [{ metric: 'temperature', start: T0, end: T0 + H, step: H, matchers: [{ name: 'site', op: '=~', value: '(' }] }, 400, 'INVALID_QUERY', 'invalid regular expression'],
    [{ metric: 'temperature', start: T0, end: T0 + H, step: H, timeZone: 'Mars/Olympus' }, 400, 'INVALID_QUERY', 'unknown time zone'],
    [{ metric: 'temperature', start: T0, end: T0 + 48 * H, step: 60_000 }, 422, 'QUERY_LIMIT', 'more than the limit of 500 points'],
    [{ metric: 'temperature', start: T0, end: T0 + 48 * H, raw: true }, 0, '', ''],
  ])('answers %j with %d %s', async (body, status, code, message) => {
    const res = await call('/api/native/query', body);
    if (status === 0) {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toContain(message);
  });

  it('refuses a body over the query body limit with 413 BODY_TOO_LARGE, raw or gzip-decompressed', async () => {
    const small = await startTestServer({ engine: new MemoryEngine(), config: { maxQueryBodyBytes: 2048 } });
    try {
      const padded = { metric: 'temperature', start: T0, end: T0 + H, raw: true, matchers: [{ name: 'device', op: '=~', value: `d1|${'x'.repeat(4096)}` }] };
      const raw = await fetch(`${small.url}/api/native/query`, { method: 'POST', body: JSON.stringify(padded) });
      expect(raw.status).toBe(413);
      expect(await raw.json()).toMatchObject({ code: 'BODY_TOO_LARGE', details: { limit: 2048 } });
      const zipped = await fetch(`${small.url}/api/native/query`, { method: 'POST', body: new Uint8Array(gzipSync(JSON.stringify(padded))), headers: { 'Content-Encoding': 'gzip' } });
      expect(zipped.status).toBe(413);
      expect(((await zipped.json()) as { message: string }).message).toContain('decompressed gzip body exceeds the body size limit of 2048 bytes');
      const fits = await fetch(`${small.url}/api/native/query`, { method: 'POST', body: JSON.stringify({ ...padded, matchers: [] }) });
      expect(fits.status).toBe(200);
      // The same limit holds for the Prometheus API's form-encoded queries, answered in its shape.
      const form = (query: string) => fetch(`${small.url}/api/v1/query`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query, time: String(T0 / 1000) }).toString() });
      const tooLong = await form(`temperature{device=~"d1|${'x'.repeat(4096)}"}`);
      expect(tooLong.status).toBe(413);
      expect(await tooLong.json()).toMatchObject({ status: 'error', errorType: 'bad_data', code: 'BODY_TOO_LARGE' });
      expect((await form('temperature')).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('refuses queries touching more series than the limit with 422 QUERY_LIMIT', async () => {
    const engine = new MemoryEngine();
    await engine.write(['a', 'b', 'c'].map((device) => ({ labels: { __name__: 'temperature', device }, timestamps: [T0], values: [1] })));
    const small = await startTestServer({ engine, config: { maxSeriesPerQuery: 2 } });
    try {
      for (const [path, body] of [
        ['/api/native/query', { metric: 'temperature', start: T0, end: T0 + H, step: H }],
        ['/api/native/latest', { metric: 'temperature' }],
      ] as const) {
        const response = await fetch(`${small.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
        expect(response.status).toBe(422);
        expect(await response.json()).toMatchObject({ code: 'QUERY_LIMIT', details: { limit: 'series', max: 2 } });
      }
    } finally {
      await small.close();
    }
  });
});

describe('POST /api/native/latest', () => {
  it('answers the latest non-NaN value of each series', async () => {
    const res = await call('/api/native/latest', { metric: 'battery' });
    expect(res.body.series).toEqual([{ metric: 'battery', labels: { device: 'd1' }, unit: 'percent', time: T0, value: 90 }]);
    const limited = await call('/api/native/latest', { metric: 'temperature', matchers: [{ name: 'site', op: '=', value: 'berlin' }], limit: 1 });
    expect(limited.body.series).toHaveLength(1);
    expect(limited.body.series[0]).toMatchObject({ labels: { device: 'd1' }, time: T0 + 47 * H, value: 23 });
    expect(limited.body.truncated).toBe(true);
  });
});

describe('metadata', () => {
  it('lists metric names, with search and limit', async () => {
    expect((await call('/api/native/metrics', { matchers: [] })).body.data).toEqual(['battery', 'humidity', 'temperature']);
    expect((await call('/api/native/metrics', { search: 'TEMP' })).body.data).toEqual(['temperature']);
    expect((await call('/api/native/metrics', { search: 'e', limit: 1 })).body.data).toEqual(['battery']);
    expect((await call('/api/native/metrics', { matchers: [{ name: 'site', op: '=', value: 'paris' }] })).body.data).toEqual(['humidity', 'temperature']);
  });

  it('lists label names without __name__', async () => {
    expect((await call('/api/native/labels', {})).body.data).toEqual(['device', 'kind', 'site']);
    expect((await call('/api/native/labels', { metric: 'battery' })).body.data).toEqual(['device']);
    expect((await call('/api/native/labels', { limit: 2 })).body.data).toEqual(['device', 'kind']);
  });

  it('lists the values of a label, filtered by metric, matchers, time range, search and limit', async () => {
    expect((await call('/api/native/label/site/values', {})).body.data).toEqual(['berlin', 'paris']);
    expect((await call('/api/native/label/device/values', { metric: 'temperature', matchers: [{ name: 'site', op: '=', value: 'berlin' }] })).body.data).toEqual(['d1', 'd2']);
    expect((await call('/api/native/label/device/values', { search: '3' })).body.data).toEqual(['d3']);
    expect((await call('/api/native/label/device/values', { limit: 1 })).body.data).toEqual(['d1']);
    expect((await call('/api/native/label/device/values', { start: T0 + 100 * H, end: T0 + 101 * H })).body.data).toEqual([]);
    expect((await call('/api/native/label/__name__/values', { search: 'bat' })).body.data).toEqual(['battery']);
  });

  it('counts series', async () => {
    expect((await call('/api/native/series/count', {})).body).toEqual({ data: { series: 7 } });
    expect((await call('/api/native/series/count', { metric: 'temperature', matchers: [{ name: 'site', op: '=', value: 'paris' }] })).body).toEqual({ data: { series: 1 } });
  });

  it('refuses malformed metadata requests', async () => {
    const res = await call('/api/native/labels', { matchers: [{ name: 'site', op: '==', value: 'x' }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('matchers[0].op');
  });
});

describe('GET /api/native/status', () => {
  it('answers version, series and readiness', async () => {
    expect((await call('/api/native/status')).body).toEqual({ version: '0.0.0-test', series: 7, ready: true });
  });
});

describe('niceStepMs', () => {
  it.each([
    [0, 3_600_000, 100, 60_000],
    [0, 3_600_000, 1000, 5_000],
    [0, 1000, 1000, 1],
    [0, 365 * 86_400_000, 10, 37 * 86_400_000],
  ])('[%d, %d) in %d points → %d ms', (start, end, points, step) => expect(niceStepMs(start, end, points)).toBe(step));
});
