// What the benchmark needs to know about each system under test: how to start it on a data
// directory and port, when it is ready, where each ingest format goes, and how to ask it things.
import { IngestFormat } from '../bodies';
import { PreparedQuery, QueryId, QuerySpec } from '../queries';

export type TargetId = 'sidecar' | 'influxdb' | 'prometheus';

/** A query dialect a target answers in; the sidecar speaks two. */
export type Dialect = 'native' | 'influxql' | 'promql';

export interface Launch {
  command: string;
  args: string[];
}

export interface Target {
  id: TargetId;
  /** Shown in the report, e.g. "InfluxDB 1.6.7". */
  title: string;
  /** The version string the binary reports. */
  version(): string;
  formats: readonly IngestFormat[];
  /**
   * Writes any config into dir and says how to start the server with every file it stores under
   * `dir/data` (which is what the benchmark measures on disk).
   */
  launch(dir: string, port: number): Promise<Launch>;
  /** Path that answers 2xx once the server is ready to serve reads and writes. */
  readyPath: string;
  /** One-off setup on a fresh data directory (e.g. creating the database). */
  setup(baseUrl: string): Promise<void>;
  /** Where a format's bodies are posted. */
  writeEndpoint(format: IngestFormat): { path: string; headers: Record<string, string> };
  count(baseUrl: string, spec: QuerySpec, where: string): Promise<number>;
  /** The dialects the benchmark queries run in: the main one first. */
  dialects: readonly Dialect[];
  query(dialect: Dialect, baseUrl: string, id: QueryId, spec: QuerySpec, where: string): PreparedQuery;
  /** True while the server reports background work that changes its files (compaction). */
  busy(baseUrl: string): Promise<boolean>;
}
