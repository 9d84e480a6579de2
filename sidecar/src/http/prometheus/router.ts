// The Prometheus-compatible query API (what Grafana's built-in Prometheus datasource and its alerting
// call): /query, /query_range, /labels, /label/<name>/values, /series, /status/buildinfo, and empty
// but valid /metadata, /rules, /query_exemplars. Mounted by the service at /api/v1, behind its auth.

import express, { Request, Response, Router } from 'express';
import { compareLabelSets, seriesKey } from '../../engine/model/labels';
import { LabelSet, Matcher, StorageEngine } from '../../engine/model/types';
import { ParseError, UnsupportedFeatureError } from '../../promql/errors';
import { parseExpr, parseSeriesSelector } from '../../promql/parser';
import { instantQuery, QUERY_DEFAULTS, QueryOptions, rangeQuery } from '../../promql/query';
import { BadParameterError, limitParam, Params, parseDurationParam, parseTimeParam, timeParam } from './params';
import { ApiErrorType, classify, sendData, sendError, sendQueryResult, sortedLabels } from './respond';

/** The Prometheus version whose API and PromQL semantics these endpoints match (buildinfo's `version`). */
export const PROMETHEUS_COMPATIBLE_VERSION = '2.42.0';

/** Prometheus refuses range queries with more points per series than this. */
const MAX_POINTS_PER_SERIES = 11_000;

export interface QueryEvent {
  endpoint: 'query' | 'query_range';
  durationMs: number;
  /** 'success' or the error type answered. */
  outcome: 'success' | ApiErrorType;
}

/**
 * What the router needs:
 * - `engine`: the storage engine (only the StorageEngine interface is used).
 * - `version`: the sidecar's version, reported in buildinfo's `revision`.
 * - `query`: evaluation limits and defaults (lookback, subquery step, max samples and series, the
 *   query timeout, which a request's `timeout` parameter can only shorten).
 * - `onQuery`: called after every /query and /query_range, e.g. to feed a latency histogram.
 * - `maxBodyBytes`: the largest form-encoded body (default 1 MiB); a larger one is refused (413).
 */
export interface PrometheusApiDeps {
  engine: StorageEngine;
  version?: string;
  query?: QueryOptions;
  onQuery?: (event: QueryEvent) => void;
  maxBodyBytes?: number;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Handler = (req: Request, res: Response) => Promise<void>;

/** Runs a handler and answers any error in Prometheus' shape. */
function handle(fn: (params: Params, req: Request, res: Response) => Promise<void>): Handler {
  return async (req, res) => {
    try {
      await fn(new Params(req), req, res);
    } catch (err) {
      const { errorType, message } = classify(err);
      sendError(res, errorType, message);
    }
  };
}

function requireQuery(params: Params): string {
  return params.get('query') ?? '';
}

/** A query that does not parse is a bad `query` parameter, as Prometheus words it. */
function asQueryParam(err: unknown): never {
  if (err instanceof ParseError || err instanceof UnsupportedFeatureError) throw new BadParameterError('query', err.message);
  throw err;
}

/** The matcher sets of `match[]`; each must be a series selector. */
function matcherSets(params: Params): Matcher[][] {
  return params.all('match[]').map((text) => {
    try {
      return parseSeriesSelector(text);
    } catch (err) {
      throw new BadParameterError('match[]', classify(err).message);
    }
  });
}

/** start/end of the metadata endpoints as the engine's [start, end) (Prometheus' end is inclusive). */
function metadataRange(params: Params): { start?: number; end?: number } {
  const start = timeParam(params, 'start', -Infinity);
  const end = timeParam(params, 'end', Infinity);
  return { start: Number.isFinite(start) ? start : undefined, end: Number.isFinite(end) ? end + 1 : undefined };
}

function sortedUnion(lists: string[][], limit: number | undefined): string[] {
  const all = [...new Set(lists.flat())].sort();
  return limit === undefined ? all : all.slice(0, limit);
}

/**
 * The router, to mount at `/api/v1`.
 * @example app.use('/api/v1', prometheusApiRouter({ engine }))
 */
export function prometheusApiRouter(deps: PrometheusApiDeps): Router {
  const { engine } = deps;
  const configured = deps.query ?? {};
  const defaultTimeoutMs = configured.timeoutMs ?? QUERY_DEFAULTS.timeoutMs;
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: deps.maxBodyBytes ?? 1024 * 1024 }));

  const options = (params: Params): QueryOptions => {
    const text = params.get('timeout');
    const requested = text ? parseDurationParam('timeout', text) : defaultTimeoutMs;
    return { ...configured, timeoutMs: Math.min(requested, defaultTimeoutMs) };
  };

  const timed = (endpoint: QueryEvent['endpoint'], fn: (params: Params, res: Response) => Promise<void>): Handler =>
    handle(async (params, _req, res) => {
      const startedMs = performance.now();
      let outcome: QueryEvent['outcome'] = 'success';
      try {
        await fn(params, res);
      } catch (err) {
        outcome = classify(err).errorType;
        throw err;
      } finally {
        deps.onQuery?.({ endpoint, durationMs: performance.now() - startedMs, outcome });
      }
    });

  const query = timed('query', async (params, res) => {
    const timeMs = timeParam(params, 'time', Date.now());
    const opts = options(params);
    sendQueryResult(res, await instantQuery(engine, requireQuery(params), timeMs, opts).catch(asQueryParam));
  });

  const queryRange = timed('query_range', async (params, res) => {
    const startMs = parseTimeParam('start', params.get('start') ?? '');
    const endMs = parseTimeParam('end', params.get('end') ?? '');
    if (endMs < startMs) throw new BadParameterError('end', 'end timestamp must not be before start time');
    const stepMs = parseDurationParam('step', params.get('step') ?? '');
    if (stepMs <= 0) throw new BadParameterError('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((endMs - startMs) / stepMs > MAX_POINTS_PER_SERIES) {
      throw new BadParameterError('step', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const opts = options(params);
    // Prometheus words a range query's parse error without naming the parameter.
    sendQueryResult(res, await rangeQuery(engine, requireQuery(params), startMs, endMs, stepMs, opts));
  });

  const labels = handle(async (params, _req, res) => {
    const range = metadataRange(params);
    const sets = matcherSets(params);
    const lists = sets.length === 0 ? [await engine.labelNames(range)] : await Promise.all(sets.map((matchers) => engine.labelNames({ ...range, matchers })));
    sendData(res, sortedUnion(lists, limitParam(params)));
  });

  const labelValues = handle(async (params, req, res) => {
    const name = String(req.params.name);
    if (!LABEL_NAME_RE.test(name)) throw new BadParameterError('name', `invalid label name: ${JSON.stringify(name)}`);
    const range = metadataRange(params);
    const sets = matcherSets(params);
    const lists =
      sets.length === 0 ? [await engine.labelValues(name, range)] : await Promise.all(sets.map((matchers) => engine.labelValues(name, { ...range, matchers })));
    sendData(res, sortedUnion(lists, limitParam(params)));
  });

  const series = handle(async (params, _req, res) => {
    const sets = matcherSets(params);
    if (sets.length === 0) throw new BadParameterError('match[]', 'no match[] parameter provided');
    const range = metadataRange(params);
    const found = new Map<string, LabelSet>();
    for (const matchers of sets) for (const s of await engine.series({ ...range, matchers })) found.set(seriesKey(s), s);
    const all = [...found.values()].sort(compareLabelSets);
    const limit = limitParam(params);
    sendData(res, (limit === undefined ? all : all.slice(0, limit)).map(sortedLabels));
  });

  const exemplars = handle(async (params, _req, res) => {
    try {
      parseExpr(requireQuery(params));
    } catch (err) {
      asQueryParam(err);
    }
    timeParam(params, 'start', -Infinity);
    timeParam(params, 'end', Infinity);
    sendData(res, []);
  });

  router.get('/query', query);
  router.post('/query', query);
  router.get('/query_range', queryRange);
  router.post('/query_range', queryRange);
  router.get('/labels', labels);
  router.post('/labels', labels);
  router.get('/label/:name/values', labelValues);
  router.get('/series', series);
  router.post('/series', series);
  router.get('/query_exemplars', exemplars);
  router.post('/query_exemplars', exemplars);
  router.get('/status/buildinfo', (_req, res) =>
    sendData(res, {
      version: PROMETHEUS_COMPATIBLE_VERSION,
      revision: `sensorstore-${deps.version ?? 'dev'}`,
      branch: 'sensorstore',
      buildUser: 'sensorstore',
      buildDate: '',
      goVersion: '',
    }),
  );
  router.get('/metadata', (_req, res) => sendData(res, {}));
  router.get('/rules', (_req, res) => sendData(res, { groups: [] }));
  return router;
}
