// The evaluator end to end: which series and groups appear, their order, fill per series before
// grouping, and the maxPoints limits.
import { InvalidQueryError, QueryLimitError } from '../model/errors';
import { BucketSeries, LabelSet } from '../model/types';
import { AggregateEvaluator, AggregateOptions } from './aggregate';
import { Bucketing } from './bucketing';
import { SampleRun } from './parts';

function run(samples: Array<[number, number]>): SampleRun {
  return { timestamps: Float64Array.from(samples, ([t]) => t), values: Float64Array.from(samples, ([, v]) => v), from: 0, to: samples.length };
}

const SERIES: Array<[LabelSet, Array<[number, number]>]> = [
  [{ __name__: 't', site: 'x', d: '1' }, [[0, 10], [10, 20]]],
  [{ __name__: 't', site: 'x', d: '2' }, [[0, 30]]],
  [{ __name__: 't', site: 'y', d: '3' }, [[10, 5]]],
  [{ __name__: 't', d: '4' }, [[0, 1], [10, NaN]]],
  [{ __name__: 'h', site: 'x', d: '5' }, [[10, 100]]],
  [{ __name__: 't', d: '6' }, [[25, NaN]]],
];

function evaluate(options: AggregateOptions, end = 20): Array<[LabelSet, number[], Array<number | null>]> {
  const e = new AggregateEvaluator(Bucketing.create({ start: 0, end, step: 10 }), options);
  for (const [labels, samples] of SERIES) e.add(labels, [run(samples)]);
  return e.result().map((s: BucketSeries) => [s.labels, Array.from(s.timestamps), Array.from(s.values, (x) => (Number.isNaN(x) ? null : x))]);
}

describe('AggregateEvaluator', () => {
  it('answers each series on its own without groupBy, ordered by labels, leaving out series without values', () => {
    // Pairs sorted by name (__name__, d, site) are compared in turn, so d decides among the t series.
    expect(evaluate({ agg: 'avg' })).toEqual([
      [{ __name__: 'h', site: 'x', d: '5' }, [10], [100]],
      [{ __name__: 't', site: 'x', d: '1' }, [0, 10], [10, 20]],
      [{ __name__: 't', site: 'x', d: '2' }, [0], [30]],
      [{ __name__: 't', site: 'y', d: '3' }, [10], [5]],
      [{ __name__: 't', d: '4' }, [0], [1]],
    ]);
  });

  it('keeps every bucket with fill null, NaN (null) where empty', () => {
    const answer = evaluate({ agg: 'sum', fill: 'null' }, 30);
    expect(answer.map(([labels]) => labels.d)).toEqual(['5', '1', '2', '3', '4']);
    expect(answer[0]).toEqual([{ __name__: 'h', site: 'x', d: '5' }, [0, 10, 20], [null, 100, null]]);
    expect(answer[4]).toEqual([{ __name__: 't', d: '4' }, [0, 10, 20], [1, null, null]]);
  });

  it('groups, combines and orders groups by their labels; a group without values is dropped', () => {
    expect(evaluate({ agg: 'avg', groupBy: ['site'] })).toEqual([
      [{}, [0], [1]],
      [{ site: 'x' }, [0, 10], [20, 60]],
      [{ site: 'y' }, [10], [5]],
    ]);
    expect(evaluate({ agg: 'last', groupBy: [], crossAgg: 'count' })).toEqual([[{}, [0, 10], [3, 3]]]);
    expect(evaluate({ agg: 'avg', groupBy: ['__name__'], crossAgg: 'sum' })).toEqual([
      [{ __name__: 'h' }, [10], [100]],
      [{ __name__: 't' }, [0, 10], [41, 25]],
    ]);
  });

  it('fills each series before grouping', () => {
    // With previous, d4's NaN at 10 leaves bucket 10 empty, so it carries 1; x and y as before.
    expect(evaluate({ agg: 'avg', fill: 'previous', groupBy: [], crossAgg: 'count' })).toEqual([[{}, [0, 10], [3, 5]]]);
    expect(evaluate({ agg: 'avg', fill: 'null', groupBy: ['site'] }, 30)).toEqual([
      [{}, [0, 10, 20], [1, null, null]],
      [{ site: 'x' }, [0, 10, 20], [20, 60, null]],
      [{ site: 'y' }, [0, 10, 20], [null, 5, null]],
    ]);
  });

  it('refuses a range of more buckets than maxPoints before any series is added', () => {
    expect(() => new AggregateEvaluator(Bucketing.create({ start: 0, end: 100, step: 10 }), { agg: 'avg', maxPoints: 9 })).toThrow(QueryLimitError);
  });

  it('refuses an answer of more points than maxPoints in all', () => {
    expect(() => evaluate({ agg: 'avg', maxPoints: 5 })).toThrow('the query would return at least 6 points, more than the limit of 5');
    expect(evaluate({ agg: 'avg', maxPoints: 6 })).toHaveLength(5);
  });

  it('refuses an unknown fill', () => {
    expect(() => evaluate({ agg: 'avg', fill: 'zero' as never })).toThrow(InvalidQueryError);
  });
});
