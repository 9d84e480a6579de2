// The one table of error codes the HTTP surface answers with, and the mapping from engine errors.
// Clients (the Grafana plugin, scripts) branch on `code`; the status follows HTTP conventions.

import { EngineError, EngineErrorCode, QueryLimitError } from '../engine/model/errors';

/** Every code a non-Prometheus endpoint can answer with, its status and what it means. */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, meaning: 'the request is malformed: bad JSON, a missing or wrong field, a bad parameter' },
  INVALID_QUERY: { status: 400, meaning: 'the query can not be run: bad regular expression, time zone or range' },
  PARTIAL_WRITE: { status: 400, meaning: 'some lines or samples were rejected (details.byReason says why); every valid one was stored' },
  UNAUTHORIZED: { status: 401, meaning: 'no token, or a token the sidecar does not know' },
  FORBIDDEN: { status: 403, meaning: 'the token lacks the scope (read or write) the endpoint needs' },
  NOT_FOUND: { status: 404, meaning: 'no such endpoint' },
  BODY_TOO_LARGE: { status: 413, meaning: 'the request body (compressed or decompressed) exceeds the body size limit' },
  TOO_MANY_SAMPLES: { status: 413, meaning: 'the request holds more samples than the per-request limit; nothing was stored' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'unknown Content-Encoding or protocol version' },
  CARDINALITY_LIMIT: { status: 422, meaning: 'samples were rejected because they would create series beyond the series limit' },
  QUERY_LIMIT: { status: 422, meaning: 'the query would exceed the series or points limit' },
  OVERLOADED: { status: 429, meaning: 'too many requests in flight; retry after the Retry-After delay' },
  INTERNAL: { status: 500, meaning: 'an unexpected failure; the request was not stored' },
  IO_ERROR: { status: 500, meaning: 'a file operation failed; the request was not stored' },
  ENGINE_FAILED: { status: 500, meaning: 'an fsync failed earlier; the sidecar accepts no writes until restarted' },
  CORRUPTION: { status: 500, meaning: 'damaged data on disk was found while answering; the message names file and offset' },
  NOT_READY: { status: 503, meaning: 'recovery is still running; retry shortly' },
  SHUTTING_DOWN: { status: 503, meaning: 'the sidecar is stopping' },
  QUERY_TIMEOUT: { status: 503, meaning: 'the query ran longer than the query time limit' },
  DISK_FULL: { status: 507, meaning: 'no space left on the device; the write was not stored; reads keep working' },
} as const;

export type HttpErrorCode = keyof typeof ERROR_CODES;

/** An error answer: `{ code, message, details? }` with the status from ERROR_CODES. */
export class HttpError extends Error {
  readonly status: number;

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = ERROR_CODES[code].status;
  }

  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

// A bad series or sample inside a write is a per-sample rejection reason (invalid_series,
// invalid_sample) in a PARTIAL_WRITE answer, never a code of its own; thrown for a whole request it
// is simply a bad request.
const ENGINE_CODES: Record<EngineErrorCode, HttpErrorCode> = {
  INVALID_SERIES: 'INVALID_REQUEST',
  INVALID_SAMPLE: 'INVALID_REQUEST',
  INVALID_QUERY: 'INVALID_QUERY',
  // Raised only when the engine is opened with bad options, never by a request.
  INVALID_OPTION: 'INTERNAL',
  QUERY_LIMIT: 'QUERY_LIMIT',
  CARDINALITY_LIMIT: 'CARDINALITY_LIMIT',
  DISK_FULL: 'DISK_FULL',
  IO_ERROR: 'IO_ERROR',
  ENGINE_FAILED: 'ENGINE_FAILED',
  CORRUPTION: 'CORRUPTION',
  CLOSED: 'SHUTTING_DOWN',
};

/**
 * Any thrown value as an HttpError: HttpErrors pass through, engine errors keep their code, anything
 * else is INTERNAL (its message is kept so operators can act on it).
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof QueryLimitError) {
    return new HttpError('QUERY_LIMIT', err.message, { limit: err.limit, max: err.max });
  }
  if (err instanceof EngineError) {
    const details: Record<string, unknown> = {};
    for (const key of ['file', 'offset', 'label', 'op'] as const) {
      const value = (err as unknown as Record<string, unknown>)[key];
      if (value !== undefined) details[key] = value;
    }
    return new HttpError(ENGINE_CODES[err.code] ?? 'INTERNAL', err.message, Object.keys(details).length ? details : undefined);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new HttpError('INTERNAL', `unexpected failure: ${message}`);
}
