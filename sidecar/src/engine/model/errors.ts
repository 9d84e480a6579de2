// Typed engine errors. Each carries a stable code that the HTTP layer maps to a status, and the
// place it happened (file and byte offset for corruption) so operators can act on it.

export type EngineErrorCode =
  | 'INVALID_SERIES'
  | 'INVALID_SAMPLE'
  | 'INVALID_QUERY'
  | 'INVALID_OPTION'
  | 'QUERY_LIMIT'
  | 'CARDINALITY_LIMIT'
  | 'DISK_FULL'
  | 'IO_ERROR'
  | 'ENGINE_FAILED'
  | 'CORRUPTION'
  | 'CLOSED';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** Bad labels: names the label and what is wrong with it. */
export class InvalidSeriesError extends EngineError {
  constructor(
    message: string,
    readonly label?: string,
  ) {
    super('INVALID_SERIES', message);
    this.name = 'InvalidSeriesError';
  }
}

export class InvalidQueryError extends EngineError {
  constructor(message: string) {
    super('INVALID_QUERY', message);
    this.name = 'InvalidQueryError';
  }
}

/** An engine option is out of range: Engine.open refuses it before touching any file. */
export class InvalidOptionError extends EngineError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('INVALID_OPTION', `engine option ${option}: ${message}`);
    this.name = 'InvalidOptionError';
  }
}

/** A query would exceed a configured limit (series or points). */
export class QueryLimitError extends EngineError {
  constructor(
    message: string,
    readonly limit: 'series' | 'points',
    readonly max: number,
  ) {
    super('QUERY_LIMIT', message);
    this.name = 'QueryLimitError';
  }
}

/** A write would create a series beyond the configured maximum; existing series keep being written. */
export class CardinalityLimitError extends EngineError {
  constructor(readonly max: number) {
    super('CARDINALITY_LIMIT', `the series limit of ${max} is reached; new series are refused while existing ones keep being written`);
    this.name = 'CardinalityLimitError';
  }
}

/** Damaged bytes on disk. Never answered with data: the reader stops and says where. */
export class CorruptionError extends EngineError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super('CORRUPTION', `corruption in ${file} at byte ${offset}: ${detail}`);
    this.name = 'CorruptionError';
  }
}

/** The disk is full: the write was not acknowledged; reads keep working; retry once space returns. */
export class DiskFullError extends EngineError {
  constructor(
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super('DISK_FULL', `no space left on device while writing ${file}; the write was not stored`, options);
    this.name = 'DiskFullError';
  }
}

export class IOError extends EngineError {
  constructor(
    readonly file: string,
    readonly op: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('IO_ERROR', `${op} failed on ${file}${why}`, options);
    this.name = 'IOError';
  }
}

/**
 * An fsync failed. Like PostgreSQL after "fsyncgate", the engine does not retry and does not
 * acknowledge any further write: the page cache state is unknown. A restart replays the WAL.
 */
export class EngineFailedError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENGINE_FAILED', message, options);
    this.name = 'EngineFailedError';
  }
}

export class EngineClosedError extends EngineError {
  constructor() {
    super('CLOSED', 'the engine is closed');
    this.name = 'EngineClosedError';
  }
}
