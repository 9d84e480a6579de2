// The latest non-NaN sample of a series within a range, read from the newest part backwards.
import { latestSample } from './latest';
import { Part, SampleRun } from './parts';

function run(samples: Array<[number, number]>): SampleRun {
  return { timestamps: Float64Array.from(samples, ([t]) => t), values: Float64Array.from(samples, ([, v]) => v), from: 0, to: samples.length };
}

const summary = { count: 2, minT: 20, maxT: 25, min: 1, max: 2, sum: 3, first: 1, last: 2 };
const parts: Part[] = [run([[1, 1], [5, 5], [8, NaN]]), summary, run([[30, 3], [31, NaN], [40, 4]])];

describe('latestSample', () => {
  it('skips NaN samples and looks back across parts', () => {
    expect(latestSample(parts)).toEqual({ t: 40, v: 4 });
    expect(latestSample(parts, -Infinity, 40)).toEqual({ t: 30, v: 3 });
    expect(latestSample(parts, -Infinity, 30)).toEqual({ t: 25, v: 2 });
    expect(latestSample(parts, -Infinity, 20)).toEqual({ t: 5, v: 5 });
    expect(latestSample(parts, 6, 20)).toBeUndefined();
    expect(latestSample(parts, 100)).toBeUndefined();
    expect(latestSample([])).toBeUndefined();
    expect(latestSample([summary], 30)).toBeUndefined();
  });

  it('refuses a summary that crosses the end of the range', () => {
    expect(() => latestSample(parts, -Infinity, 22)).toThrow('crosses the end');
  });
});
