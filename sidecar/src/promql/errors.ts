// Typed PromQL errors. Each carries a stable code and the Prometheus error type the HTTP layer answers
// with (bad_data 400, execution 422, timeout 503), and says where in the query it happened.

/** The error types of Prometheus' HTTP API that a query can end in. */
export type PromErrorType = 'bad_data' | 'execution' | 'timeout';

export type PromQLErrorCode = 'PARSE_ERROR' | 'UNSUPPORTED' | 'EXECUTION_ERROR' | 'TOO_MANY_SAMPLES' | 'TIMEOUT';

export class PromQLError extends Error {
  constructor(
    readonly code: PromQLErrorCode,
    readonly errorType: PromErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'PromQLError';
  }
}

/** "line:column" of a character offset, 1-based, as Prometheus prints positions. */
export function lineColumn(query: string, offset: number): string {
  const before = query.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${column}`;
}

/** The query does not parse or does not type-check; the message starts with its line:column. */
export class ParseError extends PromQLError {
  constructor(
    readonly query: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super('PARSE_ERROR', 'bad_data', `${lineColumn(query, offset)}: parse error: ${detail}`);
    this.name = 'ParseError';
  }
}

/** Valid PromQL that this evaluator does not implement: refused by name, never answered wrongly. */
export class UnsupportedFeatureError extends PromQLError {
  constructor(
    readonly query: string,
    readonly offset: number,
    readonly feature: string,
  ) {
    super('UNSUPPORTED', 'bad_data', `${lineColumn(query, offset)}: unsupported PromQL feature: ${feature}`);
    this.name = 'UnsupportedFeatureError';
  }
}

/** Evaluation failed on the data (e.g. duplicate series after dropping the metric name). */
export class ExecutionError extends PromQLError {
  constructor(message: string) {
    super('EXECUTION_ERROR', 'execution', message);
    this.name = 'ExecutionError';
  }
}

/** The query would hold more points in memory than the configured limit. */
export class TooManySamplesError extends PromQLError {
  constructor(
    readonly limit: number,
    where: string,
  ) {
    super('TOO_MANY_SAMPLES', 'execution', `query processing would load too many samples into memory in ${where} (limit ${limit})`);
    this.name = 'TooManySamplesError';
  }
}

export class QueryTimeoutError extends PromQLError {
  constructor(
    readonly timeoutMs: number,
    where: string,
  ) {
    super('TIMEOUT', 'timeout', `query timed out in ${where} (timeout ${timeoutMs / 1000}s)`);
    this.name = 'QueryTimeoutError';
  }
}
