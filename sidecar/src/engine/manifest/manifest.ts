// The manifest: the one file that says which segments are live and how much of the WAL they cover
// (layout in FORMAT.md).
//
// Invariants:
// - Start-up trusts only the segments the manifest lists; any other segment file is the leftover
//   of a flush or compaction that did not finish and is removed. A data directory has a manifest
//   from its first open on, so a missing one beside segment files stops start-up (startup.ts).
// - It is replaced atomically (MANIFEST.tmp → fsync → rename → directory fsync), so after a crash
//   either the old or the new one is in place, whole. A new manifest is installed before any file it
//   stops listing is deleted.
// - A checksum covers header and body; a damaged manifest stops start-up with a CorruptionError
//   naming the file and offset — the engine never guesses which segments are live.

import { join } from 'node:path';
import { crc32 } from '../encoding/frame';
import { ioFailure } from '../fs/errors';
import { FileIO } from '../fs/io';
import { CorruptionError } from '../model/errors';

export const MANIFEST_NAME = 'MANIFEST';
const MAGIC = 'SSMF';
const VERSION = 1;
const HEADER_BYTES = 20;

export interface ManifestSegment {
  /** File name under segments/. */
  name: string;
  /** Precedence: on equal (series, timestamp) the segment with the higher seq wins. */
  seq: number;
  /** 0: written by a head flush; 1: written by compaction into a time partition. */
  level: number;
  minT: number;
  maxT: number;
  samples: number;
  sizeBytes: number;
}

export interface Manifest {
  /** Every WAL file below this index is held by the listed segments. */
  walFlushedTo: number;
  /** The next segment seq to hand out. */
  nextSeq: number;
  segments: ManifestSegment[];
}

export function emptyManifest(): Manifest {
  return { walFlushedTo: 1, nextSeq: 1, segments: [] };
}

/** Reads the manifest, or undefined when the directory has none (a new data directory). */
export async function readManifest(io: FileIO, dir: string): Promise<Manifest | undefined> {
  const path = join(dir, MANIFEST_NAME);
  if (!(await io.exists(path))) return undefined;
  let buf: Buffer;
  try {
    buf = await io.readFile(path);
  } catch (e) {
    throw ioFailure(e, path, 'read');
  }
  if (buf.length < HEADER_BYTES) throw new CorruptionError(path, 0, 'the file is shorter than its header');
  if (crc32(buf.subarray(0, 16)) !== buf.readUInt32LE(16)) throw new CorruptionError(path, 0, 'header checksum mismatch');
  if (buf.toString('latin1', 0, 4) !== MAGIC) throw new CorruptionError(path, 0, 'not a manifest (bad magic)');
  if (buf.readUInt16LE(4) !== VERSION) throw new CorruptionError(path, 4, `manifest version ${buf.readUInt16LE(4)} is not supported`);
  const length = buf.readUInt32LE(8);
  if (HEADER_BYTES + length !== buf.length) throw new CorruptionError(path, 8, `the header says ${length} body bytes, the file holds ${buf.length - HEADER_BYTES}`);
  const body = buf.subarray(HEADER_BYTES);
  if (crc32(body) !== buf.readUInt32LE(12)) throw new CorruptionError(path, HEADER_BYTES, 'body checksum mismatch');
  try {
    return JSON.parse(body.toString('utf8')) as Manifest;
  } catch (e) {
    throw new CorruptionError(path, HEADER_BYTES, `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Installs `m` atomically. */
export async function writeManifest(io: FileIO, dir: string, m: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_NAME);
  const tmp = `${path}.tmp`;
  const body = Buffer.from(JSON.stringify(m));
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt32LE(body.length, 8);
  header.writeUInt32LE(crc32(body), 12);
  header.writeUInt32LE(crc32(header.subarray(0, 16)), 16);
  try {
    const f = await io.open(tmp, 'w');
    try {
      await f.write(Buffer.concat([header, body]));
      await f.sync();
    } finally {
      await f.close();
    }
    await io.rename(tmp, path);
    await io.fsyncDir(dir);
  } catch (e) {
    await io.unlink(tmp).catch(() => undefined);
    throw ioFailure(e, tmp, 'install manifest');
  }
}
