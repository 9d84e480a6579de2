// WAL file names and the file header (layout in FORMAT.md).

import { join } from 'node:path';
import { crc32 } from '../encoding/frame';

const WAL_MAGIC = 'SSWL';
const WAL_VERSION = 1;
export const WAL_HEADER_BYTES = 20;
export const RECORD_BATCH = 1;
/** Ends a group: replay applies the group's batches only once it sees this frame. */
export const RECORD_COMMIT = 2;

const NAME_RE = /^(\d{10})\.wal$/;

function walFileName(index: number): string {
  return `${String(index).padStart(10, '0')}.wal`;
}

export function walPath(dir: string, index: number): string {
  return join(dir, walFileName(index));
}

/** The index of a WAL file name, or undefined for other names. */
export function walIndexOf(name: string): number | undefined {
  const m = NAME_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function encodeWalHeader(index: number): Buffer {
  const b = Buffer.alloc(WAL_HEADER_BYTES);
  b.write(WAL_MAGIC, 0, 'latin1');
  b.writeUInt16LE(WAL_VERSION, 4);
  b.writeUInt32LE(index % 0x1_0000_0000, 8);
  b.writeUInt32LE(Math.floor(index / 0x1_0000_0000), 12);
  b.writeUInt32LE(crc32(b.subarray(0, 16)), 16);
  return b;
}

/** Why the header at the start of `buf` is not the header of file `index`, or undefined if it is. */
export function walHeaderProblem(buf: Buffer, index: number): string | undefined {
  if (buf.length < WAL_HEADER_BYTES) return `the file is ${buf.length} bytes, shorter than its header`;
  if (crc32(buf.subarray(0, 16)) !== buf.readUInt32LE(16)) return 'file header checksum mismatch';
  if (buf.toString('latin1', 0, 4) !== WAL_MAGIC) return 'not a WAL file (bad magic)';
  const version = buf.readUInt16LE(4);
  if (version !== WAL_VERSION) return `WAL version ${version} is not supported (this build reads ${WAL_VERSION})`;
  const stored = buf.readUInt32LE(8) + buf.readUInt32LE(12) * 0x1_0000_0000;
  if (stored !== index) return `the header says file ${stored}, the name says ${index}`;
  return undefined;
}
