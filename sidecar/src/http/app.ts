// The sidecar's HTTP application: every route, auth, metrics and the one error format, around an
// injected engine (the real one in main.ts, the in-memory model in tests).

import { constants as zlibConstants } from 'node:zlib';

import compression from 'compression';
import express, { NextFunction, Request, Response } from 'express';
import { Logger } from 'pino';

import { TokenChecker } from './auth';
import { EngineGate } from './engine-gate';
import { HttpError, toHttpError } from './errors';
import { IngestDecoder, createIngestDecoder } from './ingest/decode-pool';
import { influxV1Router } from './ingest/influx-v1';
import { ingestRouter } from './ingest/routes';
import { ConcurrencyGate } from './limits';
import { SidecarMetrics } from './metrics';
import { nativeRouter } from './native/routes';
import { mountPrometheusApi } from './prometheus-mount';
import { SidecarConfig } from '../config/config';
import { StorageEngine } from '../engine/model/types';

export interface AppDeps {
  /** The engine, or the promise of it while recovery runs (requests needing it get NOT_READY). */
  engine: StorageEngine | Promise<StorageEngine>;
  config: SidecarConfig;
  logger: Logger;
  /** Shared with the engine's observer; created here when not given. */
  metrics?: SidecarMetrics;
  version?: string;
}

export interface SidecarApp {
  app: express.Express;
  gate: EngineGate;
  metrics: SidecarMetrics;
  auth: TokenChecker;
  /** Requests being answered now (graceful shutdown waits for them). */
  inFlight(): number;
  /** Where ingest bodies are decoded; closed on shutdown. */
  decoder: IngestDecoder;
}

/** Paths that answer Prometheus' error shape instead of ours. */
function isPrometheusApi(path: string): boolean {
  return path.startsWith('/api/v1/') && path !== '/api/v1/write';
}

/**
 * Paths of InfluxDB 1.x's API, whose clients read an error from the field `error` (Telegraf logs it
 * when it drops a batch): their answers carry it beside our code and message.
 */
function isInfluxV1Api(path: string): boolean {
  return path === '/write' || path === '/query';
}

/** InfluxDB 1.x's text for the `error` field; clients recognise a partial write by its prefix. */
function influxV1Error(error: HttpError): string {
  return error.code === 'PARTIAL_WRITE' ? `partial write: ${error.message}` : error.message;
}

/** Answers at least this large are compressed for clients that accept it (see the middleware below). */
export const COMPRESS_MIN_BYTES = 64 * 1024;

const PROMETHEUS_ERROR_TYPES: Record<number, string> = { 400: 'bad_data', 413: 'bad_data', 422: 'execution', 503: 'unavailable', 504: 'timeout' };

export function createApp(deps: AppDeps): SidecarApp {
  const { config, logger } = deps;
  const version = deps.version ?? '0.0.0';
  const metrics = deps.metrics ?? new SidecarMetrics(version);
  const gate = new EngineGate(deps.engine);
  const auth = new TokenChecker({ read: config.tokenRead, write: config.tokenWrite });
  void gate.whenReady().then((engine) => metrics.readEngineStatsFrom(() => engine.stats()));
  let inFlight = 0;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    inFlight++;
    const stop = metrics.httpDuration.startTimer();
    res.on('close', () => {
      inFlight--;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      stop({ route, method: req.method });
    });
    next();
  });

  // Answers of 64 KiB and more go out gzip- or deflate-compressed when the client accepts it: a
  // 100,000-point query answer shrinks about fourfold. Smaller ones go out as they are, because
  // compressing them costs more time than it saves next to Grafana (a 7 KiB raw answer took 1.3 ms
  // longer gzipped on loopback, a 43 KiB one 4 ms). The fastest level keeps most of the size gain
  // for about two thirds of the CPU of the default level.
  app.use(compression({ level: zlibConstants.Z_BEST_SPEED, threshold: COMPRESS_MIN_BYTES }));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', (_req, res) => {
    gate.get();
    res.json({ status: 'ready' });
  });
  app.get('/metrics', auth.middleware('read'), async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.text());
  });

  const decoder = createIngestDecoder(config.ingestWorkers);
  app.use(influxV1Router({ gate, auth, version, maxQueryBodyBytes: config.maxQueryBodyBytes }));
  app.use(ingestRouter({ gate, config, metrics, auth, decoder }));
  const queries = new ConcurrencyGate(config.maxConcurrentQueries, 'queries');
  app.use(nativeRouter({ gate, config, metrics, auth, queries, version }));
  mountPrometheusApi(app, { gate, config, metrics, auth, queries, version });

  app.use((req: Request) => {
    throw new HttpError('NOT_FOUND', `no endpoint ${req.method} ${req.path}; see docs/api.md`);
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const error = toHttpError(bodyParserError(err) ?? err);
    if (error.status >= 500) logger.error({ err, code: error.code, path: req.path }, error.message);
    else logger.debug({ code: error.code, path: req.path }, error.message);
    if (error.headers) res.set(error.headers);
    res.status(error.status);
    if (isPrometheusApi(req.path)) {
      res.json({ status: 'error', errorType: PROMETHEUS_ERROR_TYPES[error.status] ?? 'internal', error: error.message, code: error.code });
    } else if (isInfluxV1Api(req.path)) {
      res.json({ ...error.toJSON(), error: influxV1Error(error) });
    } else {
      res.json(error.toJSON());
    }
  });

  return { app, gate, metrics, auth, decoder, inFlight: () => inFlight };
}

/** Errors raised by express' own body handling (used by mounted routers) as HttpErrors. */
function bodyParserError(err: unknown): HttpError | undefined {
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') return new HttpError('BODY_TOO_LARGE', e.message ?? 'request body too large');
  if (typeof e?.type === 'string' && e.status !== undefined && e.status < 500) return new HttpError('INVALID_REQUEST', e.message ?? 'bad request body');
  return undefined;
}
