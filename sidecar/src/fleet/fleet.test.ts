// The demo fleet: plausible sensor values, report-on-change devices, outages with backlog upload,
// and a backfill that arrives in the sidecar over line protocol (with retries while it is down).

import { Device, METRICS, Reading } from './device';
import { FleetSimulator, formatReading } from './simulator';
import { Random } from './random';
import { until } from '../http/testing/engines';
import { startTestServer } from '../http/testing/serve';

const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const STEP_MS = 10_000;
const T0 = Date.UTC(2025, 0, 1);

function run(device: Device, steps: number): Reading[][] {
  return Array.from({ length: steps }, (_, k) => device.step(T0 + k * STEP_MS, STEP_MS));
}

describe(`device (SEED=${SEED})`, () => {
  it('keeps every sensor in a plausible range over two simulated days', () => {
    const random = new Random(SEED);
    for (let i = 0; i < 6; i++) {
      const device = new Device(i, random);
      const readings = run(device, 2 * 8640).flat();
      const range = (metric: string) => {
        const values = readings.filter((r) => r.metric === metric).map((r) => r.value);
        return [Math.min(...values), Math.max(...values)];
      };
      const [tMin, tMax] = range('temperature');
      expect(tMin).toBeGreaterThan(-40);
      expect(tMax).toBeLessThan(50);
      const [hMin, hMax] = range('humidity');
      expect(hMin).toBeGreaterThanOrEqual(0);
      expect(hMax).toBeLessThanOrEqual(100);
      const [pMin, pMax] = range('pressure');
      expect(pMin).toBeGreaterThan(950);
      expect(pMax).toBeLessThan(1080);
      const [bMin, bMax] = range('battery');
      expect(bMin).toBeGreaterThanOrEqual(5);
      expect(bMax).toBeLessThanOrEqual(100);
    }
  });

  it('sends fewer readings when it reports only on change', () => {
    const random = new Random(SEED);
    const devices = Array.from({ length: 40 }, (_, i) => new Device(i, random));
    // Readings per timestamp, whenever they arrived (outages delay them).
    const perTimestamp = (d: Device) => {
      const counts = new Map<number, number>();
      for (const r of run(d, 500).flat()) counts.set(r.t, (counts.get(r.t) ?? 0) + 1);
      return [...counts.values()];
    };
    const onChange = devices.filter((d) => d.reportsOnChange);
    expect(onChange.length).toBeGreaterThan(0);
    for (const d of devices.filter((x) => !x.reportsOnChange)) expect(new Set(perTimestamp(d))).toEqual(new Set([METRICS.length]));
    for (const d of onChange) expect(perTimestamp(d).some((n) => n < METRICS.length)).toBe(true);
  });

  it('goes offline, then uploads its backlog with the original timestamps', () => {
    const random = new Random(SEED);
    // A device that reports every value, so a silent step means an outage.
    const device = Array.from({ length: 20 }, (_, i) => new Device(i, random)).find((d) => !d.reportsOnChange)!;
    const steps = run(device, 8640 * 3);
    const silentStep = steps.findIndex((readings, k) => k > 0 && readings.length === 0);
    expect(silentStep).toBeGreaterThan(0);
    const back = steps.findIndex((readings, k) => k > silentStep && readings.length > 0);
    const upload = steps[back];
    expect(upload.length).toBe((back - silentStep + 1) * METRICS.length);
    expect(upload[0].t).toBe(T0 + silentStep * STEP_MS);
    expect(upload[upload.length - 1].t).toBe(T0 + back * STEP_MS);
  });
});

describe('fleet', () => {
  it('formats readings as line protocol with the fleet labels', () => {
    const device = new Device(0, new Random(1));
    expect(formatReading(device, { t: 1000, metric: 'temperature', value: 21.37 })).toBe('temperature,device=dev-0001,kind=indoor,site=berlin value=21.37 1000');
  });

  it('backfills into a sidecar, which then holds every metric of every device', async () => {
    const server = await startTestServer();
    try {
      const fleet = new FleetSimulator({ url: server.url, devices: 12, logger: silent, seed: SEED, batchLines: 500 });
      await fleet.backfill(T0, T0 + 3_600_000);
      expect(fleet.sender.rejectedBatches).toBe(0);
      const count = await fetch(`${server.url}/api/native/series/count`, { method: 'POST', body: '{}' });
      expect(await count.json()).toEqual({ data: { series: 48 } });
      const sites = await fetch(`${server.url}/api/native/label/site/values`, { method: 'POST', body: '{}' });
      expect(((await sites.json()) as { data: string[] }).data).toHaveLength(8);
      expect(fleet.sender.sentLines).toBe(server.engine!.stats().ingest.acceptedSamples);
    } finally {
      await server.close();
    }
  });

  it('keeps readings while the sidecar is unreachable and delivers them once it is back', async () => {
    const first = await startTestServer();
    const port = Number(new URL(first.url).port);
    await first.close();
    const fleet = new FleetSimulator({ url: first.url, devices: 2, logger: silent, seed: SEED, retryMs: 5 });
    const lines = fleet.tick(T0);
    fleet.sender.send(lines);
    await until(() => fleet.sender.failedAttempts >= 2, 'the sender retried');
    const second = await startTestServer({ port });
    try {
      await fleet.sender.flush();
      expect(fleet.sender.sentLines).toBe(lines.length);
      expect(second.engine!.stats().ingest.acceptedSamples).toBe(lines.length);
    } finally {
      await fleet.stop();
      await second.close();
    }
  });
});
