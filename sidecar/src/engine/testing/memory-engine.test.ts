// Hand-computed answers for the query rules in model/types.ts, checked on the oracle itself.
import { MemoryEngine } from './memory-engine';

const H = 3_600_000;
const DAY = 24 * H;

async function engineWith(series: Array<{ labels: Record<string, string>; samples: Array<[number, number]> }>) {
  const e = new MemoryEngine();
  await e.write(series.map((s) => ({ labels: s.labels, timestamps: s.samples.map(([t]) => t), values: s.samples.map(([, v]) => v) })));
  return e;
}

const all = [{ name: '__name__', op: '=' as const, value: 't' }];

describe('MemoryEngine', () => {
  it('replaces a sample written twice and answers raw samples in time order', async () => {
    const e = await engineWith([{ labels: { __name__: 't', d: 'a' }, samples: [[30, 3], [10, 1], [20, 2]] }]);
    await e.write([{ labels: { d: 'a', __name__: 't' }, timestamps: [20], values: [5] }]);
    const [s] = await e.select({ matchers: all, start: 10, end: 30 });
    expect([...s.timestamps]).toEqual([10, 20]);
    expect([...s.values]).toEqual([1, 5]);
  });

  it('rejects bad entries and keeps the good ones', async () => {
    const e = new MemoryEngine({ maxSeries: 1 });
    const r = await e.write([
      { labels: { __name__: 't', d: 'a' }, timestamps: [1], values: [1] },
      { labels: { __name__: '1bad' }, timestamps: [1], values: [1] },
      { labels: { __name__: 't', d: 'b' }, timestamps: [1, 2], values: [1, 2] },
      { labels: { __name__: 't', d: 'a' }, timestamps: [1.5], values: [1] },
    ]);
    expect(r.accepted).toBe(1);
    expect(r.byReason).toEqual({ invalid_series: 1, cardinality_limit: 2, invalid_sample: 1 });
    expect(r.refs).toEqual([0, -1, -1, -1]);
  });

  it('aggregates per bucket and fills as documented', async () => {
    // buckets of 10: [0,10) has 1 and 3, [10,20) empty, [20,30) has 7 and NaN, [30,40) empty
    const e = await engineWith([{ labels: { __name__: 't' }, samples: [[-5, 9], [1, 1], [5, 3], [22, 7], [25, NaN]] }]);
    const q = (fill: 'none' | 'null' | 'previous' | 'linear', agg: 'avg' | 'count' = 'avg') =>
      e.aggregate({ matchers: all, start: 0, end: 40, step: 10, agg, fill }).then(([s]) => [[...s.timestamps], [...s.values]]);
    expect(await q('none')).toEqual([[0, 20], [2, 7]]);
    expect(await q('none', 'count')).toEqual([[0, 20], [2, 1]]);
    expect(await q('null')).toEqual([[0, 10, 20, 30], [2, NaN, 7, NaN]]);
    expect(await q('previous')).toEqual([[0, 10, 20, 30], [2, 2, 7, 7]]);
    expect(await q('linear')).toEqual([[0, 10, 20], [2, 4.5, 7]]);
    // previous before the first bucket uses the last sample before start
    const [p] = await e.aggregate({ matchers: all, start: 10, end: 30, step: 10, agg: 'avg', fill: 'previous' });
    expect([...p.values]).toEqual([3, 7]);
  });

  it('groups series and combines them per bucket', async () => {
    const e = await engineWith([
      { labels: { __name__: 't', site: 'x', d: '1' }, samples: [[0, 10], [10, 20]] },
      { labels: { __name__: 't', site: 'x', d: '2' }, samples: [[0, 30]] },
      { labels: { __name__: 't', site: 'y', d: '3' }, samples: [[10, 5]] },
    ]);
    const bySite = await e.aggregate({ matchers: all, start: 0, end: 20, step: 10, agg: 'avg', groupBy: ['site'] });
    expect(bySite.map((s) => [s.labels, [...s.timestamps], [...s.values]])).toEqual([
      [{ site: 'x' }, [0, 10], [20, 20]],
      [{ site: 'y' }, [10], [5]],
    ]);
    const [count] = await e.aggregate({ matchers: all, start: 0, end: 20, step: 10, agg: 'last', groupBy: [], crossAgg: 'count' });
    expect([...count.values]).toEqual([2, 2]);
  });

  it('aligns day buckets to local midnight across a DST change', async () => {
    // Europe/Berlin switched to summer time on 2024-03-31 at 02:00 local (01:00 UTC).
    const march30 = Date.UTC(2024, 2, 29, 23); // local midnight of 2024-03-30
    const e = await engineWith([{ labels: { __name__: 't' }, samples: [[march30 + H, 1], [march30 + 30 * H, 2], [march30 + 50 * H, 3]] }]);
    const [s] = await e.aggregate({ matchers: all, start: march30, end: march30 + 3 * DAY, step: DAY, agg: 'sum', timeZone: 'Europe/Berlin' });
    // 2024-03-31 is 23 hours long, so 2024-04-01 starts at 22:00 UTC on 03-31.
    expect([...s.timestamps]).toEqual([march30, march30 + DAY, march30 + 2 * DAY - H]);
    expect([...s.values]).toEqual([1, 2, 3]);
  });

  it('starts week buckets on Mondays', async () => {
    const wed = Date.UTC(2024, 0, 3); // a Wednesday
    const e = await engineWith([{ labels: { __name__: 't' }, samples: [[wed, 1]] }]);
    const [s] = await e.aggregate({ matchers: all, start: wed, end: wed + DAY, step: 7 * DAY, agg: 'sum' });
    expect([...s.timestamps]).toEqual([Date.UTC(2024, 0, 1)]);
  });

  it('applies matchers with Prometheus semantics and answers metadata', async () => {
    const e = await engineWith([
      { labels: { __name__: 't', site: 'berlin' }, samples: [[0, 1]] },
      { labels: { __name__: 't', site: 'paris', room: 'r1' }, samples: [[100, 1]] },
      { labels: { __name__: 'h', site: 'paris' }, samples: [[0, 1]] },
    ]);
    expect(await e.labelValues('site', { matchers: [{ name: 'room', op: '=', value: '' }] })).toEqual(['berlin', 'paris']);
    expect(await e.labelValues('site', { matchers: [{ name: 'site', op: '=~', value: 'par' }] })).toEqual([]);
    expect(await e.labelValues('__name__', { start: 50, end: 200 })).toEqual(['t']);
    expect(await e.labelNames({})).toEqual(['__name__', 'room', 'site']);
    expect(await e.seriesCount({ matchers: [{ name: 'site', op: '!~', value: 'b.*' }] })).toBe(2);
    await expect(e.select({ matchers: all, start: 0, end: 200, maxSeries: 1 })).rejects.toThrow('more than the limit of 1');
  });
});
