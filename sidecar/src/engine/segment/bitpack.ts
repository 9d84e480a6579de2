// Patched frame-of-reference packing of integer sequences (timestamp deltas, decimal mantissa
// deltas): every value is stored as `value - base` in a fixed number of bits, and the few values
// that do not fit (a gap in a regular series, a spike) are "patched" from a short exception list.
// This keeps regular data nearly free (width 0) and one outlier from widening a whole block.
//
// Layout (see FORMAT.md "Packed integers"):
//   base svarint | width u8 (0..53) | patchCount uvarint | patches (posDelta uvarint, value-base svarint)*
//   | zero padding to a multiple of 4 from the block start | low words | high words (width > 32)
// Words are little-endian u32, filled from bit 0 upwards; a value may span two words.
//
// Inputs must be integers with |v| < 2^52, so every difference below is a safe integer.

import { ByteReader, ByteWriter, HOST_LE, bitLength } from './bytes';

export const MAX_PACKED_MAGNITUDE = 2 ** 52 - 1;
const TWO_POW_32 = 2 ** 32;

let sortScratch = new Float64Array(1024);
let histogram = new Int32Array(1024);
let wordScratch = new Uint32Array(1024);

interface Plan {
  base: number;
  width: number;
  /** True when base and width cover every value (no patches). */
  covered?: boolean;
}

interface Choice extends Plan {
  costBits: number;
}

/** Chooses base and width that minimise the estimated size, allowing a few patched exceptions. */
function plan(vals: Float64Array, from: number, n: number, min: number, max: number): Plan {
  const range = max - min;
  const fullWidth = bitLength(range);
  if (fullWidth <= 1) return { base: min, width: fullWidth, covered: true };
  const patchBits = patchCostBits(fullWidth);
  const all: Choice = { base: min, width: fullWidth, covered: true, costBits: n * fullWidth };
  return range < 4 * n ? planByHistogram(vals, from, n, min, range, patchBits, all) : planBySorting(vals, from, n, patchBits, all);
}

/** A patch costs its position delta (~1 byte) and its value (up to the full width plus sign). */
function patchCostBits(fullWidth: number): number {
  return 8 + 8 * Math.ceil((fullWidth + 2) / 7);
}

/** For narrow ranges (the usual case): slide a window of each width over a histogram. */
function planByHistogram(vals: Float64Array, from: number, n: number, min: number, range: number, patchBits: number, all: Choice): Plan {
  // prefix[k] = how many values are below min + k.
  const size = range + 2;
  if (histogram.length < size) histogram = new Int32Array(size * 2);
  const prefix = histogram;
  prefix.fill(0, 0, size);
  for (let i = from; i < from + n; i++) prefix[vals[i] - min + 1]++;
  for (let k = 1; k < size; k++) prefix[k] += prefix[k - 1];
  let best = all;
  for (let width = all.width - 1; width >= 0; width--) {
    const span = 2 ** width;
    let covered = 0;
    let lo = 0;
    for (let k = 0; k <= range; k++) {
      const c = prefix[Math.min(k + span, size - 1)] - prefix[k];
      if (c > covered) {
        covered = c;
        lo = k;
      }
    }
    const patches = n - covered;
    if (patches > n >> 3) break;
    const costBits = n * width + patches * patchBits;
    if (costBits < best.costBits) best = { base: min + lo, width, costBits };
  }
  return best;
}

/** Exception counts tried when choosing a width for a wide range; more than n/8 rarely pay off. */
const PATCH_CANDIDATES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
/** Wide ranges are planned on an evenly spaced sample of about this many values (sorting is costly). */
const SORT_SAMPLE = 128;

/** For wide ranges: the narrowest window holding all but about e of the values, for a few e. */
function planBySorting(vals: Float64Array, from: number, n: number, patchBits: number, all: Choice): Plan {
  const stride = Math.max(1, Math.floor(n / SORT_SAMPLE));
  const k = Math.ceil(n / stride);
  if (sortScratch.length < k) sortScratch = new Float64Array(k);
  const s = sortScratch.subarray(0, k);
  for (let j = 0; j < k; j++) s[j] = vals[from + j * stride];
  s.sort();
  let best = all;
  for (const e of PATCH_CANDIDATES) {
    if (e > k >> 3) break;
    const m = k - e;
    let bestRange = Infinity;
    let bestLo = 0;
    for (let i = 0; i <= e; i++) {
      const r = s[i + m - 1] - s[i];
      if (r < bestRange) {
        bestRange = r;
        bestLo = s[i];
      }
    }
    const width = bitLength(bestRange);
    const costBits = n * width + ((e * n) / k) * patchBits;
    if (costBits < best.costBits) best = { base: bestLo, width, costBits };
    if (width === 0) break;
  }
  return best;
}

/** Writes vals[from, from+n) packed; the writer's `origin` must be the start of the block. */
export function writePacked(w: ByteWriter, vals: Float64Array, from: number, n: number): void {
  let min = n === 0 ? 0 : Infinity;
  let max = n === 0 ? 0 : -Infinity;
  for (let i = from; i < from + n; i++) {
    const v = vals[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const chosen = plan(vals, from, n, min, max);
  let { base, width } = chosen;
  let maxResidual = 2 ** width - 1;
  let patches = 0;
  if (!chosen.covered) {
    for (let i = from; i < from + n; i++) {
      const r = vals[i] - base;
      if (r < 0 || r > maxResidual) patches++;
    }
    // A plan made on a sample can be wrong; never store more than packing everything would take.
    const fullWidth = bitLength(max - min);
    if (n * width + patches * patchCostBits(fullWidth) >= n * fullWidth) {
      base = min;
      width = fullWidth;
      maxResidual = 2 ** width - 1;
      patches = 0;
    }
  }
  w.svarint(base);
  w.u8(width);
  w.uvarint(patches);
  let prev = 0;
  for (let i = from; i < from + n && patches > 0; i++) {
    const r = vals[i] - base;
    if (r < 0 || r > maxResidual) {
      w.uvarint(i - from - prev);
      w.svarint(r);
      prev = i - from;
    }
  }
  w.align4();
  writeWords(w, vals, from, n, base, width, false);
  if (width > 32) writeWords(w, vals, from, n, base, width, true);
}

/** Packs the low 32 bits (or, with `high`, the bits above 32) of each residual; patches pack as 0. */
function writeWords(w: ByteWriter, vals: Float64Array, from: number, n: number, base: number, width: number, high: boolean): void {
  const fieldWidth = high ? width - 32 : Math.min(width, 32);
  if (fieldWidth === 0) return;
  const maxResidual = 2 ** width - 1;
  const count = Math.ceil((n * fieldWidth) / 32);
  if (wordScratch.length < count) wordScratch = new Uint32Array(count * 2);
  const words = wordScratch;
  words.fill(0, 0, count);
  let bit = 0;
  for (let i = from; i < from + n; i++) {
    let v = vals[i] - base;
    if (v < 0 || v > maxResidual) v = 0;
    else if (high) v = Math.floor(v / TWO_POW_32);
    else if (width > 32) v %= TWO_POW_32;
    const at = bit >>> 5;
    const off = bit & 31;
    words[at] |= v << off;
    if (off + fieldWidth > 32) words[at + 1] |= v >>> (32 - off);
    bit += fieldWidth;
  }
  w.ensure(count * 4);
  if (HOST_LE) {
    w.buf.set(new Uint8Array(words.buffer, 0, count * 4), w.pos);
  } else {
    for (let i = 0; i < count; i++) w.view.setUint32(w.pos + i * 4, words[i], true);
  }
  w.pos += count * 4;
}

/** Returns `count` little-endian words at `pos` as host-order u32s, copying only when needed. */
function wordsAt(r: ByteReader, count: number): Uint32Array {
  r.need(count * 4, 'packed words');
  const byteOffset = r.buf.byteOffset + r.pos;
  r.pos += count * 4;
  if (HOST_LE && (byteOffset & 3) === 0) return new Uint32Array(r.buf.buffer, byteOffset, count);
  if (wordScratch.length < count) wordScratch = new Uint32Array(count * 2);
  const view = new DataView(r.buf.buffer, byteOffset, count * 4);
  for (let i = 0; i < count; i++) wordScratch[i] = view.getUint32(i * 4, true);
  return wordScratch;
}

/** out[at + i] = base + (the i-th `width`-bit field of words), width 1..32. */
function unpackLow(words: Uint32Array, width: number, n: number, out: Float64Array, at: number, base: number): void {
  const mask = width === 32 ? -1 : (1 << width) - 1;
  let bit = 0;
  for (let i = 0; i < n; i++) {
    const w = bit >>> 5;
    const off = bit & 31;
    let v = words[w] >>> off;
    if (off + width > 32) v |= words[w + 1] << (32 - off);
    out[at + i] = ((v & mask) >>> 0) + base;
    bit += width;
  }
}

/** out[at + i] += 2^32 * (the i-th `width`-bit field), for widths above 32. */
function unpackHigh(words: Uint32Array, width: number, n: number, out: Float64Array, at: number): void {
  const mask = (1 << width) - 1;
  let bit = 0;
  for (let i = 0; i < n; i++) {
    const w = bit >>> 5;
    const off = bit & 31;
    let v = words[w] >>> off;
    if (off + width > 32) v |= words[w + 1] << (32 - off);
    out[at + i] += (v & mask) * TWO_POW_32;
    bit += width;
  }
}

/**
 * The fixed part of a packed section, read before its words. The header and its patch arrays are
 * shared scratch (decoding allocates nothing per block): valid until the next readPackedHeader call.
 */
export interface PackedHeader {
  base: number;
  width: number;
  patches: number;
  /** Positions (strictly increasing, < n) and full values of the patched integers. */
  patchPositions: Int32Array;
  patchValues: Float64Array;
}

let patchPositions = new Int32Array(64);
let patchValues = new Float64Array(64);
const header: PackedHeader = { base: 0, width: 0, patches: 0, patchPositions, patchValues };

/** Reads base, width and the patch list of a section of n integers; leaves `r` at its words. */
export function readPackedHeader(r: ByteReader, origin: number, n: number): PackedHeader {
  const base = r.svarint();
  const width = r.u8();
  if (width > 53) r.fail(`packed width ${width} exceeds 53 bits`, r.pos - 1);
  const patches = r.uvarint();
  if (patches > n) r.fail(`${patches} patches for ${n} values`);
  if (patchPositions.length < patches) {
    patchPositions = new Int32Array(patches * 2);
    patchValues = new Float64Array(patches * 2);
  }
  let pos = 0;
  for (let i = 0; i < patches; i++) {
    const delta = r.uvarint();
    if (i > 0 && delta === 0) r.fail('patch positions not increasing');
    pos += delta;
    if (pos >= n) r.fail(`patch position ${pos} beyond ${n} values`);
    patchPositions[i] = pos;
    patchValues[i] = base + r.svarint();
  }
  r.align4(origin);
  header.base = base;
  header.width = width;
  header.patches = patches;
  header.patchPositions = patchPositions;
  header.patchValues = patchValues;
  return header;
}

/** The low words of a section with width 1..32 (consumes them from `r`). */
function packedWords(r: ByteReader, h: PackedHeader, n: number): Uint32Array {
  return wordsAt(r, Math.ceil((n * Math.min(h.width, 32)) / 32));
}

/** Reads the words that follow `h` and applies the patches, into out[at, at+n). */
export function readPackedBody(r: ByteReader, h: PackedHeader, out: Float64Array, at: number, n: number): void {
  const loWidth = Math.min(h.width, 32);
  if (loWidth === 0) {
    out.fill(h.base, at, at + n);
  } else {
    unpackLow(packedWords(r, h, n), loWidth, n, out, at, h.base);
  }
  if (h.width > 32) unpackHigh(wordsAt(r, Math.ceil((n * (h.width - 32)) / 32)), h.width - 32, n, out, at);
  for (let i = 0; i < h.patches; i++) out[at + h.patchPositions[i]] = h.patchValues[i];
}

/** Reads n packed integers into out[at, at+n); `origin` is the block start used for alignment. */
export function readPacked(r: ByteReader, origin: number, out: Float64Array, at: number, n: number): void {
  readPackedBody(r, readPackedHeader(r, origin, n), out, at, n);
}
