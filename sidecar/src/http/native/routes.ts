// The native query API used by the Grafana plugin (docs/api.md): range queries, latest values and
// metadata. Answers are columnar (times and values arrays per series); every query runs under the
// series, points, concurrency and time limits.

import { Request, Response, Router } from 'express';

import { LatestBody, MetadataBody, QueryBody, latestSchema, metadataSchema, querySchema, validate } from './schemas';
import { DEFAULT_MAX_POINTS, niceStepMs } from './step';
import { TokenChecker } from '../auth';
import { readJson } from '../body';
import { EngineGate } from '../engine-gate';
import { ConcurrencyGate, withTimeout } from '../limits';
import { SidecarMetrics } from '../metrics';
import { unitOf } from '../units';
import { SidecarConfig } from '../../config/config';
import { LabelSet, METRIC_NAME_LABEL, Matcher, MetadataRequest, StorageEngine } from '../../engine/model/types';

export interface NativeDeps {
  gate: EngineGate;
  config: SidecarConfig;
  metrics: SidecarMetrics;
  auth: TokenChecker;
  /** Shared by every query endpoint (native and Prometheus). */
  queries: ConcurrencyGate;
  version: string;
}

interface NativeSeries {
  metric: string;
  labels: Record<string, string>;
  unit?: string;
  times: number[];
  values: Array<number | null>;
}

function withoutName(labels: LabelSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels)) if (key !== METRIC_NAME_LABEL) out[key] = labels[key];
  return out;
}

function metricMatchers(metric: string | undefined, matchers: readonly Matcher[]): Matcher[] {
  return metric === undefined ? [...matchers] : [{ name: METRIC_NAME_LABEL, op: '=', value: metric }, ...matchers];
}

function finiteOrNull(values: ArrayLike<number>): Array<number | null> {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number.isFinite(values[i]) ? values[i] : null;
  return out;
}

export function nativeRouter(deps: NativeDeps): Router {
  const { config, metrics } = deps;
  const router = Router();
  const { queries } = deps;
  const read = deps.auth.middleware('read');

  /** Runs a query under the gate and the time limit, and records its latency. */
  const run = <T>(endpoint: string, work: (engine: StorageEngine) => Promise<T>): Promise<T> => {
    const engine = deps.gate.get();
    const stop = metrics.queryDuration.startTimer({ endpoint });
    return withTimeout(
      queries.run(() => work(engine)),
      config.queryTimeoutMs,
    ).finally(() => stop());
  };

  const post = (path: string, handler: (body: unknown, req: Request) => Promise<unknown>) =>
    router.post(path, read, async (req: Request, res: Response) => {
      const body = await readJson(req, config.maxQueryBodyBytes);
      res.json(await handler(body, req));
    });

  post('/api/native/query', async (body) => {
    const q = validate(querySchema, body);
    const startedMs = performance.now();
    const series = await run('native_query', (engine) => query(engine, q, config));
    const limited = q.limit !== undefined && series.length > q.limit ? series.slice(0, q.limit) : series;
    const points = limited.reduce((n, s) => n + s.times.length, 0);
    return {
      ...(q.raw ? {} : { step: stepOf(q) }),
      series: limited,
      stats: { series: limited.length, points, tookMs: Math.round(performance.now() - startedMs), truncated: limited.length < series.length },
    };
  });

  post('/api/native/latest', async (body) => {
    const q: LatestBody = validate(latestSchema, body);
    const latest = await run('native_latest', (engine) =>
      engine.latest({ matchers: metricMatchers(q.metric, q.matchers), start: q.start, end: q.end, maxSeries: config.maxSeriesPerQuery }),
    );
    const limited = q.limit !== undefined ? latest.slice(0, q.limit) : latest;
    return {
      series: limited.map((s) => {
        const metric = s.labels[METRIC_NAME_LABEL] ?? q.metric;
        const unit = unitOf(metric);
        return { metric, labels: withoutName(s.labels), ...(unit ? { unit } : {}), time: s.t, value: Number.isFinite(s.v) ? s.v : null };
      }),
      truncated: limited.length < latest.length,
    };
  });

  post('/api/native/metrics', async (body) => {
    const q = validate(metadataSchema, body);
    return { data: await run('native_metrics', (engine) => listed(q, (req) => engine.labelValues(METRIC_NAME_LABEL, req))) };
  });

  post('/api/native/labels', async (body) => {
    const q = validate(metadataSchema, body);
    const names = await run('native_labels', (engine) => listed(q, async (req) => (await engine.labelNames({ ...req, limit: undefined })).filter((n) => n !== METRIC_NAME_LABEL)));
    return { data: names };
  });

  post('/api/native/label/:name/values', async (body, req) => {
    const q = validate(metadataSchema, body);
    const name = String(req.params.name);
    return { data: await run('native_label_values', (engine) => listed(q, (r) => engine.labelValues(name, r))) };
  });

  post('/api/native/series/count', async (body) => {
    const q = validate(metadataSchema, body);
    const count = await run('native_series_count', (engine) => engine.seriesCount(metadataRequest(q)));
    return { data: { series: count } };
  });

  router.get('/api/native/status', read, async (_req: Request, res: Response) => {
    const series = await run('native_status', (engine) => engine.seriesCount({}));
    res.json({ version: deps.version, series, ready: deps.gate.ready });
  });

  return router;
}

function stepOf(q: QueryBody): number {
  return q.step ?? niceStepMs(q.start, q.end, q.maxPoints ?? DEFAULT_MAX_POINTS);
}

async function query(engine: StorageEngine, q: QueryBody, config: SidecarConfig): Promise<NativeSeries[]> {
  const base = {
    matchers: metricMatchers(q.metric, q.matchers),
    start: q.start,
    end: q.end,
    maxSeries: config.maxSeriesPerQuery,
    maxPoints: config.maxPointsPerQuery,
  };
  const found = q.raw
    ? await engine.select(base)
    : await engine.aggregate({ ...base, step: stepOf(q), agg: q.agg, fill: q.fill, groupBy: q.groupBy, crossAgg: q.crossAgg, timeZone: q.timeZone });
  return found.map((s) => {
    const metric = s.labels[METRIC_NAME_LABEL] ?? q.metric;
    const unit = unitOf(q.metric);
    return { metric, labels: withoutName(s.labels), ...(unit ? { unit } : {}), times: Array.from(s.timestamps), values: finiteOrNull(s.values) };
  });
}

function metadataRequest(q: MetadataBody): MetadataRequest {
  return { matchers: metricMatchers(q.metric, q.matchers), start: q.start, end: q.end };
}

/** A metadata list with the case-insensitive `search` filter applied before the limit. */
async function listed(q: MetadataBody, fetch: (req: MetadataRequest) => Promise<string[]>): Promise<string[]> {
  const req = metadataRequest(q);
  if (q.search === undefined || q.search === '') {
    const items = await fetch({ ...req, limit: q.limit });
    return q.limit !== undefined ? items.slice(0, q.limit) : items;
  }
  const needle = q.search.toLowerCase();
  const items = (await fetch(req)).filter((item) => item.toLowerCase().includes(needle));
  return q.limit !== undefined ? items.slice(0, q.limit) : items;
}
