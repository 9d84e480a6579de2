// The WAL writer: group commit into segmented, checksummed log files.
//
// Invariants:
// - One pump at a time writes: batches queued while a group is being written and fsynced form the
//   next group, so concurrent writers share one write() and one fsync().
// - A batch is one frame, so after any crash it is wholly present or wholly absent.
// - `apply` runs for each batch, in log order, once its group is durable per the durability mode and
//   before the batch's promise resolves; the head therefore only ever holds what the log holds, and
//   replay reproduces the same order (and so the same last-write-wins outcome).
// - Rotation (and the callback that goes with it) happens between groups: when rotate() calls back,
//   every record in files below the new index has been applied, and none after it.
//
// Fault model: a failed write (ENOSPC, EIO) rejects its group and truncates the file back to where
// the group began, so the log never holds a partial group; later writes may succeed once space
// returns. A failed fsync leaves the page cache in an unknown state (PostgreSQL's "fsyncgate"): the
// writer never retries it and fails every later write until the process restarts and replays.

import { ByteWriter } from '../encoding/bytes';
import { writeFrame } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileHandle, FileIO } from '../fs/io';
import { EngineError, EngineFailedError } from '../model/errors';
import { Durability } from '../model/options';
import { EngineObserver, LabelSet } from '../model/types';
import { BatchEntry, encodeBatch, FileSeriesDefinitions } from './batch-codec';
import { encodeWalHeader, RECORD_BATCH, WAL_HEADER_BYTES, walIndexOf, walPath } from './files';

export interface WalWriterOptions {
  dir: string;
  io: FileIO;
  durability: Durability;
  segmentBytes: number;
  labelsOf: (id: number) => LabelSet;
  /** Runs synchronously for each durable batch, in log order. */
  apply: (entries: readonly BatchEntry[]) => void;
  observer?: EngineObserver;
}

export interface WalStats {
  records: number;
  bytes: number;
  fsyncs: number;
  /** Records per fsync over the life of the process. */
  avgGroupSize: number;
  fsyncLatencyMsAvg: number;
  fsyncLatencyMsMax: number;
  /** WAL files on disk. */
  segments: number;
}

interface Pending {
  entries: readonly BatchEntry[];
  resolve: () => void;
  reject: (e: Error) => void;
}

interface RotateRequest {
  run: (newIndex: number) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class WalWriter {
  private file!: FileHandle;
  private fileIndex = 0;
  private fileBytes = 0;
  private readonly files: number[];
  private readonly defs = new FileSeriesDefinitions();
  private readonly buf = new ByteWriter(1 << 20);
  private queue: Pending[] = [];
  private rotations: RotateRequest[] = [];
  private pumping = false;
  private lastSyncAtMs = 0;
  private failure?: EngineError;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = { records: 0, bytes: 0, fsyncs: 0, syncedRecords: 0, fsyncMsTotal: 0, fsyncMsMax: 0 };

  private constructor(
    private readonly opts: WalWriterOptions,
    existing: number[],
  ) {
    this.files = existing;
  }

  /** Opens a fresh file after the existing ones (never appends to a file written by an earlier run). */
  static async open(opts: WalWriterOptions): Promise<WalWriter> {
    await opts.io.mkdir(opts.dir);
    const existing = (await opts.io.readdir(opts.dir)).map(walIndexOf).filter((i): i is number => i !== undefined);
    const w = new WalWriter(opts, existing);
    await w.openFile(existing.length ? Math.max(...existing) + 1 : 1);
    return w;
  }

  get currentIndex(): number {
    return this.fileIndex;
  }

  /** Set once an fsync failed; every write is refused from then on. */
  get failed(): EngineError | undefined {
    return this.failure;
  }

  /** Queues a batch; resolves once it is durable per the durability mode and applied. */
  append(entries: readonly BatchEntry[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entries, resolve, reject });
      this.kick();
    });
  }

  /**
   * Starts a new file between two groups and runs `run(newIndex)` synchronously at that point: all
   * records in files below newIndex have been applied, none in newIndex yet.
   */
  rotate<T>(run: (newIndex: number) => T): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.rotations.push({ run, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Removes WAL files with an index below `index` (never the current one). */
  async removeBefore(index: number): Promise<void> {
    const doomed = this.files.filter((i) => i < index && i !== this.fileIndex);
    for (const i of doomed) {
      try {
        await this.opts.io.unlink(walPath(this.opts.dir, i));
      } catch (e) {
        throw ioFailure(e, walPath(this.opts.dir, i), 'unlink');
      }
      this.files.splice(this.files.indexOf(i), 1);
    }
    if (doomed.length) await this.opts.io.fsyncDir(this.opts.dir);
  }

  stats(): WalStats {
    const c = this.counters;
    return {
      records: c.records,
      bytes: c.bytes,
      fsyncs: c.fsyncs,
      avgGroupSize: c.fsyncs ? c.syncedRecords / c.fsyncs : 0,
      fsyncLatencyMsAvg: c.fsyncs ? c.fsyncMsTotal / c.fsyncs : 0,
      fsyncLatencyMsMax: c.fsyncMsMax,
      segments: this.files.length,
    };
  }

  /** Waits for queued writes, fsyncs and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.idle();
    this.closed = true;
    try {
      if (!this.failure) await this.syncOrFail(this.file);
    } finally {
      await this.file.close();
    }
  }

  private idle(): Promise<void> {
    if (!this.pumping && this.queue.length === 0 && this.rotations.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    while (this.queue.length || this.rotations.length) {
      if (this.rotations.length) {
        await this.runRotation(this.rotations.shift()!);
        continue;
      }
      if (this.opts.durability.mode === 'interval') {
        const waitMs = this.lastSyncAtMs + this.opts.durability.intervalMs - Date.now();
        if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      }
      const group = this.queue;
      this.queue = [];
      await this.commit(group);
    }
    this.pumping = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async commit(group: Pending[]): Promise<void> {
    if (this.failure) {
      for (const p of group) p.reject(this.failure);
      return;
    }
    if (this.fileBytes >= this.opts.segmentBytes) {
      try {
        await this.switchFile();
      } catch (e) {
        for (const p of group) p.reject(e as Error);
        return;
      }
    }
    this.buf.reset();
    for (const p of group) {
      writeFrame(this.buf, RECORD_BATCH, (w) => encodeBatch(w, p.entries, this.defs, this.opts.labelsOf));
    }
    const data = this.buf.bytes();
    const startBytes = this.fileBytes;
    try {
      // Positional: after a failed write is cut back, the next group lands exactly at the cut.
      await this.file.write(data, startBytes);
    } catch (e) {
      const err = ioFailure(e, this.file.path, 'write');
      await this.undoPartialWrite(startBytes);
      // The definitions this group carried never reached the file: the next record defines again.
      this.defs.reset();
      for (const p of group) p.reject(err);
      return;
    }
    this.fileBytes += data.length;
    this.counters.records += group.length;
    this.counters.bytes += data.length;
    if (this.opts.durability.mode !== 'none') {
      const t0 = performance.now();
      try {
        await this.syncOrFail(this.file);
      } catch (e) {
        for (const p of group) p.reject(e as Error);
        return;
      }
      const ms = performance.now() - t0;
      this.lastSyncAtMs = Date.now();
      this.counters.fsyncs++;
      this.counters.syncedRecords += group.length;
      this.counters.fsyncMsTotal += ms;
      this.counters.fsyncMsMax = Math.max(this.counters.fsyncMsMax, ms);
      this.opts.observer?.onFsync?.(ms, group.length);
    }
    for (const p of group) {
      this.opts.apply(p.entries);
      p.resolve();
    }
  }

  private async undoPartialWrite(length: number): Promise<void> {
    try {
      await this.file.truncate(length);
    } catch (e) {
      this.failure = new EngineFailedError(
        `could not cut ${this.file.path} back to ${length} bytes after a failed write (${(e as Error).message}); no further writes are acknowledged`,
        { cause: e },
      );
    }
  }

  private async runRotation(req: RotateRequest): Promise<void> {
    try {
      await this.switchFile();
    } catch (e) {
      req.reject(e as Error);
      return;
    }
    try {
      req.resolve(req.run(this.fileIndex));
    } catch (e) {
      req.reject(e as Error);
    }
  }

  /** fsync; a failure is final (see the fault model above). */
  private async syncOrFail(file: FileHandle): Promise<void> {
    try {
      await file.sync();
    } catch (e) {
      this.failure = new EngineFailedError(
        `fsync of ${file.path} failed (${(e as Error).message}); no further writes are acknowledged — restart the process to recover from the log`,
        { cause: e },
      );
      throw this.failure;
    }
  }

  /** Closes the current file (fsynced) and opens the next one. */
  private async switchFile(): Promise<void> {
    await this.syncOrFail(this.file);
    const next = this.fileIndex + 1;
    const old = this.file;
    await this.openFile(next);
    await old.close();
  }

  private async openFile(index: number): Promise<void> {
    const path = walPath(this.opts.dir, index);
    let handle: FileHandle;
    try {
      handle = await this.opts.io.open(path, 'w');
      await handle.write(encodeWalHeader(index), 0);
      await handle.sync();
      await this.opts.io.fsyncDir(this.opts.dir);
    } catch (e) {
      throw ioFailure(e, path, 'create');
    }
    this.file = handle;
    this.fileIndex = index;
    this.fileBytes = WAL_HEADER_BYTES;
    this.defs.reset();
    if (!this.files.includes(index)) this.files.push(index);
  }
}
