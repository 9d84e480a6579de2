// The data the differential test writes into Prometheus and the sidecar alike: two hours of a small
// fleet (gauges, counters with resets, a classic histogram, an info metric to join on) plus series
// made for edge cases — a gap longer than the 5-minute lookback, staleness markers, a series that
// just stops, NaN values, late (out-of-order) samples, a single sample, two metrics that differ
// only in name, and a gauge sampled every second. Deterministic from the seed.
import { WriteSeries } from './remote-write';

export const T0_MS = 1_704_067_200_000; // 2024-01-01T00:00:00Z
export const SPAN_MS = 2 * 3_600_000;
export const STALE_NAN = (() => {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint32(0, 0x7ff00000);
  b.setUint32(4, 2);
  return b.getFloat64(0);
})();

/** mulberry32: small, fast, deterministic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class SeriesBuilder {
  readonly timestamps: number[] = [];
  private readonly values: number[] = [];
  private readonly stale: number[] = [];

  constructor(readonly labels: Record<string, string>) {}

  add(t: number, v: number): void {
    this.timestamps.push(t);
    this.values.push(v);
  }

  addStaleMarker(t: number): void {
    this.stale.push(this.timestamps.length);
    this.add(t, 0);
  }

  build(): WriteSeries {
    const values = Float64Array.from(this.values);
    // Set through bytes: a NaN payload does not survive every JavaScript copy.
    const words = new Uint32Array(values.buffer);
    for (const i of this.stale) {
      words[2 * i] = 2;
      words[2 * i + 1] = 0x7ff00000;
    }
    return { labels: this.labels, timestamps: this.timestamps, values };
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;

export interface Dataset {
  /** Written first, in one request: every series in time order. */
  initial: WriteSeries[];
  /** Written afterwards: samples older than what their series already holds. */
  late: WriteSeries[];
}

export function generateDataset(seed: number): Dataset {
  const rnd = random(seed);
  const initial: SeriesBuilder[] = [];
  const late: SeriesBuilder[] = [];
  const sites = ['berlin', 'paris', 'rome'];
  const devices = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
  const every = (intervalMs: number, f: (t: number, k: number) => void, from = T0_MS, to = T0_MS + SPAN_MS) => {
    let k = 0;
    for (let t = from; t < to; t += intervalMs) f(t, k++);
  };

  // Gauges keep full precision: topk/bottomk ties are broken at random by Prometheus in range queries.
  devices.forEach((device, d) => {
    const site = sites[d % sites.length];
    const intervalMs = d === 5 ? 30_000 : 15_000;
    const temperature = new SeriesBuilder({ __name__: 'temperature', device, site });
    let temp = 18 + 4 * rnd();
    every(intervalMs, (t) => {
      temp += (rnd() - 0.5) * 0.4;
      temperature.add(t, temp);
    });
    initial.push(temperature);

    const battery = new SeriesBuilder({ __name__: 'battery', device, site });
    // Some batteries cross 15 % within the two hours (what the alert rule watches for).
    let charge = 14 + 30 * rnd();
    const drain = 0.02 + 0.15 * rnd();
    every(60_000, (t) => {
      charge = Math.max(0, charge - drain * (0.5 + rnd()));
      battery.add(t, charge);
    });
    initial.push(battery);

    for (const code of ['200', '500']) {
      const requests = new SeriesBuilder({ __name__: 'requests_total', device, site, code });
      let total = Math.floor(1000 * rnd());
      every(15_000, (t, k) => {
        // Counter resets: a restart at a device-dependent step, and a second one for d2.
        if (k === 100 + 37 * d || (d === 1 && k === 400)) total = Math.floor(5 * rnd());
        else total += Math.floor((code === '200' ? 20 : 2) * rnd());
        requests.add(t, total);
      });
      initial.push(requests);
    }
  });

  sites.forEach((site, s) => {
    const bounds = ['0.1', '0.5', '1', '2.5', '+Inf'];
    const counts = bounds.map(() => 0);
    const builders = bounds.map((le) => new SeriesBuilder({ __name__: 'request_duration_seconds_bucket', site, le }));
    const sum = new SeriesBuilder({ __name__: 'request_duration_seconds_sum', site });
    const count = new SeriesBuilder({ __name__: 'request_duration_seconds_count', site });
    let total = 0;
    every(15_000, (t) => {
      const observations = 5 + Math.floor(20 * rnd());
      for (let o = 0; o < observations; o++) {
        const latency = rnd() * rnd() * 3 * (s + 1);
        total += latency;
        bounds.forEach((b, i) => {
          if (latency <= Number(b === '+Inf' ? Infinity : b)) counts[i]++;
        });
      }
      builders.forEach((b, i) => b.add(t, counts[i]));
      sum.add(t, total);
      count.add(t, counts[counts.length - 1]);
    });
    initial.push(...builders, sum, count);
    const info = new SeriesBuilder({ __name__: 'site_info', site, region: s === 2 ? 'south' : 'west', country: ['de', 'fr', 'it'][s] });
    every(60_000, (t) => info.add(t, 1));
    initial.push(info);
  });

  // A 20-minute gap: longer than the lookback, so instant vectors lose the series in between.
  const gappy = new SeriesBuilder({ __name__: 'gappy', device: 'g1' });
  every(15_000, (t, k) => gappy.add(t, 100 + k), T0_MS, T0_MS + 40 * 60_000);
  every(15_000, (t, k) => gappy.add(t, 50 + k), T0_MS + 60 * 60_000);
  initial.push(gappy);

  // e1 ends with a staleness marker at 60 min; e2 simply stops at 60 min.
  const ended = new SeriesBuilder({ __name__: 'ending', device: 'e1' });
  every(15_000, (t) => ended.add(t, round2(10 * rnd())), T0_MS, T0_MS + 60 * 60_000);
  ended.addStaleMarker(T0_MS + 60 * 60_000);
  const stopped = new SeriesBuilder({ __name__: 'ending', device: 'e2' });
  every(15_000, (t) => stopped.add(t, round2(10 * rnd())), T0_MS, T0_MS + 60 * 60_000);
  // A series that is marked stale and later comes back.
  const flapping = new SeriesBuilder({ __name__: 'ending', device: 'e3' });
  every(15_000, (t) => flapping.add(t, round2(10 * rnd())), T0_MS, T0_MS + 30 * 60_000);
  flapping.addStaleMarker(T0_MS + 30 * 60_000 + 7_000);
  every(15_000, (t) => flapping.add(t, round2(10 * rnd())), T0_MS + 45 * 60_000);
  initial.push(ended, stopped, flapping);

  // NaN values within an otherwise ordinary gauge.
  const withNaN = new SeriesBuilder({ __name__: 'nan_gauge', device: 'n1' });
  every(15_000, (t, k) => withNaN.add(t, k % 37 === 5 || (k >= 200 && k < 204) ? NaN : round2(5 + rnd())));
  initial.push(withNaN);

  // Late samples: every other minute is held back and written after the rest.
  const lateOnTime = new SeriesBuilder({ __name__: 'late_gauge', device: 'l1' });
  const lateHeld = new SeriesBuilder({ __name__: 'late_gauge', device: 'l1' });
  every(30_000, (t, k) => (k % 4 === 1 ? lateHeld : lateOnTime).add(t, round2(50 + 10 * Math.sin(k / 10))));
  initial.push(lateOnTime);
  late.push(lateHeld);

  const single = new SeriesBuilder({ __name__: 'single_sample', device: 's1' });
  single.add(T0_MS + 45 * 60_000, 42);
  initial.push(single);

  // Same labels but the name: dropping the name makes them collide.
  for (const name of ['dup_a', 'dup_b']) {
    const dup = new SeriesBuilder({ __name__: name, x: '1' });
    every(60_000, (t) => dup.add(t, round2(rnd() * 10)));
    initial.push(dup);
  }

  // Negative, zero and positive values for sgn, abs, rounding and comparisons.
  devices.slice(0, 3).forEach((device, d) => {
    const signal = new SeriesBuilder({ __name__: 'signal', device });
    every(20_000, (t, k) => signal.add(t, k % 50 === 0 ? 0 : round2(3 * Math.sin(k / (7 + d)) + (rnd() - 0.5) * 0.5)));
    initial.push(signal);
  });

  // One sample a second: ten of the sidecar's segment blocks per series, so that long windows hold
  // whole blocks the sidecar takes by their summaries. f2's NaN values and staleness marker keep
  // their blocks decoded.
  for (const device of ['f1', 'f2']) {
    const fine = new SeriesBuilder({ __name__: 'fine_gauge', device });
    every(1_000, (t, k) => {
      if (device === 'f2' && k === 2_500) fine.addStaleMarker(t);
      else fine.add(t, device === 'f2' && k % 1_000 === 777 ? NaN : round2(20 + 5 * Math.sin(k / 600) + rnd()));
    });
    initial.push(fine);
  }

  return { initial: initial.map((b) => b.build()), late: late.map((b) => b.build()) };
}
