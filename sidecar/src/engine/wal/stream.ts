// Replay's fast path: a WAL file whose frames all check out, up to a tail of zeros or the end of the
// file, replayed through a window of the file that moves along it instead of the whole file read
// into memory. A log file is up to walSegmentBytes, and memory that was never touched costs a page
// fault per 4 KiB; the window is reused from group to group.
//
// Nothing here decides what a frame that does not check out means. At the first one (or a commit
// that does not match its group) streaming stops at the start of that group, which is not applied,
// and says where: replay.ts reads the whole file and goes on from there with the same rules as if it
// had started there. Records are applied exactly as that replay would apply them, one group at a
// time once its commit frame is intact, so stopping and taking over changes nothing.

import { ByteReader } from '../encoding/bytes';
import { crc32, endOfNonZero, FRAME_HEADER_BYTES, readFrame } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileHandle, FileIO } from '../fs/io';
import { CorruptionError } from '../model/errors';
import { RECORD_COMMIT, WAL_HEADER_BYTES, walHeaderProblem } from './files';

/** Bytes read at a time; a group larger than this grows the window. */
const WINDOW_BYTES = 512 * 1024;

/** Where streaming a file ended. */
export type Streamed =
  /** Every frame was applied up to a rest of zeros; the group from `groupStart` never got its commit. */
  | { kind: 'tail'; records: number; groupStart: number; droppedBytes: number; sizeBytes: number }
  /** From the group at `at` on something does not check out (0: the file header). */
  | { kind: 'stopped'; records: number; at: number };

/** Bytes [start, start + length) of a file, read through one buffer. */
class FileWindow {
  private buf: Buffer;
  /** File offset of the first byte held. */
  start = 0;
  length = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(size, WINDOW_BYTES));
  }

  /** The bytes held (a view, valid until the next cover). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /**
   * Makes file bytes [keep, to) available, reading on as far as the window goes. Bytes before
   * `keep` (which must not lie before `start`) may be dropped; `to` must not pass the file's end.
   */
  async cover(keep: number, to: number): Promise<void> {
    if (to <= this.start + this.length) return;
    const kept = Math.max(0, this.start + this.length - keep);
    if (to - keep > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(to - keep, 2 * this.buf.length));
      this.buf.copy(next, 0, this.length - kept, this.length);
      this.buf = next;
    } else if (kept > 0) {
      this.buf.copy(this.buf, 0, this.length - kept, this.length);
    }
    this.start = keep;
    this.length = kept;
    const room = Math.min(this.buf.length, this.size - keep) - kept;
    this.length += await this.fh.read(this.buf.subarray(kept, kept + room), keep + kept, room);
    if (keep + this.length < to) throw new Error(`the file ended at byte ${keep + this.length} while being read`);
  }

  /** Whether file bytes [from, size) are all zeros; reads them through the window. */
  async zerosFrom(from: number): Promise<boolean> {
    for (let p = from; p < this.size; p = this.start + this.length) {
      await this.cover(p, p + 1);
      if (endOfNonZero(this.bytes, p - this.start) > p - this.start) return false;
    }
    return true;
  }

  /** The end of the intact frame at `pos`, or -1; keeps the window from `keep`. */
  async frameAt(keep: number, pos: number): Promise<number> {
    if (pos + FRAME_HEADER_BYTES > this.size) return -1;
    await this.cover(keep, pos + FRAME_HEADER_BYTES);
    // Only a header whose own checksum holds tells how far to read; readFrame checks all of it.
    const at = pos - this.start;
    const header = this.bytes;
    if (crc32(header.subarray(at, at + 12)) !== header.readUInt32LE(at + 12)) return -1;
    const end = pos + FRAME_HEADER_BYTES + header.readUInt32LE(at);
    if (end > this.size) return -1;
    await this.cover(keep, end);
    return readFrame(this.bytes, pos - this.start).kind === 'frame' ? end : -1;
  }
}

async function withWindow<T>(io: FileIO, path: string, use: (w: FileWindow) => Promise<T>): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await io.open(path, 'r');
  } catch (e) {
    throw ioFailure(e, path, 'open');
  }
  try {
    return await use(new FileWindow(fh, await fh.size()));
  } catch (e) {
    if (e instanceof CorruptionError) throw e;
    throw ioFailure(e, path, 'read');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * What a file holds after its header: an intact first frame, nothing but zeros (a preallocated
 * spare never written to), or something else. Reads only as much as it takes to tell.
 */
export function firstContent(io: FileIO, path: string): Promise<'frame' | 'zeros' | 'other'> {
  return withWindow(io, path, async (w) => {
    if ((await w.frameAt(WAL_HEADER_BYTES, WAL_HEADER_BYTES)) >= 0) return 'frame';
    return (await w.zerosFrom(WAL_HEADER_BYTES)) ? 'zeros' : 'other';
  });
}

/**
 * Replays WAL file `index` group by group while everything checks out (see the module comment);
 * `onFile` runs once its header did. A record whose payload is damaged stops start-up as replay.ts
 * does without repair, which is the only mode this is for.
 */
export function streamFile(
  io: FileIO,
  path: string,
  index: number,
  onFile: (index: number) => void,
  onRecord: (type: number, payload: ByteReader) => void,
): Promise<Streamed> {
  return withWindow(io, path, async (w) => {
    await w.cover(0, Math.min(w.size, WAL_HEADER_BYTES));
    if (walHeaderProblem(w.bytes.subarray(0, WAL_HEADER_BYTES), index)) return { kind: 'stopped', records: 0, at: 0 };
    onFile(index);
    let records = 0;
    let pending: Array<{ type: number; offset: number; end: number }> = [];
    let groupStart = WAL_HEADER_BYTES;
    let pos = WAL_HEADER_BYTES;
    for (let end = await w.frameAt(groupStart, pos); end >= 0; end = await w.frameAt(groupStart, pos)) {
      const type = w.bytes[pos - w.start + 4];
      const frame = { type, offset: pos, end };
      pos = end;
      if (type !== RECORD_COMMIT) {
        pending.push(frame);
        continue;
      }
      const committed = new ByteReader(w.bytes, path, w.start, frame.offset + FRAME_HEADER_BYTES - w.start, end - w.start).uvarint();
      if (committed !== pending.length) return { kind: 'stopped', records, at: groupStart };
      for (const f of pending) {
        try {
          onRecord(f.type, new ByteReader(w.bytes, path, w.start, f.offset + FRAME_HEADER_BYTES - w.start, f.end - w.start));
        } catch (e) {
          if (!(e instanceof CorruptionError)) throw e;
          throw new CorruptionError(path, f.offset, `${e.detail}; start with repair to set the damaged part aside`);
        }
        records++;
      }
      pending = [];
      groupStart = end;
    }
    // Frames stop at `pos`: the end of the log if only zeros follow. What the unfinished group wrote
    // is still in the window, which holds everything from groupStart.
    const from = groupStart - w.start;
    const droppedBytes = endOfNonZero(w.bytes.subarray(0, pos - w.start), from) - from;
    if (!(await w.zerosFrom(pos))) return { kind: 'stopped', records, at: groupStart };
    return { kind: 'tail', records, groupStart, droppedBytes, sizeBytes: w.size };
  });
}
