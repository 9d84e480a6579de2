// What InfluxDB 1.x clients call besides /write, so they work against the sidecar unchanged:
// `/ping` (health checks of client libraries and load balancers) and the database statements of
// `/query`. Telegraf's InfluxDB output sends `CREATE DATABASE "telegraf"` before it writes and, until
// that succeeds, again before every batch with a warning in its log; client libraries list
// databases with `SHOW DATABASES`. The sidecar has no databases to create: the `db` of a write is
// a label of its series, so CREATE DATABASE succeeds without changing anything and SHOW DATABASES
// lists the values of that label. Every other InfluxQL statement is refused with a pointer to the
// query APIs.

import express, { Request, Response, Router } from 'express';

import { DATABASE_LABEL } from './line-protocol';
import { TokenChecker } from '../auth';
import { EngineGate } from '../engine-gate';
import { HttpError } from '../errors';

export interface InfluxV1Deps {
  gate: EngineGate;
  auth: TokenChecker;
  version: string;
  /** Largest form body of a POST /query. */
  maxQueryBodyBytes: number;
}

export type Statement = { kind: 'create_database'; name: string } | { kind: 'show_databases' };

/** Splits InfluxQL on `;` outside quoted strings and identifiers; drops empty statements. */
export function splitStatements(q: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quote = '';
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ';') {
      out.push(q.slice(start, i));
      start = i + 1;
    }
  }
  out.push(q.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

const CREATE_DATABASE = /^CREATE\s+DATABASE\s+("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*)(?:\s+WITH\s[\s\S]*)?$/i;
const SHOW_DATABASES = /^SHOW\s+DATABASES$/i;

function unquoteIdentifier(token: string): string {
  if (!token.startsWith('"')) return token;
  return token.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * The statement, or INVALID_QUERY naming it (1-based `index`) and saying what the sidecar answers
 * instead.
 */
export function parseStatement(text: string, index: number): Statement {
  const create = CREATE_DATABASE.exec(text);
  if (create) {
    const name = unquoteIdentifier(create[1]);
    if (name === '') throw new HttpError('INVALID_QUERY', `statement ${index}: the database name is empty`, { statement: index });
    return { kind: 'create_database', name };
  }
  if (SHOW_DATABASES.test(text)) return { kind: 'show_databases' };
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  throw new HttpError(
    'INVALID_QUERY',
    `statement ${index} (${JSON.stringify(shown)}) is not supported: /query answers only CREATE DATABASE and SHOW DATABASES, for InfluxDB 1.x clients that set up a database before writing (the database is the label "${DATABASE_LABEL}"); query data with POST /api/native/query or the Prometheus API (/api/v1/query)`,
    { statement: index },
  );
}

function queryText(req: Request): string {
  const fromBody = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>).q : undefined;
  const q = fromBody ?? req.query.q;
  if (q === undefined || q === '') throw new HttpError('INVALID_REQUEST', 'missing required parameter "q"', { parameter: 'q' });
  if (typeof q !== 'string') throw new HttpError('INVALID_REQUEST', 'parameter q must be given once', { parameter: 'q' });
  return q;
}

export function influxV1Router(deps: InfluxV1Deps): Router {
  const router = Router();

  // Like InfluxDB 1.x: 204 with the version headers, or 200 with the version when verbose; no
  // token needed, and answered during recovery too (it says the process is up, as /health does).
  const ping = (req: Request, res: Response) => {
    res.set({ 'X-Influxdb-Build': 'sensorstore', 'X-Influxdb-Version': deps.version });
    if (req.query.verbose === 'true') res.json({ version: deps.version });
    else res.status(204).end();
  };
  router.get('/ping', ping);
  router.head('/ping', ping);

  const query = async (req: Request, res: Response) => {
    deps.auth.check(req, 'read');
    const statements = splitStatements(queryText(req)).map((text, i) => parseStatement(text, i + 1));
    if (statements.length === 0) throw new HttpError('INVALID_REQUEST', 'parameter q holds no statement', { parameter: 'q' });
    if (statements.some((s) => s.kind === 'create_database')) deps.auth.check(req, 'write');
    const results: Array<Record<string, unknown>> = [];
    for (const [i, statement] of statements.entries()) {
      if (statement.kind === 'create_database') {
        results.push({ statement_id: i });
      } else {
        const names = await deps.gate.get().labelValues(DATABASE_LABEL, {});
        const series: Record<string, unknown> = { name: 'databases', columns: ['name'] };
        if (names.length > 0) series.values = names.map((n) => [n]);
        results.push({ statement_id: i, series: [series] });
      }
    }
    res.json({ results });
  };
  router.get('/query', query);
  router.post('/query', express.urlencoded({ extended: false, limit: deps.maxQueryBodyBytes }), query);

  return router;
}
