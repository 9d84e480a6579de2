// Start-up: rebuild the head from the newest intact snapshot plus the WAL written after it.
//
// Order of trust: the manifest says which segments are live and how much of the WAL they hold
// (walFlushedTo = F). The newest snapshot that reads back intact gives the memtables that were not in
// segments when it was taken; its sections that a later flush made durable (walTo <= F) are skipped.
// A damaged snapshot is renamed `.damaged` (kept for inspection) and the one before it is used; the
// WAL is kept back far enough for that (see Engine.removeObsoleteWal). The WAL is then replayed from
// max(F, snapshot mark) into the active memtable, which is cut at file boundaries when it grows past
// the head limit so replay never needs more memory than running did.

import { ByteReader } from './encoding/bytes';
import { FileIO } from './fs/io';
import { Head } from './head/head';
import { initialCapacity, Memtable } from './head/memtable';
import { CorruptionError } from './model/errors';
import { EngineLogger, LabelSet } from './model/types';
import { listSnapshots, readSnapshot, Snapshot, snapshotPath } from './snapshot/snapshot';
import { BatchSink, decodeBatch } from './wal/batch-codec';
import { RECORD_BATCH } from './wal/files';
import { replayWal, WalReplayReport } from './wal/replay';

export interface RecoveryInput {
  io: FileIO;
  walDir: string;
  snapshotDir: string;
  /** The manifest's walFlushedTo. */
  flushedTo: number;
  headMaxSamples: number;
  repair: boolean;
  logger?: EngineLogger;
  /** Registers (or finds) a series by labels read from disk; throws InvalidSeriesError for bad ones. */
  seriesId: (labels: LabelSet) => number;
  /** Called for every sample run put into the head (to keep the index and latest values current). */
  noteSamples: (id: number, ts: Float64Array, vs: Float64Array, from: number, to: number) => void;
  /** How many series the engine knows now: memtables size new series buffers by it. */
  seriesCount: () => number;
}

export interface RecoveryResult {
  head: Head;
  /** The WAL index replay started from: the log's next file must not sort below it. */
  replayFrom: number;
  /** WAL marks of the intact snapshots, newest first. */
  snapshots: number[];
  wal: WalReplayReport;
  snapshotSamples: number;
}

export async function recoverHead(input: RecoveryInput): Promise<RecoveryResult> {
  const { io, logger } = input;
  const snapshots = await listSnapshots(io, input.snapshotDir);
  let chosen: Snapshot | undefined;
  const intact: number[] = [];
  for (const mark of snapshots) {
    if (chosen) {
      intact.push(mark);
      continue;
    }
    try {
      chosen = await readSnapshot(io, input.snapshotDir, mark);
      intact.push(mark);
    } catch (e) {
      if (!(e instanceof CorruptionError)) throw e;
      const path = snapshotPath(input.snapshotDir, mark);
      logger?.warn({ file: e.file, offset: e.offset, why: e.detail }, 'snapshot is damaged; falling back to the previous snapshot and the WAL');
      await io.rename(path, `${path}.damaged`);
      await io.fsyncDir(input.snapshotDir);
    }
  }

  const replayFrom = Math.max(input.flushedTo, chosen?.walTo ?? 0);
  const capacity = () => initialCapacity(input.headMaxSamples, input.seriesCount());
  const tables: Memtable[] = [];
  let snapshotSamples = 0;
  for (const section of chosen?.sections ?? []) {
    if (section.walTo <= input.flushedTo) continue;
    const table = new Memtable(section.walFrom, capacity);
    for (const s of section.series) {
      const id = input.seriesId(s.labels);
      table.append(id, s.timestamps, s.values, 0, s.timestamps.length);
      input.noteSamples(id, s.timestamps, s.values, 0, s.timestamps.length);
      snapshotSamples += s.timestamps.length;
    }
    table.freeze(section.walTo);
    tables.push(table);
  }
  const last = tables[tables.length - 1];
  if (last && last.walTo === replayFrom) {
    // The snapshot's active memtable keeps filling from where it stopped.
    last.walTo = Infinity;
  } else {
    tables.push(new Memtable(replayFrom, capacity));
  }
  const head = new Head(tables, capacity);
  if (chosen) logger?.info({ snapshot: chosen.walTo, memtables: tables.length, samples: snapshotSamples }, 'loaded head snapshot');

  let refs: number[] = [];
  // One sink for the whole replay: closures made per record would each be a new call target.
  const known = (ref: number) => refs[ref] !== undefined;
  /** The record being decoded, where a bad definition is reported. */
  let record: ByteReader;
  const sink: BatchSink = {
    define: (ref, labels) => {
      try {
        refs[ref] = input.seriesId(labels);
      } catch (e) {
        record.fail(`series ${ref} has invalid labels: ${(e as Error).message}`);
      }
    },
    samples: (ref, ts, vs, from, to) => {
      const id = refs[ref];
      head.active.append(id, ts, vs, from, to);
      input.noteSamples(id, ts, vs, from, to);
    },
  };
  const t0 = performance.now();
  let lastProgressMs = t0;
  const report = await replayWal({
    dir: input.walDir,
    io,
    fromIndex: replayFrom,
    repair: input.repair,
    logger,
    onFile: (index) => {
      refs = [];
      if (head.active.samples >= input.headMaxSamples && head.active.walFrom < index) head.cut(index);
    },
    onRecord: (type, payload: ByteReader) => {
      if (type !== RECORD_BATCH) payload.fail(`unknown record type ${type}`);
      record = payload;
      decodeBatch(payload, known, sink);
      const now = performance.now();
      if (now - lastProgressMs > 1000) {
        lastProgressMs = now;
        logger?.info({ seconds: (now - t0) / 1000, samples: head.samples }, 'replaying the WAL');
      }
    },
  });
  logger?.info(
    { files: report.files, records: report.records, bytes: report.bytes, seconds: report.durationMs / 1000, tornBytesDropped: report.tornBytesDropped },
    'replayed the WAL',
  );
  if (report.setAsideRecords) {
    logger?.warn({ records: report.setAsideRecords, bytes: report.setAsideBytes, files: report.setAsidePaths }, 'repair set damaged WAL records aside');
  }
  return { head, replayFrom, snapshots: intact, wal: report, snapshotSamples };
}
