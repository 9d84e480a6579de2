// Variable interpolation: single values, multi-value and All selections, regex escaping, ad hoc filters.
import { TestTemplateSrv } from '../testing/templateSrv';
import { adHocFilterToMatcher, escapeRegex, interpolateMatcher, interpolateMetric, interpolateQuery, rangeScopedVars } from './interpolate';

const templateSrv = new TestTemplateSrv([
  { name: 'site', current: 'berlin' },
  { name: 'pattern', current: 'ber.*' },
  { name: 'device', current: ['d1', 'd.2'], multi: true, includeAll: true, options: ['d1', 'd.2', 'd3'] },
  { name: 'one', current: ['d1'], multi: true },
  { name: 'everything', current: '$__all', includeAll: true, options: ['a', 'b(c)'] },
  { name: 'custom_all', current: '$__all', includeAll: true, allValue: '.*', options: ['a', 'b'] },
  { name: 'groups', current: ['site', 'kind'], multi: true },
  { name: 'metric', current: 'humidity' },
  { name: 'metrics', current: ['humidity', 'pressure'], multi: true, includeAll: true, options: ['battery', 'humidity', 'pressure', 'temperature'] },
  { name: 'one_metric', current: ['pressure'], multi: true },
  { name: 'all_metrics', current: '$__all', includeAll: true, options: ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'] },
  { name: 'any_metric', current: '$__all', includeAll: true, allValue: '.*', options: ['humidity'] },
]);

describe('interpolateMatcher', () => {
  it('inserts a single value as typed', () => {
    expect(interpolateMatcher({ name: 'site', op: '=', value: '$site' }, templateSrv, {})).toEqual({ name: 'site', op: '=', value: 'berlin' });
    expect(interpolateMatcher({ name: 'site', op: '!=', value: 'x-${site}' }, templateSrv, {})).toEqual({ name: 'site', op: '!=', value: 'x-berlin' });
  });

  it('keeps a single-value variable as a regex under =~', () => {
    expect(interpolateMatcher({ name: 'site', op: '=~', value: '$pattern' }, templateSrv, {})).toEqual({ name: 'site', op: '=~', value: 'ber.*' });
  });

  it('turns = with several values into =~ with an escaped alternation', () => {
    expect(interpolateMatcher({ name: 'device', op: '=', value: '$device' }, templateSrv, {})).toEqual({ name: 'device', op: '=~', value: '(d1|d\\.2)' });
    expect(interpolateMatcher({ name: 'device', op: '!=', value: '$device' }, templateSrv, {})).toEqual({ name: 'device', op: '!~', value: '(d1|d\\.2)' });
  });

  it('escapes the literal text around a multi-value variable when it becomes a regex', () => {
    expect(interpolateMatcher({ name: 'device', op: '=', value: 'room.1-$device' }, templateSrv, {})).toEqual({
      name: 'device',
      op: '=~',
      value: 'room\\.1-(d1|d\\.2)',
    });
  });

  it('keeps the literal regex around a multi-value variable under =~', () => {
    expect(interpolateMatcher({ name: 'device', op: '=~', value: '$device|x.*' }, templateSrv, {})).toEqual({
      name: 'device',
      op: '=~',
      value: '(d1|d\\.2)|x.*',
    });
  });

  it('treats one selected value of a multi-value variable as that exact value', () => {
    expect(interpolateMatcher({ name: 'device', op: '=', value: '$one' }, templateSrv, {})).toEqual({ name: 'device', op: '=~', value: 'd1' });
  });

  it('lists every option for All, and uses a custom All value as a regex', () => {
    expect(interpolateMatcher({ name: 'x', op: '=', value: '$everything' }, templateSrv, {})).toEqual({ name: 'x', op: '=~', value: '(a|b\\(c\\))' });
    expect(interpolateMatcher({ name: 'x', op: '=', value: '$custom_all' }, templateSrv, {})).toEqual({ name: 'x', op: '=~', value: '.*' });
  });

  it('uses a regex for a multi-value variable even when one value is selected as a plain string', () => {
    const srv = new TestTemplateSrv([{ name: 'device', current: 'd.1', multi: true }]);
    expect(interpolateMatcher({ name: 'device', op: '=', value: '$device' }, srv, {})).toEqual({ name: 'device', op: '=~', value: 'd\\.1' });
  });

  it('prefers scoped variables (repeated panels)', () => {
    expect(interpolateMatcher({ name: 'site', op: '=', value: '$site' }, templateSrv, { site: { text: 'paris', value: 'paris' } })).toEqual({
      name: 'site',
      op: '=',
      value: 'paris',
    });
  });

  it('leaves unknown variables alone', () => {
    expect(interpolateMatcher({ name: 'site', op: '=', value: '$nope' }, templateSrv, {})).toEqual({ name: 'site', op: '=', value: '$nope' });
  });
});

describe('interpolateMetric', () => {
  it('replaces a single value, a scoped value and one selected value of a multi-value variable', () => {
    expect(interpolateMetric('$metric', 'A', templateSrv, {})).toBe('humidity');
    expect(interpolateMetric('${metric}', 'A', templateSrv, { metric: { text: 'battery', value: 'battery' } })).toBe('battery');
    expect(interpolateMetric('$one_metric', 'A', templateSrv, {})).toBe('pressure');
    expect(interpolateMetric('site_$metric', 'A', templateSrv, {})).toBe('site_humidity');
  });

  it('leaves a metric without variables as written', () => {
    expect(interpolateMetric(' temperature ', 'A', templateSrv, {})).toBe(' temperature ');
    expect(interpolateMetric(undefined, 'A', templateSrv, {})).toBeUndefined();
  });

  it('refuses several selected metrics, naming them, as one query reads one metric', () => {
    expect(() => interpolateMetric('$metrics', 'B', templateSrv, {})).toThrow(
      expect.objectContaining({
        code: 'MULTI_VALUE_METRIC',
        message: 'Query B: the metric $metrics stands for 2 metrics (humidity, pressure), and a query reads one metric; select one value, or repeat the panel by the variable',
      }),
    );
    expect(() => interpolateMetric('$all_metrics', 'B', templateSrv, {})).toThrow(
      expect.objectContaining({ code: 'MULTI_VALUE_METRIC', message: expect.stringContaining('stands for 7 metrics (m1, m2, m3, m4, m5, and 2 more)') }),
    );
  });

  it('refuses a value that is not a metric name, such as a custom All value', () => {
    expect(() => interpolateMetric('$any_metric', 'C', templateSrv, {})).toThrow(
      expect.objectContaining({ code: 'BAD_METRIC', message: 'Query C: the metric $any_metric gives ".*", which is not a metric name' }),
    );
    expect(() => interpolateMetric('$nope', 'C', templateSrv, {})).toThrow(expect.objectContaining({ code: 'BAD_METRIC' }));
  });
});

describe('escapeRegex', () => {
  it('escapes every metacharacter so the regex matches the text itself', () => {
    const text = 'a.b*c+d?e^f$g(h)i[j]k{l}m|n\\o';
    expect(new RegExp(`^${escapeRegex(text)}$`).test(text)).toBe(true);
    expect(new RegExp(`^${escapeRegex('a.b')}$`).test('axb')).toBe(false);
  });
});

describe('interpolateQuery', () => {
  it('interpolates metric, filters, group by (several labels from one variable), min interval and legend', () => {
    const query = interpolateQuery(
      {
        refId: 'A',
        metric: '$metric',
        matchers: [{ name: 'site', op: '=', value: '$site' }],
        groupBy: ['$groups', 'device'],
        minInterval: '$__interval',
        legend: '{{device}} in $site',
      },
      templateSrv,
      { metric: { text: 'temperature', value: 'temperature' }, ...rangeScopedVars(30_000, 0, 3_600_000) },
    );
    expect(query).toEqual({
      refId: 'A',
      metric: 'temperature',
      matchers: [{ name: 'site', op: '=', value: 'berlin' }],
      groupBy: ['site', 'kind', 'device'],
      minInterval: '30s',
      legend: '{{device}} in berlin',
    });
  });
});

describe('rangeScopedVars', () => {
  it('provides $__interval and $__range for the request', () => {
    const vars = rangeScopedVars(1500, 1000, 3_601_000);
    expect(vars.__interval?.value).toBe('1500ms');
    expect(vars.__interval_ms?.value).toBe(1500);
    expect(vars.__range?.value).toBe('3600s');
    expect(vars.__range_s?.value).toBe(3600);
    expect(vars.__range_ms?.value).toBe(3_600_000);
  });
});

describe('adHocFilterToMatcher', () => {
  it('maps the operators the sidecar understands', () => {
    expect(adHocFilterToMatcher({ key: 'site', operator: '=', value: 'berlin' })).toEqual({ name: 'site', op: '=', value: 'berlin' });
    expect(adHocFilterToMatcher({ key: 'site', operator: '!~', value: 'b.*' })).toEqual({ name: 'site', op: '!~', value: 'b.*' });
  });

  it('turns "one of" into an escaped regex', () => {
    expect(adHocFilterToMatcher({ key: 'device', operator: '=|', value: 'd1', values: ['d1', 'd.2'] })).toEqual({ name: 'device', op: '=~', value: 'd1|d\\.2' });
    expect(adHocFilterToMatcher({ key: 'device', operator: '!=|', value: 'd1', values: ['d1'] })).toEqual({ name: 'device', op: '!~', value: 'd1' });
  });

  it('rejects comparisons with a message naming the filter', () => {
    expect(() => adHocFilterToMatcher({ key: 'battery', operator: '<', value: '20' })).toThrow(
      expect.objectContaining({ code: 'BAD_FILTER', message: expect.stringContaining('battery < 20') }),
    );
  });
});
