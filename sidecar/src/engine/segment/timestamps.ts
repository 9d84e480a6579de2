// Timestamp codec for one block: integer milliseconds, strictly increasing.
//
// DELTA (the usual case): the first timestamp, then the deltas packed with patched
// frame-of-reference. A regular series (every 10 s) packs at width 0, so the block costs a few
// bytes whatever its length; a missed sample is one patch; jitter costs only the bits of its spread.
// RAW: eight bytes per timestamp, for the absurd spans (deltas above 2^52 ms) that DELTA cannot
// represent exactly, so any safe-integer timestamp can be stored.

import { MAX_PACKED_MAGNITUDE, readPackedBody, readPackedHeader, writePacked } from './bitpack';
import { ByteReader, ByteWriter } from './bytes';

export const TS_DELTA = 1;
export const TS_RAW = 2;

let deltaScratch = new Float64Array(1024);

/** Encodes ts[from, from+n) (n >= 1); the writer's `origin` must be the block start. */
export function encodeTimestamps(w: ByteWriter, ts: Float64Array, from: number, n: number): void {
  if (deltaScratch.length < n) deltaScratch = new Float64Array(n);
  const deltas = deltaScratch;
  let representable = true;
  for (let i = 1; i < n; i++) {
    const d = ts[from + i] - ts[from + i - 1];
    if (!(d <= MAX_PACKED_MAGNITUDE) || ts[from + i - 1] + d !== ts[from + i]) {
      representable = false;
      break;
    }
    deltas[i - 1] = d;
  }
  if (!representable) {
    w.u8(TS_RAW);
    for (let i = 0; i < n; i++) w.f64(ts[from + i]);
    return;
  }
  w.u8(TS_DELTA);
  w.svarint(ts[from]);
  if (n > 1) writePacked(w, deltas, 0, n - 1);
}

/** Decodes n timestamps into out[at, at+n). */
export function decodeTimestamps(r: ByteReader, origin: number, out: Float64Array, at: number, n: number): void {
  const codec = r.u8();
  if (codec === TS_RAW) {
    for (let i = 0; i < n; i++) out[at + i] = r.f64();
    return;
  }
  if (codec !== TS_DELTA) r.fail(`unknown timestamp codec ${codec}`, r.pos - 1);
  const t0 = r.svarint();
  out[at] = t0;
  if (n === 1) return;
  const h = readPackedHeader(r, origin, n - 1);
  if (h.width === 0 && h.patches === 0) {
    // A regular series: exact, since every timestamp is a safe integer.
    const stride = h.base;
    for (let i = 1; i < n; i++) out[at + i] = t0 + i * stride;
    return;
  }
  readPackedBody(r, h, out, at + 1, n - 1);
  for (let i = at + 1; i < at + n; i++) out[i] += out[i - 1];
}
