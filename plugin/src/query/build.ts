// Builds the sidecar's native request for one interpolated query and one panel's time range and size.
import { Aggregation, CROSS_AGGREGATIONS, CrossAggregation, LabelMatcher, NativeLatestRequest, NativeMatcher, NativeQueryRequest, SensorstoreQuery } from '../types';
import { SidecarQueryError } from './errors';
import { chooseStepMs, parseIntervalMs } from './step';

export interface QueryContext {
  startMs: number;
  endMs: number;
  intervalMs: number;
  maxDataPoints?: number;
  /** IANA name the sidecar aligns day and week buckets with. */
  timeZone: string;
  defaultAgg: Aggregation;
  /** The datasource's minimum interval, e.g. `10s`; empty for none. */
  datasourceMinInterval?: string;
  /** Ad hoc filters, already turned into matchers; they apply to every query. */
  extraMatchers: LabelMatcher[];
}

export function toNativeMatchers(matchers: LabelMatcher[], refId: string): NativeMatcher[] {
  return matchers
    .filter((matcher) => matcher.name.trim() !== '' || matcher.value !== '')
    .map((matcher, index) => {
      if (matcher.name.trim() === '') {
        throw new SidecarQueryError('BAD_MATCHER', `Query ${refId}: label filter ${index + 1} has a value but no label name`);
      }
      return { name: matcher.name.trim(), op: matcher.op, value: matcher.value };
    });
}

function requireMetric(query: SensorstoreQuery): string {
  const metric = (query.metric ?? '').trim();
  if (metric === '') {
    throw new SidecarQueryError('NO_METRIC', `Query ${query.refId}: pick a metric`);
  }
  return metric;
}

/** The step a query will use; exported so editors and frames can show it. */
export function stepForQuery(query: SensorstoreQuery, context: QueryContext): number {
  const queryMinMs = parseIntervalMs(query.minInterval, `Query ${query.refId} min interval`);
  const datasourceMinMs = parseIntervalMs(context.datasourceMinInterval, 'The datasource min interval');
  return chooseStepMs({
    startMs: context.startMs,
    endMs: context.endMs,
    intervalMs: context.intervalMs,
    maxDataPoints: context.maxDataPoints,
    // The query's own minimum replaces the datasource's, as Grafana's "Min interval" does.
    minIntervalMs: queryMinMs > 0 ? queryMinMs : datasourceMinMs,
    timeZone: context.timeZone,
  });
}

export function buildRangeRequest(query: SensorstoreQuery, context: QueryContext): NativeQueryRequest {
  const metric = requireMetric(query);
  const matchers = toNativeMatchers([...(query.matchers ?? []), ...context.extraMatchers], query.refId);
  const base = { metric, matchers, start: context.startMs, end: context.endMs, limit: query.limit || undefined };
  if (query.mode === 'raw') {
    return { ...base, raw: true };
  }
  const agg = query.agg ?? context.defaultAgg;
  const groupBy = (query.groupBy ?? []).filter((label) => label !== '');
  return {
    ...base,
    step: stepForQuery(query, context),
    agg,
    fill: query.fill ?? 'none',
    ...(groupBy.length > 0 ? { groupBy, crossAgg: query.crossAgg ?? defaultCrossAgg(agg) } : {}),
    timeZone: context.timeZone,
  };
}

/** Series of a group combine like samples in a bucket, except `first` / `last`, which average. */
export function defaultCrossAgg(agg: Aggregation): CrossAggregation {
  return (CROSS_AGGREGATIONS as string[]).includes(agg) ? (agg as CrossAggregation) : 'avg';
}

export function buildLatestRequest(query: SensorstoreQuery, context: QueryContext): NativeLatestRequest {
  return {
    metric: requireMetric(query),
    matchers: toNativeMatchers([...(query.matchers ?? []), ...context.extraMatchers], query.refId),
    limit: query.limit || undefined,
  };
}

/** A compact, PromQL-like text of what ran, shown in Grafana's query inspector. */
export function describeRequest(request: NativeQueryRequest | NativeLatestRequest, kind: 'series' | 'raw' | 'latest'): string {
  const selector = `${request.metric}{${request.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
  if (kind === 'latest') {
    return `latest ${selector}`;
  }
  const range = request as NativeQueryRequest;
  if (kind === 'raw') {
    return `raw ${selector}`;
  }
  const groups = range.groupBy ? ` by (${range.groupBy.join(', ')}) ${range.crossAgg}` : '';
  return `${range.agg}(${selector})${groups} step=${range.step}ms fill=${range.fill} tz=${range.timeZone}`;
}
