// Byte-level building blocks shared by the segment codecs: a growable writer and a bounds-checked
// reader for varints, sign-magnitude varints, little-endian u32 and raw float64 bits.
//
// Numbers are JS doubles, so every integer here must be a safe integer (|v| < 2^53). Varints are
// built with arithmetic rather than 32-bit bit operations to reach that range. A reader never
// returns bytes past its end: it throws MalformedError with the offset, which the segment reader
// turns into a CorruptionError naming the file.

/** A structural error inside a buffer; `offset` is relative to the buffer's start. */
export class MalformedError extends Error {
  constructor(
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${detail} at byte ${offset}`);
    this.name = 'MalformedError';
  }
}

/** True on little-endian hosts, where typed-array views match the file's byte order. */
export const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Index of the low / high 32-bit half of a float64 inside a Uint32Array view on this host. */
export const LO = HOST_LE ? 0 : 1;
export const HI = HOST_LE ? 1 : 0;

const TWO_POW_32 = 2 ** 32;

/** Number of bits needed to write a non-negative safe integer (0 for 0). */
export function bitLength(v: number): number {
  if (v < TWO_POW_32) return 32 - Math.clz32(v);
  return 64 - Math.clz32(Math.floor(v / TWO_POW_32));
}

/** A 64-bit pattern as a view pair: writing a double to `f64[0]` exposes its halves in `u32`. */
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);

export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** Position that 4-byte alignment is measured from (the start of the current block). */
  origin = 0;

  constructor(capacityBytes = 4096) {
    this.buf = new Uint8Array(capacityBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes, growing the buffer if needed. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** Writes the 64 bits given as two 32-bit halves, little-endian. */
  bits64(lo: number, hi: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, lo, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  /** Writes a double's exact bit pattern (NaN payloads included). */
  f64(v: number): void {
    scratchF64[0] = v;
    this.bits64(scratchU32[LO], scratchU32[HI]);
  }

  /** Unsigned LEB128 of a safe integer. */
  uvarint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /**
   * Sign-magnitude varint for any safe integer: the first byte holds the sign in bit 0 and six
   * magnitude bits, then LEB128 continues. Zigzag would overflow past 2^52.
   */
  svarint(v: number): void {
    const neg = v < 0 ? 1 : 0;
    const mag = neg ? -v : v;
    const low = mag % 64;
    const rest = Math.floor(mag / 64);
    this.ensure(1);
    this.buf[this.pos++] = (rest > 0 ? 0x80 : 0) | (low << 1) | neg;
    if (rest > 0) this.uvarint(rest);
  }

  /** Pads with zero bytes until the position is a multiple of 4 from `origin`. */
  align4(): void {
    while ((this.pos - this.origin) & 3) this.u8(0);
  }
}

export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  fail(detail: string, at = this.pos): never {
    throw new MalformedError(at, detail);
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) this.fail(`${what} runs past the end (${n} bytes needed)`);
  }

  u8(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++];
  }

  /** Little-endian u32, assembled from bytes (a DataView per block would cost more than it saves). */
  u32(): number {
    this.need(4, 'u32');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Reads 64 bits into `out[LO]`/`out[HI]` of a Uint32Array view at element `at`. */
  bits64Into(out: Uint32Array, at: number): void {
    this.need(8, 'float64');
    out[at + LO] = this.u32();
    out[at + HI] = this.u32();
  }

  f64(): number {
    this.bits64Into(scratchU32, 0);
    return scratchF64[0];
  }

  uvarint(): number {
    const start = this.pos;
    let v = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) this.fail('varint runs past the end', start);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 49) this.fail('varint longer than a safe integer', start);
    }
    if (!Number.isSafeInteger(v)) this.fail('varint larger than a safe integer', start);
    return v;
  }

  svarint(): number {
    const first = this.u8();
    const low = (first >> 1) & 63;
    const mag = first & 0x80 ? this.uvarint() * 64 + low : low;
    if (!Number.isSafeInteger(mag)) this.fail('signed varint larger than a safe integer');
    return first & 1 ? -mag : mag;
  }

  /** Skips the zero padding written by ByteWriter.align4 (alignment measured from `origin`). */
  align4(origin: number): void {
    while ((this.pos - origin) & 3) {
      if (this.u8() !== 0) this.fail('non-zero padding', this.pos - 1);
    }
  }
}
