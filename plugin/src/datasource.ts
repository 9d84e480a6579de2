// The Sensorstore datasource: queries, template variables, ad hoc filters, annotations and "Save & test".
import {
  AdHocVariableFilter,
  CoreApp,
  DataFrame,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceGetTagKeysOptions,
  DataSourceGetTagValuesOptions,
  DataSourceInstanceSettings,
  LegacyMetricFindQueryOptions,
  MetricFindValue,
  QueryResultMeta,
  ScopedVars,
  TestDataSourceResponse,
  TimeRange,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';

import { SidecarClient } from './api/client';
import { SidecarError } from './api/errors';
import { AnnotationQueryEditor } from './components/AnnotationQueryEditor';
import { annotationFrame } from './query/annotations';
import { buildLatestRequest, buildRangeRequest, describeRequest, QueryContext } from './query/build';
import { SidecarQueryError } from './query/errors';
import { latestToFrame, seriesToFrame } from './query/frames';
import { adHocFilterToMatcher, interpolateMatcher, interpolateQuery, rangeScopedVars } from './query/interpolate';
import { resolveTimeZone } from './query/timeZone';
import { Aggregation, DEFAULT_QUERY, LabelMatcher, NativeMetadataRequest, SensorstoreOptions, SensorstoreQuery, SensorstoreVariableQuery } from './types';
import { parseVariableQuery, SensorstoreVariableSupport } from './variables/support';

/** The label that holds a series' metric name, as in Prometheus. */
const METRIC_NAME_LABEL = '__name__';

export class DataSource extends DataSourceApi<SensorstoreQuery, SensorstoreOptions> {
  readonly client: SidecarClient;
  readonly defaultAgg: Aggregation;
  readonly minInterval: string;
  private readonly sidecarUrl: string;

  constructor(instanceSettings: DataSourceInstanceSettings<SensorstoreOptions>) {
    super(instanceSettings);
    this.client = new SidecarClient(instanceSettings.url ?? '');
    this.sidecarUrl = instanceSettings.jsonData.url ?? '';
    this.defaultAgg = instanceSettings.jsonData.defaultAggregation ?? 'avg';
    this.minInterval = instanceSettings.jsonData.minInterval ?? '';
    this.variables = new SensorstoreVariableSupport(this);
    this.annotations = {
      QueryEditor: AnnotationQueryEditor,
      getDefaultQuery: () => ({ ...DEFAULT_QUERY, annotation: { condition: 'below', threshold: 20, display: 'regions' } }),
    };
  }

  override getDefaultQuery(_app: CoreApp): Partial<SensorstoreQuery> {
    return DEFAULT_QUERY;
  }

  /** Queries without a metric are left out rather than failing, so a new panel starts quiet. */
  override filterQuery(query: SensorstoreQuery): boolean {
    return !query.hide && (query.metric ?? '').trim() !== '';
  }

  async query(request: DataQueryRequest<SensorstoreQuery>): Promise<DataQueryResponse> {
    const startMs = request.range.from.valueOf();
    const endMs = request.range.to.valueOf();
    const scopedVars: ScopedVars = { ...rangeScopedVars(request.intervalMs, startMs, endMs), ...request.scopedVars };
    const targets = request.targets.filter((target) => this.filterQuery(target));
    const data: DataFrame[] = [];
    const errors: DataQueryError[] = [];
    let context: QueryContext;
    try {
      context = {
        startMs,
        endMs,
        intervalMs: request.intervalMs,
        maxDataPoints: request.maxDataPoints,
        timeZone: resolveTimeZone(request.timezone),
        defaultAgg: this.defaultAgg,
        datasourceMinInterval: this.minInterval,
        extraMatchers: this.adHocMatchers(request.filters, scopedVars),
      };
    } catch (err) {
      return { data: [], errors: targets.map((target) => toQueryError(err, target.refId)) };
    }
    const results = await Promise.allSettled(targets.map((target) => this.runTarget(target, scopedVars, context)));
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        data.push(...result.value);
      } else {
        errors.push(toQueryError(result.reason, targets[index].refId));
      }
    });
    return { data, errors: errors.length > 0 ? errors : undefined };
  }

  private async runTarget(target: SensorstoreQuery, scopedVars: ScopedVars, context: QueryContext): Promise<DataFrame[]> {
    // Interpolated here, inside the promise, so a variable that does not fit fails this query only.
    const query = interpolateQuery(target, getTemplateSrv(), scopedVars);
    if (query.mode === 'latest' && !query.annotation) {
      const request = buildLatestRequest(query, context);
      const answer = await this.client.latest(request);
      const meta: QueryResultMeta = { executedQueryString: describeRequest(request, 'latest'), notices: limitNotices(answer.truncated, request.limit) };
      return [latestToFrame(answer.series, query.refId, meta)];
    }
    const request = buildRangeRequest(query, context);
    const answer = await this.client.query(request);
    if (query.annotation) {
      return [annotationFrame(answer.series, query.annotation, query.refId, query.legend)];
    }
    const meta: QueryResultMeta = {
      executedQueryString: describeRequest(request, query.mode === 'raw' ? 'raw' : 'series'),
      notices: limitNotices(answer.stats?.truncated, request.limit),
      ...(answer.step ? { custom: { stepMs: answer.step } } : {}),
      ...(query.mode === 'raw' ? { preferredVisualisationType: 'table' as const } : {}),
    };
    return answer.series.map((series) => seriesToFrame(series, query.refId, query.legend, meta));
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    if (this.sidecarUrl.trim() === '') {
      return { status: 'error', message: 'Set the sidecar URL (e.g. http://sidecar:8428) and save again' };
    }
    try {
      // While it recovers its data the sidecar answers 503 NOT_READY here, which the client turns
      // into the message shown; an answer means the engine is open.
      const status = await this.client.status();
      if (typeof status?.version !== 'string' || typeof status?.series !== 'number') {
        return { status: 'error', message: `${this.sidecarUrl} answered, but not like a Sensorstore sidecar (no version/series in /api/native/status)` };
      }
      // Reading metadata proves the token has the read scope, whatever the status endpoint allows.
      const series = await this.client.seriesCount({ matchers: [] });
      return { status: 'success', message: `Connected to Sensorstore ${status.version} at ${this.sidecarUrl}: ${series} series` };
    } catch (err) {
      return { status: 'error', message: errorMessage(err) };
    }
  }

  /** Variable queries: an object from the variable editor, or text such as `label_values(temperature, site)`. */
  override async metricFindQuery(query: SensorstoreVariableQuery | string, options?: LegacyMetricFindQueryOptions): Promise<MetricFindValue[]> {
    const variableQuery = typeof query === 'string' ? parseVariableQuery(query) : query;
    const values = await this.findValues(variableQuery, options?.range, options?.scopedVars ?? {}, options?.searchFilter);
    return values.map((text) => ({ text, value: text }));
  }

  /** @param filters the request's ad hoc filters; Grafana sends variable queries without, see adHocMatchers. */
  async findValues(query: SensorstoreVariableQuery, range: TimeRange | undefined, scopedVars: ScopedVars, search?: string, filters?: AdHocVariableFilter[]): Promise<string[]> {
    const templateSrv = getTemplateSrv();
    // Metadata look-ups, unlike queries, can span several metrics: a multi-value or All metric
    // variable becomes a regex on the metric name.
    const metricMatcher = query.metric ? interpolateMatcher({ name: METRIC_NAME_LABEL, op: '=', value: query.metric }, templateSrv, scopedVars) : undefined;
    const metric = metricMatcher?.op === '=' ? metricMatcher.value : undefined;
    const matchers = [
      ...(metricMatcher && metricMatcher.op !== '=' ? [metricMatcher] : []),
      ...(query.matchers ?? []).map((matcher) => interpolateMatcher(matcher, templateSrv, scopedVars)),
      ...this.adHocMatchers(filters, scopedVars),
    ];
    const body = this.metadataRequest(matchers, range, metric, search);
    switch (query.kind) {
      case 'metrics':
        return this.client.metrics(body);
      case 'labelNames':
        return this.client.labelNames(body);
      case 'labelValues': {
        const label = templateSrv.replace(query.label ?? '', scopedVars).trim();
        if (label === '') {
          throw new SidecarQueryError('BAD_VARIABLE_QUERY', 'Label values: pick a label');
        }
        return this.client.labelValues(label, body);
      }
      default:
        throw new SidecarQueryError('BAD_VARIABLE_QUERY', `Unknown variable query kind "${String((query as { kind?: unknown }).kind)}"`);
    }
  }

  /**
   * The dashboard's ad hoc filters as matchers. Panel queries bring them in `request.filters`, but
   * Grafana sends annotation and variable queries without; those read the "Ad hoc filters" variables
   * that point at this datasource (directly or through a datasource variable), as Grafana's own
   * look-up did, so the filters narrow every query of the dashboard.
   */
  private adHocMatchers(requestFilters: AdHocVariableFilter[] | undefined, scopedVars: ScopedVars): LabelMatcher[] {
    const templateSrv = getTemplateSrv();
    const filters =
      requestFilters ??
      templateSrv.getVariables().flatMap((variable) => {
        if (variable.type !== 'adhoc') {
          return [];
        }
        const uid = variable.datasource?.uid ?? '';
        return (uid.startsWith('$') ? templateSrv.replace(uid, scopedVars) : uid) === this.uid ? (variable.filters ?? []) : [];
      });
    return filters.map(adHocFilterToMatcher);
  }

  /** Ad hoc filter keys: label names of the series the other filters select, in the time range. */
  override async getTagKeys(options?: DataSourceGetTagKeysOptions<SensorstoreQuery>): Promise<MetricFindValue[]> {
    const matchers = (options?.filters ?? []).map(adHocFilterToMatcher);
    const names = await this.client.labelNames(this.metadataRequest(matchers, options?.timeRange));
    return names.map((text) => ({ text, value: text }));
  }

  /** Ad hoc filter values for one key, narrowed by the other filters and the time range. */
  override async getTagValues(options: DataSourceGetTagValuesOptions<SensorstoreQuery>): Promise<MetricFindValue[]> {
    const others = (options.filters ?? []).filter((filter) => filter.key !== options.key).map(adHocFilterToMatcher);
    const values = await this.client.labelValues(options.key, this.metadataRequest(others, options.timeRange));
    return values.map((text) => ({ text, value: text }));
  }

  /** Used by Explore and "copy to Explore": the queries with every variable and ad hoc filter resolved. */
  override interpolateVariablesInQueries(queries: SensorstoreQuery[], scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): SensorstoreQuery[] {
    const filterMatchers = (filters ?? []).map(adHocFilterToMatcher);
    return queries.map((query) => {
      const interpolated = interpolateForExplore(query, scopedVars);
      return { ...interpolated, datasource: this.getRef(), matchers: [...(interpolated.matchers ?? []), ...filterMatchers] };
    });
  }

  override targetContainsTemplate(query: SensorstoreQuery): boolean {
    const templateSrv = getTemplateSrv();
    const texts = [query.metric, query.minInterval, ...(query.groupBy ?? []), ...(query.matchers ?? []).flatMap((m) => [m.name, m.value])];
    return texts.some((text) => text !== undefined && templateSrv.containsTemplate(text));
  }

  override getQueryDisplayText(query: SensorstoreQuery): string {
    const matchers = (query.matchers ?? []).map((m) => `${m.name}${m.op}"${m.value}"`).join(', ');
    return `${query.metric ?? ''}{${matchers}}`;
  }

  /** Metadata look-ups: the editors' pickers, template variables and ad hoc filters all use this. */
  metadataRequest(matchers: LabelMatcher[], range?: TimeRange, metric?: string, search?: string): NativeMetadataRequest {
    return {
      matchers: matchers.filter((matcher) => matcher.name !== ''),
      ...(metric ? { metric } : {}),
      ...(range ? { start: range.from.valueOf(), end: range.to.valueOf() } : {}),
      ...(search ? { search } : {}),
    };
  }
}

/**
 * Explore gets every field resolved; a metric that stands for several metrics is left as written, so
 * the query says why it can not run when it does, instead of Explore failing to open.
 */
function interpolateForExplore(query: SensorstoreQuery, scopedVars: ScopedVars): SensorstoreQuery {
  try {
    return interpolateQuery(query, getTemplateSrv(), scopedVars);
  } catch (err) {
    if (!(err instanceof SidecarQueryError)) {
      throw err;
    }
    return { ...interpolateQuery({ ...query, metric: undefined }, getTemplateSrv(), scopedVars), metric: query.metric };
  }
}

function limitNotices(truncated: boolean | undefined, limit: number | undefined): QueryResultMeta['notices'] {
  if (truncated) {
    const shown = limit ? `the first ${limit} series` : "as many series as the sidecar's limit allows";
    return [{ severity: 'warning', text: `Showing ${shown}; raise the limit or narrow the filters to see more` }];
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof SidecarError || err instanceof SidecarQueryError) {
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

function toQueryError(err: unknown, refId: string): DataQueryError {
  return {
    refId,
    message: errorMessage(err),
    ...(err instanceof SidecarError && err.status > 0 ? { status: err.status } : {}),
  };
}
