// InfluxDB 1.x's /ping and database statements on /query, over HTTP, as Telegraf and client
// libraries send them; and the `error` field InfluxDB 1.x clients read from failed writes.

import { splitStatements } from './influx-v1';
import { ControlledEngine } from '../testing/engines';
import { TestServer, startTestServer } from '../testing/serve';

let server: TestServer;

afterEach(() => server?.close());

async function start(config: Parameters<typeof startTestServer>[0] = {}): Promise<void> {
  server = await startTestServer(config);
}

async function call(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${server.url}${path}`, { method, body: init.body, headers: init.headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** As Telegraf sends it: a POST form with q. */
function form(q: string, headers: Record<string, string> = {}) {
  return call('POST', '/query', { body: new URLSearchParams({ q }).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
}

const basic = (password: string) => ({ Authorization: `Basic ${Buffer.from(`telegraf:${password}`).toString('base64')}` });

describe('/ping', () => {
  it('answers 204 with the version headers to GET and HEAD, without a token', async () => {
    await start({ config: { tokenRead: 'r', tokenWrite: 'w' } });
    for (const method of ['GET', 'HEAD']) {
      const res = await call(method, '/ping');
      expect(res.status).toBe(204);
      expect(res.headers.get('x-influxdb-version')).toBe('0.0.0-test');
      expect(res.headers.get('x-influxdb-build')).toBe('sensorstore');
    }
  });

  it('answers the version as JSON when verbose', async () => {
    await start();
    expect(await call('GET', '/ping?verbose=true')).toMatchObject({ status: 200, body: { version: '0.0.0-test' } });
  });

  it('answers while recovery runs', async () => {
    await start({ engine: new Promise(() => undefined) });
    expect((await call('GET', '/ping')).status).toBe(204);
  });
});

describe('/query database statements', () => {
  it("accepts Telegraf's CREATE DATABASE without changing anything, then the writes to that db", async () => {
    await start();
    const created = await form('CREATE DATABASE "telegraf"', basic('any'));
    expect(created).toMatchObject({ status: 200, body: { results: [{ statement_id: 0 }] } });
    expect(created.body.results[0].error).toBeUndefined();
    expect(await call('GET', '/query?q=SHOW+DATABASES')).toMatchObject({ status: 200, body: { results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'] }] }] } });
    expect((await call('POST', '/write?db=telegraf&precision=s', { body: 'cpu,host=a usage_idle=97.5 1700000000\n' })).status).toBe(204);
  });

  it('lists the values of the db label of stored series as SHOW DATABASES', async () => {
    await start();
    expect((await call('POST', '/write?db=fleet', { body: 'm value=1 1\n' })).status).toBe(204);
    expect((await call('POST', '/api/v2/write?org=o&bucket=lab', { body: 'm value=1 1\n' })).status).toBe(204);
    const res = await call('GET', `/query?q=${encodeURIComponent('show databases')}`);
    expect(res.body).toEqual({ results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['fleet'], ['lab']] }] }] });
  });

  it('answers several statements in order, with quoted names, WITH clauses and semicolons inside quotes', async () => {
    await start();
    const res = await form('CREATE DATABASE "a;b" WITH DURATION 30d; create database plain; SHOW DATABASES;');
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { statement_id: number }) => r.statement_id)).toEqual([0, 1, 2]);
    expect(splitStatements('CREATE DATABASE "a;b" WITH DURATION 30d; create database plain;')).toEqual(['CREATE DATABASE "a;b" WITH DURATION 30d', 'create database plain']);
  });

  it('refuses other statements with 400, naming the statement, in the error field InfluxDB 1.x clients read', async () => {
    await start();
    const res = await form('CREATE DATABASE x; SELECT mean(value) FROM temperature');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_QUERY');
    expect(res.body.details).toEqual({ statement: 2 });
    expect(res.body.error).toBe(res.body.message);
    expect(res.body.message).toMatch(/statement 2 \("SELECT mean\(value\) FROM temperature"\) is not supported.*\/api\/native\/query/);
  });

  it('refuses a missing q and an empty database name', async () => {
    await start();
    expect(await call('POST', '/query')).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST', error: 'missing required parameter "q"' } });
    expect(await form('CREATE DATABASE ""')).toMatchObject({ status: 400, body: { code: 'INVALID_QUERY', details: { statement: 1 } } });
    expect(await form(' ; ')).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
  });

  it('needs the write scope to create and the read scope to list', async () => {
    await start({ config: { tokenRead: 'r', tokenWrite: 'w' } });
    expect((await form('CREATE DATABASE x')).status).toBe(401);
    expect((await form('CREATE DATABASE x', basic('r'))).status).toBe(403);
    expect((await form('CREATE DATABASE x', basic('w'))).status).toBe(200);
    expect((await call('GET', '/query?q=SHOW+DATABASES&p=r')).status).toBe(200);
    expect((await call('GET', '/query?q=SHOW+DATABASES')).status).toBe(401);
  });

  it('answers SHOW DATABASES with 503 NOT_READY during recovery', async () => {
    await start({ engine: new Promise(() => undefined) });
    expect(await call('GET', '/query?q=SHOW+DATABASES')).toMatchObject({ status: 503, body: { code: 'NOT_READY' } });
  });

  it('bounds the form body by the query body limit', async () => {
    await start({ config: { maxQueryBodyBytes: 1024 } });
    const res = await form(`CREATE DATABASE "${'x'.repeat(2000)}"`);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('BODY_TOO_LARGE');
  });
});

describe('failed writes on /write', () => {
  it('carry the message in the error field, prefixed "partial write" when valid lines were stored', async () => {
    await start({ engine: new ControlledEngine({ maxSeries: 100 }) });
    const res = await call('POST', '/write?precision=s', { body: 'm value=1 1\nbad line\n' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARTIAL_WRITE');
    expect(res.body.error).toBe(`partial write: ${res.body.message}`);
    const v2 = await call('POST', '/api/v2/write?bucket=b', { body: 'bad line\n' });
    expect(v2.body.error).toBeUndefined();
  });
});
