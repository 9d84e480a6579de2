// The ingest endpoints: InfluxDB 1.x and 2.x line protocol, Prometheus remote write and JSON. Each
// request is read under the body limit, decoded into one batch, written as one atomic engine write
// (answered once durable) and answered per answer.ts.

import { Request, Response, Router } from 'express';

import { DecodeProblems, storeBatch } from './answer';
import { BuiltBatch } from './batch';
import { IngestDecoder } from './decode-pool';
import { decodeJsonWrite } from './json';
import { Precision } from './line-protocol';
import { TokenChecker } from '../auth';
import { readBody, readJson, readRawBody } from '../body';
import { EngineGate } from '../engine-gate';
import { HttpError } from '../errors';
import { ConcurrencyGate } from '../limits';
import { IngestFormat, SidecarMetrics } from '../metrics';
import { SidecarConfig } from '../../config/config';

export interface IngestDeps {
  gate: EngineGate;
  config: SidecarConfig;
  metrics: SidecarMetrics;
  auth: TokenChecker;
  /** Decodes line protocol and remote write (in worker threads or inline). */
  decoder: IngestDecoder;
}

const V1_PRECISIONS: Record<string, Precision> = { n: 'ns', ns: 'ns', u: 'us', us: 'us', µ: 'us', ms: 'ms', s: 's', m: 'm', h: 'h' };
const V2_PRECISIONS: Record<string, Precision> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };

function precisionOf(req: Request, allowed: Record<string, Precision>): Precision {
  const raw = req.query.precision;
  if (raw === undefined || raw === '') return 'ns';
  const precision = typeof raw === 'string' ? allowed[raw] : undefined;
  if (!precision) {
    throw new HttpError('INVALID_REQUEST', `precision ${JSON.stringify(raw)} is not one of ${Object.keys(allowed).join(', ')}`, { parameter: 'precision' });
  }
  return precision;
}

function stringParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError('INVALID_REQUEST', `parameter ${name} must be given once`, { parameter: name });
  return value;
}

export function ingestRouter(deps: IngestDeps): Router {
  const { config, metrics } = deps;
  const router = Router();
  const writes = new ConcurrencyGate(config.maxConcurrentWrites, 'write requests');
  const { decoder } = deps;
  const write = deps.auth.middleware('write');

  /** Runs one write: refuses early when not ready or overloaded, then decodes and stores. */
  const handle = (format: IngestFormat, decode: (req: Request) => Promise<{ built: BuiltBatch; problems: DecodeProblems }>) => async (req: Request, res: Response) => {
    const engine = deps.gate.get();
    await writes.run(async () => {
      const { built, problems } = await decode(req);
      const { error } = await storeBatch(engine, built, problems, format, metrics);
      if (error) throw error;
      res.status(204).end();
    });
  };

  const lines = async (body: Buffer, precision: Precision, db: string | undefined) => {
    const decoded = await decoder.decode({ kind: 'lines', body, precision, db, nowMs: Date.now(), maxSamples: config.maxSamplesPerRequest });
    return { built: decoded.built, problems: decoded.problems };
  };

  router.post(
    '/write',
    write,
    handle('influx_v1', async (req) => {
      const precision = precisionOf(req, V1_PRECISIONS);
      const db = stringParam(req, 'db');
      return lines(await readBody(req, config.maxBodyBytes), precision, db);
    }),
  );

  router.post(
    '/api/v2/write',
    write,
    handle('influx_v2', async (req) => {
      const precision = precisionOf(req, V2_PRECISIONS);
      const bucket = stringParam(req, 'bucket');
      if (!bucket) throw new HttpError('INVALID_REQUEST', 'parameter bucket is required (it is stored as label db)', { parameter: 'bucket' });
      return lines(await readBody(req, config.maxBodyBytes), precision, bucket);
    }),
  );

  router.post(
    '/api/v1/write',
    write,
    handle('remote_write', async (req) => {
      const type = req.headers['content-type'] ?? '';
      if (/proto=io\.prometheus\.write\.v2/.test(type)) {
        throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'remote write 2.0 is not supported; send remote write 1.0 (prometheus.WriteRequest)');
      }
      const encoding = (req.headers['content-encoding'] ?? 'snappy').toLowerCase();
      if (encoding !== 'snappy') throw new HttpError('UNSUPPORTED_MEDIA_TYPE', `remote write bodies must be snappy-compressed (Content-Encoding: snappy), not ${encoding}`);
      const body = await readRawBody(req, config.maxBodyBytes);
      const decoded = await decoder.decode({ kind: 'remote_write', body, maxSamples: config.maxSamplesPerRequest, maxBodyBytes: config.maxBodyBytes });
      for (const [kind, n] of Object.entries(decoded.ignored)) if (n > 0) metrics.ingestIgnored.inc({ format: 'remote_write', kind }, n);
      return { built: decoded.built, problems: decoded.problems };
    }),
  );

  router.post(
    '/api/native/write',
    write,
    handle('json', async (req) => ({ built: decodeJsonWrite(await readJson(req, config.maxBodyBytes), config.maxSamplesPerRequest), problems: {} })),
  );

  return router;
}
