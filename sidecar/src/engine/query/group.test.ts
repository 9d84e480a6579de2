// Grouping by label values with every cross aggregation; missing labels group under "".
import { CrossAggregation } from '../model/types';
import { GroupAccumulator } from './group';

const v = (...xs: number[]) => Float64Array.from(xs);

function combine(by: string[], crossAgg: CrossAggregation) {
  const g = new GroupAccumulator(by, crossAgg, 2);
  g.add({ __name__: 't', site: 'x', d: '1' }, v(10, 20));
  g.add({ __name__: 't', site: 'x', d: '2' }, v(30, NaN));
  g.add({ __name__: 'h', site: 'x', d: '5' }, v(NaN, 100));
  g.add({ __name__: 't', site: 'y', d: '3' }, v(NaN, 5));
  g.add({ __name__: 't', d: '4' }, v(1, NaN));
  return [...g.groups()].map((group) => [group.labels, Array.from(g.valuesOf(group))]);
}

describe('GroupAccumulator', () => {
  it.each<[CrossAggregation, number[]]>([
    ['avg', [20, 60]],
    ['sum', [40, 120]],
    ['min', [10, 20]],
    ['max', [30, 100]],
    ['count', [2, 2]],
  ])('%s combines the values that are not NaN, per bucket', (crossAgg, x) => {
    const groups = combine(['site'], crossAgg);
    expect(groups[0]).toEqual([{ site: 'x' }, x]);
  });

  it('groups a missing label as "" and labels a group with its non-empty values only', () => {
    expect(combine(['site'], 'avg')).toEqual([
      [{ site: 'x' }, [20, 60]],
      [{ site: 'y' }, [NaN, 5]],
      [{}, [1, NaN]],
    ]);
    expect(combine(['site', 'nope'], 'count').map(([labels]) => labels)).toEqual([{ site: 'x' }, { site: 'y' }, {}]);
  });

  it('groups by the metric name only when asked, and puts everything in one group for []', () => {
    expect(combine(['__name__'], 'sum')).toEqual([
      [{ __name__: 't' }, [41, 25]],
      [{ __name__: 'h' }, [NaN, 100]],
    ]);
    expect(combine([], 'max')).toEqual([[{}, [30, 100]]]);
  });

  it('refuses an unknown cross aggregation or a groupBy that is not a list of names', () => {
    expect(() => new GroupAccumulator(['site'], 'median' as CrossAggregation, 1)).toThrow('unknown cross aggregation "median"');
    expect(() => new GroupAccumulator('site' as unknown as string[], 'avg', 1)).toThrow('groupBy must be a list of label names');
  });
});
