// The live segments: open readers for what the manifest lists, each mapped to engine series ids,
// and reference counts so no file is closed or deleted while a query still reads it.
//
// Invariants:
// - `live` holds exactly the manifest's segments, in ascending seq (precedence) order.
// - A reader is closed and its file unlinked only after it left `live` (the manifest no longer lists
//   it) and the last view holding it was released.

import { join } from 'node:path';
import { ioFailure } from './fs/errors';
import { FileIO } from './fs/io';
import { ManifestSegment } from './manifest/manifest';
import { EngineLogger, LabelSet } from './model/types';
import { BlockCache } from './segment/cache';
import { SegmentReader } from './segment/reader';
import { LabelCache } from './segment/segment-index';

/** Where repair moves segment files that no manifest lists (under segments/). */
export const UNLISTED_DIR = 'unlisted';

const NAME_RE = /^(\d{10})-L(\d+)\.seg$/;

/** The file name of segment `seq` at `level`: names sort in seq order. */
export function segmentName(seq: number, level: number): string {
  return `${String(seq).padStart(10, '0')}-L${level}.seg`;
}

/** The seq of a finished segment's file name, or undefined for any other name. */
export function segmentSeqOf(name: string): number | undefined {
  const m = NAME_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export class LiveSegment {
  /** When this process opened it: how long a flushed segment has waited for compaction. */
  readonly openedAtMs = Date.now();
  private refs = 1;
  private retired = false;
  /** local[id] = index of series `id` in reader.series, or -1. */
  private local: Int32Array;

  constructor(
    readonly entry: ManifestSegment,
    readonly reader: SegmentReader,
    /** ids[i] = engine id of reader.series[i]. */
    readonly ids: Int32Array,
  ) {
    let max = -1;
    for (let i = 0; i < ids.length; i++) max = Math.max(max, ids[i]);
    this.local = new Int32Array(max + 1).fill(-1);
    for (let i = 0; i < ids.length; i++) this.local[ids[i]] = i;
  }

  /** Index of series `id` in this segment, or -1. */
  localOf(id: number): number {
    return id < this.local.length ? this.local[id] : -1;
  }

  acquire(): void {
    this.refs++;
  }

  /** Drops one reference; returns true when the segment is retired and nobody reads it any more. */
  release(): boolean {
    this.refs--;
    return this.retired && this.refs === 0;
  }

  /** Leaves the live set: drops the set's own reference. */
  retire(): boolean {
    this.retired = true;
    return this.release();
  }
}

/** A consistent set of live segments for one query; release() it when done. */
export interface SegmentView {
  segments: readonly LiveSegment[];
  release(): void;
}

export class SegmentStore {
  private live: LiveSegment[] = [];

  constructor(
    private readonly io: FileIO,
    readonly dir: string,
    readonly cache: BlockCache,
    private readonly logger?: EngineLogger,
  ) {}

  get segments(): readonly LiveSegment[] {
    return this.live;
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.live) n += s.entry.sizeBytes;
    return n;
  }

  get samples(): number {
    let n = 0;
    for (const s of this.live) n += s.entry.samples;
    return n;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Opens a listed segment; `seriesId` registers each of its series. Readers check header, footer
   * and index, so damage is reported here, by file and offset.
   */
  /** `seriesId(labels, i)`: the engine id of the segment's i-th series (in the file's order). */
  async open(entry: ManifestSegment, seriesId: (labels: LabelSet, i: number) => number, labels?: LabelCache): Promise<LiveSegment> {
    const reader = await SegmentReader.open(this.io, this.path(entry.name), { cache: this.cache, labels });
    const ids = new Int32Array(reader.series.length);
    for (let i = 0; i < ids.length; i++) ids[i] = seriesId(reader.series[i].labels, i);
    return new LiveSegment(entry, reader, ids);
  }

  /** Replaces `removed` by `added` in the live set (after the manifest saying so is installed). */
  async swap(added: readonly LiveSegment[], removed: readonly LiveSegment[]): Promise<void> {
    const gone = new Set(removed);
    this.live = [...this.live.filter((s) => !gone.has(s)), ...added].sort((a, b) => a.entry.seq - b.entry.seq);
    for (const s of removed) if (s.retire()) await this.dispose(s);
  }

  view(): SegmentView {
    const segments = this.live.slice();
    for (const s of segments) s.acquire();
    let released = false;
    return {
      segments,
      release: () => {
        if (released) return;
        released = true;
        for (const s of segments) {
          if (s.release()) void this.dispose(s);
        }
      },
    };
  }

  /**
   * Segment files the manifest does not list: outputs of a flush or compaction killed before its
   * manifest was installed (finished, or still `.tmp`), or inputs whose removal a crash cut short.
   */
  async strays(listed: ReadonlySet<string>): Promise<string[]> {
    await this.io.mkdir(this.dir);
    return (await this.io.readdir(this.dir)).filter((n) => segmentSeqOf(n.replace(/\.tmp$/, '')) !== undefined && !listed.has(n));
  }

  async remove(name: string): Promise<void> {
    try {
      await this.io.unlink(this.path(name));
    } catch (e) {
      throw ioFailure(e, this.path(name), 'unlink');
    }
  }

  async closeAll(): Promise<void> {
    for (const s of this.live) await s.reader.close();
    this.live = [];
  }

  private async dispose(s: LiveSegment): Promise<void> {
    try {
      await s.reader.close();
      await this.remove(s.entry.name);
      await this.io.fsyncDir(this.dir);
    } catch (e) {
      // The manifest no longer lists the file, so start-up removes it if this did not.
      this.logger?.warn({ file: this.path(s.entry.name), err: (e as Error).message }, 'could not remove a retired segment');
    }
  }
}
