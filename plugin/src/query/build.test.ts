// Building native requests: modes, defaults, ad hoc filters, steps and mistakes caught before sending.
import { buildLatestRequest, buildRangeRequest, describeRequest, QueryContext, stepForQuery } from './build';

const HOUR_MS = 3_600_000;
const context: QueryContext = {
  startMs: 1_700_000_000_000,
  endMs: 1_700_000_000_000 + 6 * HOUR_MS,
  intervalMs: 15_000,
  maxDataPoints: 1000,
  timeZone: 'Europe/Berlin',
  defaultAgg: 'max',
  datasourceMinInterval: '10s',
  extraMatchers: [{ name: 'kind', op: '=', value: 'indoor' }],
};

describe('buildRangeRequest', () => {
  it('builds a bucketed query with the datasource defaults and ad hoc filters', () => {
    const request = buildRangeRequest({ refId: 'A', metric: ' temperature ', matchers: [{ name: 'site', op: '=~', value: 'berlin|paris' }] }, context);
    expect(request).toEqual({
      metric: 'temperature',
      matchers: [
        { name: 'site', op: '=~', value: 'berlin|paris' },
        { name: 'kind', op: '=', value: 'indoor' },
      ],
      start: context.startMs,
      end: context.endMs,
      limit: undefined,
      step: 30_000,
      agg: 'max',
      fill: 'none',
      timeZone: 'Europe/Berlin',
    });
  });

  it('groups with the cross-series aggregation defaulting to the aggregation', () => {
    const request = buildRangeRequest({ refId: 'A', metric: 'temperature', agg: 'avg', groupBy: ['site'], fill: 'previous' }, context);
    expect(request).toMatchObject({ groupBy: ['site'], crossAgg: 'avg', agg: 'avg', fill: 'previous' });
    expect(buildRangeRequest({ refId: 'A', metric: 'temperature', groupBy: ['site'], crossAgg: 'sum' }, context)).toMatchObject({ crossAgg: 'sum', agg: 'max' });
    // first / last pick samples in time; across series they fall back to an average.
    expect(buildRangeRequest({ refId: 'A', metric: 'temperature', groupBy: ['site'], agg: 'last' }, context)).toMatchObject({ crossAgg: 'avg', agg: 'last' });
  });

  it('asks for raw samples without step or aggregation', () => {
    const request = buildRangeRequest({ refId: 'A', metric: 'temperature', mode: 'raw', agg: 'avg', limit: 5 }, context);
    expect(request).toEqual({ metric: 'temperature', matchers: [{ name: 'kind', op: '=', value: 'indoor' }], start: context.startMs, end: context.endMs, limit: 5, raw: true });
  });

  it('needs a metric', () => {
    expect(() => buildRangeRequest({ refId: 'B', metric: '  ' }, context)).toThrow(expect.objectContaining({ code: 'NO_METRIC', message: 'Query B: pick a metric' }));
  });

  it('skips empty filter rows and rejects a value without a label', () => {
    expect(buildRangeRequest({ refId: 'A', metric: 'm', matchers: [{ name: '', op: '=', value: '' }] }, { ...context, extraMatchers: [] }).matchers).toEqual([]);
    expect(() => buildRangeRequest({ refId: 'C', metric: 'm', matchers: [{ name: ' ', op: '=', value: 'x' }] }, context)).toThrow(
      expect.objectContaining({ code: 'BAD_MATCHER', message: 'Query C: label filter 1 has a value but no label name' }),
    );
  });
});

describe('stepForQuery', () => {
  it("uses the query's min interval instead of the datasource's", () => {
    expect(stepForQuery({ refId: 'A', minInterval: '5m' }, context)).toBe(5 * 60_000);
    expect(stepForQuery({ refId: 'A', minInterval: '' }, { ...context, intervalMs: 1000 })).toBe(30_000);
    expect(stepForQuery({ refId: 'A' }, { ...context, intervalMs: 1000, maxDataPoints: 100_000 })).toBe(10_000);
  });

  it('names the query whose interval is wrong', () => {
    expect(() => stepForQuery({ refId: 'D', minInterval: 'soon' }, context)).toThrow(/Query D min interval: "soon"/);
  });
});

describe('buildLatestRequest', () => {
  it('sends metric, filters and limit', () => {
    expect(buildLatestRequest({ refId: 'A', metric: 'battery', mode: 'latest', limit: 50 }, context)).toEqual({
      metric: 'battery',
      matchers: [{ name: 'kind', op: '=', value: 'indoor' }],
      limit: 50,
    });
  });
});

describe('describeRequest', () => {
  it('shows the step and matchers that ran', () => {
    const request = buildRangeRequest({ refId: 'A', metric: 'temperature', groupBy: ['site'] }, { ...context, extraMatchers: [] });
    expect(describeRequest(request, 'series')).toBe('max(temperature{}) by (site) max step=30000ms fill=none tz=Europe/Berlin');
    expect(describeRequest(buildLatestRequest({ refId: 'A', metric: 'battery' }, context), 'latest')).toBe('latest battery{kind="indoor"}');
  });
});
