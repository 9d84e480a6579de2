// The benchmark queries: each dialect's request, its reading of an answer, and the check that turns a
// fast wrong answer into a failure.
import { influxql, influxqlQuery } from '../../bench/peer/dialects/influxql';
import { nativeQuery, nativeRequests } from '../../bench/peer/dialects/native';
import { promql, promqlQuery } from '../../bench/peer/dialects/promql';
import { BenchError } from '../../bench/peer/errors';
import { Answer, checkAnswer, expectedAnswer, points, querySpec } from '../../bench/peer/queries';
import { Fleet } from '../../bench/workload/fleet';

const fleet = new Fleet({ devices: 10, hours: 1, seed: 5, endMs: 1_700_002_800_000, sites: 4 });
const spec = querySpec(fleet);

function clone(answer: Answer): Answer {
  return { timesKnown: answer.timesKnown, series: new Map([...answer.series].map(([k, p]) => [k, { timestampsMs: p.timestampsMs.slice(), values: p.values.slice() }])) };
}

describe('the expected answers', () => {
  it('pick the middle device, the last hour for Q1 and whole buckets for Q2 and Q3', () => {
    expect(spec.device).toBe('dev-0006');
    expect(spec.q1StartMs).toBe(fleet.endMs - 3_600_000);
    expect(expectedAnswer(fleet, spec, 'q1').series.get('dev-0006')!.values).toHaveLength(360);
    expect(expectedAnswer(fleet, spec, 'q2').series.get('fleet')!.values).toHaveLength(60);
    expect([...expectedAnswer(fleet, spec, 'q3').series.keys()]).toEqual(['site-01', 'site-02', 'site-03', 'site-04']);
    expect(expectedAnswer(fleet, spec, 'q4').series.size).toBe(10);
    expect([...expectedAnswer(fleet, spec, 'q5').series.keys()]).toEqual(['temperature', 'humidity', 'pressure', 'battery']);
  });
});

describe('checkAnswer', () => {
  const want = expectedAnswer(fleet, spec, 'q2');

  it('accepts the expected answer and means that differ only by summation order', () => {
    const got = clone(want);
    got.series.get('fleet')!.values[3] *= 1 + 1e-12;
    expect(() => checkAnswer('q2', got, want, 'test')).not.toThrow();
  });

  it('refuses a wrong mean, naming the series, point, time and both values', () => {
    const got = clone(want);
    got.series.get('fleet')!.values[7] += 0.01;
    expect(() => checkAnswer('q2', got, want, 'test')).toThrow(new RegExp(`WRONG_ANSWER in test: .*series fleet point 7 \\(t=${want.series.get('fleet')!.timestampsMs[7]}\\)`));
  });

  it('refuses a raw value off by the smallest step, a shifted time, a missing point and a missing series', () => {
    const raw = expectedAnswer(fleet, spec, 'q5');
    const offByUlp = clone(raw);
    const v = offByUlp.series.get('pressure')!.values;
    v[0] = v[0] + v[0] * Number.EPSILON;
    expect(() => checkAnswer('q5', offByUlp, raw, 'test')).toThrow(BenchError);
    const shifted = clone(raw);
    shifted.series.get('battery')!.timestampsMs[5] += 1;
    expect(() => checkAnswer('q5', shifted, raw, 'test')).toThrow(/series battery point 5: time/);
    const short = clone(raw);
    const h = short.series.get('humidity')!;
    short.series.set('humidity', { timestampsMs: h.timestampsMs.subarray(1), values: h.values.subarray(1) });
    expect(() => checkAnswer('q5', short, raw, 'test')).toThrow(/series humidity: 359 points instead of 360/);
    const missing = clone(raw);
    missing.series.delete('temperature');
    expect(() => checkAnswer('q5', missing, raw, 'test')).toThrow(/missing \[temperature\]/);
  });

  it('compares only values when the target answers with evaluation times', () => {
    const want4 = expectedAnswer(fleet, spec, 'q4');
    const got = clone(want4);
    got.timesKnown = false;
    for (const p of got.series.values()) p.timestampsMs[0] = fleet.endMs;
    expect(() => checkAnswer('q4', got, want4, 'test')).not.toThrow();
  });
});

/** A PreparedQuery's parse applied to a canned body. */
function parseWith(prepared: { parse(bodies: string[]): Answer }, ...bodies: object[]): Answer {
  return prepared.parse(bodies.map((b) => JSON.stringify(b)));
}

describe('PromQL', () => {
  it('evaluates range selectors 1 ms before each bucket end and maps answers back to bucket starts', () => {
    const q2 = promql('q2', spec);
    expect(q2.params.query).toBe('avg(avg_over_time(temperature[60000ms]))');
    expect(Number(q2.params.start) * 1000).toBe(spec.startMs + 59_999);
    expect(Number(q2.params.end) * 1000).toBe(spec.endMs - 1);
    expect(q2.params.step).toBe('60');
    const want = expectedAnswer(fleet, spec, 'q2').series.get('fleet')!;
    const values = Array.from(want.timestampsMs, (t, i) => [(t + 59_999) / 1000, String(want.values[i])]);
    const answer = parseWith(promqlQuery('http://x', 'q2', spec, 'test'), { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } });
    expect(() => checkAnswer('q2', answer, expectedAnswer(fleet, spec, 'q2'), 'test')).not.toThrow();
  });

  it('asks Q1 and Q5 for exactly the range [start, end) and Q3 by site', () => {
    expect(promql('q1', spec).params).toEqual({ query: 'temperature{device="dev-0006"}[3600000ms]', time: String((spec.endMs - 1) / 1000) });
    expect(promql('q5', spec).params.query).toBe('{__name__=~"temperature|humidity|pressure|battery",device="dev-0006"}[3600000ms]');
    expect(promql('q3', spec).params.query).toBe('avg by (site) (avg_over_time(temperature[300000ms]))');
    expect(promql('q4', spec).timesKnown).toBe(false);
  });

  it('turns an error answer into QUERY_FAILED', () => {
    expect(() => parseWith(promqlQuery('http://x', 'q1', spec, 'prom'), { status: 'error', errorType: 'bad_data', error: 'parse error' })).toThrow(/QUERY_FAILED in prom: bad_data: parse error/);
  });
});

describe('InfluxQL', () => {
  it('states each query with the range [start, end) and buckets without fill', () => {
    expect(influxql('q1', spec).text).toBe(`SELECT value FROM temperature WHERE device = 'dev-0006' AND time >= ${spec.q1StartMs}ms AND time < ${spec.endMs}ms`);
    expect(influxql('q3', spec).text).toBe(`SELECT mean(value) FROM temperature WHERE time >= ${spec.startMs}ms AND time < ${spec.endMs}ms GROUP BY time(300000ms), site fill(none)`);
    expect(influxql('q4', spec).text).toBe('SELECT last(value) FROM temperature GROUP BY device');
  });

  it('reads series by tag or measurement, nulls as NaN so they fail the check', () => {
    const want = expectedAnswer(fleet, spec, 'q4');
    const series = [...want.series].map(([device, p]) => ({ name: 'temperature', tags: { device }, columns: ['time', 'last'], values: [[p.timestampsMs[0], p.values[0]]] }));
    const answer = parseWith(influxqlQuery('http://x', 'bench', 'q4', spec, 'test'), { results: [{ statement_id: 0, series }] });
    expect(() => checkAnswer('q4', answer, want, 'test')).not.toThrow();
    series[2].values[0][1] = null as unknown as number;
    const withNull = parseWith(influxqlQuery('http://x', 'bench', 'q4', spec, 'test'), { results: [{ statement_id: 0, series }] });
    expect(() => checkAnswer('q4', withNull, want, 'test')).toThrow(/value NaN/);
  });

  it('turns a statement error into QUERY_FAILED', () => {
    expect(() => parseWith(influxqlQuery('http://x', 'bench', 'q1', spec, 'influx'), { results: [{ statement_id: 0, error: 'database not found: bench' }] })).toThrow(/QUERY_FAILED in influx: InfluxDB: database not found/);
  });
});

describe('native API', () => {
  it('asks Q2 with every series in one group and Q5 as one raw request per metric', () => {
    expect(nativeRequests('q2', spec)[0].body).toEqual({ metric: 'temperature', start: spec.startMs, end: spec.endMs, step: 60_000, agg: 'avg', groupBy: [], crossAgg: 'avg' });
    expect(nativeRequests('q5', spec).map((r) => (r.body as { metric: string }).metric)).toEqual(['temperature', 'humidity', 'pressure', 'battery']);
    expect(nativeRequests('q4', spec)[0].path).toBe('/api/native/latest');
  });

  it('reads query and latest answers into the common shape', () => {
    const want5 = expectedAnswer(fleet, spec, 'q5');
    const bodies = [...want5.series].map(([metric, p]) => ({ step: 0, series: [{ metric, labels: { device: 'dev-0006' }, times: Array.from(p.timestampsMs), values: Array.from(p.values) }] }));
    expect(() => checkAnswer('q5', parseWith(nativeQuery('http://x', 'q5', spec, 't'), ...bodies), want5, 't')).not.toThrow();
    const want4 = expectedAnswer(fleet, spec, 'q4');
    const latest = { series: [...want4.series].map(([device, p]) => ({ metric: 'temperature', labels: { device }, time: p.timestampsMs[0], value: p.values[0] })) };
    expect(() => checkAnswer('q4', parseWith(nativeQuery('http://x', 'q4', spec, 't'), latest), want4, 't')).not.toThrow();
  });
});

describe('points', () => {
  it('splits pairs into times and values', () => {
    expect(points([[1, 2], [3, 4]])).toEqual({ timestampsMs: Float64Array.of(1, 3), values: Float64Array.of(2, 4) });
  });
});
