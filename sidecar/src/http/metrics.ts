// The sidecar's own metrics for /metrics (Prometheus text format, prom-client): HTTP traffic, ingest
// rates and rejections by reason, query latency, and the engine's figures (WAL fsync latency and
// group size, head, segments, compaction), read from engine.stats() at scrape time.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { EngineObserver, EngineStats } from '../engine/model/types';

/** Where samples came from, as the `format` label says. */
export type IngestFormat = 'influx_v1' | 'influx_v2' | 'remote_write' | 'json';

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class SidecarMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method'>;
  readonly ingestSamples: Counter<'format'>;
  readonly ingestRejectedSamples: Counter<'format' | 'reason'>;
  readonly ingestRejectedLines: Counter<'format'>;
  readonly ingestIgnored: Counter<'format' | 'kind'>;
  readonly queryDuration: Histogram<'endpoint'>;
  readonly walFsyncDuration: Histogram;
  readonly walFsyncRecords: Histogram;
  readonly flushDuration: Histogram;
  readonly compactionDuration: Histogram;
  private stats?: () => EngineStats;

  constructor(version: string) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'sensorstore_build_info', help: 'Always 1; the version label says which build runs.', labelNames: ['version'], registers }).set({ version }, 1);
    this.httpRequests = new Counter({ name: 'sensorstore_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'sensorstore_http_request_duration_seconds',
      help: 'Time from request to the end of the answer.',
      labelNames: ['route', 'method'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.ingestSamples = new Counter({ name: 'sensorstore_ingest_samples_total', help: 'Samples stored, by ingest format.', labelNames: ['format'], registers });
    this.ingestRejectedSamples = new Counter({
      name: 'sensorstore_ingest_rejected_samples_total',
      help: 'Samples not stored, by ingest format and reason (invalid_series, invalid_sample, out_of_retention, cardinality_limit, unsupported).',
      labelNames: ['format', 'reason'],
      registers,
    });
    this.ingestRejectedLines = new Counter({ name: 'sensorstore_ingest_rejected_lines_total', help: 'Line-protocol lines rejected as malformed.', labelNames: ['format'], registers });
    this.ingestIgnored = new Counter({
      name: 'sensorstore_ingest_ignored_total',
      help: 'Parts of remote write requests that are not stored by design (exemplars, metadata).',
      labelNames: ['format', 'kind'],
      registers,
    });
    this.queryDuration = new Histogram({ name: 'sensorstore_query_duration_seconds', help: 'Query latency by endpoint.', labelNames: ['endpoint'], buckets: LATENCY_BUCKETS_S, registers });
    this.walFsyncDuration = new Histogram({ name: 'sensorstore_wal_fsync_duration_seconds', help: 'Latency of each WAL fsync.', buckets: LATENCY_BUCKETS_S, registers });
    this.walFsyncRecords = new Histogram({
      name: 'sensorstore_wal_fsync_group_records',
      help: 'WAL records made durable by one fsync (group commit size).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.flushDuration = new Histogram({ name: 'sensorstore_head_flush_duration_seconds', help: 'Time to flush the head into a segment.', buckets: LATENCY_BUCKETS_S, registers });
    this.compactionDuration = new Histogram({ name: 'sensorstore_compaction_duration_seconds', help: 'Time of each compaction.', buckets: LATENCY_BUCKETS_S, registers });
    this.engineFigures(registers);
  }

  /** Hooks for EngineOptions.observer, feeding the histograms above. */
  observer(): EngineObserver {
    return {
      onFsync: (latencyMs, records) => {
        this.walFsyncDuration.observe(latencyMs / 1000);
        this.walFsyncRecords.observe(records);
      },
      onFlush: (_samples, durationMs) => this.flushDuration.observe(durationMs / 1000),
      onCompaction: (_in, _out, durationMs) => this.compactionDuration.observe(durationMs / 1000),
    };
  }

  /** Where the engine figures come from once the engine is open. */
  readEngineStatsFrom(stats: () => EngineStats): void {
    this.stats = stats;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Gauges and counters whose values are read from engine.stats() at each scrape. */
  private engineFigures(registers: Registry[]): void {
    const read = () => this.stats?.();
    const gauges: Array<[string, string, (s: EngineStats) => number]> = [
      ['sensorstore_head_series', 'Series in the in-memory head.', (s) => s.head.series],
      ['sensorstore_head_samples', 'Samples in the in-memory head.', (s) => s.head.samples],
      ['sensorstore_segments', 'Immutable segment files.', (s) => s.segments.count],
      ['sensorstore_segment_bytes', 'Bytes in segment files.', (s) => s.segments.bytes],
      ['sensorstore_segment_samples', 'Samples in segment files.', (s) => s.segments.samples],
      ['sensorstore_compaction_running', '1 while a compaction runs.', (s) => (s.compaction.running ? 1 : 0)],
      ['sensorstore_compaction_last_duration_seconds', 'Duration of the last compaction.', (s) => s.compaction.lastDurationMs / 1000],
      ['sensorstore_wal_segments', 'WAL files on disk.', (s) => s.wal.segments],
      ['sensorstore_wal_fsync_group_records_avg', 'WAL records per fsync, averaged over the life of the process.', (s) => s.wal.avgGroupSize],
      ['sensorstore_wal_fsync_latency_max_seconds', 'Slowest WAL fsync in the life of the process.', (s) => s.wal.fsyncLatencyMsMax / 1000],
    ];
    for (const [name, help, value] of gauges) {
      new Gauge({
        name,
        help,
        registers,
        collect(this: Gauge) {
          const s = read();
          if (s) this.set(value(s));
        },
      });
    }
    const counters: Array<[string, string, (s: EngineStats) => number]> = [
      ['sensorstore_wal_records_total', 'Records appended to the WAL.', (s) => s.wal.records],
      ['sensorstore_wal_bytes_total', 'Bytes appended to the WAL.', (s) => s.wal.bytes],
      ['sensorstore_wal_fsyncs_total', 'WAL fsyncs.', (s) => s.wal.fsyncs],
      ['sensorstore_compactions_total', 'Compactions run.', (s) => s.compaction.runs],
      ['sensorstore_compaction_bytes_written_total', 'Bytes written by compaction.', (s) => s.compaction.bytesWritten],
    ];
    for (const [name, help, value] of counters) {
      let last = 0;
      new Counter({
        name,
        help,
        registers,
        collect(this: Counter) {
          const s = read();
          if (!s) return;
          // Engine counters only grow; the Counter advances by what they grew since the last scrape.
          const now = value(s);
          if (now > last) this.inc(now - last);
          last = now;
        },
      });
    }
  }
}
