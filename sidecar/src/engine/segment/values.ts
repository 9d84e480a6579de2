// Value codecs for one block of float64 samples; every codec round-trips every bit pattern.
//
// DECIMAL (the usual case): sensor values such as 21.37 are short decimals. As VictoriaMetrics does,
// each value becomes an integer mantissa m with one exponent E per block (value = m / 10^E, which
// IEEE division rounds back to the very same double), the mantissas are delta- or
// delta-of-delta-coded and packed with patched frame-of-reference. Values that are not short decimals
// (NaN with any payload, ±Infinity, -0, long fractions) are "specials": stored as raw bits and given
// the previous mantissa so they cost nothing in the packed stream. A block with too many specials
// is not decimal.
// CONST: every value has the same bit pattern. GORILLA: XOR coding for values that are not decimals.
// RAW: eight bytes per value, used whenever the others would be larger.

import { readPacked, writePacked } from './bitpack';
import { ByteReader, ByteWriter, HI, LO, bitLength } from './bytes';
import { decodeGorilla, encodeGorilla } from './gorilla';

export const VAL_RAW = 1;
export const VAL_CONST = 2;
export const VAL_DECIMAL = 3;
export const VAL_GORILLA = 4;

/** Largest decimal exponent: 10^22 is the largest power of ten a double holds exactly. */
export const MAX_EXPONENT = 22;
/** Mantissas stay below 2^50 so that their deltas of deltas stay below 2^52 (see bitpack). */
const MAX_MANTISSA = 2 ** 50 - 1;
export const POW10 = Array.from({ length: MAX_EXPONENT + 1 }, (_, e) => 10 ** e);

let mantissas = new Float64Array(1024);
let residuals = new Float64Array(1024);
let special = new Uint8Array(1024);

/** A Uint32Array over the same memory as `f`, so values can be moved as raw bit patterns. */
function bitsOf(f: Float64Array): Uint32Array {
  return new Uint32Array(f.buffer, f.byteOffset, f.length * 2);
}

/** True if v is exactly m / 10^e for an integer |m| < 2^50 (never for -0, NaN or ±Infinity). */
function fitsDecimal(v: number, e: number): boolean {
  const p = POW10[e];
  const m = Math.round(v * p);
  return m <= MAX_MANTISSA && m >= -MAX_MANTISSA && m / p === v && (v !== 0 || 1 / v > 0);
}

/** The smallest exponent at which v is a decimal, or -1. */
export function decimalExponent(v: number, from = 0): number {
  if (!Number.isFinite(v)) return -1;
  for (let e = from; e <= MAX_EXPONENT; e++) {
    if (fitsDecimal(v, e)) return e;
    if (Math.abs(v) * POW10[e] > MAX_MANTISSA) return -1;
  }
  return -1;
}

/** Encodes vals[from, from+n) (n >= 1); the writer's `origin` must be the block start. */
export function encodeValues(w: ByteWriter, vals: Float64Array, from: number, n: number): void {
  const bits = bitsOf(vals);
  const lo0 = bits[2 * from + LO];
  const hi0 = bits[2 * from + HI];
  let constant = true;
  for (let i = from + 1; i < from + n && constant; i++) {
    constant = bits[2 * i + LO] === lo0 && bits[2 * i + HI] === hi0;
  }
  if (constant) {
    w.u8(VAL_CONST);
    w.bits64(lo0, hi0);
    return;
  }
  const start = w.pos;
  w.u8(VAL_DECIMAL);
  if (!encodeDecimal(w, vals, bits, from, n)) {
    w.pos = start;
    w.u8(VAL_GORILLA);
    encodeGorilla(w, bits, from, n);
  }
  if (w.pos - start > 1 + 8 * n) {
    w.pos = start;
    w.u8(VAL_RAW);
    for (let i = from; i < from + n; i++) w.bits64(bits[2 * i + LO], bits[2 * i + HI]);
  }
}

/**
 * Fills `mantissas` and `special` for vals[from, from+n) in one pass and returns the block's
 * exponent and number of specials (-1 when there are too many for the decimal codec).
 * When a value needs a larger exponent, the mantissas so far are scaled up by the difference:
 * m * 10^d / 10^(E+d) is the same rational as m / 10^E, so it rounds to the same double and only
 * the mantissa limit needs checking again.
 */
function toMantissas(vals: Float64Array, from: number, n: number): { exponent: number; specials: number } {
  if (mantissas.length < n) {
    mantissas = new Float64Array(n);
    residuals = new Float64Array(n);
    special = new Uint8Array(n);
  }
  const limit = n >> 3;
  let exponent = 0;
  let p = 1;
  let specials = 0;
  for (let i = 0; i < n; i++) {
    const v = vals[from + i];
    const m = Math.round(v * p);
    if (m / p === v && m <= MAX_MANTISSA && m >= -MAX_MANTISSA && (v !== 0 || 1 / v > 0)) {
      mantissas[i] = m;
      special[i] = 0;
      continue;
    }
    const e = decimalExponent(v, exponent + 1);
    if (e >= 0) {
      const scale = POW10[e - exponent];
      for (let k = 0; k < i; k++) {
        if (special[k]) continue;
        const scaled = mantissas[k] * scale;
        if (scaled <= MAX_MANTISSA && scaled >= -MAX_MANTISSA) {
          mantissas[k] = scaled;
        } else {
          special[k] = 1;
          specials++;
        }
      }
      exponent = e;
      p = POW10[e];
      mantissas[i] = Math.round(v * p);
      special[i] = 0;
    } else {
      special[i] = 1;
      specials++;
    }
    if (specials > limit) return { exponent, specials: -1 };
  }
  if (specials > 0 && !fillSpecials(n)) return { exponent, specials: -1 };
  return { exponent, specials };
}

/** Gives each special the previous regular mantissa (leading ones the first), so it adds no delta. */
function fillSpecials(n: number): boolean {
  let firstRegular = -1;
  for (let i = 0; i < n; i++) {
    if (!special[i]) {
      firstRegular = i;
      break;
    }
  }
  if (firstRegular < 0) return false;
  for (let i = 0; i < n; i++) {
    if (special[i]) mantissas[i] = i < firstRegular ? mantissas[firstRegular] : mantissas[i - 1];
  }
  return true;
}

/** Delta-of-delta pays off for smooth series; a one-pass comparison of the two ranges picks it. */
function chooseOrder(n: number): 1 | 2 {
  if (n < 3) return 1;
  let prevDelta = mantissas[1] - mantissas[0];
  let min1 = prevDelta;
  let max1 = prevDelta;
  let min2 = Infinity;
  let max2 = -Infinity;
  for (let i = 2; i < n; i++) {
    const d = mantissas[i] - mantissas[i - 1];
    const dd = d - prevDelta;
    prevDelta = d;
    if (d < min1) min1 = d;
    if (d > max1) max1 = d;
    if (dd < min2) min2 = dd;
    if (dd > max2) max2 = dd;
  }
  return bitLength(max2 - min2) < bitLength(max1 - min1) ? 2 : 1;
}

function encodeDecimal(w: ByteWriter, vals: Float64Array, bits: Uint32Array, from: number, n: number): boolean {
  const { exponent, specials } = toMantissas(vals, from, n);
  if (specials < 0) return false;
  const order = chooseOrder(n);
  for (let i = order; i < n; i++) {
    residuals[i - order] =
      order === 1 ? mantissas[i] - mantissas[i - 1] : mantissas[i] - 2 * mantissas[i - 1] + mantissas[i - 2];
  }
  w.u8(exponent);
  w.u8(order);
  w.svarint(mantissas[0]);
  if (order === 2) w.svarint(mantissas[1] - mantissas[0]);
  if (n > order) writePacked(w, residuals, 0, n - order);
  w.uvarint(specials);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    if (!special[i]) continue;
    w.uvarint(i - prev);
    w.bits64(bits[2 * (from + i) + LO], bits[2 * (from + i) + HI]);
    prev = i;
  }
  return true;
}

/** Decodes n values into out[at, at+n). */
export function decodeValues(r: ByteReader, origin: number, out: Float64Array, at: number, n: number): void {
  const codec = r.u8();
  switch (codec) {
    case VAL_CONST: {
      r.bits64Into(bitsOf(out), 2 * at);
      // Copying doubles the filled run each time and moves raw bytes, so NaN payloads survive.
      for (let filled = 1; filled < n; filled *= 2) {
        out.copyWithin(at + filled, at, at + Math.min(filled, n - filled));
      }
      return;
    }
    case VAL_RAW: {
      const bits = bitsOf(out);
      for (let i = at; i < at + n; i++) r.bits64Into(bits, 2 * i);
      return;
    }
    case VAL_GORILLA:
      decodeGorilla(r, origin, bitsOf(out), at, n);
      return;
    case VAL_DECIMAL:
      decodeDecimal(r, origin, out, at, n);
      return;
    default:
      r.fail(`unknown value codec ${codec}`, r.pos - 1);
  }
}

function decodeDecimal(r: ByteReader, origin: number, out: Float64Array, at: number, n: number): void {
  const exponent = r.u8();
  if (exponent > MAX_EXPONENT) r.fail(`decimal exponent ${exponent} above ${MAX_EXPONENT}`, r.pos - 1);
  const order = r.u8();
  if (order !== 1 && order !== 2) r.fail(`delta order ${order}`, r.pos - 1);
  if (order === 2 && n < 3) r.fail(`delta-of-delta order in a block of ${n} values`, r.pos - 1);
  const m0 = r.svarint();
  const d1 = order === 2 ? r.svarint() : 0;
  const p = POW10[exponent];
  out[at] = m0 / p;
  if (order === 2) out[at + 1] = (m0 + d1) / p;
  if (n > order) {
    readPacked(r, origin, out, at + order, n - order);
    integrate(order, m0, d1, p, out, at, n);
  }
  const specials = r.uvarint();
  if (specials > n) r.fail(`${specials} special values in a block of ${n}`);
  if (specials === 0) return;
  const bits = bitsOf(out);
  let pos = 0;
  for (let i = 0; i < specials; i++) {
    const delta = r.uvarint();
    if (i > 0 && delta === 0) r.fail('special value positions not increasing');
    pos += delta;
    if (pos >= n) r.fail(`special value position ${pos} beyond ${n} values`);
    r.bits64Into(bits, 2 * (at + pos));
  }
}

/**
 * Turns the residuals in out[at+order, at+n) back into values: adds them up once (order 1) or
 * twice (order 2) starting from m0 (and d1), dividing each mantissa by 10^E. This and the unpacking
 * are where queries spend their time, so the loops stay free of branches.
 */
function integrate(order: number, m0: number, d1: number, p: number, out: Float64Array, at: number, n: number): void {
  const end = at + n;
  if (order === 1) {
    let m = m0;
    for (let i = at + 1; i < end; i++) {
      m += out[i];
      out[i] = m / p;
    }
    return;
  }
  let d = d1;
  let m = m0 + d1;
  for (let i = at + 2; i < end; i++) {
    d += out[i];
    m += d;
    out[i] = m / p;
  }
}
