// How an engine is opened: every knob the sidecar's configuration can set, with its default.

import { EngineLogger, EngineObserver } from './types';
import { FileIO } from '../fs/io';
import { InvalidOptionError } from './errors';

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

const POSITIVE = ['walSegmentBytes', 'headMaxSamples', 'partitionMs', 'maxSeries'] as const;
const NON_NEGATIVE = ['snapshotIntervalMs', 'compactionIntervalMs', 'idleFlushMs', 'blockCacheBytes'] as const;

/** InvalidOptionError naming the first option that is out of range. */
export function validateOptions(o: EngineOptions): void {
  if (typeof o.dataDir !== 'string' || o.dataDir === '') throw new InvalidOptionError('dataDir', 'must be a non-empty path');
  for (const key of POSITIVE) integer(key, o[key], 1);
  for (const key of NON_NEGATIVE) integer(key, o[key], 0);
  const d = o.durability;
  if (d !== undefined) {
    if (!['fsync', 'interval', 'none'].includes(d.mode)) throw new InvalidOptionError('durability.mode', `must be fsync, interval or none, got ${JSON.stringify(d.mode)}`);
    if (d.mode === 'interval') integer('durability.intervalMs', d.intervalMs, 1, true);
  }
  const r = o.retention;
  if (r === undefined) return;
  integer('retention.maxAgeMs', r.maxAgeMs, 1);
  integer('retention.maxBytes', r.maxBytes, 1);
  (r.rules ?? []).forEach((rule, i) => {
    if (typeof rule.metric !== 'string' || rule.metric === '') throw new InvalidOptionError(`retention.rules[${i}].metric`, 'must be a non-empty glob');
    integer(`retention.rules[${i}].maxAgeMs`, rule.maxAgeMs, 1, true);
  });
}

function integer(option: string, value: number | undefined, min: number, required = false): void {
  if (value === undefined && !required) return;
  if (!Number.isSafeInteger(value) || value! < min) throw new InvalidOptionError(option, `must be an integer of at least ${min}, got ${value}`);
}
