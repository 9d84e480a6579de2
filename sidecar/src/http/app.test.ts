// The service around the endpoints: health and readiness, /metrics, the error table, load limits,
// and graceful shutdown.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ERROR_CODES } from './errors';
import { CorruptionError, DiskFullError, EngineClosedError, EngineFailedError, IOError, InvalidQueryError, InvalidSeriesError } from '../engine/model/errors';
import { ControlledEngine, until } from './testing/engines';
import { TestServer, startTestServer } from './testing/serve';
import { StorageEngine } from '../engine/model/types';
import { MemoryEngine } from '../engine/testing/memory-engine';

async function call(server: TestServer, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text answers (/metrics)
  }
  return { status: response.status, headers: response.headers, body: body as Record<string, unknown> & { code?: string; message?: string } };
}

const query = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });

describe('readiness', () => {
  it('answers /health at once, /ready and every engine endpoint 503 NOT_READY until recovery ends', async () => {
    let open!: (engine: StorageEngine) => void;
    const engine = new MemoryEngine();
    const server = await startTestServer({ engine: new Promise<StorageEngine>((resolve) => (open = resolve)) });
    try {
      expect((await call(server, '/health')).body).toEqual({ status: 'ok' });
      const ready = await call(server, '/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.code).toBe('NOT_READY');
      expect(ready.headers.get('retry-after')).toBe('1');
      expect((await call(server, '/write', { method: 'POST', body: 'm value=1 1' })).body.code).toBe('NOT_READY');
      expect((await call(server, '/api/native/status')).body.code).toBe('NOT_READY');
      open(engine);
      await until(() => server.sidecar.gate.ready, 'the engine is open');
      expect((await call(server, '/ready')).status).toBe(200);
      expect((await call(server, '/api/native/status')).body).toMatchObject({ ready: true, series: 0 });
    } finally {
      await server.close();
    }
  });

  it('reports an engine that failed to open', async () => {
    const server = await startTestServer({ engine: Promise.reject(new Error('corruption in wal/00000003 at byte 96')) });
    try {
      await until(() => server.sidecar.gate.peek() === undefined, 'the failure is seen');
      const ready = await call(server, '/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.message).toContain('corruption in wal/00000003 at byte 96');
    } finally {
      await server.close();
    }
  });
});

describe('/metrics', () => {
  it('exposes ingest, rejection, query, HTTP and engine figures in Prometheus text format', async () => {
    const server = await startTestServer();
    try {
      await call(server, '/write?precision=ms', { method: 'POST', body: 'm value=1 1\nm value=x 2\n' });
      await call(server, '/api/native/query', query({ metric: 'm', start: 0, end: 10, raw: true }));
      const metrics = await call(server, '/metrics');
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = metrics.body as unknown as string;
      for (const line of [
        'sensorstore_ingest_samples_total{format="influx_v1"} 1',
        'sensorstore_ingest_rejected_lines_total{format="influx_v1"} 1',
        'sensorstore_query_duration_seconds_count{endpoint="native_query"} 1',
        'sensorstore_http_requests_total{route="/write",method="POST",status="400"} 1',
        'sensorstore_head_series 1',
        'sensorstore_head_samples 1',
        'sensorstore_compaction_running 0',
        'sensorstore_build_info{version="0.0.0-test"} 1',
      ]) {
        expect(text).toContain(line);
      }
      for (const name of ['sensorstore_wal_fsync_duration_seconds', 'sensorstore_wal_fsync_group_records', 'sensorstore_segments', 'sensorstore_compactions_total', 'process_cpu_seconds_total']) {
        expect(text).toContain(`# TYPE ${name}`);
      }
    } finally {
      await server.close();
    }
  });

  it('counts rejected samples by reason', async () => {
    const server = await startTestServer({ config: { maxSeries: 1 } });
    try {
      await call(server, '/write?precision=ms', { method: 'POST', body: 'a value=1 1\nb value=1 1\nb value=2 2\n' });
      expect((await call(server, '/metrics')).body).toContain('sensorstore_ingest_rejected_samples_total{format="influx_v1",reason="cardinality_limit"} 2');
    } finally {
      await server.close();
    }
  });

  it('feeds the WAL histograms from the engine observer', async () => {
    const server = await startTestServer();
    try {
      server.sidecar.metrics.observer().onFsync?.(4, 3);
      const text = (await call(server, '/metrics')).body as unknown as string;
      expect(text).toContain('sensorstore_wal_fsync_duration_seconds_bucket{le="0.005"} 1');
      expect(text).toContain('sensorstore_wal_fsync_group_records_sum 3');
    } finally {
      await server.close();
    }
  });
});

describe('errors', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('answers unknown endpoints 404 NOT_FOUND', async () => {
    expect(await call(server, '/api/native/nothing', { method: 'POST' })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('answers malformed JSON 400 and keeps serving', async () => {
    expect((await call(server, '/api/native/query', { method: 'POST', body: '{"metric":' })).body.code).toBe('INVALID_REQUEST');
    expect((await call(server, '/api/native/query', { method: 'POST', body: '' })).body.message).toContain('empty');
    expect((await call(server, '/health')).status).toBe(200);
  });

  it('has one status per code, from the documented table', () => {
    const statuses = new Set(Object.values(ERROR_CODES).map((e) => e.status));
    expect([...statuses].sort()).toEqual([400, 401, 403, 404, 413, 415, 422, 429, 500, 503, 507]);
  });

  it('documents exactly the codes of the table, with their statuses, in docs/api.md', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'api.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
  });
});

describe('engine errors', () => {
  it.each([
    ['write', new DiskFullError('wal/00000002'), 507, 'DISK_FULL', { file: 'wal/00000002' }],
    ['write', new EngineFailedError('an earlier fsync failed; restart the sidecar'), 500, 'ENGINE_FAILED', undefined],
    ['write', new IOError('wal/00000002', 'write', { cause: new Error('EIO') }), 500, 'IO_ERROR', { file: 'wal/00000002', op: 'write' }],
    ['write', new EngineClosedError(), 503, 'SHUTTING_DOWN', undefined],
    ['write', new Error('something unexpected'), 500, 'INTERNAL', undefined],
    ['aggregate', new CorruptionError('segments/000012.seg', 4096, 'block checksum mismatch'), 500, 'CORRUPTION', { file: 'segments/000012.seg', offset: 4096 }],
    ['aggregate', new InvalidQueryError('bad'), 400, 'INVALID_QUERY', undefined],
    ['write', new InvalidSeriesError('label name "a-b" must match [a-zA-Z_][a-zA-Z0-9_]*', 'a-b'), 400, 'INVALID_REQUEST', { label: 'a-b' }],
  ] as const)('answers %s failing with %s as %d %s', async (method, error, status, code, details) => {
    const engine = new ControlledEngine();
    engine.failWith(method, error);
    const server = await startTestServer({ engine });
    try {
      const res =
        method === 'write'
          ? await call(server, '/write?precision=ms', { method: 'POST', body: 'm value=1 1' })
          : await call(server, '/api/native/query', query({ metric: 'm', start: 0, end: 10, step: 1 }));
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(res.body.message).toContain(error.message.slice(0, 20));
      if (details) expect(res.body.details).toMatchObject(details);
      expect((await call(server, '/health')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('limits', () => {
  it('answers 429 OVERLOADED beyond the concurrent query limit', async () => {
    const engine = new ControlledEngine();
    const server = await startTestServer({ engine, config: { maxConcurrentQueries: 1 } });
    try {
      engine.hold('seriesCount');
      const first = call(server, '/api/native/series/count', query({}));
      await until(() => engine.waiting('seriesCount') === 1, 'the first query reached the engine');
      const second = await call(server, '/api/native/series/count', query({}));
      expect(second.status).toBe(429);
      expect(second.body.code).toBe('OVERLOADED');
      expect(second.headers.get('retry-after')).toBe('1');
      engine.release('seriesCount');
      expect((await first).status).toBe(200);
      expect((await call(server, '/api/native/series/count', query({}))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers 429 OVERLOADED beyond the concurrent write limit', async () => {
    const engine = new ControlledEngine();
    const server = await startTestServer({ engine, config: { maxConcurrentWrites: 1 } });
    try {
      engine.hold('write');
      const first = call(server, '/write', { method: 'POST', body: 'm value=1 1' });
      await until(() => engine.waiting('write') === 1, 'the first write reached the engine');
      expect((await call(server, '/write', { method: 'POST', body: 'm value=2 2' })).body.code).toBe('OVERLOADED');
      engine.release('write');
      expect((await first).status).toBe(204);
    } finally {
      await server.close();
    }
  });

  it('answers 503 QUERY_TIMEOUT when a query runs past the time limit', async () => {
    const engine = new ControlledEngine();
    const server = await startTestServer({ engine, config: { queryTimeoutMs: 20 } });
    try {
      engine.hold('aggregate');
      const res = await call(server, '/api/native/query', query({ metric: 'm', start: 0, end: 10, step: 1 }));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'QUERY_TIMEOUT', details: { limitMs: 20 } });
      engine.release('aggregate');
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes writes in flight, refuses new requests, then closes the engine', async () => {
    const engine = new ControlledEngine();
    const server = await startTestServer({ engine });
    engine.hold('write');
    const inFlight = call(server, '/write?precision=ms', { method: 'POST', body: 'm value=1 1' });
    await until(() => engine.waiting('write') === 1, 'the write reached the engine');
    const closing = server.close();
    await until(() => server.sidecar.gate.shuttingDown, 'shutdown began');
    expect(engine.wasClosed).toBe(false);
    engine.release('write');
    expect((await inFlight).status).toBe(204);
    await closing;
    expect(engine.wasClosed).toBe(true);
    expect(engine.stats().head.samples).toBe(1);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe('Prometheus-compatible API at /api/v1', () => {
  it('answers PromQL behind the read scope, with Prometheus-shaped errors', async () => {
    const engine = new MemoryEngine();
    await engine.write([{ labels: { __name__: 'up', job: 'node' }, timestamps: [1000], values: [1] }]);
    const server = await startTestServer({ engine, config: { tokenRead: 'r' } });
    try {
      const auth = { headers: { Authorization: 'Bearer r' } };
      expect((await call(server, '/api/v1/query?query=1%2B1&time=4', auth)).body).toEqual({ status: 'success', data: { resultType: 'scalar', result: [4, '2'] } });
      const up = await call(server, '/api/v1/query?query=up&time=2', auth);
      expect(up.body).toMatchObject({ status: 'success', data: { resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'node' }, value: [2, '1'] }] } });
      const denied = await call(server, '/api/v1/query?query=up');
      expect(denied.status).toBe(401);
      expect(denied.body).toMatchObject({ status: 'error', code: 'UNAUTHORIZED' });
      expect((await call(server, '/metrics', auth)).body).toContain('sensorstore_query_duration_seconds_count{endpoint="prometheus_query"} 2');
    } finally {
      await server.close();
    }
  });

  it('answers 503 in Prometheus shape until the engine is open', async () => {
    const server = await startTestServer({ engine: new Promise<StorageEngine>(() => undefined) });
    try {
      const res = await call(server, '/api/v1/labels');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'error', errorType: 'unavailable', code: 'NOT_READY' });
    } finally {
      await server.close();
    }
  });
});
