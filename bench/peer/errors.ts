// Why a benchmark run stopped: a typed error with a stable code and the target and phase it hit.

export type BenchErrorCode =
  | 'PEER_MISSING' // a server binary is not installed
  | 'SERVER_EXITED' // a server process died while it was needed
  | 'NOT_READY' // a server did not become ready in time
  | 'WRITE_REJECTED' // an ingest request did not answer 2xx
  | 'QUERY_FAILED' // a query did not answer 2xx or answered something unreadable
  | 'WRONG_ANSWER' // a query answered, but not what the generator says it must
  | 'NOT_QUERYABLE' // not every sample became queryable in time
  | 'BAD_OPTION'; // the command line asked for something impossible

export class BenchError extends Error {
  constructor(
    readonly code: BenchErrorCode,
    /** Where it happened, e.g. "influxdb / ingest". */
    readonly where: string,
    message: string,
  ) {
    super(`${code} in ${where}: ${message}`);
    this.name = 'BenchError';
  }
}
