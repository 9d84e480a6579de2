// InfluxDB's own client library (@influxdata/influxdb-client) writes line protocol to the sidecar's
// InfluxDB 2.x endpoint, unchanged: every field type, tags that need escaping, nanosecond
// timestamps. What it wrote must be queryable with exact values.

import { InfluxDB, Point } from '@influxdata/influxdb-client';

import { SidecarProcess, rawSeries, removeDir, startSidecar } from './sidecar';

const TOKEN = 'influx-writer';
const T0 = Date.UTC(2025, 5, 1);

let sidecar: SidecarProcess;

beforeAll(async () => {
  sidecar = await startSidecar({ args: ['--token-write', TOKEN] });
});

afterAll(async () => {
  await sidecar.stop();
  removeDir(sidecar.dataDir);
});

it('stores what the InfluxDB 2.x client writes, with exact values', async () => {
  const client = new InfluxDB({ url: sidecar.url, token: TOKEN });
  const writer = client.getWriteApi('acme', 'sensors', 'ns', { batchSize: 1000, maxRetries: 0 });
  const points: Point[] = [];
  for (let i = 0; i < 100; i++) {
    points.push(
      new Point('climate')
        .tag('room', 'lab, north=1 east')
        .tag('floor', String(i % 3))
        .floatField('temperature', 20 + i / 8)
        .intField('co2', 400 + i)
        .uintField('uptime', 1000 * i)
        .booleanField('door_open', i % 2 === 0)
        .timestamp(`${BigInt(T0 + i * 1000) * 1_000_000n + 999_999n}`),
    );
  }
  writer.writePoints(points);
  await writer.close();

  const temperatures = await rawSeries(sidecar.url, 'climate_temperature', T0, T0 + 100_000);
  expect(temperatures.map((s) => s.labels)).toEqual([0, 1, 2].map((f) => ({ db: 'sensors', floor: String(f), room: 'lab, north=1 east' })));
  const all = temperatures.flatMap((s) => s.times.map((t, k) => [t, s.values[k]] as [number, number]));
  expect(all.sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 100 }, (_, i) => [T0 + i * 1000, 20 + i / 8]));
  const byMetric = async (metric: string) =>
    (await rawSeries(sidecar.url, metric, T0, T0 + 100_000))
      .flatMap((s) => s.times.map((t, k) => [t, s.values[k]] as [number, number]))
      .sort((a, b) => a[0] - b[0])
      .map(([, v]) => v);
  expect(await byMetric('climate_co2')).toEqual(Array.from({ length: 100 }, (_, i) => 400 + i));
  expect(await byMetric('climate_uptime')).toEqual(Array.from({ length: 100 }, (_, i) => 1000 * i));
  expect(await byMetric('climate_door_open')).toEqual(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 1 : 0)));
});

it('gets the InfluxDB-style error for a rejected point', async () => {
  const client = new InfluxDB({ url: sidecar.url, token: TOKEN });
  const writer = client.getWriteApi('acme', 'sensors', 'ms', { maxRetries: 0 });
  writer.writeRecord('climate,room=lab note="strings are not stored"');
  await expect(writer.close()).rejects.toMatchObject({ statusCode: 400, body: expect.stringContaining('PARTIAL_WRITE') });
});

it('is refused without the token', async () => {
  const writer = new InfluxDB({ url: sidecar.url, token: 'wrong' }).getWriteApi('acme', 'sensors', 'ms', { maxRetries: 0 });
  writer.writeRecord('climate,room=lab temperature=1 1');
  await expect(writer.close()).rejects.toMatchObject({ statusCode: 401 });
});
