// Parameters of Prometheus' HTTP API, read as Prometheus reads them: from the URL query and a
// form-encoded POST body alike; times as Unix seconds (fractions allowed) or RFC 3339; durations as
// seconds or Prometheus durations ("5m"); `match[]` repeated.

import type { Request } from 'express';
import { parseDuration } from '../../promql/literals';

/** A bad parameter: answered as 400 bad_data with `invalid parameter "<name>": <reason>`. */
export class BadParameterError extends Error {
  readonly errorType = 'bad_data';

  constructor(
    readonly param: string,
    reason: string,
  ) {
    super(`invalid parameter ${JSON.stringify(param)}: ${reason}`);
    this.name = 'BadParameterError';
  }
}

/** Every parameter of a request: URL query first, then the form body (Prometheus' r.Form). */
export class Params {
  private readonly values = new Map<string, string[]>();

  constructor(req: Request) {
    const url = new URL(req.originalUrl ?? req.url, 'http://localhost');
    for (const [k, v] of url.searchParams) this.add(k, v);
    const body: unknown = req.body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      for (const [k, v] of new URLSearchParams(body.toString())) this.add(k, v);
    } else if (body && typeof body === 'object') {
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        // A body parser with nested parsing turns `match[]` into `match`.
        const name = k === 'match' ? 'match[]' : k;
        for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'string') this.add(name, item);
      }
    }
  }

  private add(k: string, v: string): void {
    const list = this.values.get(k);
    if (list) list.push(v);
    else this.values.set(k, [v]);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }
}

const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Prometheus' own boundary times, which its clients send for "no bound". */
const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

/**
 * A time parameter in integer ms: Unix seconds with up to millisecond precision, or RFC 3339.
 * Prometheus' "min"/"max" time strings map to ±Infinity.
 */
export function parseTimeParam(name: string, text: string): number {
  if (text === MIN_TIME_FORMATTED) return -Infinity;
  if (text === MAX_TIME_FORMATTED) return Infinity;
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) {
    const seconds = Number(text);
    const whole = Math.trunc(seconds);
    const ms = whole * 1000 + Math.round((seconds - whole) * 1000);
    if (Number.isSafeInteger(ms)) return ms;
  }
  if (RFC3339_RE.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new BadParameterError(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

/** A duration parameter in ms: float seconds ("15", "0.5") or a Prometheus duration ("1m30s"). */
export function parseDurationParam(name: string, text: string): number {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) {
    const ms = Math.trunc(Number(text) * 1000);
    if (!Number.isSafeInteger(ms)) throw new BadParameterError(name, `cannot parse ${JSON.stringify(text)} to a valid duration. It overflows int64`);
    return ms;
  }
  const d = parseDuration(text);
  if (d.ok) return d.ms;
  throw new BadParameterError(name, `cannot parse ${JSON.stringify(text)} to a valid duration`);
}

/** An optional time parameter, or `fallback` when absent or empty. */
export function timeParam(params: Params, name: string, fallback: number): number {
  const text = params.get(name);
  return text === undefined || text === '' ? fallback : parseTimeParam(name, text);
}

/** An optional non-negative integer `limit` (0 means no limit, as in Prometheus). */
export function limitParam(params: Params): number | undefined {
  const text = params.get('limit');
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new BadParameterError('limit', `cannot parse ${JSON.stringify(text)}: must be a non-negative integer`);
  const n = Number(text);
  return n === 0 ? undefined : n;
}
