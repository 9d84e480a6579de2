// An InfluxDB 1.x client library from npm (`influx`), unchanged, against the built sidecar: it pings,
// creates its database, lists databases and writes points with user and password, as applications
// written for InfluxDB 1.x do. What it wrote must be queryable with exact values.

import { FieldType, InfluxDB } from 'influx';

import { SidecarProcess, rawSeries, removeDir, startSidecar } from './sidecar';

const WRITE_TOKEN = 'v1-writer';
const READ_TOKEN = 'v1-reader';
const T0 = Date.UTC(2025, 6, 1);

let sidecar: SidecarProcess;

beforeAll(async () => {
  sidecar = await startSidecar({ args: ['--token-write', WRITE_TOKEN, '--token-read', READ_TOKEN] });
});

afterAll(async () => {
  await sidecar.stop();
  removeDir(sidecar.dataDir);
});

function client(password: string): InfluxDB {
  const url = new URL(sidecar.url);
  return new InfluxDB({
    host: url.hostname,
    port: Number(url.port),
    database: 'plant',
    username: 'app',
    password,
    schema: [{ measurement: 'boiler', fields: { temperature: FieldType.FLOAT, pressure_kpa: FieldType.INTEGER, running: FieldType.BOOLEAN }, tags: ['line'] }],
  });
}

it('pings, creates its database, writes, and finds its database listed', async () => {
  const influx = client(WRITE_TOKEN);
  const [host] = await influx.ping(5000);
  expect(host.online).toBe(true);
  expect(host.version).toMatch(/^\d+\.\d+\.\d+/);

  await influx.createDatabase('plant');
  await influx.writePoints(
    Array.from({ length: 50 }, (_, i) => ({
      measurement: 'boiler',
      tags: { line: i % 2 === 0 ? 'north' : 'south, east' },
      fields: { temperature: 80 + i / 4, pressure_kpa: 200 + i, running: i % 5 !== 0 },
      timestamp: new Date(T0 + i * 1000),
    })),
    { precision: 'ms' },
  );
  expect(await client(READ_TOKEN).getDatabaseNames()).toEqual(['plant']);

  const temperatures = await rawSeries(sidecar.url, 'boiler_temperature', T0, T0 + 50_000, { Authorization: `Bearer ${READ_TOKEN}` });
  expect(temperatures.map((s) => s.labels)).toEqual([
    { db: 'plant', line: 'north' },
    { db: 'plant', line: 'south, east' },
  ]);
  const all = temperatures.flatMap((s) => s.times.map((t, k) => [t, s.values[k]] as [number, number])).sort((a, b) => a[0] - b[0]);
  expect(all).toEqual(Array.from({ length: 50 }, (_, i) => [T0 + i * 1000, 80 + i / 4]));
  const running = await rawSeries(sidecar.url, 'boiler_running', T0, T0 + 50_000, { Authorization: `Bearer ${READ_TOKEN}` });
  expect(running.reduce((n, s) => n + s.values.filter((v) => v === 0).length, 0)).toBe(10);
});

it('gets a clear error for statements the sidecar does not answer, and for a read-only password', async () => {
  await expect(client(WRITE_TOKEN).query('SELECT * FROM boiler')).rejects.toThrow(/statement 1 .* is not supported/);
  await expect(client(READ_TOKEN).createDatabase('other')).rejects.toThrow(/403|write scope/);
});
