// Head snapshots: the in-memory samples not yet in segments, so a restart replays only the WAL
// written after the snapshot (layout in FORMAT.md).
//
// Invariants:
// - A snapshot named N holds every sample of WAL files below N that no segment held when it was
//   taken, grouped in sections that keep their memtables' WAL ranges [walFrom, walTo). Recovery skips
//   sections a later flush made durable in a segment (walTo <= the manifest's flushed mark).
// - It is installed atomically: written to `N.snap.tmp`, fsynced, renamed, directory fsynced. A file
//   named `.snap` is therefore complete unless the disk damaged it afterwards, which the frame
//   checksums and the end frame's totals detect; the engine then falls back to the previous snapshot.

import { join } from 'node:path';
import { ByteReader, ByteWriter } from '../encoding/bytes';
import { crc32, readFrame, writeFrame } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileHandle, FileIO } from '../fs/io';
import { CorruptionError } from '../model/errors';
import { LabelSet } from '../model/types';
import { sortedLabelPairs } from '../model/labels';

const MAGIC = 'SSSN';
const VERSION = 1;
const HEADER_BYTES = 20;
const FRAME_SECTION = 1;
const FRAME_SERIES = 2;
const FRAME_END = 3;
/** Series frames are cut at about this size so writing streams and one frame never gets huge. */
const FRAME_TARGET_BYTES = 1 << 20;

export interface SnapshotSeries {
  labels: LabelSet;
  /** Sorted, unique. */
  timestamps: Float64Array;
  values: Float64Array;
}

export interface SnapshotSection {
  walFrom: number;
  walTo: number;
  series: SnapshotSeries[];
}

export interface Snapshot {
  walTo: number;
  sections: SnapshotSection[];
}

const NAME_RE = /^(\d{10})\.snap$/;

export function snapshotPath(dir: string, walTo: number): string {
  return join(dir, `${String(walTo).padStart(10, '0')}.snap`);
}

/** The WAL marks of the snapshots in `dir`, newest first. */
export async function listSnapshots(io: FileIO, dir: string): Promise<number[]> {
  await io.mkdir(dir);
  return (await io.readdir(dir))
    .map((n) => NAME_RE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/** Writes and installs a snapshot; returns its size in bytes. */
export async function writeSnapshot(io: FileIO, dir: string, snap: Snapshot): Promise<number> {
  const path = snapshotPath(dir, snap.walTo);
  const tmp = `${path}.tmp`;
  let file: FileHandle | undefined;
  let sizeBytes = 0;
  try {
    file = await io.open(tmp, 'w');
    const w = new ByteWriter(FRAME_TARGET_BYTES * 2);
    const flush = async () => {
      await file!.write(w.bytes());
      sizeBytes += w.length;
      w.reset();
    };
    w.raw(header(snap.walTo));
    let totalSeries = 0;
    let totalSamples = 0;
    for (const section of snap.sections) {
      writeFrame(w, FRAME_SECTION, (f) => {
        f.uvarint(section.walFrom);
        f.uvarint(section.walTo);
        f.uvarint(section.series.length);
      });
      let k = 0;
      while (k < section.series.length) {
        const start = w.length;
        writeFrame(w, FRAME_SERIES, (f) => {
          const countAt = f.length;
          f.u32(0);
          let n = 0;
          while (k < section.series.length && f.length - start < FRAME_TARGET_BYTES) {
            encodeSeries(f, section.series[k++]);
            n++;
          }
          f.bytes().writeUInt32LE(n, countAt);
        });
        if (w.length >= FRAME_TARGET_BYTES) await flush();
      }
      totalSeries += section.series.length;
      for (const s of section.series) totalSamples += s.timestamps.length;
    }
    writeFrame(w, FRAME_END, (f) => {
      f.uvarint(snap.sections.length);
      f.uvarint(totalSeries);
      f.uvarint(totalSamples);
    });
    await flush();
    await file.sync();
    await file.close();
    file = undefined;
    await io.rename(tmp, path);
    await io.fsyncDir(dir);
    return sizeBytes;
  } catch (e) {
    if (file) await file.close().catch(() => undefined);
    await io.unlink(tmp).catch(() => undefined);
    throw ioFailure(e, tmp, 'write snapshot');
  }
}

/** Reads a whole snapshot; any damage is a CorruptionError naming the file and offset. */
export async function readSnapshot(io: FileIO, dir: string, walTo: number): Promise<Snapshot> {
  const path = snapshotPath(dir, walTo);
  let buf: Buffer;
  try {
    buf = await io.readFile(path);
  } catch (e) {
    throw ioFailure(e, path, 'read');
  }
  checkHeader(buf, path, walTo);
  const sections: SnapshotSection[] = [];
  let pos = HEADER_BYTES;
  let seriesSeen = 0;
  let samplesSeen = 0;
  for (;;) {
    const r = readFrame(buf, pos);
    if (r.kind === 'end') throw new CorruptionError(path, pos, 'the snapshot ends without its end frame');
    if (r.kind !== 'frame') throw new CorruptionError(path, r.offset, r.detail);
    const rd = new ByteReader(buf, path, 0, r.payloadStart, r.end);
    pos = r.end;
    if (r.type === FRAME_SECTION) {
      sections.push({ walFrom: rd.uvarint(), walTo: rd.uvarint(), series: [] });
      rd.uvarint(); // series count, checked through the end frame's totals
    } else if (r.type === FRAME_SERIES) {
      const section = sections[sections.length - 1];
      if (!section) rd.fail('series before any section');
      const n = rd.u32();
      for (let i = 0; i < n; i++) {
        const s = decodeSeries(rd);
        section.series.push(s);
        samplesSeen += s.timestamps.length;
      }
      seriesSeen += n;
    } else if (r.type === FRAME_END) {
      const [nSections, nSeries, nSamples] = [rd.uvarint(), rd.uvarint(), rd.uvarint()];
      if (nSections !== sections.length || nSeries !== seriesSeen || nSamples !== samplesSeen) {
        throw new CorruptionError(path, r.offset, 'the end frame\'s totals do not match the snapshot\'s contents');
      }
      if (r.end !== buf.length) throw new CorruptionError(path, r.end, 'bytes after the end frame');
      return { walTo, sections };
    } else {
      throw new CorruptionError(path, r.offset, `unknown frame type ${r.type}`);
    }
    if (!rd.done) rd.fail('bytes left over in a frame');
  }
}

function header(walTo: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.write(MAGIC, 0, 'latin1');
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt32LE(walTo % 0x1_0000_0000, 8);
  b.writeUInt32LE(Math.floor(walTo / 0x1_0000_0000), 12);
  b.writeUInt32LE(crc32(b.subarray(0, 16)), 16);
  return b;
}

function checkHeader(buf: Buffer, path: string, walTo: number): void {
  if (buf.length < HEADER_BYTES) throw new CorruptionError(path, 0, 'the file is shorter than its header');
  if (crc32(buf.subarray(0, 16)) !== buf.readUInt32LE(16)) throw new CorruptionError(path, 0, 'header checksum mismatch');
  if (buf.toString('latin1', 0, 4) !== MAGIC) throw new CorruptionError(path, 0, 'not a snapshot file (bad magic)');
  if (buf.readUInt16LE(4) !== VERSION) throw new CorruptionError(path, 4, `snapshot version ${buf.readUInt16LE(4)} is not supported`);
  const stored = buf.readUInt32LE(8) + buf.readUInt32LE(12) * 0x1_0000_0000;
  if (stored !== walTo) throw new CorruptionError(path, 8, `the header says WAL mark ${stored}, the name says ${walTo}`);
}

function encodeSeries(w: ByteWriter, s: SnapshotSeries): void {
  const pairs = sortedLabelPairs(s.labels);
  w.uvarint(pairs.length);
  for (const [n, v] of pairs) {
    w.str(n);
    w.str(v);
  }
  const count = s.timestamps.length;
  w.uvarint(count);
  let prev = 0;
  for (let i = 0; i < count; i++) {
    w.varint(s.timestamps[i] - prev);
    prev = s.timestamps[i];
  }
  w.f64s(s.values, 0, count);
}

function decodeSeries(r: ByteReader): SnapshotSeries {
  const nLabels = r.uvarint();
  const labels: Record<string, string> = {};
  for (let i = 0; i < nLabels; i++) {
    const name = r.str();
    labels[name] = r.str();
  }
  const count = r.uvarint();
  if (count * 9 > r.end - r.pos) r.fail(`a series of ${count} samples is longer than its frame`);
  const timestamps = new Float64Array(count);
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += r.varint();
    if (i > 0 && t <= timestamps[i - 1]) r.fail('timestamps out of order');
    timestamps[i] = t;
  }
  const values = new Float64Array(count);
  r.f64s(values, 0, count);
  return { labels, timestamps, values };
}
