// Replays the WAL at start-up, cutting a torn tail and refusing (or, with repair, setting aside)
// damage anywhere else.
//
// What counts as what (layout and reasons in FORMAT.md): the log's end is the last file that holds
// an intact frame. There, a group without its intact commit frame — bytes that stop early, or whose
// frames do not check out with nothing intact after them — is a torn write: the process or machine
// stopped mid-write, the group was never acknowledged. It is cut off and the number of bytes
// dropped is logged; unused preallocated zeros are cut silently, and files after the end (a
// preallocated spare) are removed. Everything else that does not check out is damage: start-up
// stops with an error naming the file and byte offset, because a committed group may have been
// acknowledged. With `repair`, each damaged region (from the bad frame to the next intact one) is
// copied to `wal/damaged/` — never deleted — the file is rewritten without it, and replay goes on
// with the intact records after it.

import { join } from 'node:path';
import { ByteReader } from '../encoding/bytes';
import { crc32, endOfNonZero, findNextFrame, FRAME_HEADER_BYTES, readFrame } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileIO } from '../fs/io';
import { CorruptionError } from '../model/errors';
import { EngineLogger } from '../model/types';
import { encodeWalHeader, RECORD_COMMIT, WAL_HEADER_BYTES, walHeaderProblem, walIndexOf, walPath } from './files';
import { firstContent, streamFile } from './stream';

export interface WalReplayOptions {
  dir: string;
  io: FileIO;
  /** Files below this index are already covered by snapshots or segments. */
  fromIndex: number;
  repair: boolean;
  logger?: EngineLogger;
  /** Called before the records of each file (definitions in a WAL file are file-scoped). */
  onFile(index: number): void;
  /** Applies one committed record; throws CorruptionError if its payload is malformed. */
  onRecord(type: number, payload: ByteReader): void;
}

export interface WalReplayReport {
  files: number;
  records: number;
  bytes: number;
  tornBytesDropped: number;
  setAsideRecords: number;
  setAsideBytes: number;
  setAsidePaths: string[];
  durationMs: number;
}

interface Region {
  start: number;
  end: number;
  detail: string;
}

interface Frame {
  type: number;
  offset: number;
  payloadStart: number;
  end: number;
}

export async function replayWal(opts: WalReplayOptions): Promise<WalReplayReport> {
  const t0 = performance.now();
  const report: WalReplayReport = { files: 0, records: 0, bytes: 0, tornBytesDropped: 0, setAsideRecords: 0, setAsideBytes: 0, setAsidePaths: [], durationMs: 0 };
  await opts.io.mkdir(opts.dir);
  const indices = (await opts.io.readdir(opts.dir))
    .map(walIndexOf)
    .filter((i): i is number => i !== undefined && i >= opts.fromIndex)
    .sort((a, b) => a - b);
  const { kept, newest } = await dropFilesAfterTheEnd(opts, indices, report);
  checkContiguous(opts, kept);
  for (let k = 0; k < kept.length; k++) {
    const isLast = k === kept.length - 1;
    await replayFile(opts, kept[k], isLast ? newest : undefined, isLast, report);
  }
  report.durationMs = performance.now() - t0;
  return report;
}

/**
 * Files after the last one holding an intact frame are preallocated spares or files whose first
 * group never completed: nothing in them was acknowledged. They are removed; returns the rest, and
 * the bytes of the newest one kept if it had to be read whole to find it.
 */
async function dropFilesAfterTheEnd(opts: WalReplayOptions, indices: number[], report: WalReplayReport): Promise<{ kept: number[]; newest?: Buffer }> {
  let keep = indices.length;
  let newest: Buffer | undefined;
  while (keep > 0) {
    const index = indices[keep - 1];
    const path = walPath(opts.dir, index);
    const content = await firstContent(opts.io, path);
    if (content === 'frame') break;
    const buf = content === 'other' ? await read(opts.io, path) : undefined;
    const body = Math.min(buf?.length ?? 0, WAL_HEADER_BYTES);
    // An intact frame means the file may hold acknowledged data: it stays, damaged header or not.
    if (buf && findNextFrame(buf, body) >= 0) {
      newest = buf;
      break;
    }
    const dropped = buf ? endOfNonZero(buf, body) - body : 0;
    if (dropped > 0) {
      opts.logger?.warn({ file: path, droppedBytes: dropped }, 'removed a WAL file whose first write never completed');
      report.tornBytesDropped += dropped;
    }
    await opts.io.unlink(path);
    keep--;
  }
  if (keep < indices.length) await opts.io.fsyncDir(opts.dir);
  return { kept: indices.slice(0, keep), newest };
}

function checkContiguous(opts: WalReplayOptions, indices: number[]): void {
  for (let k = 0; k < indices.length; k++) {
    const expected = k === 0 ? opts.fromIndex : indices[k - 1] + 1;
    if (indices[k] === expected) continue;
    const missing = walPath(opts.dir, expected);
    if (!opts.repair) {
      throw new CorruptionError(missing, 0, `WAL file is missing (files ${expected}..${indices[k] - 1}); start with repair to replay the files that remain`);
    }
    opts.logger?.warn({ missing, upTo: indices[k] - 1 }, 'WAL files are missing; replaying the files that remain');
  }
}

async function read(io: FileIO, path: string): Promise<Buffer> {
  try {
    return await io.readFile(path);
  } catch (e) {
    throw ioFailure(e, path, 'read');
  }
}

async function replayFile(opts: WalReplayOptions, index: number, bytes: Buffer | undefined, isLast: boolean, report: WalReplayReport): Promise<void> {
  const path = walPath(opts.dir, index);
  const t0 = performance.now();
  // Without repair a file is streamed (stream.ts) as far as it checks out, which is nearly always
  // to its end; only past that point is the whole file read, and replay goes on from there.
  const streamed = bytes || opts.repair ? undefined : await streamFile(opts.io, path, index, opts.onFile, opts.onRecord);
  if (streamed?.kind === 'tail') {
    const cutAt = endOfLog(opts, path, isLast, streamed.groupStart, streamed.sizeBytes, streamed.droppedBytes, report);
    await finishFile(opts, path, streamed.records, cutAt, streamed.sizeBytes, t0, report);
    return;
  }
  const buf = bytes ?? (await read(opts.io, path));
  const resumeAt = streamed?.at ?? 0;
  if (resumeAt === 0) {
    const headerProblem = walHeaderProblem(buf, index);
    if (headerProblem) {
      if (!opts.repair) throw new CorruptionError(path, 0, `${headerProblem}; start with repair to set the file aside`);
      await setAside(opts, path, index, buf, [{ start: 0, end: buf.length, detail: headerProblem }], report);
      await opts.io.unlink(path);
      await opts.io.fsyncDir(opts.dir);
      return;
    }
    opts.onFile(index);
  }
  const regions: Region[] = [];
  let records = streamed?.records ?? 0;
  let pending: Frame[] = [];
  let groupStart = Math.max(resumeAt, WAL_HEADER_BYTES);
  let pos = groupStart;
  let cutAt = -1;
  const damage = (region: Region): void => {
    if (!opts.repair) throw new CorruptionError(path, region.start, `${region.detail}; start with repair to set the damaged part aside`);
    regions.push(region);
  };
  for (;;) {
    const r = readFrame(buf, pos);
    if (r.kind === 'frame') {
      pos = r.end;
      if (r.type !== RECORD_COMMIT) {
        pending.push(r);
        continue;
      }
      const committed = new ByteReader(buf, path, 0, r.payloadStart, r.end).uvarint();
      if (committed !== pending.length && !opts.repair) {
        throw new CorruptionError(path, r.offset, `a commit of ${committed} records follows ${pending.length} intact records; start with repair to keep the intact ones`);
      }
      for (const f of pending) {
        try {
          opts.onRecord(f.type, new ByteReader(buf, path, 0, f.payloadStart, f.end));
          records++;
        } catch (e) {
          if (!(e instanceof CorruptionError)) throw e;
          damage({ start: f.offset, end: f.end, detail: e.detail });
        }
      }
      pending = [];
      groupStart = r.end;
      continue;
    }
    // The file ends here, or something does not check out: is anything intact after it?
    const from = r.kind === 'end' ? buf.length : r.offset;
    const next = r.kind === 'end' ? -1 : findNextFrame(buf, from + 1);
    if (next >= 0) {
      const detail = r.kind === 'end' ? '' : r.detail;
      damage({ start: from, end: next, detail: `${detail} (followed by intact records from byte ${next})` });
      pos = next;
      continue;
    }
    cutAt = endOfLog(opts, path, isLast, groupStart, buf.length, endOfNonZero(buf, groupStart) - groupStart, report);
    break;
  }
  if (regions.length) await setAside(opts, path, index, buf, regions, report);
  await finishFile(opts, path, records, cutAt, buf.length, t0, report);
}

/**
 * The log ends in this file at `groupStart`: the group after it (`droppedBytes` of it written) never
 * completed. Returns where to cut the file, or -1 when it already ends there.
 */
function endOfLog(opts: WalReplayOptions, path: string, isLast: boolean, groupStart: number, sizeBytes: number, droppedBytes: number, report: WalReplayReport): number {
  if (!isLast && groupStart < sizeBytes) {
    throw new CorruptionError(path, groupStart, 'a WAL file before the newest one does not end with a complete group; start with repair to set the rest aside');
  }
  if (droppedBytes > 0) {
    opts.logger?.warn({ file: path, offset: groupStart, droppedBytes }, 'cut off a torn write at the end of the WAL');
    report.tornBytesDropped += droppedBytes;
  }
  return groupStart < sizeBytes ? groupStart : -1;
}

async function finishFile(opts: WalReplayOptions, path: string, records: number, cutAt: number, sizeBytes: number, t0: number, report: WalReplayReport): Promise<void> {
  if (cutAt >= 0) await truncate(opts.io, path, cutAt);
  const bytes = cutAt >= 0 ? cutAt : sizeBytes;
  report.files++;
  report.records += records;
  report.bytes += bytes;
  opts.logger?.info({ file: path, records, bytes, seconds: (performance.now() - t0) / 1000 }, 'replayed WAL file');
}

/** Copies damaged regions to wal/damaged/, then rewrites the file without them. */
async function setAside(opts: WalReplayOptions, path: string, index: number, buf: Buffer, regions: Region[], report: WalReplayReport): Promise<void> {
  const asideDir = join(opts.dir, 'damaged');
  await opts.io.mkdir(asideDir);
  for (const region of regions) {
    const aside = join(asideDir, `${index}-${region.start}.bin`);
    await writeDurably(opts.io, aside, buf.subarray(region.start, region.end));
    const records = countFrameHeaders(buf, region);
    report.setAsideRecords += records;
    report.setAsideBytes += region.end - region.start;
    report.setAsidePaths.push(aside);
    opts.logger?.warn({ file: path, offset: region.start, bytes: region.end - region.start, records, movedTo: aside, why: region.detail }, 'set a damaged WAL region aside');
  }
  await opts.io.fsyncDir(asideDir);
  if (regions.length === 1 && regions[0].start === 0 && regions[0].end === buf.length) return;
  const kept: Buffer[] = [encodeWalHeader(index)];
  let pos = WAL_HEADER_BYTES;
  for (const region of [...regions].sort((a, b) => a.start - b.start)) {
    kept.push(buf.subarray(pos, region.start));
    pos = region.end;
  }
  kept.push(buf.subarray(pos));
  const tmp = `${path}.repair`;
  await writeDurably(opts.io, tmp, Buffer.concat(kept));
  await opts.io.rename(tmp, path);
  await opts.io.fsyncDir(opts.dir);
}

/** Records in a damaged region: frames whose header still checks out, and at least one. */
function countFrameHeaders(buf: Buffer, region: Region): number {
  let n = 0;
  let pos = region.start;
  while (pos + FRAME_HEADER_BYTES <= region.end && crc32(buf.subarray(pos, pos + 12)) === buf.readUInt32LE(pos + 12)) {
    if (buf[pos + 4] !== RECORD_COMMIT) n++;
    pos += FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
  }
  return Math.max(n, 1);
}

async function writeDurably(io: FileIO, path: string, data: Uint8Array): Promise<void> {
  const f = await io.open(path, 'w');
  try {
    await f.write(data, 0);
    await f.sync();
  } finally {
    await f.close();
  }
}

async function truncate(io: FileIO, path: string, length: number): Promise<void> {
  const f = await io.open(path, 'r+');
  try {
    await f.truncate(length);
    await f.sync();
  } finally {
    await f.close();
  }
}
