// Memtable order and last-write-wins, checked against a plain map on random inputs.
import fc from 'fast-check';
import { initialCapacity, Memtable, SeriesBuffer } from './memtable';

const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);

describe('SeriesBuffer', () => {
  it('appends in order without sorting and overwrites a repeated latest timestamp in place', () => {
    const b = new SeriesBuffer(2);
    b.append([1, 2, 2, 3], [10, 20, 21, 30], 0, 4);
    expect(b.firstUnsorted).toBe(-1);
    expect([...b.timestamps.subarray(0, b.length)]).toEqual([1, 2, 3]);
    expect([...b.values.subarray(0, b.length)]).toEqual([10, 21, 30]);
  });

  it('sorts late samples into place, the later write of a timestamp winning', () => {
    const b = new SeriesBuffer();
    b.append([10, 20, 30, 20, 5, 20], [1, 2, 3, 4, 5, 6], 0, 6);
    const before = b.timestamps;
    b.sort();
    expect([...b.timestamps.subarray(0, b.length)]).toEqual([5, 10, 20, 30]);
    expect([...b.values.subarray(0, b.length)]).toEqual([5, 1, 6, 3]);
    // Sorting never changes arrays a capture may hold.
    expect([...before.subarray(0, 6)]).toEqual([10, 20, 30, 20, 5, 20]);
  });

  it('agrees with a map on random writes', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.double({ noNaN: true })), { maxLength: 30 }), { maxLength: 8 }), (writes) => {
        const t = new Memtable(1);
        const model = new Map<number, number>();
        for (const w of writes) {
          t.append(0, w.map(([ts]) => ts), w.map(([, v]) => v));
          for (const [ts, v] of w) model.set(ts, v);
        }
        const got = t.read(0);
        const want = [...model.entries()].sort((a, b) => a[0] - b[0]);
        expect(got ? [...got.timestamps] : []).toEqual(want.map(([ts]) => ts));
        expect(got ? [...got.values] : []).toEqual(want.map(([, v]) => v));
      }),
      { seed, numRuns: 300 },
    );
  });
});

describe('Memtable', () => {
  it('hands out a series as a sorted run over its own arrays, which later appends leave alone', () => {
    const t = new Memtable(1);
    t.append(3, [30, 10, 20, 10], [3, 1, 2, 1.5]);
    const run = t.run(3)!;
    expect([...run.timestamps.subarray(run.from, run.to)]).toEqual([10, 20, 30]);
    expect([...run.values.subarray(run.from, run.to)]).toEqual([1.5, 2, 3]);
    t.append(3, [40, 50], [4, 5]);
    expect([...run.timestamps.subarray(run.from, run.to)]).toEqual([10, 20, 30]);
    expect(t.run(4)).toBeUndefined();
  });

  it.each([
    ['the largest', 256],
    ['a small', 16],
    ['a changing', -1],
  ])('keeps every series apart, many sharing one allocation, some outgrowing %s first room', (_name, fixed) => {
    let carved = 0;
    const t = new Memtable(1, () => (fixed > 0 ? fixed : [16, 64, 32, 256][carved++ % 4]));
    const series = 300;
    const samplesOf = (id: number): number => (id % 7 === 0 ? 600 : 3);
    for (let round = 0; round < 600; round++) {
      for (let id = 0; id < series; id++) if (round < samplesOf(id)) t.append(id, [round * 10], [id * 1e6 + round]);
    }
    expect(t.samples).toBe(Array.from({ length: series }, (_, id) => samplesOf(id)).reduce((a, b) => a + b));
    for (let id = 0; id < series; id++) {
      const got = t.read(id)!;
      expect(got.timestamps).toEqual(Float64Array.from({ length: samplesOf(id) }, (_, k) => k * 10));
      expect(got.values).toEqual(Float64Array.from({ length: samplesOf(id) }, (_, k) => id * 1e6 + k));
    }
  });

  it("sizes first rooms by the series' share of the head budget, as a power of two between 16 and 256", () => {
    expect(initialCapacity(1_000_000, 4_000)).toBe(256);
    expect(initialCapacity(1_000_000, 40_000)).toBe(32);
    expect(initialCapacity(1_000_000, 10_000_000)).toBe(16);
    expect(initialCapacity(1_000_000, 0)).toBe(256);
    expect(initialCapacity(3_000, 100)).toBe(32);
  });
});
