// The engine's public data model: series, samples, matchers and the shapes of reads and writes.
// Every layer above the engine (HTTP ingest, native API, PromQL) speaks only these types.

/**
 * A series' identity: the metric name under `__name__` plus its labels.
 * Label values are non-empty UTF-8; an empty value means "label absent" and is dropped on write.
 * @example { __name__: 'temperature', device: 'd-17', site: 'berlin' }
 */
export type LabelSet = Readonly<Record<string, string>>;

/** The label that carries the metric name, as in Prometheus. */
export const METRIC_NAME_LABEL = '__name__';

/**
 * An in-process handle for a series, returned by `write` so that callers (ingest parsers) can skip
 * label hashing on the next write of the same series. It is never persisted and never reused for a
 * different label set within one engine instance; a stale or unknown ref falls back to `labels`.
 */
export type SeriesRef = number;

/** Samples of one series in one write. Timestamps are integer milliseconds since the Unix epoch. */
export interface SeriesWrite {
  labels: LabelSet;
  ref?: SeriesRef;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** One ingest request: stored atomically (all accepted samples or none after a crash). */
export type WriteBatch = readonly SeriesWrite[];

export type RejectReason =
  | 'invalid_series' // labels break the limits in labels.ts
  | 'invalid_sample' // timestamp not a safe integer, or length mismatch
  | 'out_of_retention' // older than the retention watermark of its metric
  | 'cardinality_limit'; // would create a series beyond the configured maximum

export interface WriteRejection {
  /** Index of the entry in the batch. */
  entry: number;
  reason: RejectReason;
  /** Samples of that entry that were rejected. */
  samples: number;
  message: string;
}

export interface WriteResult {
  accepted: number;
  rejected: number;
  byReason: Partial<Record<RejectReason, number>>;
  /** The first rejections (at most 100), in batch order. */
  rejections: WriteRejection[];
  /** refs[i] is the ref of batch entry i, or -1 if the entry was rejected as a whole. */
  refs: SeriesRef[];
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** A label matcher with Prometheus semantics: regexes are fully anchored; "" matches an absent label. */
export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Time ranges are [start, end) in integer milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

export interface SelectRequest extends TimeRange {
  matchers: readonly Matcher[];
  /** Refuse (QUERY_LIMIT) when more series match. */
  maxSeries?: number;
  /** Refuse (QUERY_LIMIT) when more samples would be returned. */
  maxPoints?: number;
}

/** Raw samples of one series, time-ordered, one value per timestamp (the last write wins). */
export interface SeriesSamples {
  labels: LabelSet;
  timestamps: Float64Array;
  values: Float64Array;
}

export type Aggregation = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';

/**
 * What an empty bucket becomes: `none` omits it, `null` emits NaN (null in JSON), `previous` carries
 * the last value forward (sensors that report only on change), `linear` interpolates between
 * neighbouring non-empty buckets.
 */
export type Fill = 'none' | 'null' | 'previous' | 'linear';

export interface AggregateRequest extends SelectRequest {
  /** Bucket width in ms. Buckets start at multiples of step (in `timeZone` for steps of a day or more). */
  step: number;
  agg: Aggregation;
  fill?: Fill;
  /** Group series by these labels and combine each group with `crossAgg` (default `avg`). */
  groupBy?: readonly string[];
  crossAgg?: Aggregation;
  /** IANA zone used to align day/week buckets, e.g. 'Europe/Berlin'. Default UTC. */
  timeZone?: string;
}

/** Bucketed series: timestamps are bucket starts; NaN marks an empty bucket kept by fill `null`. */
export interface BucketSeries {
  labels: LabelSet;
  timestamps: Float64Array;
  values: Float64Array;
}

export interface LatestSample {
  labels: LabelSet;
  t: number;
  v: number;
}

export interface LatestRequest {
  matchers: readonly Matcher[];
  /** Only samples at or after this time count (default: no bound). */
  start?: number;
  /** Only samples before this time count (default: no bound). */
  end?: number;
  maxSeries?: number;
}

export interface MetadataRequest {
  matchers?: readonly Matcher[];
  start?: number;
  end?: number;
  limit?: number;
}

/** Figures the engine keeps for /metrics. Counters only grow for the life of the process. */
export interface EngineStats {
  wal: {
    records: number;
    bytes: number;
    fsyncs: number;
    /** Records per fsync, averaged over the life of the process. */
    avgGroupSize: number;
    fsyncLatencyMsAvg: number;
    fsyncLatencyMsMax: number;
    segments: number;
  };
  head: { series: number; samples: number };
  segments: { count: number; bytes: number; samples: number };
  compaction: { runs: number; running: boolean; bytesWritten: number; lastDurationMs: number };
  ingest: { acceptedSamples: number; rejectedSamples: Partial<Record<RejectReason, number>> };
}

/** Hooks the engine calls as things happen, so the HTTP layer can feed histograms. All optional. */
export interface EngineObserver {
  onFsync?(latencyMs: number, records: number): void;
  onFlush?(samples: number, durationMs: number): void;
  onCompaction?(inputBytes: number, outputBytes: number, durationMs: number): void;
}

/** Structured log sink (pino-compatible subset); the engine never prints on its own. */
export interface EngineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * What every layer above the engine relies on. The real engine (engine.ts) implements it; so does the
 * small in-memory model used as an oracle in tests.
 */
export interface StorageEngine {
  /** Resolves once the batch is durable per the durability mode; rejects with an EngineError otherwise. */
  write(batch: WriteBatch): Promise<WriteResult>;
  select(req: SelectRequest): Promise<SeriesSamples[]>;
  aggregate(req: AggregateRequest): Promise<BucketSeries[]>;
  latest(req: LatestRequest): Promise<LatestSample[]>;
  labelNames(req: MetadataRequest): Promise<string[]>;
  /** Sorted values of one label; `__name__` lists metric names. */
  labelValues(name: string, req: MetadataRequest): Promise<string[]>;
  series(req: MetadataRequest): Promise<LabelSet[]>;
  seriesCount(req: MetadataRequest): Promise<number>;
  stats(): EngineStats;
  /** Snapshot, fsync and release files. Further calls reject with EngineClosedError. */
  close(): Promise<void>;
}
