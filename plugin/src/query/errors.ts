// Mistakes in a query that are found before anything is sent to the sidecar.

export type QueryErrorCode = 'BAD_INTERVAL' | 'NO_METRIC' | 'BAD_MATCHER' | 'BAD_FILTER' | 'BAD_VARIABLE_QUERY' | 'BAD_ANNOTATION' | 'BAD_TIME_ZONE' | 'MULTI_VALUE_METRIC' | 'BAD_METRIC';

export class SidecarQueryError extends Error {
  override readonly name = 'SidecarQueryError';

  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
  }
}
