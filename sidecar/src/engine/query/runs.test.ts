// Merging runs of one series from several sources (the newer wins on equal timestamps) and slicing.
import { SampleRun } from './parts';
import { lowerBound, mergeRuns, sliceRun } from './runs';
import { Random, testSeed } from './testing/random';

const seed = testSeed();

function run(samples: Array<[number, number]>, from = 0, to = samples.length): SampleRun {
  return { timestamps: Float64Array.from(samples, ([t]) => t), values: Float64Array.from(samples, ([, v]) => v), from, to };
}

const pairs = (s: { timestamps: Float64Array; values: Float64Array }) => Array.from(s.timestamps, (t, i) => [t, s.values[i]]);

describe('mergeRuns', () => {
  it('lets the later run win on an equal timestamp', () => {
    const older = run([[1, 1], [3, 3], [5, 5]]);
    const newer = run([[3, 30], [4, 40], [5, NaN]]);
    expect(pairs(mergeRuns([older, newer]))).toEqual([[1, 1], [3, 30], [4, 40], [5, NaN]]);
    expect(pairs(mergeRuns([newer, older]))).toEqual([[1, 1], [3, 3], [4, 40], [5, 5]]);
  });

  it('concatenates runs that do not overlap, whatever order they come in', () => {
    expect(pairs(mergeRuns([run([[5, 5], [6, 6]]), run([[1, 1], [2, 2]])]))).toEqual([[1, 1], [2, 2], [5, 5], [6, 6]]);
  });

  it('slices to [start, end) and honours each run’s index range', () => {
    const a = run([[0, 0], [1, 1], [2, 2], [3, 3], [9, 9]], 1, 4);
    const b = run([[2, 20], [8, 80]]);
    expect(pairs(mergeRuns([a, b], 2, 9))).toEqual([[2, 20], [3, 3], [8, 80]]);
    expect(pairs(mergeRuns([a, b], 100, 200))).toEqual([]);
    expect(pairs(mergeRuns([]))).toEqual([]);
  });

  it(`agrees with a map on random runs (SEED=${seed})`, () => {
    const r = new Random(seed);
    for (let c = 0; c < 300; c++) {
      const runs: SampleRun[] = [];
      const model = new Map<number, number>();
      for (let k = r.int(0, 12); k > 0; k--) {
        const ts = [...new Set(Array.from({ length: r.int(0, 20) }, () => r.int(0, r.pick([10, 50, 1000]))))].sort((x, y) => x - y);
        const samples = ts.map((t): [number, number] => [t, r.int(-100, 100)]);
        runs.push(run(samples));
        for (const [t, v] of samples) model.set(t, v);
      }
      const start = r.int(-5, 500);
      const end = start + r.int(1, 600);
      const want = [...model].filter(([t]) => t >= start && t < end).sort((x, y) => x[0] - y[0]);
      expect(pairs(mergeRuns(runs, start, end))).toEqual(want);
    }
  });
});

describe('sliceRun and lowerBound', () => {
  it('narrow a run to [start, end) without copying', () => {
    const r = run([[1, 1], [2, 2], [4, 4], [8, 8]]);
    const s = sliceRun(r, 2, 8);
    expect([s.from, s.to]).toEqual([1, 3]);
    expect(s.timestamps).toBe(r.timestamps);
    expect(lowerBound(r.timestamps, 3)).toBe(2);
    expect(lowerBound(r.timestamps, 9)).toBe(4);
    expect(lowerBound(r.timestamps, 0, 1, 3)).toBe(1);
  });
});
