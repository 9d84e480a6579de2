// Gorilla XOR codec (Pelkonen et al., VLDB 2015) for float64 values that are not short decimals:
// each value is XORed with the previous one and only the meaningful bits of the XOR are stored,
// reusing the previous leading/trailing-zero window when it still fits.
//
// Works on the raw 32-bit halves of each double, so every bit pattern (NaN payloads, -0, ±Infinity)
// survives exactly. Bits are written least significant first into little-endian u32 words:
//   first value: 32 low bits, 32 high bits
//   then per value: '0' = same as previous
//                   '1','0' + window bits = XOR fits the previous window
//                   '1','1' + leading zeros (5 bits) + significant bits - 1 (6 bits) + the bits
// The section is: wordCount uvarint | zero padding to a multiple of 4 from the block start | words.

import { ByteReader, ByteWriter, HI, HOST_LE, LO } from './bytes';

let words = new Uint32Array(4096);
let bit = 0;

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function put(v: number, k: number): void {
  const at = bit >>> 5;
  const off = bit & 31;
  words[at] |= v << off;
  if (off + k > 32) words[at + 1] |= v >>> (32 - off);
  bit += k;
}

/** Writes the `sig` bits of the 64-bit value (hi, lo) shifted right by `shift`. */
function putShifted(hi: number, lo: number, shift: number, sig: number): void {
  let l = lo;
  let h = hi;
  if (shift >= 32) {
    l = hi >>> (shift - 32);
    h = 0;
  } else if (shift > 0) {
    l = (lo >>> shift) | (hi << (32 - shift));
    h = hi >>> shift;
  }
  if (sig <= 32) {
    put(l, sig);
  } else {
    put(l, 32);
    put(h, sig - 32);
  }
}

/** Encodes bits of n doubles (pairs at bits[2*(from+i) + LO/HI]). */
export function encodeGorilla(w: ByteWriter, bits: Uint32Array, from: number, n: number): void {
  const maxWords = Math.ceil((n * 77) / 32) + 2;
  if (words.length < maxWords) words = new Uint32Array(maxWords);
  words.fill(0, 0, maxWords);
  bit = 0;
  let prevLo = bits[2 * from + LO];
  let prevHi = bits[2 * from + HI];
  put(prevLo, 32);
  put(prevHi, 32);
  let lead = -1;
  let trail = 0;
  for (let i = from + 1; i < from + n; i++) {
    const lo = bits[2 * i + LO];
    const hi = bits[2 * i + HI];
    const xl = (lo ^ prevLo) >>> 0;
    const xh = (hi ^ prevHi) >>> 0;
    prevLo = lo;
    prevHi = hi;
    if (xl === 0 && xh === 0) {
      put(0, 1);
      continue;
    }
    const l = Math.min(31, xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl));
    const t = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (lead >= 0 && l >= lead && t >= trail) {
      put(0b01, 2);
      putShifted(xh, xl, trail, 64 - lead - trail);
    } else {
      lead = l;
      trail = t;
      const sig = 64 - lead - trail;
      put(0b11, 2);
      put(lead, 5);
      put(sig - 1, 6);
      putShifted(xh, xl, trail, sig);
    }
  }
  const count = Math.ceil(bit / 32);
  w.uvarint(count);
  w.align4();
  w.ensure(count * 4);
  if (HOST_LE) {
    w.buf.set(new Uint8Array(words.buffer, 0, count * 4), w.pos);
  } else {
    for (let i = 0; i < count; i++) w.view.setUint32(w.pos + i * 4, words[i], true);
  }
  w.pos += count * 4;
}

/** Decodes n doubles into bits[2*(at+i) + LO/HI]. */
export function decodeGorilla(r: ByteReader, origin: number, bits: Uint32Array, at: number, n: number): void {
  const count = r.uvarint();
  r.align4(origin);
  r.need(count * 4, 'gorilla words');
  const src = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, count * 4);
  if (words.length < count + 1) words = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) words[i] = src.getUint32(i * 4, true);
  words[count] = 0;
  const totalBits = count * 32;
  r.pos += count * 4;

  // Reads `k` (1..32) bits at `pos`; words[count] is a zero sentinel for reads that touch the end.
  let pos = 0;
  const take = (k: number): number => {
    const w = pos >>> 5;
    const off = pos & 31;
    let v = words[w] >>> off;
    if (off + k > 32) v |= words[w + 1] << (32 - off);
    pos += k;
    return k === 32 ? v >>> 0 : (v & ((1 << k) - 1)) >>> 0;
  };
  let lo = take(32);
  let hi = take(32);
  bits[2 * at + LO] = lo;
  bits[2 * at + HI] = hi;
  let lead = 0;
  let trail = 0;
  for (let i = 1; i < n; i++) {
    // The control bits and a new window's sizes fit in 13 bits: read them in one go.
    const w = pos >>> 5;
    const off = pos & 31;
    let head = words[w] >>> off;
    if (off > 19) head |= words[w + 1] << (32 - off);
    if ((head & 1) !== 0) {
      if ((head & 2) !== 0) {
        lead = (head >>> 2) & 31;
        trail = 64 - lead - (((head >>> 7) & 63) + 1);
        if (trail < 0) r.fail('gorilla window wider than 64 bits');
        pos += 13;
      } else {
        pos += 2;
      }
      const sig = 64 - lead - trail;
      let xl = take(sig <= 32 ? sig : 32);
      let xh = sig <= 32 ? 0 : take(sig - 32);
      if (trail >= 32) {
        xh = xl << (trail - 32);
        xl = 0;
      } else if (trail > 0) {
        xh = (xh << trail) | (xl >>> (32 - trail));
        xl = xl << trail;
      }
      lo = (lo ^ xl) >>> 0;
      hi = (hi ^ xh) >>> 0;
    } else {
      pos += 1;
    }
    bits[2 * (at + i) + LO] = lo;
    bits[2 * (at + i) + HI] = hi;
    if (pos > totalBits) r.fail('gorilla bits run past their words');
  }
}
