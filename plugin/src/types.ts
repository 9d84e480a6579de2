// The plugin's query model, datasource settings and the sidecar's native API shapes (docs/api.md).
import { DataQuery, DataSourceJsonData } from '@grafana/data';

export type MatcherOp = '=' | '!=' | '=~' | '!~';
export const MATCHER_OPS: MatcherOp[] = ['=', '!=', '=~', '!~'];

export type Aggregation = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';
export const AGGREGATIONS: Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];

/** How series of one group combine; `first` and `last` have no meaning across series. */
export type CrossAggregation = 'avg' | 'min' | 'max' | 'sum' | 'count';
export const CROSS_AGGREGATIONS: CrossAggregation[] = ['avg', 'min', 'max', 'sum', 'count'];

export type FillMode = 'none' | 'previous' | 'linear';
export const FILL_MODES: FillMode[] = ['none', 'previous', 'linear'];

/** `series`: buckets of aggregated values; `raw`: the stored samples; `latest`: one row per series. */
export type QueryMode = 'series' | 'raw' | 'latest';

export interface LabelMatcher {
  name: string;
  op: MatcherOp;
  value: string;
}

/** Turns a query into annotations: the stretches where the value crosses a threshold. */
export interface AnnotationRule {
  condition: 'below' | 'above';
  threshold: number;
  /** `regions`: one annotation spanning each stretch; `points`: one where each stretch starts. */
  display: 'regions' | 'points';
}

export interface SensorstoreQuery extends DataQuery {
  metric?: string;
  matchers?: LabelMatcher[];
  mode?: QueryMode;
  /** Empty means the datasource's default aggregation. */
  agg?: Aggregation;
  groupBy?: string[];
  /** How series in a group combine; empty means the same as `agg` where that applies, else avg. */
  crossAgg?: CrossAggregation;
  fill?: FillMode;
  /** Lower bound for the bucket width, e.g. `1m` or `$__interval`; empty means the datasource's. */
  minInterval?: string;
  /** Display-name template such as `{{device}} {{site}}`. */
  legend?: string;
  /** Most series to return; empty means the sidecar's limit. */
  limit?: number;
  annotation?: AnnotationRule;
}

export interface SensorstoreOptions extends DataSourceJsonData {
  url?: string;
  defaultAggregation?: Aggregation;
  /** The smallest bucket width any query asks for, e.g. `10s`. */
  minInterval?: string;
}

export interface SensorstoreSecureOptions {
  token?: string;
}

export type VariableQueryKind = 'metrics' | 'labelNames' | 'labelValues';

/** What a template variable lists; matchers narrow it (they may use other variables). */
export interface SensorstoreVariableQuery extends DataQuery {
  kind: VariableQueryKind;
  metric?: string;
  label?: string;
  matchers?: LabelMatcher[];
}

export const DEFAULT_QUERY: Partial<SensorstoreQuery> = {
  mode: 'series',
  matchers: [],
  fill: 'none',
};

// Request and answer bodies of the sidecar's native API.
export interface NativeMatcher {
  name: string;
  op: MatcherOp;
  value: string;
}

export interface NativeQueryRequest {
  metric: string;
  matchers: NativeMatcher[];
  start: number;
  end: number;
  step?: number;
  raw?: boolean;
  agg?: Aggregation;
  fill?: FillMode;
  groupBy?: string[];
  crossAgg?: CrossAggregation;
  timeZone?: string;
  limit?: number;
}

export interface NativeSeries {
  metric: string;
  labels: Record<string, string>;
  unit?: string;
  times: number[];
  values: Array<number | null>;
}

export interface NativeQueryAnswer {
  step?: number;
  series: NativeSeries[];
  /** `truncated`: more series matched than the limit allowed. */
  stats?: { series: number; points: number; tookMs: number; truncated?: boolean };
}

export interface NativeLatestRequest {
  metric: string;
  matchers: NativeMatcher[];
  limit?: number;
}

export interface NativeLatestSeries {
  metric: string;
  labels: Record<string, string>;
  unit?: string;
  time: number;
  value: number | null;
}

export interface NativeLatestAnswer {
  series: NativeLatestSeries[];
  truncated?: boolean;
}

export interface NativeMetadataRequest {
  matchers: NativeMatcher[];
  metric?: string;
  start?: number;
  end?: number;
  limit?: number;
  search?: string;
}

export interface NativeStatus {
  version: string;
  series: number;
  ready: boolean;
}
