// Instant and range queries: parse, evaluate on the engine, and shape the answer as Prometheus does
// (a range query answers a matrix sorted by labels; an instant query a vector, scalar, string or matrix).

import { compareLabelSets } from '../engine/model/labels';
import { LabelSet, StorageEngine } from '../engine/model/types';
import { typeOf } from './ast';
import { ParseError } from './errors';
import { Evaluator } from './evaluator';
import { parseExpr } from './parser';
import { RawSeries, Value } from './values';

export interface QueryOptions {
  /** Default 300,000 (5 minutes), as Prometheus. */
  lookbackDeltaMs?: number;
  /** Default 60,000, Prometheus' default evaluation interval. */
  defaultSubqueryStepMs?: number;
  /** Default 10,000,000 points held by one intermediate result. */
  maxSamples?: number;
  maxSeries?: number;
  /** Default 120,000 (Prometheus' default query timeout). */
  timeoutMs?: number;
}

export const QUERY_DEFAULTS = { lookbackDeltaMs: 300_000, defaultSubqueryStepMs: 60_000, maxSamples: 10_000_000, timeoutMs: 120_000 } as const;

export interface InstantSample {
  labels: LabelSet;
  timestampMs: number;
  value: number;
}

export type QueryResult =
  | { resultType: 'scalar'; timestampMs: number; value: number }
  | { resultType: 'string'; timestampMs: number; value: string }
  | { resultType: 'vector'; samples: InstantSample[] }
  | { resultType: 'matrix'; series: RawSeries[] };

function evaluator(engine: StorageEngine, options: QueryOptions, startMs: number, endMs: number): Evaluator {
  const timeoutMs = options.timeoutMs ?? QUERY_DEFAULTS.timeoutMs;
  return new Evaluator({
    engine,
    lookbackDeltaMs: options.lookbackDeltaMs ?? QUERY_DEFAULTS.lookbackDeltaMs,
    defaultSubqueryStepMs: options.defaultSubqueryStepMs ?? QUERY_DEFAULTS.defaultSubqueryStepMs,
    maxSamples: options.maxSamples ?? QUERY_DEFAULTS.maxSamples,
    maxSeries: options.maxSeries,
    deadlineMs: Date.now() + timeoutMs,
    timeoutMs,
    queryStartMs: startMs,
    queryEndMs: endMs,
  });
}

/**
 * Evaluates `query` at one instant.
 * @example await instantQuery(engine, 'sum(rate(requests_total[5m]))', Date.now())
 */
export async function instantQuery(engine: StorageEngine, query: string, timeMs: number, options: QueryOptions = {}): Promise<QueryResult> {
  const expr = parseExpr(query);
  const value: Value = await evaluator(engine, options, timeMs, timeMs).eval(expr, { startMs: timeMs, stepMs: 1, count: 1 });
  switch (value.type) {
    case 'scalar':
      return { resultType: 'scalar', timestampMs: timeMs, value: value.values[0] };
    case 'string':
      return { resultType: 'string', timestampMs: timeMs, value: value.value };
    case 'matrix':
      return { resultType: 'matrix', series: value.series };
    case 'vector':
      return { resultType: 'vector', samples: value.series.filter((s) => s.present[0]).map((s) => ({ labels: s.labels, timestampMs: timeMs, value: s.values[0] })) };
  }
}

/**
 * Evaluates `query` at startMs, startMs + stepMs, ... up to endMs; answers a matrix sorted by labels.
 * Throws ParseError for expressions that are not scalars or instant vectors.
 */
export async function rangeQuery(engine: StorageEngine, query: string, startMs: number, endMs: number, stepMs: number, options: QueryOptions = {}): Promise<QueryResult> {
  const expr = parseExpr(query);
  const type = typeOf(expr);
  if (type !== 'scalar' && type !== 'vector') {
    const name = type === 'matrix' ? 'range vector' : 'string';
    throw new ParseError(query, 0, `invalid expression type ${JSON.stringify(name)} for range query, must be Scalar or instant Vector`);
  }
  const grid = { startMs, stepMs, count: Math.floor((endMs - startMs) / stepMs) + 1 };
  const value = await evaluator(engine, options, startMs, endMs).eval(expr, grid);
  const times = (present: (i: number) => boolean) => {
    const out: number[] = [];
    for (let i = 0; i < grid.count; i++) if (present(i)) out.push(startMs + i * stepMs);
    return Float64Array.from(out);
  };
  if (value.type === 'scalar') {
    return { resultType: 'matrix', series: [{ labels: {}, timestamps: times(() => true), values: value.values }] };
  }
  if (value.type !== 'vector') throw new Error(`range query evaluated to ${value.type}`);
  const series: RawSeries[] = [];
  for (const s of value.series) {
    const timestamps = times((i) => s.present[i] === 1);
    if (timestamps.length === 0) continue;
    const values = new Float64Array(timestamps.length);
    let k = 0;
    for (let i = 0; i < grid.count; i++) if (s.present[i]) values[k++] = s.values[i];
    series.push({ labels: s.labels, timestamps, values });
  }
  series.sort((a, b) => compareLabelSets(a.labels, b.labels));
  return { resultType: 'matrix', series };
}
