import { MemoryEngine } from '../engine/testing/memory-engine';
import { ExecutionError, QueryTimeoutError, TooManySamplesError } from './errors';
import { instantQuery, QueryResult, rangeQuery } from './query';

const MIN = 60_000;
const T = 1_700_000_000_000;

/** A NaN with Prometheus' staleness payload, set through its bytes. */
function staleMarker(): Float64Array {
  const v = new Float64Array(1);
  const words = new Uint32Array(v.buffer);
  words[0] = 2;
  words[1] = 0x7ff00000;
  return v;
}

function vectorOf(result: QueryResult): Record<string, number> {
  if (result.resultType !== 'vector') throw new Error(`expected a vector, got ${result.resultType}`);
  return Object.fromEntries(result.samples.map((s) => [s.labels.device ?? JSON.stringify(s.labels), s.value]));
}

let engine: MemoryEngine;

beforeEach(async () => {
  engine = new MemoryEngine();
  const stale = staleMarker();
  await engine.write([
    // One sample a minute for 10 minutes.
    { labels: { __name__: 'g', device: 'a' }, timestamps: Array.from({ length: 10 }, (_, i) => T + i * MIN), values: Array.from({ length: 10 }, (_, i) => i) },
    // Ends with a staleness marker at T + 3 min.
    { labels: { __name__: 'g', device: 'b' }, timestamps: [T, T + MIN, T + 2 * MIN], values: [5, 6, 7] },
    { labels: { __name__: 'g', device: 'b' }, timestamps: [T + 3 * MIN], values: stale },
    // A counter that resets.
    { labels: { __name__: 'c_total', device: 'a' }, timestamps: [T, T + MIN, T + 2 * MIN, T + 3 * MIN], values: [10, 20, 5, 15] },
  ]);
});

describe('instant vectors', () => {
  test('look back up to 5 minutes, inclusive, and no further', async () => {
    expect(vectorOf(await instantQuery(engine, 'g{device="a"}', T + 9 * MIN + 5 * MIN))).toEqual({ a: 9 });
    expect(vectorOf(await instantQuery(engine, 'g{device="a"}', T + 9 * MIN + 5 * MIN + 1))).toEqual({});
  });

  test('a staleness marker ends the series at once', async () => {
    expect(vectorOf(await instantQuery(engine, 'g', T + 3 * MIN - 1))).toEqual({ a: 2, b: 7 });
    expect(vectorOf(await instantQuery(engine, 'g', T + 3 * MIN))).toEqual({ a: 3 });
  });

  test('offset and @ move the time read', async () => {
    expect(vectorOf(await instantQuery(engine, 'g{device="a"} offset 2m', T + 5 * MIN))).toEqual({ a: 3 });
    expect(vectorOf(await instantQuery(engine, `g{device="a"} @ ${(T + 4 * MIN) / 1000}`, T + 9 * MIN))).toEqual({ a: 4 });
    const range = await rangeQuery(engine, 'g{device="a"} @ start()', T + 2 * MIN, T + 4 * MIN, MIN);
    expect(range).toMatchObject({ resultType: 'matrix', series: [{ values: Float64Array.from([2, 2, 2]) }] });
  });
});

describe('range vectors', () => {
  test('windows are closed: [t - range, t]', async () => {
    expect(vectorOf(await instantQuery(engine, 'count_over_time(g{device="a"}[2m])', T + 4 * MIN))).toEqual({ a: 3 });
  });

  test('rate extrapolates and counts resets as Prometheus does', async () => {
    // Increase 10 → 20 → (reset) 5 → 15 is 10 + 5 + 10 = 25 over 3 minutes of samples in a 3-minute
    // window that starts exactly at the first sample and ends at the last: no extrapolation.
    const result = vectorOf(await instantQuery(engine, 'increase(c_total[3m])', T + 3 * MIN));
    expect(result.a).toBeCloseTo(25, 12);
    expect(vectorOf(await instantQuery(engine, 'resets(c_total[5m])', T + 3 * MIN))).toEqual({ a: 1 });
  });

  test('under predict_linear an @ window moves with the steps but sees nothing after the @ time, as in Prometheus 2.42', async () => {
    // Step i reads [T + 2m + i min, T + 4m + i min] of samples up to T + 4m: 2..4, then 3..4, then
    // a single sample, too few for a regression. g grows by 1 a minute, so each answer is its step's time.
    const result = await rangeQuery(engine, `predict_linear(g{device="a"}[2m] @ ${(T + 4 * MIN) / 1000}, 0)`, T + 5 * MIN, T + 8 * MIN, MIN);
    if (result.resultType !== 'matrix') throw new Error('expected a matrix');
    expect(Array.from(result.series[0].timestamps)).toEqual([T + 5 * MIN, T + 6 * MIN]);
    expect(result.series[0].values[0]).toBeCloseTo(5, 9);
    expect(result.series[0].values[1]).toBeCloseTo(6, 9);
  });

  test('a subquery evaluates on its own grid of multiples of its step', async () => {
    const result = await instantQuery(engine, 'g{device="a"}[3m:2m]', T + 5 * MIN + 30_000);
    if (result.resultType !== 'matrix') throw new Error('expected a matrix');
    // Multiples of 2 minutes since the epoch within [T + 150 s, T + 330 s]: T + 160 s and T + 280 s.
    expect(Array.from(result.series[0].timestamps)).toEqual([T + 160_000, T + 280_000]);
    expect(Array.from(result.series[0].values)).toEqual([2, 4]);
  });
});

describe('errors', () => {
  test('series that collide once the metric name is dropped', async () => {
    await engine.write([{ labels: { __name__: 'h', device: 'a' }, timestamps: [T], values: [1] }]);
    await expect(instantQuery(engine, '-{__name__=~"g|h", device="a"}', T)).rejects.toThrow(new ExecutionError('vector cannot contain metrics with the same labelset'));
  });

  test('too many points in one result', async () => {
    await expect(rangeQuery(engine, 'g', T, T + 9 * MIN, MIN, { maxSamples: 15 })).rejects.toBeInstanceOf(TooManySamplesError);
  });

  test('a query past its time limit', async () => {
    await expect(rangeQuery(engine, 'sum_over_time(g[1h:1s])', T, T + 9 * MIN, 1000, { timeoutMs: 0 })).rejects.toBeInstanceOf(QueryTimeoutError);
  });
});
