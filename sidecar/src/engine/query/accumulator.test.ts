// Every aggregation and every fill on one series, with hand-computed answers; runs split anywhere,
// samples outside the range, NaN samples, and blocks given as summaries.
import { Aggregation, Fill } from '../model/types';
import { SeriesAccumulator } from './accumulator';
import { Bucketing } from './bucketing';
import { Part, SampleRun, SummaryPart } from './parts';

function run(samples: Array<[number, number]>): SampleRun {
  return { timestamps: Float64Array.from(samples, ([t]) => t), values: Float64Array.from(samples, ([, v]) => v), from: 0, to: samples.length };
}

// Buckets of 10 over [0, 60): 0 holds 1 and 3 (and a NaN), 1 nothing, 2 holds 7 (and a NaN),
// 3 nothing, 4 holds -2 and 4, 5 nothing. -5 and 60 lie outside the range.
const SAMPLES: Array<[number, number]> = [[-5, 9], [1, 1], [5, 3], [8, NaN], [22, 7], [25, NaN], [41, -2], [47, 4], [60, 100]];
const SPLIT: Part[] = [run(SAMPLES.slice(0, 3)), run(SAMPLES.slice(3))];

function buckets(agg: Aggregation, parts: Part[], fill: Fill = 'null', before?: number, start = 0): Array<number | null> | undefined {
  const acc = new SeriesAccumulator(Bucketing.create({ start, end: 60, step: 10 }), agg);
  acc.addParts(parts);
  if (!acc.finish(fill, before)) return undefined;
  return Array.from(acc.values, (v) => (Number.isNaN(v) ? null : v));
}

describe('SeriesAccumulator', () => {
  it.each<[Aggregation, Array<number | null>]>([
    ['avg', [2, null, 7, null, 1, null]],
    ['sum', [4, null, 7, null, 2, null]],
    ['min', [1, null, 7, null, -2, null]],
    ['max', [3, null, 7, null, 4, null]],
    ['count', [2, null, 1, null, 2, null]],
    ['first', [1, null, 7, null, -2, null]],
    ['last', [3, null, 7, null, 4, null]],
  ])('%s skips NaN samples and samples outside [start, end)', (agg, expected) => {
    expect(buckets(agg, SPLIT)).toEqual(expected);
    expect(buckets(agg, [run(SAMPLES)])).toEqual(expected);
  });

  it.each<[Aggregation, Array<number | null>]>([
    ['avg', [2, null, 7, null, 1, null]],
    ['sum', [4, null, 7, null, 2, null]],
    ['min', [1, null, 7, null, -2, null]],
    ['max', [3, null, 7, null, 4, null]],
    ['count', [2, null, 1, null, 2, null]],
    ['first', [1, null, 7, null, -2, null]],
    ['last', [3, null, 7, null, 4, null]],
  ])('%s gives the same answer when blocks come as summaries', (agg, expected) => {
    const summary = (samples: Array<[number, number]>): SummaryPart => {
      const vs = samples.map(([, v]) => v);
      return { count: vs.length, minT: samples[0][0], maxT: samples[samples.length - 1][0], min: Math.min(...vs), max: Math.max(...vs), sum: vs.reduce((a, b) => a + b, 0), first: vs[0], last: vs[vs.length - 1] };
    };
    const parts: Part[] = [summary([[1, 1]]), summary([[5, 3]]), run([[8, NaN], [22, 7], [25, NaN]]), summary([[41, -2], [47, 4]])];
    expect(buckets(agg, parts)).toEqual(expected);
  });

  it('refuses a summary that does not lie in one bucket of the range', () => {
    const acc = new SeriesAccumulator(Bucketing.create({ start: 0, end: 60, step: 10 }), 'sum');
    const summary = { count: 2, minT: 5, maxT: 15, min: 1, max: 2, sum: 3, first: 1, last: 2 };
    expect(() => acc.addSummary(summary)).toThrow('does not lie in one bucket');
    expect(() => acc.addSummary({ ...summary, minT: -5, maxT: -1 })).toThrow('does not lie in one bucket');
  });

  it.each<[Fill, number | undefined, number, Array<number | null>]>([
    ['none', undefined, 0, [2, null, 7, null, 1, null]],
    ['null', undefined, 0, [2, null, 7, null, 1, null]],
    // Empty buckets take the latest non-empty one; the trailing ones too.
    ['previous', undefined, 0, [2, 2, 7, 7, 1, 1]],
    // From start 10, the first bucket is empty and takes the latest non-NaN sample before start (3 at t=5).
    ['previous', 3, 10, [3, 7, 7, 1, 1]],
    ['previous', undefined, 10, [null, 7, 7, 1, 1]],
    // 4.5 halfway between 2 and 7; 4 halfway between 7 and 1; the trailing bucket stays empty.
    ['linear', undefined, 0, [2, 4.5, 7, 4, 1, null]],
  ])('fill %s (before %s, start %s)', (fill, before, start, expected) => {
    expect(buckets('avg', SPLIT, fill, before, start)).toEqual(expected);
  });

  it('interpolates linearly by bucket timestamp over several empty buckets', () => {
    expect(buckets('last', [run([[0, 0], [50, 10]])], 'linear')).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('carries a NaN-valued bucket (sum of +∞ and -∞) as a value that is not shown', () => {
    const parts = [run([[1, Infinity], [2, -Infinity], [30, 5]])];
    expect(buckets('avg', parts, 'null')).toEqual([null, null, null, 5, null, null]);
    // previous carries the NaN of bucket 0 into 1 and 2; linear interpolates from NaN to NaN.
    expect(buckets('avg', parts, 'previous', 8)).toEqual([null, null, null, 5, 5, 5]);
    expect(buckets('avg', parts, 'linear')).toEqual([null, null, null, 5, null, null]);
    expect(buckets('max', parts, 'none')).toEqual([Infinity, null, null, 5, null, null]);
  });

  it('leaves a series out when no bucket has a value that is not NaN', () => {
    expect(buckets('avg', [run([[1, NaN], [70, 1]])], 'null')).toBeUndefined();
    expect(buckets('sum', [run([[1, Infinity], [2, -Infinity]])], 'previous')).toBeUndefined();
    expect(buckets('avg', [], 'previous', 4)).toEqual([4, 4, 4, 4, 4, 4]);
  });

  it('keeps -0 as Math.min does', () => {
    expect(Object.is(buckets('min', [run([[1, 0], [2, -0]])])![0], -0)).toBe(true);
    expect(Object.is(buckets('max', [run([[1, -0], [2, 0]])])![0], 0)).toBe(true);
  });

  it('starts afresh after reset, so one accumulator serves every series', () => {
    const acc = new SeriesAccumulator(Bucketing.create({ start: 0, end: 20, step: 10 }), 'min');
    acc.addParts([run([[1, 1]])]);
    acc.finish('none');
    acc.reset();
    acc.addParts([run([[11, 5]]), { ...run([[12, -1]]), from: 1 }]);
    acc.finish('none');
    expect(Array.from(acc.values)).toEqual([NaN, 5]);
  });

  it('refuses an unknown aggregation or fill', () => {
    const b = Bucketing.create({ start: 0, end: 20, step: 10 });
    expect(() => new SeriesAccumulator(b, 'median' as Aggregation)).toThrow('unknown aggregation "median"');
    expect(() => new SeriesAccumulator(b, 'avg').finish('zero' as Fill)).toThrow('unknown fill "zero"');
  });

  it('gives a skipped local day the value of the next day (Pacific/Apia, 2011-12-30)', () => {
    const b = Bucketing.create({ start: Date.UTC(2011, 11, 29, 12), end: Date.UTC(2011, 11, 31, 9), step: 86_400_000, timeZone: 'Pacific/Apia' });
    const acc = new SeriesAccumulator(b, 'sum');
    acc.addParts([run([[Date.UTC(2011, 11, 29, 12), 1], [Date.UTC(2011, 11, 30, 12), 2]])]);
    acc.finish('none');
    expect(Array.from(acc.values)).toEqual([1, 2, 2]);
  });
});
