// Turns failed calls to the sidecar into one typed error whose message says what went wrong and where.
import { isFetchError } from '@grafana/runtime';

/**
 * Codes the plugin itself assigns; any other code is the sidecar's own (docs/api.md, "Errors") and is
 * passed through unchanged so users can look it up.
 */
export type PluginErrorCode = 'UNREACHABLE' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_READY' | 'BAD_ANSWER' | 'HTTP_ERROR';

export class SidecarError extends Error {
  override readonly name = 'SidecarError';

  constructor(
    readonly code: PluginErrorCode | string,
    message: string,
    /** The sidecar endpoint that failed, e.g. `/api/native/query`. */
    readonly endpoint: string,
    /** HTTP status as seen by the browser; 0 when no answer arrived at all. */
    readonly status: number,
  ) {
    super(message);
  }
}

interface SidecarErrorBody {
  code: string;
  message: string;
}

function isSidecarErrorBody(body: unknown): body is SidecarErrorBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as SidecarErrorBody).code === 'string' &&
    typeof (body as SidecarErrorBody).message === 'string'
  );
}

/** Grafana's data proxy answers 502/504 itself when it can not connect to the sidecar. */
const PROXY_FAILURE_STATUSES = new Set([0, -1, 502, 504]);

/** Maps anything a fetch through the data proxy can throw to a SidecarError. */
export function toSidecarError(err: unknown, endpoint: string): SidecarError {
  if (err instanceof SidecarError) {
    return err;
  }
  if (!isFetchError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new SidecarError('UNREACHABLE', `Could not reach the sidecar (${endpoint}): ${message}`, endpoint, 0);
  }
  const status = err.status ?? 0;
  const body: unknown = err.data;
  if (isSidecarErrorBody(body)) {
    return fromSidecarBody(body, status, endpoint);
  }
  if (status === 401) {
    return new SidecarError('UNAUTHORIZED', `The sidecar refused the token (401 on ${endpoint}); check the token in the datasource settings`, endpoint, status);
  }
  if (status === 403) {
    return new SidecarError('FORBIDDEN', `The token may not read from the sidecar (403 on ${endpoint}); use a token with the read scope`, endpoint, status);
  }
  if (PROXY_FAILURE_STATUSES.has(status)) {
    const detail = proxyMessage(body) ?? err.statusText ?? 'no answer';
    return new SidecarError('UNREACHABLE', `Could not reach the sidecar (${endpoint}: ${status > 0 ? `${status} ` : ''}${detail}); check the URL and that the sidecar is running`, endpoint, status);
  }
  const detail = proxyMessage(body) ?? err.statusText ?? '';
  return new SidecarError('HTTP_ERROR', `The sidecar answered ${status} on ${endpoint}${detail ? `: ${detail}` : ''}`, endpoint, status);
}

function fromSidecarBody(body: SidecarErrorBody, status: number, endpoint: string): SidecarError {
  if (status === 401) {
    return new SidecarError('UNAUTHORIZED', `The sidecar refused the token (${body.code}: ${body.message}); check the token in the datasource settings`, endpoint, status);
  }
  if (status === 403) {
    return new SidecarError('FORBIDDEN', `The token may not read from the sidecar (${body.code}: ${body.message}); use a token with the read scope`, endpoint, status);
  }
  if (body.code === 'NOT_READY') {
    return new SidecarError('NOT_READY', `The sidecar is not ready yet (${body.code}: ${body.message})`, endpoint, status);
  }
  return new SidecarError(body.code, `${body.code}: ${body.message}`, endpoint, status);
}

function proxyMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  if (typeof body === 'string' && body.trim() !== '') {
    return body.trim().slice(0, 200);
  }
  return undefined;
}
