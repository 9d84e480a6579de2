import express from 'express';
import { Server } from 'http';
import { AddressInfo } from 'net';
import { QueryLimitError } from '../../engine/model/errors';
import { SelectRequest, StorageEngine } from '../../engine/model/types';
import { MemoryEngine } from '../../engine/testing/memory-engine';
import { PrometheusApiDeps, prometheusApiRouter, QueryEvent } from './router';

const T = 1_700_000_000_000;

interface Answer {
  status: number;
  body: { status: string; data?: unknown; errorType?: string; error?: string };
}

let server: Server;
let base: string;
let engine: MemoryEngine;
let events: QueryEvent[];

async function start(deps: Partial<PrometheusApiDeps> = {}): Promise<void> {
  events = [];
  const app = express();
  app.use('/api/v1', prometheusApiRouter({ engine, onQuery: (e) => events.push(e), ...deps }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
}

async function get(path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function post(path: string, form: Record<string, string | string[]>): Promise<Answer> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

beforeEach(async () => {
  engine = new MemoryEngine();
  await engine.write([
    { labels: { __name__: 'battery', device: 'd1', site: 'berlin' }, timestamps: [T, T + 60_000], values: [20, 14] },
    { labels: { __name__: 'battery', device: 'd2', site: 'paris' }, timestamps: [T, T + 60_000], values: [80, 79] },
    { labels: { __name__: 'temperature', device: 'd1', site: 'berlin' }, timestamps: [T], values: [NaN] },
    { labels: { __name__: 'tiny', device: 'd1' }, timestamps: [T], values: [1e-7] },
  ]);
  await start();
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('/query', () => {
  test('answers the health check 1+1 at time=4 with a scalar', async () => {
    expect(await post('/query', { query: '1+1', time: '4' })).toEqual({ status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [4, '2'] } } });
  });

  test('answers a vector with labels sorted and values as Prometheus prints them', async () => {
    const { body } = await get(`/query?query=${encodeURIComponent('{device="d1"}')}&time=${(T + 60_000) / 1000}`);
    expect(body).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { __name__: 'battery', device: 'd1', site: 'berlin' }, value: [(T + 60_000) / 1000, '14'] },
          { metric: { __name__: 'temperature', device: 'd1', site: 'berlin' }, value: [(T + 60_000) / 1000, 'NaN'] },
          { metric: { __name__: 'tiny', device: 'd1' }, value: [(T + 60_000) / 1000, '1e-07'] },
        ],
      },
    });
  });

  test('reads RFC 3339 times and answers a string and a matrix', async () => {
    const time = new Date(T + 60_000).toISOString();
    expect((await get(`/query?query=${encodeURIComponent('"hi"')}&time=${time}`)).body.data).toEqual({ resultType: 'string', result: [(T + 60_000) / 1000, 'hi'] });
    const m = await get(`/query?query=${encodeURIComponent('battery{device="d2"}[5m]')}&time=${time}`);
    expect(m.body.data).toEqual({
      resultType: 'matrix',
      result: [{ metric: { __name__: 'battery', device: 'd2', site: 'paris' }, values: [[T / 1000, '80'], [(T + 60_000) / 1000, '79']] }],
    });
  });

  test('refuses a query that does not parse, naming the parameter and the position', async () => {
    const res = await get('/query?query=sum(&time=1');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error: unexpected end of input' });
  });

  test('refuses unsupported PromQL by name', async () => {
    const res = await get(`/query?query=${encodeURIComponent('mad_over_time(battery[5m])')}&time=1`);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('unsupported PromQL feature: function "mad_over_time"');
  });

  test('answers execution errors with 422', async () => {
    const res = await get(`/query?query=${encodeURIComponent('abs({__name__=~"battery|temperature", device="d1"})')}&time=${T / 1000}`);
    expect(res).toEqual({ status: 422, body: { status: 'error', errorType: 'execution', error: 'vector cannot contain metrics with the same labelset' } });
  });

  test('refuses a bad time', async () => {
    const res = await get('/query?query=1&time=yesterday');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid parameter "time": cannot parse "yesterday" to a valid timestamp');
  });

  test('reports each query to onQuery', async () => {
    await get('/query?query=1&time=1');
    await get('/query?query=(&time=1');
    expect(events.map((e) => [e.endpoint, e.outcome])).toEqual([
      ['query', 'success'],
      ['query', 'bad_data'],
    ]);
  });
});

describe('/query_range', () => {
  test('answers a matrix sorted by labels, with durations for step', async () => {
    const res = await post('/query_range', { query: 'battery < 50', start: String(T / 1000), end: String((T + 60_000) / 1000), step: '30s' });
    expect(res.body).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'battery', device: 'd1', site: 'berlin' },
            values: [
              [T / 1000, '20'],
              [(T + 30_000) / 1000, '20'],
              [(T + 60_000) / 1000, '14'],
            ],
          },
        ],
      },
    });
  });

  test('answers a scalar expression as a matrix with one series', async () => {
    const res = await get('/query_range?query=time()&start=10&end=20&step=5');
    expect(res.body.data).toEqual({ resultType: 'matrix', result: [{ metric: {}, values: [[10, '10'], [15, '15'], [20, '20']] }] });
  });

  test.each([
    ['query=1&end=2&step=1', 'invalid parameter "start": cannot parse "" to a valid timestamp'],
    ['query=1&start=3&end=2&step=1', 'invalid parameter "end": end timestamp must not be before start time'],
    ['query=1&start=1&end=2&step=0', 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
    ['query=1&start=1&end=2&step=x', 'invalid parameter "step": cannot parse "x" to a valid duration'],
    ['query=1&start=0&end=20000&step=1', 'exceeded maximum resolution of 11,000 points per timeseries'],
    ['query=battery[5m]&start=1&end=2&step=1', 'invalid expression type "range vector" for range query, must be Scalar or instant Vector'],
  ])('refuses %s', async (params, message) => {
    const res = await get(`/query_range?${params}`);
    expect(res.status).toBe(400);
    expect(res.body.errorType).toBe('bad_data');
    expect(res.body.error).toContain(message);
  });
});

describe('limits and time', () => {
  test('a query past its timeout answers 503 timeout', async () => {
    const slow: StorageEngine = Object.create(engine);
    slow.select = async (req: SelectRequest) => {
      await new Promise((r) => setTimeout(r, 30));
      return engine.select(req);
    };
    await new Promise((resolve) => server.close(resolve));
    await start({ engine: slow });
    const res = await get(`/query?query=battery&time=${T / 1000}&timeout=5ms`);
    expect(res.status).toBe(503);
    expect(res.body.errorType).toBe('timeout');
    expect(res.body.error).toContain('query timed out');
  });

  test("the engine's query limit answers 422", async () => {
    const limited: StorageEngine = Object.create(engine);
    limited.select = async () => {
      throw new QueryLimitError('the query matches 2 series, more than the limit of 1', 'series', 1);
    };
    await new Promise((resolve) => server.close(resolve));
    await start({ engine: limited });
    const res = await get(`/query?query=battery&time=${T / 1000}`);
    expect(res).toEqual({ status: 422, body: { status: 'error', errorType: 'execution', error: 'the query matches 2 series, more than the limit of 1' } });
  });

  test('too many points in one result answers 422', async () => {
    await new Promise((resolve) => server.close(resolve));
    await start({ query: { maxSamples: 10 } });
    const res = await get(`/query_range?query=battery&start=${T / 1000}&end=${T / 1000 + 100}&step=10`);
    expect(res.status).toBe(422);
    expect(res.body.error).toContain('too many samples');
  });
});

describe('metadata', () => {
  test('/labels lists label names, optionally for match[] and within a time range', async () => {
    expect((await get('/labels')).body).toEqual({ status: 'success', data: ['__name__', 'device', 'site'] });
    expect((await post('/labels', { 'match[]': ['tiny', 'battery{device="d2"}'] })).body.data).toEqual(['__name__', 'device', 'site']);
    expect((await get(`/labels?match[]=tiny&start=${T / 1000 + 1}`)).body.data).toEqual([]);
    expect((await get('/labels?limit=2')).body.data).toEqual(['__name__', 'device']);
  });

  test('/label/<name>/values lists values, __name__ included', async () => {
    expect((await get('/label/__name__/values')).body.data).toEqual(['battery', 'temperature', 'tiny']);
    expect((await get(`/label/site/values?match[]=${encodeURIComponent('battery{device="d1"}')}`)).body.data).toEqual(['berlin']);
    const bad = await get('/label/1x/values');
    expect(bad).toEqual({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'invalid parameter "name": invalid label name: "1x"' } });
  });

  test('/series answers the union of every match[], and needs one', async () => {
    expect((await post('/series', { 'match[]': ['tiny', 'battery{site="paris"}'] })).body.data).toEqual([
      { __name__: 'battery', device: 'd2', site: 'paris' },
      { __name__: 'tiny', device: 'd1' },
    ]);
    expect((await get('/series')).body).toEqual({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "match[]": no match[] parameter provided' });
    expect((await get('/series?match[]=rate(x[5m])')).status).toBe(400);
  });

  test('buildinfo has no features (Grafana then treats it as Prometheus); metadata, rules and exemplars are empty', async () => {
    const info = await get('/status/buildinfo');
    expect(info.body.data).toMatchObject({ version: '2.42.0' });
    expect(info.body.data).not.toHaveProperty('features');
    expect((await get('/metadata')).body).toEqual({ status: 'success', data: {} });
    expect((await get('/rules')).body).toEqual({ status: 'success', data: { groups: [] } });
    expect((await post('/query_exemplars', { query: 'battery', start: '1', end: '2' })).body).toEqual({ status: 'success', data: [] });
    expect((await post('/query_exemplars', { query: 'battery{', start: '1', end: '2' })).status).toBe(400);
  });
});
