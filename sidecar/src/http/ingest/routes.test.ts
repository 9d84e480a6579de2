// The ingest endpoints over HTTP: every format, gzip, precision, partial writes, limits and errors.

import { deflateSync, gzipSync } from 'node:zlib';

import snappy from 'snappyjs';

import { DiskFullError } from '../../engine/model/errors';
import { ControlledEngine } from '../testing/engines';
import { REMOTE_WRITE_HEADERS, encodeWriteRequest, encodeWriteRequestProto } from '../testing/remote-write-encoder';
import { TestServer, startTestServer } from '../testing/serve';

let server: TestServer;
let engine: ControlledEngine;

beforeEach(async () => {
  engine = new ControlledEngine({ maxSeries: 100 });
  server = await startTestServer({ engine, config: { maxBodyBytes: 64 * 1024, maxSamplesPerRequest: 1000 } });
});

afterEach(() => server.close());

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function query(body: unknown) {
  return post('/api/native/query', JSON.stringify(body), { 'Content-Type': 'application/json' });
}

/** Every stored sample as "series t v", sorted. */
async function stored(): Promise<string[]> {
  const all = await engine.select({ matchers: [{ name: '__name__', op: '=~', value: '.+' }], start: -1e15, end: 1e15 });
  const out: string[] = [];
  for (const s of all) {
    const { __name__: name, ...rest } = s.labels;
    const tags = Object.keys(rest)
      .sort()
      .map((k) => `${k}=${rest[k]}`)
      .join(',');
    s.timestamps.forEach((t, i) => out.push(`${name}{${tags}} ${t} ${s.values[i]}`));
  }
  return out.sort();
}

describe('POST /write (InfluxDB 1.x)', () => {
  it('stores every line and answers 204', async () => {
    const res = await post('/write?db=fleet&precision=ms', 'temperature,site=berlin value=21.5 1000\nweather,site=paris temp=19,hum=40i 2000\n');
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['temperature{db=fleet,site=berlin} 1000 21.5', 'weather_hum{db=fleet,site=paris} 2000 40', 'weather_temp{db=fleet,site=paris} 2000 19']);
  });

  it('reads gzip bodies', async () => {
    const res = await post('/write?precision=s', gzipSync('m value=1 1700000000\n'), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['m{} 1700000000000 1']);
  });

  it('reads deflate bodies', async () => {
    const res = await post('/write?precision=ms', deflateSync('m,site=a value=2.5 1000\nm,site=a value=3.5 2000\n'), { 'Content-Encoding': 'deflate' });
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['m{site=a} 1000 2.5', 'm{site=a} 2000 3.5']);
  });

  // Negative times round down too: a sub-millisecond part moves them one ms earlier.
  it.each([
    ['ns', '1700000000123456789', 1700000000123, -1700000000124],
    ['n', '1700000000123456789', 1700000000123, -1700000000124],
    ['us', '1700000000123456', 1700000000123, -1700000000124],
    ['u', '1700000000123456', 1700000000123, -1700000000124],
    ['µ', '1700000000123456', 1700000000123, -1700000000124],
    ['ms', '1700000000123', 1700000000123, -1700000000123],
    ['s', '1700000000', 1700000000000, -1700000000000],
    ['m', '28333333', 28333333 * 60_000, -28333333 * 60_000],
    ['h', '472222', 472222 * 3_600_000, -472222 * 3_600_000],
  ])('reads precision=%s timestamps', async (precision, timestamp, ms, negativeMs) => {
    const res = await post(`/write?precision=${encodeURIComponent(precision)}`, `m value=1 ${timestamp}\nm value=2 -${timestamp}\n`);
    expect(res.status).toBe(204);
    expect(await stored()).toEqual([`m{} ${negativeMs} 2`, `m{} ${ms} 1`].sort());
  });

  it('reads back an escaped line as exact labels and values', async () => {
    const body = [
      'my\\ meas\\,ure=x,tag\\ key\\,a\\=b=a\\,b\\ c\\=d\\\\e"f",lone=back\\slash f\\ k\\,e\\=y"q"=1.5,value=-2i 1000',
      '"q\\ m",t="v\\,w" value=3 2000',
    ].join('\n');
    const res = await post('/write?precision=ms', body);
    expect(res.status).toBe(204);
    const read = async (metric: string) => (await query({ metric, start: 0, end: 10_000, raw: true })).body.series;
    expect(await read('my_meas_ure_x_f_k_e_y_q_')).toEqual([{ metric: 'my_meas_ure_x_f_k_e_y_q_', labels: { tag_key_a_b: 'a,b c=d\\\\e"f"', lone: 'back\\slash' }, times: [1000], values: [1.5] }]);
    expect(await read('my_meas_ure_x')).toEqual([{ metric: 'my_meas_ure_x', labels: { tag_key_a_b: 'a,b c=d\\\\e"f"', lone: 'back\\slash' }, times: [1000], values: [-2] }]);
    expect(await read('_q_m_')).toEqual([{ metric: '_q_m_', labels: { t: '"v,w"' }, times: [2000], values: [3] }]);
  });

  it('defaults to nanoseconds, like InfluxDB', async () => {
    expect((await post('/write', 'm value=1 1700000000123456789')).status).toBe(204);
    expect(await stored()).toEqual(['m{} 1700000000123 1']);
  });

  it('stores the valid lines of a partly invalid body and names the bad lines', async () => {
    const res = await post('/write?precision=ms', 'm value=1 1\nm value=oops 2\nm value=3 3\nm text="x" 4\n');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARTIAL_WRITE');
    expect(res.body.message).toContain('2 malformed lines (first: line 2: invalid value "oops"');
    expect(res.body.message).toContain('2 valid samples were stored');
    expect(res.body.details).toMatchObject({ storedSamples: 2, rejectedLines: 2 });
    expect(res.body.details.lineErrors.map((e: { line: number }) => e.line)).toEqual([2, 4]);
    expect(await stored()).toEqual(['m{} 1 1', 'm{} 3 3']);
  });

  it('answers 422 CARDINALITY_LIMIT when samples would create series beyond the limit, storing the rest', async () => {
    const lines = Array.from({ length: 102 }, (_, i) => `m,device=d${i} value=1 1`).join('\n');
    const res = await post('/write?precision=ms', lines);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('CARDINALITY_LIMIT');
    expect(res.body.details.byReason).toEqual({ cardinality_limit: 2 });
    expect(res.body.details.seriesErrors[0].series).toMatch(/^m\{device="d10[01]"\}$/);
    expect(await stored()).toHaveLength(100);
  });

  it('refuses a bad precision', async () => {
    const res = await post('/write?precision=fortnights', 'm value=1 1');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', details: { parameter: 'precision' } });
  });

  it('refuses bodies over the size limit, raw or decompressed, storing nothing', async () => {
    const big = `m value=1 1\n`.repeat(6000);
    expect((await post('/write?precision=ms', big)).body.code).toBe('BODY_TOO_LARGE');
    const bomb = await post('/write?precision=ms', gzipSync(big), { 'Content-Encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect(bomb.body.message).toContain('decompressed gzip body exceeds the body size limit of 65536 bytes');
    expect(await stored()).toEqual([]);
  });

  it('refuses more samples than the per-request limit, storing nothing', async () => {
    const res = await post('/write?precision=ms', Array.from({ length: 1001 }, (_, i) => `m value=${i} ${i}`).join('\n'));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('TOO_MANY_SAMPLES');
    expect(await stored()).toEqual([]);
  });

  it('refuses unknown encodings and broken gzip', async () => {
    expect((await post('/write', 'x', { 'Content-Encoding': 'br' })).body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const broken = await post('/write', Buffer.from('not gzip'), { 'Content-Encoding': 'gzip' });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toContain('could not be decompressed');
  });

  it('answers 507 DISK_FULL when the engine can not store, and stores nothing', async () => {
    engine.failWith('write', new DiskFullError('wal/00000001'));
    const res = await post('/write?precision=ms', 'm value=1 1');
    expect(res.status).toBe(507);
    expect(res.body).toMatchObject({ code: 'DISK_FULL', details: { file: 'wal/00000001' } });
    engine.failWith('write', undefined);
    expect(await stored()).toEqual([]);
  });
});

describe('POST /api/v2/write (InfluxDB 2.x)', () => {
  it('stores lines with the bucket as label db and the v2 precisions', async () => {
    const res = await post('/api/v2/write?org=acme&bucket=sensors&precision=us', 'm,site=a value=2 1700000000000123');
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['m{db=sensors,site=a} 1700000000000 2']);
  });

  it.each([
    ['ns', '1700000000123456789'],
    ['us', '1700000000123456'],
    ['ms', '1700000000123'],
    ['s', '1700000000'],
  ])('reads precision=%s timestamps', async (precision, timestamp) => {
    expect((await post(`/api/v2/write?bucket=b&precision=${precision}`, `m value=1 ${timestamp}`)).status).toBe(204);
    expect(await stored()).toEqual([`m{db=b} ${precision === 's' ? 1700000000000 : 1700000000123} 1`]);
  });

  it('needs a bucket and a v2 precision', async () => {
    expect((await post('/api/v2/write?org=acme', 'm value=1')).body.details).toEqual({ parameter: 'bucket' });
    expect((await post('/api/v2/write?bucket=b&precision=h', 'm value=1')).body.details).toEqual({ parameter: 'precision' });
  });
});

describe('POST /api/v1/write (Prometheus remote write)', () => {
  const series = [
    { labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'node' }], samples: [{ value: 1, timestamp: 1000 }, { value: 0, timestamp: 2000 }] },
    { labels: [{ name: '__name__', value: 'temp_celsius' }], samples: [{ value: 21.125, timestamp: 1500 }] },
  ];

  it('stores series and samples exactly', async () => {
    const res = await post('/api/v1/write', encodeWriteRequest(series), REMOTE_WRITE_HEADERS);
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['temp_celsius{} 1500 21.125', 'up{job=node} 1000 1', 'up{job=node} 2000 0']);
  });

  it('stores the float samples and rejects native histograms with a reason', async () => {
    const body = encodeWriteRequest([{ ...series[1], histograms: [{ countInt: 1, sum: 1, timestamp: 1 }] }]);
    const res = await post('/api/v1/write', body, REMOTE_WRITE_HEADERS);
    expect(res.status).toBe(400);
    expect(res.body.details.byReason).toEqual({ unsupported: 1 });
    expect(res.body.message).toContain('native histogram');
    expect(await stored()).toEqual(['temp_celsius{} 1500 21.125']);
  });

  it('stores the samples and counts metadata and exemplars as ignored in /metrics', async () => {
    const withExemplar = { ...series[1], exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 21, timestamp: 1500 }] };
    const metadata = [
      { metricFamilyName: 'up', help: 'whether the target answered' },
      { metricFamilyName: 'temp_celsius', help: 'temperature' },
    ];
    const res = await post('/api/v1/write', encodeWriteRequest([series[0], withExemplar], metadata), REMOTE_WRITE_HEADERS);
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['temp_celsius{} 1500 21.125', 'up{job=node} 1000 1', 'up{job=node} 2000 0']);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^sensorstore_ingest_ignored_total\{format="remote_write",kind="metadata"\} 2$/m);
    expect(text).toMatch(/^sensorstore_ingest_ignored_total\{format="remote_write",kind="exemplar"\} 1$/m);
  });

  it('refuses what is not snappy-compressed protobuf', async () => {
    expect((await post('/api/v1/write', Buffer.from('hello'), REMOTE_WRITE_HEADERS)).body.code).toBe('INVALID_REQUEST');
    const notProto = Buffer.from(snappy.compress(Buffer.from([0xff, 0xff, 0xff])));
    expect((await post('/api/v1/write', notProto, REMOTE_WRITE_HEADERS)).body.message).toContain('not a valid remote write request');
    expect((await post('/api/v1/write', encodeWriteRequestProto(series), { 'Content-Encoding': 'gzip' })).status).toBe(415);
  });

  it('answers 415 to remote write 2.0, so senders fall back to 1.0', async () => {
    const res = await post('/api/v1/write', encodeWriteRequest(series), { ...REMOTE_WRITE_HEADERS, 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' });
    expect(res.status).toBe(415);
  });
});

describe('POST /api/native/write (JSON)', () => {
  it('stores series; null values are stored as gaps (NaN)', async () => {
    const body = { series: [{ metric: 'temperature', labels: { device: 'd1' }, samples: [[1000, 21.5], [2000, null]] }] };
    const res = await post('/api/native/write', JSON.stringify(body), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(204);
    expect(await stored()).toEqual(['temperature{device=d1} 1000 21.5', 'temperature{device=d1} 2000 NaN']);
  });

  it.each([
    ['{', 'the request body is not valid JSON'],
    ['{"series":[{"metric":"m","samples":[[1.5,1]]}]}', 'series[0].samples[0][0]: Expected integer'],
    ['{"series":[{"metric":"m","samples":[[1,"1"]]}]}', 'series[0].samples[0][1]: Expected number'],
    ['{"series":[{"metric":"m","labels":{"__name__":"x"},"samples":[]}]}', 'series[0].labels: the metric name goes in "metric"'],
    ['{"series":[{"metric":"m","samples":[],"unit":"C"}]}', "series[0]: Unrecognized key(s) in object: 'unit'"],
    ['{"data":[]}', 'series: Required'],
  ])('refuses %s with a message naming the place', async (body, message) => {
    const res = await post('/api/native/write', body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(res.body.message).toContain(message);
    expect(await stored()).toEqual([]);
  });

  it('stores valid series and reports invalid labels per series', async () => {
    const body = { series: [{ metric: 'ok', samples: [[1, 1]] }, { metric: 'bad', labels: { 'bad-name': 'x' }, samples: [[1, 2], [2, 3]] }] };
    const res = await post('/api/native/write', JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARTIAL_WRITE');
    expect(res.body.details.seriesErrors[0]).toMatchObject({ series: 'bad{bad-name="x"}', reason: 'invalid_series', samples: 2 });
    expect(await stored()).toEqual(['ok{} 1 1']);
  });
});
