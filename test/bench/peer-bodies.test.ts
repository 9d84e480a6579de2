// Request bodies of the peer benchmark: line protocol and remote write carry exactly the fleet's
// samples, sharded by device, and spilling to disk gives back the same bytes.
import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { buildBodies, lineProtocolEncoder } from '../../bench/peer/bodies';
import { decodeWriteRequest } from '../../bench/peer/remote-write';
import { Fleet } from '../../bench/workload/fleet';

const fleet = new Fleet({ devices: 6, hours: 0.25, seed: 3, endMs: 1_700_002_800_000 });
const options = { samplesPerRequest: 50, clients: 2, memoryBudgetBytes: 2 ** 30, spillDir: tmpdir() };

/** Every sample of the fleet as "series@t" → value. */
function fleetSamples(): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of fleet.chunks(1000)) for (let i = 0; i < c.length; i++) out.set(`${c.series[i]}@${c.timestampsMs[i]}`, c.values[i]);
  return out;
}

describe('line protocol bodies', () => {
  it('writes one line per sample: metric, sorted tags, field value, nanosecond time', () => {
    const [chunk] = fleet.chunks(2);
    const text = lineProtocolEncoder(fleet)(chunk).toString();
    const s = fleet.series[0];
    expect(text).toBe(
      `temperature,device=dev-0001,kind=${s.labels.kind},site=site-01 value=${chunk.values[0]} ${fleet.startMs}000000\n` +
        `humidity,device=dev-0001,kind=${s.labels.kind},site=site-01 value=${chunk.values[1]} ${fleet.startMs}000000\n`,
    );
  });

  it('carries every sample once, each client holding whole devices, requests of the asked size', () => {
    const set = buildBodies(fleet, 'lp', options);
    const want = fleetSamples();
    const seen = new Map<string, number>();
    const index = new Map(fleet.series.map((s) => [`${s.metric}/${s.labels.device}`, s.index]));
    for (let c = 0; c < 2; c++) {
      for (let r = 0; r < set.requests(c); r++) {
        const lines = set.body(c, r).toString().trimEnd().split('\n');
        expect(lines.length).toBeLessThanOrEqual(50);
        for (const line of lines) {
          const m = /^(\w+),device=([\w-]+),kind=\w+,site=[\w-]+ value=([\d.]+) (\d+)000000$/.exec(line);
          expect(m).not.toBeNull();
          const series = index.get(`${m![1]}/${m![2]}`)!;
          expect(fleet.series[series].device % 2).toBe(c);
          seen.set(`${series}@${m![4]}`, Number(m![3]));
        }
      }
    }
    expect(set.sampleCount).toBe(fleet.sampleCount);
    expect(seen).toEqual(want);
    set.dispose();
  });
});

describe('remote write bodies', () => {
  it('decode to every sample once, labels sorted with __name__ first, samples of a series in time order', () => {
    const set = buildBodies(fleet, 'rw', options);
    const want = fleetSamples();
    const seen = new Map<string, number>();
    for (let c = 0; c < 2; c++) {
      for (let r = 0; r < set.requests(c); r++) {
        for (const ts of decodeWriteRequest(set.body(c, r))) {
          expect(ts.labels.map((l) => l.name)).toEqual(['__name__', 'device', 'kind', 'site']);
          const s = fleet.series.find((x) => x.metric === ts.labels[0].value && x.labels.device === ts.labels[1].value)!;
          expect(ts.labels[2].value).toBe(s.labels.kind);
          expect(ts.labels[3].value).toBe(s.labels.site);
          ts.samples.forEach((sample, k) => {
            if (k > 0) expect(sample.timestamp).toBeGreaterThan(ts.samples[k - 1].timestamp);
            seen.set(`${s.index}@${sample.timestamp}`, sample.value);
          });
        }
      }
    }
    expect(seen).toEqual(want);
    set.dispose();
  });
});

describe('bodies over the memory budget', () => {
  it('spill to one file per client and read back the same bytes, removed on dispose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-bodies-'));
    try {
      const inMemory = buildBodies(fleet, 'lp', options);
      const spilled = buildBodies(fleet, 'lp', { ...options, memoryBudgetBytes: 1, spillDir: dir });
      expect(spilled.spilled).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(['bodies-lp-0.bin', 'bodies-lp-1.bin']);
      for (let c = 0; c < 2; c++) {
        expect(spilled.requests(c)).toBe(inMemory.requests(c));
        for (let r = 0; r < inMemory.requests(c); r++) expect(spilled.body(c, r).equals(inMemory.body(c, r))).toBe(true);
      }
      spilled.dispose();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
