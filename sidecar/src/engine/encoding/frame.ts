// Checksummed record frames, shared by the WAL and snapshot files (layout in wal/FORMAT.md).
//
// A frame is a 16-byte header — payload length (u32), type (u8), 3 zero bytes, CRC32 of the payload
// (u32), CRC32 of the header's first 12 bytes (u32) — followed by the payload. The header has its own
// checksum so that a damaged length is told apart from a torn write: a torn frame is one whose bytes
// stop early (a short header, or a valid header whose payload runs past the end of the file) or a
// tail of zeros (a file extended but not yet written when the machine stopped); every other mismatch
// is damage. Reading classifies each position so callers can cut a torn tail and refuse (or set
// aside) damage.

import CRC32 from 'crc-32';
import { ByteWriter } from './bytes';

export const FRAME_HEADER_BYTES = 16;
/** Frames larger than this are treated as damage: no writer produces them. */
const MAX_FRAME_PAYLOAD_BYTES = 1 << 30;

export function crc32(data: Uint8Array, seed?: number): number {
  return CRC32.buf(data, seed) >>> 0;
}

/**
 * Writes one frame whose payload `fill` appends to `w`. The header is reserved first and completed
 * once the payload length is known, so the payload is built in place without a copy.
 */
export function writeFrame(w: ByteWriter, type: number, fill: (w: ByteWriter) => void): void {
  const start = w.length;
  w.ensure(FRAME_HEADER_BYTES);
  w.length += FRAME_HEADER_BYTES;
  fill(w);
  const buf = w.bytes();
  const payloadLength = w.length - start - FRAME_HEADER_BYTES;
  buf.writeUInt32LE(payloadLength, start);
  buf[start + 4] = type;
  buf[start + 5] = 0;
  buf[start + 6] = 0;
  buf[start + 7] = 0;
  buf.writeUInt32LE(crc32(buf.subarray(start + FRAME_HEADER_BYTES, w.length)), start + 8);
  buf.writeUInt32LE(crc32(buf.subarray(start, start + 12)), start + 12);
}

export type FrameRead =
  | { kind: 'frame'; type: number; offset: number; payloadStart: number; end: number }
  | { kind: 'end' }
  | { kind: 'torn'; offset: number; detail: string }
  | { kind: 'damaged'; offset: number; detail: string };

/** Classifies the bytes at `pos` of `buf` (which holds a whole file from `buf[0]`). */
export function readFrame(buf: Uint8Array, pos: number): FrameRead {
  const remaining = buf.length - pos;
  if (remaining === 0) return { kind: 'end' };
  const zeroTail = { kind: 'torn' as const, offset: pos, detail: `${remaining} zero bytes at the end` };
  if (remaining < FRAME_HEADER_BYTES) {
    return allZero(buf, pos) ? zeroTail : { kind: 'torn', offset: pos, detail: `a ${remaining}-byte partial frame header` };
  }
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const headerCrc = view.readUInt32LE(pos + 12);
  if (crc32(buf.subarray(pos, pos + 12)) !== headerCrc) {
    return allZero(buf, pos) ? zeroTail : { kind: 'damaged', offset: pos, detail: 'frame header checksum mismatch' };
  }
  const length = view.readUInt32LE(pos);
  if (length > MAX_FRAME_PAYLOAD_BYTES || buf[pos + 5] !== 0 || buf[pos + 6] !== 0 || buf[pos + 7] !== 0) {
    return { kind: 'damaged', offset: pos, detail: 'frame header holds impossible values' };
  }
  const payloadStart = pos + FRAME_HEADER_BYTES;
  const end = payloadStart + length;
  if (end > buf.length) {
    return { kind: 'torn', offset: pos, detail: `a frame of ${length} payload bytes with only ${buf.length - payloadStart} present` };
  }
  if (crc32(buf.subarray(payloadStart, end)) !== view.readUInt32LE(pos + 8)) {
    return { kind: 'damaged', offset: pos, detail: 'frame payload checksum mismatch' };
  }
  return { kind: 'frame', type: buf[pos + 4], offset: pos, payloadStart, end };
}

/**
 * The offset of the first intact frame at or after `from`, or -1. Used after damage to tell damage
 * in the middle (intact frames follow) from a damaged tail, and to resume after a damaged region.
 */
export function findNextFrame(buf: Uint8Array, from: number): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  // Preallocated space is zeros, which never start a frame: skip it without checksums.
  const end = endOfNonZero(buf, from);
  for (let p = from; p + FRAME_HEADER_BYTES <= buf.length && p < end; p++) {
    if (buf[p] === 0 && buf[p + 1] === 0 && buf[p + 2] === 0 && buf[p + 3] === 0 && buf[p + 12] === 0) continue;
    // Only a position whose header checksum holds is worth a full read.
    if (crc32(buf.subarray(p, p + 12)) !== view.readUInt32LE(p + 12)) continue;
    if (readFrame(buf, p).kind === 'frame') return p;
  }
  return -1;
}

const ZEROS = new Uint8Array(64 * 1024);

/** Whether buf[pos..] is all zero bytes (compared a chunk at a time: preallocated files are large). */
function allZero(buf: Uint8Array, pos: number): boolean {
  for (let i = pos; i < buf.length; i += ZEROS.length) {
    const n = Math.min(ZEROS.length, buf.length - i);
    if (Buffer.compare(buf.subarray(i, i + n), ZEROS.subarray(0, n)) !== 0) return false;
  }
  return true;
}

/** One past the last non-zero byte at or after `from` (or `from` when there is none). */
export function endOfNonZero(buf: Uint8Array, from: number): number {
  let end = buf.length;
  while (end > from) {
    const start = Math.max(from, end - ZEROS.length);
    if (Buffer.compare(buf.subarray(start, end), ZEROS.subarray(0, end - start)) === 0) {
      end = start;
      continue;
    }
    while (end > start && buf[end - 1] === 0) end--;
    return end;
  }
  return from;
}
