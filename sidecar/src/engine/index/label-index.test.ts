// The label index: Prometheus matcher edge cases, time bounds, metadata answers, removal and id
// reuse, and a randomised comparison with a brute-force scan (both selection strategies).
import { InvalidQueryError } from '../model/errors';
import { compareLabelSets } from '../model/labels';
import { LabelSet, Matcher } from '../model/types';
import { Random, testSeed } from '../query/testing/random';
import { matchesAll } from '../testing/memory-engine';
import { LabelIndex } from './label-index';

const seed = testSeed();

const SERIES: LabelSet[] = [
  { __name__: 'temp', site: 'berlin', room: 'r1' },
  { __name__: 'temp', site: 'paris' },
  { __name__: 'hum', site: 'berlin' },
  { __name__: 'temp' },
];

function fixture(): LabelIndex {
  const index = new LabelIndex();
  SERIES.forEach((labels, id) => {
    index.add(id, labels);
    index.extend(id, 100 * id, 100 * id + 50);
  });
  return index;
}

const sel = (index: LabelIndex, matchers: Matcher[], start?: number, end?: number) => Array.from(index.select(matchers, start, end));
const x = (name: string, op: Matcher['op'], value: string): Matcher => ({ name, op, value });

describe('LabelIndex.select', () => {
  it.each<[string, Matcher[], number[]]>([
    ['no matchers: every series with data', [], [0, 1, 2, 3]],
    ['{site=""}: no site', [x('site', '=', '')], [3]],
    ['{site!=""}: has site', [x('site', '!=', '')], [0, 1, 2]],
    ['{site=~"berlin|"}: berlin or no site', [x('site', '=~', 'berlin|')], [0, 2, 3]],
    ['{site!~"berlin|"}: a site other than berlin', [x('site', '!~', 'berlin|')], [1]],
    ['{site!="berlin"}: includes series without site', [x('site', '!=', 'berlin')], [1, 3]],
    ['{site=~"ber"}: anchored', [x('site', '=~', 'ber')], []],
    ['{site=~"ber.*"}: prefix', [x('site', '=~', 'ber.*')], [0, 2]],
    ['{site=~".*"}: everything', [x('site', '=~', '.*')], [0, 1, 2, 3]],
    ['{site=~".+"}: has site', [x('site', '=~', '.+')], [0, 1, 2]],
    ['{site!~".+"}: no site', [x('site', '!~', '.+')], [3]],
    ['{__name__="temp", site!~"p.*"}', [x('__name__', '=', 'temp'), x('site', '!~', 'p.*')], [0, 3]],
    ['{__name__=~"t.*", room!="r1"}', [x('__name__', '=~', 't.*'), x('room', '!=', 'r1')], [1, 3]],
    ['{site=~"(ber|par).*", __name__!="hum"}', [x('site', '=~', '(ber|par).*'), x('__name__', '!=', 'hum')], [0, 1]],
    ['{nope=""}: a label no series has', [x('nope', '=', '')], [0, 1, 2, 3]],
    ['{nope!=""}', [x('nope', '!=', '')], []],
    ['{nope="x"}', [x('nope', '=', 'x')], []],
    ['{nope!="x"}', [x('nope', '!=', 'x')], [0, 1, 2, 3]],
    ['{site="berlin", site="paris"}: contradiction', [x('site', '=', 'berlin'), x('site', '=', 'paris')], []],
  ])('%s', (_name, matchers, expected) => {
    expect(sel(fixture(), matchers)).toEqual(expected);
  });

  it('keeps only series whose bounds overlap [start, end)', () => {
    const index = fixture();
    // Bounds are [0, 50], [100, 150], [200, 250], [300, 350].
    expect(sel(index, [], 150, 201)).toEqual([1, 2]);
    expect(sel(index, [], 151, 201)).toEqual([2]);
    expect(sel(index, [], 151, 200)).toEqual([]);
    expect(sel(index, [], 50, 100)).toEqual([0]);
    index.add(4, { __name__: 'temp', site: 'rome' });
    expect(sel(index, [x('site', '=', 'rome')])).toEqual([]); // no data yet
    index.extend(4, 1000, 1000);
    expect(sel(index, [x('site', '=', 'rome')], 1000, 1001)).toEqual([4]);
  });

  it('refuses an invalid regex with an InvalidQueryError naming it', () => {
    expect(() => fixture().select([x('site', '=~', 'ber(')])).toThrow(InvalidQueryError);
    expect(() => fixture().select([x('site', '=~', 'ber(')])).toThrow('invalid regular expression "ber("');
    expect(() => fixture().labelValues('site', { matchers: [x('site', '!~', '[')] })).toThrow(InvalidQueryError);
  });

  it('orders ids by labels', () => {
    expect(Array.from(fixture().sortByLabels([0, 1, 2, 3]))).toEqual([2, 3, 0, 1]);
  });
});

describe('LabelIndex metadata', () => {
  it('lists label names, label values and series, sorted and limited', () => {
    const index = fixture();
    expect(index.labelNames()).toEqual(['__name__', 'room', 'site']);
    expect(index.labelNames({ matchers: [x('__name__', '=', 'hum')] })).toEqual(['__name__', 'site']);
    expect(index.labelNames({ start: 100, end: 400 })).toEqual(['__name__', 'site']);
    expect(index.labelNames({ limit: 1 })).toEqual(['__name__']);
    expect(index.labelValues('site')).toEqual(['berlin', 'paris']);
    expect(index.labelValues('__name__')).toEqual(['hum', 'temp']);
    expect(index.labelValues('site', { matchers: [x('room', '=', '')] })).toEqual(['berlin', 'paris']);
    expect(index.labelValues('site', { start: 100, end: 200 })).toEqual(['paris']);
    expect(index.labelValues('site', { limit: 1 })).toEqual(['berlin']);
    expect(index.labelValues('nope')).toEqual([]);
    expect(index.series({ matchers: [x('site', '!=', '')] })).toEqual([SERIES[2], SERIES[0], SERIES[1]]);
    expect(index.series({ limit: 2 })).toEqual([SERIES[2], SERIES[3]]);
    expect(index.seriesCount({ matchers: [x('__name__', '=', 'temp')] })).toBe(3);
    expect(index.seriesCount({ start: 0, end: 101 })).toBe(2);
  });

  it('refuses a bad limit or time', () => {
    expect(() => fixture().series({ limit: -1 })).toThrow('limit must be a non-negative integer');
    expect(() => fixture().labelNames({ start: 1.5 })).toThrow('start must be an integer of ms');
  });
});

describe('LabelIndex upkeep', () => {
  it('forgets a removed series and lets its id be given to another', () => {
    const index = fixture();
    index.remove(1);
    expect(index.size).toBe(3);
    expect(index.has(1)).toBe(false);
    expect(index.labelValues('site')).toEqual(['berlin']);
    expect(sel(index, [x('site', '!=', 'berlin')])).toEqual([3]);
    index.add(1, { __name__: 'co2', site: 'oslo' });
    index.extend(1, 5, 5);
    expect(index.labelValues('__name__')).toEqual(['co2', 'hum', 'temp']);
    expect(index.labelValues('site')).toEqual(['berlin', 'oslo']);
    expect(sel(index, [x('site', '=~', 'paris|oslo')])).toEqual([1]);
    expect(sel(index, [], 0, 10)).toEqual([0, 1]);
    expect(() => index.add(1, { __name__: 'x' })).toThrow('series id 1 is already in the index');
    expect(() => index.add(-1, { __name__: 'x' })).toThrow('series id must be an integer in [0, 2^31), got -1');
  });

  it('widens bounds to cover a slice of timestamps, in any order', () => {
    const index = new LabelIndex();
    index.add(0, { __name__: 'temp' });
    index.cover(0, [900, 500, 700, 100, 950], 1, 4);
    expect([index.minTime(0), index.maxTime(0)]).toEqual([100, 700]);
    index.cover(0, Float64Array.from([800, 50]), 0, 1);
    expect([index.minTime(0), index.maxTime(0)]).toEqual([100, 800]);
    index.cover(0, [1], 0, 0);
    expect([index.minTime(0), index.maxTime(0)]).toEqual([100, 800]);
  });

  it('grows with ids past its first allocation and keeps postings sorted when a low id returns', () => {
    const index = new LabelIndex();
    for (let id = 0; id < 5000; id++) {
      index.add(id, { __name__: 'm', parity: String(id % 2) });
      index.extend(id, id, id);
    }
    index.remove(10);
    index.remove(4998);
    expect(index.seriesCount({ matchers: [x('parity', '=', '0')] })).toBe(2498);
    index.add(10, { __name__: 'm', parity: '0' });
    index.extend(10, 10, 10);
    const even = sel(index, [x('parity', '=', '0')]);
    expect(even.slice(0, 7)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(even).toHaveLength(2499);
    expect([index.minTime(4999), index.maxTime(4999), index.minTime(1e6)]).toEqual([4999, 4999, Infinity]);
  });

  it('removes a label name with its last series', () => {
    const index = fixture();
    index.remove(0);
    expect(index.labelNames()).toEqual(['__name__', 'site']);
    expect(sel(index, [x('room', '=~', '.+')])).toEqual([]);
  });

  it('narrows bounds to the retention watermarks and reports the series left without data', () => {
    const watermarks: Record<string, number> = { temp: 120, hum: -Infinity };
    const index = new LabelIndex((metric) => watermarks[metric]);
    SERIES.forEach((labels, id) => {
      index.add(id, labels);
      index.extend(id, 100 * id, 100 * id + 50);
    });
    expect(index.expire()).toEqual([0]);
    expect([index.minTime(1), index.maxTime(1), index.minTime(0)]).toEqual([120, 150, Infinity]);
    index.remove(0);
    watermarks.hum = 260;
    expect(index.expire()).toEqual([2]);
    expect([index.minTime(1), index.minTime(3)]).toEqual([120, 300]);
    expect(new LabelIndex().expire()).toEqual([]);
  });

  it("hides data below each metric's watermark from every answer at once, before anything is removed", () => {
    const watermarks: Record<string, number> = { temp: 120, hum: 260 };
    const index = new LabelIndex((metric) => watermarks[metric]);
    SERIES.forEach((labels, id) => {
      index.add(id, labels);
      index.extend(id, 100 * id, 100 * id + 50);
    });
    expect(sel(index, [])).toEqual([1, 3]);
    expect(index.labelNames()).toEqual(['__name__', 'site']);
    expect(index.labelNames({ matchers: [x('__name__', '=', 'hum')] })).toEqual([]);
    expect(index.labelValues('__name__')).toEqual(['temp']);
    expect(index.labelValues('site')).toEqual(['paris']);
    expect(index.labelValues('site', { matchers: [x('__name__', '=~', '.+')] })).toEqual(['paris']);
    expect(index.series({ matchers: [x('site', '!=', '')] })).toEqual([SERIES[1]]);
    // Series 1 holds [100, 150]; only [120, 150] is visible.
    expect(index.seriesCount({ start: 0, end: 121 })).toBe(1);
    expect(index.seriesCount({ start: 0, end: 120 })).toBe(0);
    watermarks.temp = -Infinity;
    expect(sel(index, [])).toEqual([0, 1, 3]);
    expect(index.size).toBe(4);
  });

  it('widens bounds on every write', () => {
    const index = fixture();
    index.extend(0, -10, 20);
    index.extend(0, 30, 70);
    expect([index.minTime(0), index.maxTime(0)]).toEqual([-10, 70]);
  });
});

describe(`LabelIndex against a brute-force scan (SEED=${seed})`, () => {
  it('selects and answers metadata alike, through adds, removals and reused ids', () => {
    const r = new Random(seed);
    for (let world = 0; world < 25; world++) {
      // Vocabularies from tiny to larger than the series count, so that both strategies run:
      // set operations over postings and testing each candidate's own value.
      const vocab = (name: string) => Array.from({ length: r.pick([1, 2, 5, 40, 400]) }, (_, i) => `${name}${i}`);
      const values: Record<string, string[]> = { __name__: vocab('m'), a: vocab('a'), b: vocab('b'), c: ['c0', 'c1', 'x|y'] };
      const index = new LabelIndex();
      const model = new Map<number, { labels: LabelSet; minT: number; maxT: number }>();
      const addRandom = (id: number) => {
        const labels: Record<string, string> = { __name__: r.pick(values.__name__) };
        for (const name of ['a', 'b', 'c']) if (r.chance(0.7)) labels[name] = r.pick(values[name]);
        index.add(id, labels);
        const minT = r.int(0, 100);
        const maxT = minT + r.int(0, 50);
        if (r.chance(0.9)) {
          index.extend(id, minT, maxT);
          model.set(id, { labels, minT, maxT });
        } else {
          model.set(id, { labels, minT: Infinity, maxT: -Infinity });
        }
      };
      const n = r.int(1, 300);
      for (let id = 0; id < n; id++) addRandom(id);
      for (let k = r.int(0, 30); k > 0; k--) {
        const id = r.int(0, n - 1);
        index.remove(id);
        model.delete(id);
        if (r.chance(0.5)) addRandom(id);
      }
      for (let q = 0; q < 40; q++) {
        const matchers: Matcher[] = [];
        for (let k = r.int(0, 3); k > 0; k--) {
          const name = r.pick(['__name__', 'a', 'b', 'c', 'nope']);
          const op = r.pick(['=', '!=', '=~', '!~'] as const);
          const known = values[name] ?? ['z'];
          const value =
            op === '=' || op === '!='
              ? r.pick([...known.slice(0, 3), ''])
              : r.pick([`${name}1.*`, `${name}1|${name}2`, `${name}[0-3]`, '.*', '.+', `${name}0|`, 'x\\|y', `.*1`, '']);
          matchers.push({ name, op, value });
        }
        const start = r.chance(0.5) ? r.int(0, 150) : undefined;
        const end = start !== undefined ? start + r.int(1, 80) : undefined;
        const limit = r.chance(0.3) ? r.int(0, 10) : undefined;
        const hit = [...model]
          .filter(([, s]) => matchesAll(matchers, s.labels) && s.minT < (end ?? Infinity) && s.maxT >= (start ?? -Infinity))
          .map(([id, s]) => ({ id, labels: s.labels }))
          .sort((p, q2) => p.id - q2.id);
        const context = JSON.stringify({ matchers, start, end, limit, seed });
        expect([context, sel(index, matchers, start, end)]).toEqual([context, hit.map((h) => h.id)]);
        const req = { matchers, start, end, limit };
        const cut = <T>(xs: T[]) => (limit === undefined ? xs : xs.slice(0, limit));
        const name = r.pick(['__name__', 'a', 'c', 'nope']);
        const valuesOf = [...new Set(hit.map((h) => h.labels[name]).filter((v) => v !== undefined))].sort();
        expect([context, name, index.labelValues(name, req)]).toEqual([context, name, cut(valuesOf)]);
        expect([context, index.labelNames(req)]).toEqual([context, cut([...new Set(hit.flatMap((h) => Object.keys(h.labels)))].sort())]);
        expect([context, index.series(req)]).toEqual([context, cut(hit.map((h) => h.labels).sort(compareLabelSets))]);
        expect([context, index.seriesCount(req)]).toEqual([context, hit.length]);
      }
    }
  });
});
