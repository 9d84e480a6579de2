// The fleet workload: deterministic, time-ordered, shardable, and its expected answers agree with a
// brute-force pass over the streamed samples.
import { Fleet, METRICS, SampleChunk } from '../../bench/workload/fleet';

// The seed is in the describe name, so a failure names it; replay with SEED=<n>.
const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const END_MS = 1_700_002_800_000; // a whole hour

function collect(chunks: Iterable<SampleChunk>): { series: number[]; t: number[]; v: number[] } {
  const out = { series: [] as number[], t: [] as number[], v: [] as number[] };
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      out.series.push(c.series[i]);
      out.t.push(c.timestampsMs[i]);
      out.v.push(c.values[i]);
    }
  }
  return out;
}

describe(`Fleet (SEED=${seed})`, () => {
  const fleet = new Fleet({ devices: 7, hours: 0.5, seed, endMs: END_MS, sites: 3 });
  const all = collect(fleet.chunks(13));

  it('labels every device with device, site and kind', () => {
    expect(fleet.series).toHaveLength(28);
    expect(fleet.series[0]).toEqual({ index: 0, device: 0, metric: 'temperature', labels: expect.objectContaining({ device: 'dev-0001', site: 'site-01' }) });
    expect(fleet.series[27].labels.device).toBe('dev-0007');
    expect(fleet.series[27].metric).toBe('battery');
    expect(new Set(fleet.series.map((s) => s.labels.site))).toEqual(new Set(['site-01', 'site-02', 'site-03']));
    for (const s of fleet.series) expect(['k1', 'k2', 'k3']).toContain(s.labels.kind);
  });

  it('streams every series at step k before step k+1, in chunks of the asked size', () => {
    expect(fleet.steps).toBe(180);
    expect(fleet.startMs).toBe(END_MS - 1_800_000);
    expect(all.t).toHaveLength(fleet.sampleCount);
    const sizes = [...fleet.chunks(13)].map((c) => c.length);
    expect(sizes.slice(0, -1).every((n) => n === 13)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(28 * 180);
    for (let i = 0; i < all.t.length; i++) {
      expect(all.t[i]).toBe(fleet.startMs + Math.floor(i / 28) * 10_000);
      expect(all.series[i]).toBe(i % 28);
    }
  });

  it('is deterministic from the seed and differs for another seed', () => {
    const again = collect(new Fleet({ devices: 7, hours: 0.5, seed, endMs: END_MS, sites: 3 }).chunks(100));
    expect(again).toEqual(all);
    const other = collect(new Fleet({ devices: 7, hours: 0.5, seed: seed + 1, endMs: END_MS, sites: 3 }).chunks(100));
    expect(other.v).not.toEqual(all.v);
  });

  it('keeps a device the same whatever the size of the fleet', () => {
    const bigger = new Fleet({ devices: 50, hours: 0.5, seed, endMs: END_MS, sites: 3 });
    expect(bigger.seriesValues(5)).toEqual(fleet.seriesValues(5));
  });

  it('gives values with at most 2 decimals in plausible ranges, changing smoothly', () => {
    const ranges = { temperature: [5, 35], humidity: [20, 80], pressure: [970, 1060], battery: [0, 100] };
    for (let i = 0; i < all.v.length; i++) {
      const v = all.v[i];
      expect(Number(v.toFixed(2))).toBe(v);
      const [lo, hi] = ranges[fleet.series[all.series[i]].metric];
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
    }
    for (const s of fleet.series) {
      const values = fleet.seriesValues(s.index);
      for (let k = 1; k < values.length; k++) expect(Math.abs(values[k] - values[k - 1])).toBeLessThan(1);
      if (s.metric === 'battery') expect(values[values.length - 1]).toBeLessThan(values[0]);
    }
  });

  it('splits into shards by device whose union is the whole stream, each in time order', () => {
    const shards = [0, 1, 2].map((shard) => collect(fleet.chunks(10, { shard, shards: 3 })));
    expect(shards.reduce((n, s) => n + s.t.length, 0)).toBe(fleet.sampleCount);
    shards.forEach((s, shard) => {
      for (let i = 0; i < s.t.length; i++) {
        expect(fleet.series[s.series[i]].device % 3).toBe(shard);
        if (i > 0) expect(s.t[i]).toBeGreaterThanOrEqual(s.t[i - 1]);
      }
    });
    const bySample = new Map<string, number>();
    all.series.forEach((s, i) => bySample.set(`${s}@${all.t[i]}`, all.v[i]));
    for (const s of shards) s.series.forEach((x, i) => expect(s.v[i]).toBe(bySample.get(`${x}@${s.t[i]}`)));
  });

  it('regenerates one series on its own exactly as streamed', () => {
    for (const s of fleet.series) {
      const streamed = all.v.filter((_, i) => all.series[i] === s.index);
      expect(Array.from(fleet.seriesValues(s.index))).toEqual(streamed);
    }
  });

  it('answers counts and raw slices', () => {
    expect(fleet.count()).toBe(28 * 180);
    expect(fleet.count(END_MS - 60_000, END_MS)).toBe(28 * 6);
    expect(fleet.count(END_MS - 60_001, END_MS, 'humidity')).toBe(7 * 6);
    expect(fleet.count(END_MS, END_MS + 1)).toBe(0);
    const raw = fleet.raw(3, 'pressure', END_MS - 60_000, END_MS);
    const index = fleet.seriesIndex(3, 'pressure');
    const expected = all.t.map((t, i) => [t, all.v[i], all.series[i]]).filter(([t, , s]) => s === index && t >= END_MS - 60_000);
    expect(Array.from(raw.timestampsMs)).toEqual(expected.map((e) => e[0]));
    expect(Array.from(raw.values)).toEqual(expected.map((e) => e[1]));
  });

  it('answers fleet means and site means per bucket as a brute-force pass does', () => {
    for (const metric of METRICS) {
      const brute = new Map<string, Map<number, number[]>>();
      all.t.forEach((t, i) => {
        const s = fleet.series[all.series[i]];
        if (s.metric !== metric) return;
        for (const group of ['fleet', s.labels.site]) {
          const buckets = brute.get(group) ?? new Map<number, number[]>();
          brute.set(group, buckets);
          const b = Math.floor(t / 300_000) * 300_000;
          buckets.set(b, [...(buckets.get(b) ?? []), all.v[i]]);
        }
      });
      const check = (group: string, got: { timestampsMs: Float64Array; values: Float64Array }) => {
        const want = [...brute.get(group)!].sort((a, b) => a[0] - b[0]);
        expect(Array.from(got.timestampsMs)).toEqual(want.map(([b]) => b));
        want.forEach(([, vs], k) => expect(got.values[k]).toBeCloseTo(vs.reduce((a, b) => a + b, 0) / vs.length, 9));
      };
      check('fleet', fleet.fleetMeans(metric, 300_000));
      const sites = fleet.siteMeans(metric, 300_000);
      expect([...sites.keys()]).toEqual(['site-01', 'site-02', 'site-03']);
      for (const [site, points] of sites) check(site, points);
    }
  });

  it('answers the last value of every device', () => {
    const last = fleet.last('temperature');
    expect(last.map((l) => l.device)).toEqual(['dev-0001', 'dev-0002', 'dev-0003', 'dev-0004', 'dev-0005', 'dev-0006', 'dev-0007']);
    for (const l of last) {
      expect(l.timestampMs).toBe(END_MS - 10_000);
      const index = fleet.seriesIndex(Number(l.device.slice(4)) - 1, 'temperature');
      expect(l.value).toBe(all.v[all.v.length - 28 + index]);
    }
  });

  it('refuses options that cannot describe a fleet', () => {
    expect(() => new Fleet({ devices: 0 })).toThrow(/devices must be an integer >= 1/);
    expect(() => new Fleet({ hours: 0.001, intervalMs: 10_000 })).toThrow(/whole number of 10000 ms intervals/);
    expect(() => [...fleet.chunks(10, { shard: 3, shards: 3 })]).toThrow(/shard must be in \[0, 3\)/);
    expect(() => fleet.seriesIndex(7, 'temperature')).toThrow(/no series/);
  });
});

describe('Fleet default workload', () => {
  it('has 1,000 devices, 4 metrics, 6 hours every 10 s: 8.64 M samples ending on a whole hour', () => {
    const fleet = new Fleet();
    expect(fleet.sampleCount).toBe(8_640_000);
    expect(fleet.endMs % 3_600_000).toBe(0);
    expect(fleet.endMs).toBeLessThanOrEqual(Date.now());
    expect(new Set(fleet.series.map((s) => s.labels.site)).size).toBe(20);
  });
});
