// Little-endian byte encoding shared by the WAL and snapshot formats: varints, zigzag, float64 runs.
//
// Float64 runs are copied as raw bytes, which is only correct on a little-endian machine; the module
// refuses to load elsewhere rather than write files another machine would misread.

import { endianness } from 'node:os';
import { CorruptionError } from '../model/errors';

if (endianness() !== 'LE') throw new Error('Sensorstore storage files are little-endian; this machine is big-endian');

/** An append-only buffer that grows by doubling. */
export class ByteWriter {
  private buf: Buffer;
  /** DataView float stores are inlined by V8; Buffer.writeDoubleLE checks its arguments each call. */
  private view: DataView;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** The whole backing buffer, for encoders that write into it directly after ensure(). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.length);
    this.length += 4;
  }

  /** An unsigned integer below 2^53 as 8 bytes. */
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(v % 0x1_0000_0000, this.length);
    this.buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), this.length + 4);
    this.length += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Unsigned LEB128 of a non-negative integer (exact up to 2^53). */
  uvarint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.length;
    if (v < 0x80) {
      b[p] = v;
      this.length = p + 1;
      return;
    }
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.length = p;
  }

  /** Zigzag then LEB128, for signed integers of magnitude below 2^52. */
  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** A length-prefixed UTF-8 string. */
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.uvarint(n);
    this.ensure(n);
    this.buf.write(s, this.length, n, 'utf8');
    this.length += n;
  }

  /** `count` float64 values, bit-exact (NaN payloads included). */
  f64s(values: ArrayLike<number>, from: number, count: number): void {
    this.ensure(count * 8);
    if (values instanceof Float64Array && count > 8) {
      this.buf.set(new Uint8Array(values.buffer, values.byteOffset + from * 8, count * 8), this.length);
      this.length += count * 8;
      return;
    }
    const view = this.view;
    let p = this.length;
    for (let i = 0; i < count; i++, p += 8) view.setFloat64(p, values[from + i], true);
    this.length = p;
  }
}

/** Reads what ByteWriter wrote; every overrun is a CorruptionError at the file offset of the field. */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    readonly file: string,
    /** File offset of buf[0], so errors name the byte in the file. */
    readonly baseOffset = 0,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(detail: string): never {
    throw new CorruptionError(this.file, this.baseOffset + this.pos, detail);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) this.fail(`${what} runs past the end of its record`);
  }

  u8(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8, 'u64');
    const v = this.buf.readUInt32LE(this.pos) + this.buf.readUInt32LE(this.pos + 4) * 0x1_0000_0000;
    this.pos += 8;
    return v;
  }

  f64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    if (p < this.end && b[p] < 0x80) {
      this.pos = p + 1;
      return b[p];
    }
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= this.end) this.fail('varint runs past the end of its record');
      const byte = b[p++];
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.pos = p;
        return v;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  str(): string {
    const n = this.uvarint();
    this.need(n, 'string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Copies `count` float64 values into `into` at `at`. */
  f64s(into: Float64Array, at: number, count: number): void {
    this.need(count * 8, 'float64 run');
    new Uint8Array(into.buffer, into.byteOffset + at * 8, count * 8).set(this.buf.subarray(this.pos, this.pos + count * 8));
    this.pos += count * 8;
  }
}
