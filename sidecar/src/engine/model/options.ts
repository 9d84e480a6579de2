// How an engine is opened: every knob the sidecar's configuration can set, with its default.

import { EngineLogger, EngineObserver } from './types';
import { FileIO } from '../fs/io';

/**
 * When a write is acknowledged:
 * - `fsync` (default): after the group commit that holds its record has been fsynced.
 * - `interval`: the log is fsynced at most every `intervalMs`; a write is still acknowledged only
 *   after the fsync that covers it (more writes share each fsync, each waits up to `intervalMs`).
 * - `none`: at once, before any fsync. A crash (power loss, kernel panic) can lose the writes of the
 *   last seconds; a killed process loses nothing the OS already has.
 */
export type Durability = { mode: 'fsync' } | { mode: 'interval'; intervalMs: number } | { mode: 'none' };

/** Keep samples of metrics whose name matches `metric` (a glob: `*` any run, `?` one char) for `maxAgeMs`. */
export interface RetentionRule {
  metric: string;
  maxAgeMs: number;
}

export interface RetentionOptions {
  /** Samples older than now - maxAgeMs disappear from reads and are removed from disk. */
  maxAgeMs?: number;
  /**
   * Oldest segments are dropped when the data directory (segments, WAL and snapshots, preallocated
   * WAL space included) takes more than this many bytes. The WAL and snapshots hold data not yet in
   * segments and are never dropped, so they shrink what segments may keep.
   */
  maxBytes?: number;
  /** Per-metric rules; the first rule whose glob matches wins over `maxAgeMs`. */
  rules?: readonly RetentionRule[];
}

export interface EngineOptions {
  dataDir: string;
  /** Defaults to the real file system; tests pass a fault-injecting one. */
  io?: FileIO;
  durability?: Durability;
  /** The WAL rotates to a new file past this size (files are preallocated to it). Default 16 MiB. */
  walSegmentBytes?: number;
  /** A head snapshot is written this often (and on close). Default 5 minutes; 0 disables the timer. */
  snapshotIntervalMs?: number;
  /** The head is flushed into a segment once it holds this many samples. Default 1,000,000. */
  headMaxSamples?: number;
  /** Small segments are merged in the background; 0 disables the timer (compact() still works). Default 60 s. */
  compactionIntervalMs?: number;
  /**
   * After this long without writes, the head is flushed, segments are merged and the WAL's
   * preallocated space is given back, so an idle store takes its compact size on disk and restarts
   * without replay. Default 30 s; 0 disables it.
   */
  idleFlushMs?: number;
  /** Width of the time partitions compaction writes. Default 1 day. */
  partitionMs?: number;
  retention?: RetentionOptions;
  /** Cardinality limit: writes that would create more series are rejected. Default 1,000,000. */
  maxSeries?: number;
  /** Bytes of decoded-block cache shared by queries. Default 64 MiB. */
  blockCacheBytes?: number;
  /** Move damaged WAL and snapshot parts aside instead of refusing to start. */
  repair?: boolean;
  logger?: EngineLogger;
  observer?: EngineObserver;
  /** The clock for retention; tests pass a fixed one. */
  now?: () => number;
}
