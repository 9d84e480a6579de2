// Replays the WAL at start-up, cutting a torn tail and refusing (or, with repair, setting aside)
// damage anywhere else.
//
// What counts as what (see encoding/frame.ts): bytes that stop early at the end of the last file are
// a torn write — the process or machine stopped mid-append, the record was never acknowledged — and
// are cut off, with the number of bytes logged. Everything else that does not check out is damage:
// a complete record with a bad checksum may have been acknowledged, so the engine does not drop it
// silently; start-up stops with an error naming the file and byte offset. With `repair`, each damaged
// region (from the bad record to the next intact one) is copied to `wal/damaged/` — never deleted —
// the file is rewritten without it, and replay goes on with the intact records after it.

import { join } from 'node:path';
import { ByteReader } from '../encoding/bytes';
import { crc32, FRAME_HEADER_BYTES, findNextFrame, readFrame } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileIO } from '../fs/io';
import { CorruptionError } from '../model/errors';
import { EngineLogger } from '../model/types';
import { encodeWalHeader, WAL_HEADER_BYTES, walHeaderProblem, walIndexOf, walPath } from './files';

export interface WalReplayOptions {
  dir: string;
  io: FileIO;
  /** Files below this index are already covered by snapshots or segments. */
  fromIndex: number;
  repair: boolean;
  logger?: EngineLogger;
  /** Called before the records of each file (definitions in a WAL file are file-scoped). */
  onFile(index: number): void;
  /** Applies one record; throws CorruptionError if its payload is malformed. */
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

export async function replayWal(opts: WalReplayOptions): Promise<WalReplayReport> {
  const t0 = performance.now();
  const report: WalReplayReport = { files: 0, records: 0, bytes: 0, tornBytesDropped: 0, setAsideRecords: 0, setAsideBytes: 0, setAsidePaths: [], durationMs: 0 };
  await opts.io.mkdir(opts.dir);
  const indices = (await opts.io.readdir(opts.dir))
    .map(walIndexOf)
    .filter((i): i is number => i !== undefined && i >= opts.fromIndex)
    .sort((a, b) => a - b);
  checkContiguous(opts, indices);
  for (let k = 0; k < indices.length; k++) {
    await replayFile(opts, indices[k], k === indices.length - 1, report);
  }
  report.durationMs = performance.now() - t0;
  return report;
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

async function replayFile(opts: WalReplayOptions, index: number, isLast: boolean, report: WalReplayReport): Promise<void> {
  const path = walPath(opts.dir, index);
  const t0 = performance.now();
  let buf: Buffer;
  try {
    buf = await opts.io.readFile(path);
  } catch (e) {
    throw ioFailure(e, path, 'read');
  }
  const headerProblem = walHeaderProblem(buf, index);
  if (headerProblem) {
    if (isLast && (buf.length < WAL_HEADER_BYTES || buf.every((b) => b === 0))) {
      // The file was being created when the process stopped: nothing in it was ever acknowledged.
      opts.logger?.warn({ file: path, droppedBytes: buf.length }, 'removed a WAL file whose header was never completed');
      report.tornBytesDropped += buf.length;
      await opts.io.unlink(path);
      await opts.io.fsyncDir(opts.dir);
      return;
    }
    if (!opts.repair) throw new CorruptionError(path, 0, `${headerProblem}; start with repair to set the file aside`);
    await setAside(opts, path, index, buf, [{ start: 0, end: buf.length, detail: headerProblem }], report);
    await opts.io.unlink(path);
    await opts.io.fsyncDir(opts.dir);
    return;
  }
  opts.onFile(index);
  const regions: Region[] = [];
  let records = 0;
  let pos = WAL_HEADER_BYTES;
  for (;;) {
    const r = readFrame(buf, pos);
    if (r.kind === 'end') break;
    if (r.kind === 'frame') {
      try {
        opts.onRecord(r.type, new ByteReader(buf, path, 0, r.payloadStart, r.end));
        records++;
      } catch (e) {
        if (!(e instanceof CorruptionError)) throw e;
        if (!opts.repair) throw new CorruptionError(path, e.offset, `${e.detail}; start with repair to set the record aside`);
        regions.push({ start: r.offset, end: r.end, detail: e.detail });
      }
      pos = r.end;
      continue;
    }
    if (r.kind === 'torn' && isLast) {
      const dropped = buf.length - r.offset;
      opts.logger?.warn({ file: path, offset: r.offset, droppedBytes: dropped, why: r.detail }, 'cut off a torn write at the end of the WAL');
      report.tornBytesDropped += dropped;
      await truncate(opts.io, path, r.offset);
      buf = buf.subarray(0, r.offset);
      break;
    }
    const next = findNextFrame(buf, r.offset + 1);
    const end = next < 0 ? buf.length : next;
    const where = next < 0 ? 'at the end of the file' : `followed by intact records from byte ${next}`;
    if (!opts.repair) {
      throw new CorruptionError(path, r.offset, `${r.detail} (${where}); start with repair to set the damaged part aside`);
    }
    regions.push({ start: r.offset, end, detail: r.detail });
    pos = end;
  }
  if (regions.length) await setAside(opts, path, index, buf, regions, report);
  report.files++;
  report.records += records;
  report.bytes += buf.length;
  opts.logger?.info({ file: path, records, bytes: buf.length, seconds: (performance.now() - t0) / 1000 }, 'replayed WAL file');
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
  for (const region of regions) {
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
    n++;
    pos += FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
  }
  return Math.max(n, 1);
}

async function writeDurably(io: FileIO, path: string, data: Uint8Array): Promise<void> {
  const f = await io.open(path, 'w');
  try {
    await f.write(data);
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
