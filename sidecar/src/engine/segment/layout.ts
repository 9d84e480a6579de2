// The fixed parts of a segment file: the 8-byte header and the 60-byte footer (FORMAT.md).
//
// Both start or end with the magic "SSEG" and carry the format version, so a file that is not a
// segment, is of a newer version, or lost its tail is recognised before anything else is read.
// The footer locates the index and repeats the segment's totals; it carries its own CRC32.

import { CorruptionError } from '../model/errors';
import { crc32 } from './crc';

export const MAGIC = Uint8Array.from([0x53, 0x53, 0x45, 0x47]); // "SSEG"
const FORMAT_VERSION = 1;
export const HEADER_SIZE = 8;
export const FOOTER_SIZE = 60;

/** Totals of a segment, as kept in its footer. */
export interface FooterFields {
  indexOffset: number;
  /** Bytes of the index payload, not counting the CRC32 that follows it. */
  indexLength: number;
  series: number;
  samples: number;
  minT: number;
  maxT: number;
}

export function encodeHeader(): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  out.set(MAGIC, 0);
  out[4] = FORMAT_VERSION;
  return out;
}

/** Checks magic, version and reserved bytes one by one, so the error names the damaged byte. */
function checkTag(file: string, bytes: Uint8Array, magicAt: number, versionAt: number, base: number, what: string): void {
  for (let i = 0; i < 4; i++) {
    if (bytes[magicAt + i] !== MAGIC[i]) {
      throw new CorruptionError(file, base + magicAt + i, `${what}: bad magic (not a segment file, or truncated)`);
    }
  }
  if (bytes[versionAt] !== FORMAT_VERSION) {
    throw new CorruptionError(file, base + versionAt, `${what}: unsupported format version ${bytes[versionAt]}`);
  }
  for (let i = versionAt + 1; i < versionAt + 4; i++) {
    if (bytes[i] !== 0) throw new CorruptionError(file, base + i, `${what}: reserved byte is not zero`);
  }
}

export function checkHeader(file: string, bytes: Uint8Array): void {
  checkTag(file, bytes, 0, 4, 0, 'header');
}

export function encodeFooter(f: FooterFields): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(f.indexOffset), true);
  view.setBigUint64(8, BigInt(f.indexLength), true);
  view.setBigUint64(16, BigInt(f.series), true);
  view.setBigUint64(24, BigInt(f.samples), true);
  view.setBigInt64(32, BigInt(f.minT), true);
  view.setBigInt64(40, BigInt(f.maxT), true);
  out[48] = FORMAT_VERSION;
  view.setUint32(52, crc32(out.subarray(0, 52)), true);
  out.set(MAGIC, 56);
  return out;
}

/** Parses the footer found at file offset `at`; any damage gives a CorruptionError. */
export function parseFooter(file: string, bytes: Uint8Array, at: number): FooterFields {
  checkTag(file, bytes, 56, 48, at, 'footer');
  const view = new DataView(bytes.buffer, bytes.byteOffset, FOOTER_SIZE);
  if (view.getUint32(52, true) !== crc32(bytes.subarray(0, 52))) {
    throw new CorruptionError(file, at, 'footer checksum mismatch');
  }
  const field = (offset: number, signed: boolean): number => {
    const v = signed ? view.getBigInt64(offset, true) : view.getBigUint64(offset, true);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new CorruptionError(file, at + offset, `footer field out of range: ${v}`);
    return n;
  };
  return {
    indexOffset: field(0, false),
    indexLength: field(8, false),
    series: field(16, false),
    samples: field(24, false),
    minT: field(32, true),
    maxT: field(40, true),
  };
}
