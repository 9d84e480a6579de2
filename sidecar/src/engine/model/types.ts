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

/**
 * The same batch in columns, as ingest parsers build it without an object per sample: the samples of
 * series[i] are [offsets[i], offsets[i + 1]) of timestamps and values (offsets has one entry more
 * than series). Stored exactly as the equivalent WriteBatch; a ref below 0 counts as absent.
 */
export interface ColumnarBatch {
  series: ReadonlyArray<{ readonly labels: LabelSet; readonly ref?: SeriesRef }>;
  offsets: ArrayLike<number>;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

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

/**
 * Raw samples of the series matching every matcher, within [start, end). Series without samples in
 * range are left out; answers are ordered by labels (compareLabelSets). NaN values are returned as
 * stored.
 */
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

/**
 * A select for a caller that evaluates functions over time windows (PromQL's `sum_over_time` and
 * kin): a segment block that lies between two neighbouring `cuts` is handed over by its summary
 * rather than decoded, when it holds no NaN, lies inside [start, end) and no other source overlaps it.
 * A window [a, b] (both ends inclusive) has the cuts a and b + 1; a block [minT, maxT] is cut when
 * some cut c has minT < c <= maxT, and then always comes as samples. Limits count summarized
 * samples as select counts them, so the answer's size does not decide whether a query is refused.
 */
export interface SummarizedSelectRequest extends SelectRequest {
  /** Instants where the caller's windows begin or end; any order. */
  cuts: Float64Array;
}

/** Samples [minT, maxT] of one series told by their count, extremes, sum and last value. */
export interface SampleSummary {
  minT: number;
  maxT: number;
  count: number;
  min: number;
  max: number;
  /** Compensated sum: within rounding of the exact sum, not necessarily the time-ordered one. */
  sum: number;
  /** The value at maxT. */
  last: number;
}

/**
 * One series of a summarized select: every sample in range lies either in `timestamps`/`values`
 * (time-ordered, NaN as stored) or in exactly one summary (time-ordered, none holding a NaN). No
 * decoded sample lies within a summary's [minT, maxT].
 */
export interface SummarizedSeries extends SeriesSamples {
  summaries: SampleSummary[];
}

export type Aggregation = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';

/** How the series of one group combine in each bucket (see AggregateRequest.groupBy). */
export type CrossAggregation = 'avg' | 'min' | 'max' | 'sum' | 'count';

/**
 * What an empty bucket becomes: `none` omits it, `null` emits NaN (null in JSON), `previous` carries
 * the last value forward (sensors that report only on change), `linear` interpolates between
 * neighbouring non-empty buckets.
 */
export type Fill = 'none' | 'null' | 'previous' | 'linear';

/**
 * A bucketed aggregation. The semantics, which every implementation (the engine and the in-memory
 * model used as a test oracle) follows exactly:
 *
 * Buckets. `step` is a positive integer number of ms. When it is a whole number of days, bucket
 * boundaries are local midnights in `timeZone` (default UTC): with local day number D (days since
 * 1970-01-01 in that zone), an n-day bucket starts on day floor(D / n) * n, except that a whole number
 * of weeks starts on Mondays: floor((D - 4) / n) * n + 4 (1970-01-05 was a Monday). Its timestamp is
 * the UTC instant of that local midnight (or the first instant of that local day where midnight was
 * skipped by a DST change), so day buckets are 23 or 25 hours long across DST changes. Shorter
 * steps are aligned to multiples of `step` since the Unix epoch, whatever the zone. The buckets
 * returned run from the one holding `start` to the one holding `end - 1`; only samples with
 * start <= t < end count.
 *
 * Per series, per bucket, `agg` runs over the bucket's samples whose value is not NaN: avg, min, max,
 * sum, count, first (value at the earliest timestamp), last (value at the latest timestamp). A bucket
 * with no such sample is empty.
 *
 * Fill, per series: `none` drops empty buckets; `null` keeps them with NaN; `previous` gives an empty
 * bucket the value of the latest non-empty bucket before it, and empty buckets before the first
 * non-empty one the value of the series' latest non-NaN sample before `start` (of any age) if there
 * is one (else they are dropped) — through the last bucket of the range; `linear` interpolates an
 * empty bucket between two non-empty ones by bucket timestamp, and drops leading and trailing empty
 * buckets. A series appears in the answer only if at least one of its buckets is non-empty after
 * fill (with `null`: only if it has a sample in range).
 *
 * Grouping. Without `groupBy` each series is answered on its own, with all its labels. With `groupBy`
 * (an empty list means one group of every series), series are grouped by their values of those
 * labels (a missing label counts as ""), and in each bucket `crossAgg` (default avg) combines the
 * filled, non-NaN values of the group's series: avg/min/max/sum of the values, count of the series
 * that have one. A group bucket no series contributes to is dropped, or NaN with fill `null`. A
 * group's labels are its non-empty groupBy labels (the metric name only if `__name__` is grouped on).
 *
 * Answers are ordered by labels (compareLabelSets). Limits: more than `maxSeries` matching series
 * with data in range, or more than `maxPoints` buckets in all, is a QueryLimitError; so is a range
 * with more than `maxPoints` buckets for one series.
 */
export interface AggregateRequest extends SelectRequest {
  step: number;
  agg: Aggregation;
  fill?: Fill;
  groupBy?: readonly string[];
  crossAgg?: CrossAggregation;
  /** IANA zone, e.g. 'Europe/Berlin'; only day and week steps depend on it. Default UTC. */
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

/** The latest non-NaN sample of each matching series within [start, end), ordered by labels. */
export interface LatestRequest {
  matchers: readonly Matcher[];
  /** Only samples at or after this time count (default: no bound). */
  start?: number;
  /** Only samples before this time count (default: no bound). */
  end?: number;
  maxSeries?: number;
}

/**
 * Restricts metadata to series that match every matcher and hold data overlapping [start, end)
 * (judged by each series' first and last timestamp). Answers are sorted; `limit` keeps the first ones.
 */
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
  /** Like write; rejections and refs are indexed by series. */
  writeColumns(batch: ColumnarBatch): Promise<WriteResult>;
  select(req: SelectRequest): Promise<SeriesSamples[]>;
  /** Engines that keep block summaries offer this; callers fall back to `select` without it. */
  selectSummarized?(req: SummarizedSelectRequest): Promise<SummarizedSeries[]>;
  aggregate(req: AggregateRequest): Promise<BucketSeries[]>;
  latest(req: LatestRequest): Promise<LatestSample[]>;
  /** Sorted label names of the matching series, `__name__` included. */
  labelNames(req: MetadataRequest): Promise<string[]>;
  /** Sorted values of one label; `__name__` lists metric names. */
  labelValues(name: string, req: MetadataRequest): Promise<string[]>;
  series(req: MetadataRequest): Promise<LabelSet[]>;
  seriesCount(req: MetadataRequest): Promise<number>;
  stats(): EngineStats;
  /** Snapshot, fsync and release files. Further calls reject with EngineClosedError. */
  close(): Promise<void>;
}
