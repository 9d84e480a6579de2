// The WAL writer: group commit into segmented, preallocated, checksummed log files.
//
// Invariants:
// - One pump at a time writes: batches queued while a group is being written and synced form the
//   next group, so concurrent writers share one write() and one fdatasync().
// - A group is its batch frames followed by a commit frame, written with one write() call. Replay
//   applies a group only when its commit frame is intact, so a group the process never finished
//   writing is recognised as torn even inside preallocated (zero-filled) space, and damage to any
//   batch of a finished group is recognised as damage.
// - A batch is one frame, so after any crash it is wholly present or wholly absent.
// - `apply` runs for each batch, in log order, once its group is durable per the durability mode and
//   before the batch's promise resolves; the head therefore only ever holds what the log holds, and
//   replay reproduces the same order (and so the same last-write-wins outcome).
// - Rotation (and the callback that goes with it) happens between groups: when rotate() calls back,
//   every record in files below the new index has been applied, and none after it.
// - Files are preallocated with zeros a few MiB ahead of the write position, in the background (the
//   next file's first stretch too), so a group sync writes into space the file already owns and
//   fdatasync needs no journal commit. A group never writes where a preallocation is still under
//   way. A file is cut back to the bytes it holds before the writer moves on, so only the newest file
//   can end in unused zeros.
//
// Fault model: a failed write (ENOSPC, EIO) rejects its group and the group's bytes are zeroed out
// again, so the log never holds a partial group; later writes may succeed once space returns. A
// failed fsync leaves the page cache in an unknown state (PostgreSQL's "fsyncgate"): the writer never
// retries it and fails every later write until the process restarts and replays.

import { ByteWriter } from '../encoding/bytes';
import { writeFrame } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileHandle, FileIO } from '../fs/io';
import { EngineError, EngineFailedError } from '../model/errors';
import { Durability } from '../model/options';
import { EngineLogger, EngineObserver, LabelSet } from '../model/types';
import { encodeBatch, FileSeriesDefinitions, PreparedBatch } from './batch-codec';
import { encodeWalHeader, RECORD_BATCH, RECORD_COMMIT, WAL_HEADER_BYTES, walIndexOf, walPath } from './files';

export interface WalWriterOptions {
  dir: string;
  io: FileIO;
  durability: Durability;
  segmentBytes: number;
  labelsOf: (id: number) => LabelSet;
  /** Runs synchronously for each durable batch, in log order. */
  apply: (batch: PreparedBatch) => void;
  observer?: EngineObserver;
  logger?: EngineLogger;
  /**
   * The lowest index the first file may take: recovery's replay start. Indices never go back, or a
   * new file could sort below what segments and snapshots already cover and be skipped on replay.
   */
  minIndex?: number;
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
  batch: PreparedBatch;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Work that runs between two groups (a rotation, a trim), in the order it was asked for. */
interface Barrier {
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const ZERO_CHUNK = Buffer.alloc(1 << 20);
/** Zeros are added this far ahead of the write position, and when less than half of it is left. */
const PREALLOCATE_BYTES = 4 << 20;

export class WalWriter {
  private file!: FileHandle;
  private fileIndex = 0;
  /** Bytes of the current file that hold the header and committed groups. */
  private fileBytes = 0;
  /** Bytes of the current file that exist on disk (preallocated zeros beyond fileBytes). */
  private fileAllocated = 0;
  /** A preallocation of the current file under way. */
  private extending?: Promise<void>;
  /** The next file, being created and zero-filled in the background. */
  private spare?: Promise<FileHandle | undefined>;
  private readonly files: number[];
  private readonly defs = new FileSeriesDefinitions();
  private readonly buf = new ByteWriter(1 << 20);
  private queue: Pending[] = [];
  private barriers: Barrier[] = [];
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
    const index = Math.max(opts.minIndex ?? 1, existing.length ? Math.max(...existing) + 1 : 1);
    w.use(await w.createFile(index, true), index, w.firstStretch());
    w.prepareSpare();
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
  append(batch: PreparedBatch): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.kick();
    });
  }

  /**
   * Starts a new file between two groups and runs `run(newIndex)` synchronously at that point: all
   * records in files below newIndex have been applied, none in newIndex yet.
   */
  rotate<T>(run: (newIndex: number) => T): Promise<T> {
    return this.between(async () => {
      await this.switchFile();
      return run(this.fileIndex);
    });
  }

  /**
   * Gives back the preallocated space (the current file is cut to what it holds, the spare is
   * removed) while ingest is idle; it is preallocated again when writes resume.
   */
  trim(): Promise<void> {
    return this.between(async () => {
      await this.extending;
      if (this.fileAllocated > this.fileBytes) {
        try {
          await this.file.truncate(this.fileBytes);
        } catch (e) {
          throw ioFailure(e, this.file.path, 'truncate');
        }
        await this.syncOrFail(this.file, 'full');
        this.fileAllocated = this.fileBytes;
      }
      await this.dropSpare();
    });
  }

  private between<T>(run: () => Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.barriers.push({ run, resolve: resolve as (v: unknown) => void, reject });
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

  /** Waits for queued writes, cuts the file to what it holds, fsyncs, closes, drops the spare. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.idle();
    this.closed = true;
    try {
      await this.extending;
      if (!this.failure) {
        if (this.fileAllocated > this.fileBytes) await this.file.truncate(this.fileBytes);
        await this.syncOrFail(this.file, 'full');
      }
    } finally {
      await this.file.close();
      await this.dropSpare();
    }
  }

  private idle(): Promise<void> {
    if (!this.pumping && this.queue.length === 0 && this.barriers.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    while (this.queue.length || this.barriers.length) {
      try {
        if (this.barriers.length) {
          const b = this.barriers.shift()!;
          await b.run().then(b.resolve, b.reject);
          continue;
        }
        if (this.opts.durability.mode === 'interval') {
          const waitMs = this.lastSyncAtMs + this.opts.durability.intervalMs - Date.now();
          if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
        }
        const group = this.queue;
        this.queue = [];
        await this.commit(group);
      } catch (e) {
        // Nothing above may throw; if something does, no later write may be acknowledged either.
        this.failure ??= new EngineFailedError(`the WAL writer failed: ${(e as Error).message}`, { cause: e });
      }
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
      writeFrame(this.buf, RECORD_BATCH, (w) => encodeBatch(w, p.batch, this.defs, this.opts.labelsOf));
    }
    writeFrame(this.buf, RECORD_COMMIT, (w) => w.uvarint(group.length));
    const data = this.buf.bytes();
    const startBytes = this.fileBytes;
    // Never write where zeros are still being laid down.
    if (this.extending && startBytes + data.length > this.fileAllocated) await this.extending;
    try {
      // Positional: after a failed write is undone, the next group lands exactly where it began.
      await this.file.write(data, startBytes);
    } catch (e) {
      const err = ioFailure(e, this.file.path, 'write');
      await this.undoPartialWrite(startBytes, data.length);
      // The definitions this group carried never reached the file: the next record defines again.
      this.defs.reset();
      for (const p of group) p.reject(err);
      return;
    }
    this.fileBytes += data.length;
    this.fileAllocated = Math.max(this.fileAllocated, this.fileBytes);
    this.preallocateAhead();
    this.counters.records += group.length;
    this.counters.bytes += data.length;
    if (this.opts.durability.mode !== 'none') {
      const t0 = performance.now();
      try {
        await this.syncOrFail(this.file, 'data');
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
      this.opts.apply(p.batch);
      p.resolve();
    }
  }

  /**
   * Removes what a failed write may have left: zeros over the preallocated part (a partial group
   * there must not look like data), a cut where the file had grown. Failing that, the state of the
   * file is unknown and the writer stops acknowledging.
   */
  private async undoPartialWrite(start: number, length: number): Promise<void> {
    try {
      const inPlace = Math.min(this.fileAllocated, start + length) - start;
      if (inPlace > 0) await this.file.write(Buffer.alloc(inPlace), start);
      if (start + length > this.fileAllocated) await this.file.truncate(Math.max(start, this.fileAllocated));
    } catch (e) {
      this.failure = new EngineFailedError(
        `could not undo a failed write in ${this.file.path} at byte ${start} (${(e as Error).message}); no further writes are acknowledged`,
        { cause: e },
      );
    }
  }

  /** Adds zeros past the allocated end in the background when less than half a stretch is left. */
  private preallocateAhead(): void {
    if (this.extending || this.fileAllocated - this.fileBytes >= PREALLOCATE_BYTES / 2 || this.fileAllocated >= this.opts.segmentBytes) return;
    const file = this.file;
    const from = this.fileAllocated;
    const to = Math.min(this.opts.segmentBytes, from + PREALLOCATE_BYTES);
    this.extending = (async () => {
      try {
        await writeZeros(file, from, to);
        await file.sync();
        if (this.file === file) this.fileAllocated = Math.max(this.fileAllocated, to);
      } catch (e) {
        // Not fatal: groups append past the allocated end (slower syncs) until space returns.
        this.opts.logger?.warn({ file: file.path, err: (e as Error).message }, 'could not preallocate WAL space');
      } finally {
        this.extending = undefined;
      }
    })();
  }

  /** fsync or fdatasync; a failure is final (see the fault model above). */
  private async syncOrFail(file: FileHandle, kind: 'data' | 'full'): Promise<void> {
    try {
      await (kind === 'data' ? file.datasync() : file.sync());
    } catch (e) {
      this.failure = new EngineFailedError(
        `fsync of ${file.path} failed (${(e as Error).message}); no further writes are acknowledged — restart the process to recover from the log`,
        { cause: e },
      );
      throw this.failure;
    }
  }

  /**
   * Cuts the current file to the bytes it holds and makes that durable, then moves to the spare (or
   * a new file if the spare could not be made) and starts the next spare.
   */
  private async switchFile(): Promise<void> {
    if (this.failure) throw this.failure;
    const old = this.file;
    try {
      if (this.fileAllocated > this.fileBytes) await old.truncate(this.fileBytes);
    } catch (e) {
      throw ioFailure(e, old.path, 'truncate');
    }
    await this.extending;
    await this.syncOrFail(old, 'full');
    const index = this.fileIndex + 1;
    const spare = await this.spare;
    this.spare = undefined;
    if (spare) {
      this.use(spare, index, this.firstStretch());
    } else {
      // No spare (the disk was full while making it): a plain file, appended to until space returns.
      this.use(await this.createFile(index, false), index, WAL_HEADER_BYTES);
    }
    await old.close();
    this.prepareSpare();
  }

  private use(handle: FileHandle, index: number, allocated: number): void {
    this.file = handle;
    this.fileIndex = index;
    this.fileBytes = WAL_HEADER_BYTES;
    this.fileAllocated = allocated;
    this.defs.reset();
    if (!this.files.includes(index)) this.files.push(index);
  }

  /** Creates the file after the current one in the background; undefined if that fails. */
  private prepareSpare(): void {
    const index = this.fileIndex + 1;
    this.spare = this.createFile(index, true).catch((e) => {
      this.opts.logger?.warn({ file: walPath(this.opts.dir, index), err: (e as Error).message }, 'could not preallocate the next WAL file; it is created when needed');
      return undefined;
    });
  }

  private async dropSpare(): Promise<void> {
    const spare = await this.spare;
    this.spare = undefined;
    // The next switch creates a plain file and preallocates it as it fills.
    if (!spare) return;
    await spare.close();
    await this.opts.io.unlink(spare.path).catch(() => undefined);
  }

  /** The size of a new file's first preallocated stretch. */
  private firstStretch(): number {
    return Math.max(WAL_HEADER_BYTES, Math.min(this.opts.segmentBytes, PREALLOCATE_BYTES));
  }

  /** Writes a file's header (and with `preallocate`, its first stretch of zeros) and makes it durable. */
  private async createFile(index: number, preallocate: boolean): Promise<FileHandle> {
    const path = walPath(this.opts.dir, index);
    let handle: FileHandle | undefined;
    try {
      handle = await this.opts.io.open(path, 'w');
      await handle.write(encodeWalHeader(index), 0);
      if (preallocate) await writeZeros(handle, WAL_HEADER_BYTES, this.firstStretch());
      await handle.sync();
      await this.opts.io.fsyncDir(this.opts.dir);
      return handle;
    } catch (e) {
      if (handle) await handle.close().catch(() => undefined);
      await this.opts.io.unlink(path).catch(() => undefined);
      throw ioFailure(e, path, 'create');
    }
  }
}

async function writeZeros(file: FileHandle, from: number, to: number): Promise<void> {
  for (let at = from; at < to; at += ZERO_CHUNK.length) await file.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, to - at)), at);
}
