// Mounts the Prometheus-compatible query API at /api/v1 (after remote write, which is an ingest
// route): behind the read scope, refused NOT_READY until the engine is open, and sharing the query
// concurrency limit, time limit and latency histogram with the native API.

import { Express, NextFunction, Request, Response, Router } from 'express';

import { TokenChecker } from './auth';
import { EngineGate } from './engine-gate';
import { HttpError } from './errors';
import { ConcurrencyGate } from './limits';
import { SidecarMetrics } from './metrics';
import { prometheusApiRouter } from './prometheus/router';
import { SidecarConfig } from '../config/config';

export interface PrometheusMountDeps {
  gate: EngineGate;
  config: SidecarConfig;
  metrics: SidecarMetrics;
  auth: TokenChecker;
  queries: ConcurrencyGate;
  version: string;
}

export function mountPrometheusApi(app: Express, deps: PrometheusMountDeps): void {
  let router: Router | undefined;
  void deps.gate.whenReady().then((engine) => {
    router = prometheusApiRouter({
      engine,
      version: deps.version,
      query: { timeoutMs: deps.config.queryTimeoutMs, maxSeries: deps.config.maxSeriesPerQuery },
      maxBodyBytes: deps.config.maxQueryBodyBytes,
      onQuery: (event) => deps.metrics.queryDuration.observe({ endpoint: `prometheus_${event.endpoint}` }, event.durationMs / 1000),
    });
  });
  app.use('/api/v1', deps.auth.middleware('read'), (req: Request, res: Response, next: NextFunction) => {
    deps.gate.get();
    const api = router;
    if (!api) throw new HttpError('NOT_READY', 'the Prometheus API starts once the engine is open; retry shortly', undefined, { 'Retry-After': '1' });
    // The slot is held until the answer is sent (or the client goes away).
    void deps.queries.run(
      () =>
        new Promise<void>((resolve) => {
          res.on('close', resolve);
          api(req, res, (err?: unknown) => {
            resolve();
            next(err);
          });
        }),
    );
  });
}
