// One block: up to a few hundred samples of one series, timestamps and values in separate columns,
// plus the summary kept in the index so that downsampled queries can skip decoding.
//
// Payload: count uvarint | timestamp section | value section (FORMAT.md "Block"). The CRC that
// follows the payload on disk is added and checked by the writer and reader, not here.

import { ByteReader, ByteWriter } from './bytes';
import { decodeTimestamps, encodeTimestamps } from './timestamps';
import { decodeValues, encodeValues } from './values';

/** What the index keeps about a block, so that queries can answer from it without decoding. */
export interface BlockSummary {
  count: number;
  /** Time of the first and last sample (ms). */
  minT: number;
  maxT: number;
  /** Samples whose value is NaN (e.g. Prometheus staleness markers); min, max and sum skip them. */
  nanCount: number;
  /** Smallest and largest non-NaN value; NaN when every value is NaN. */
  min: number;
  max: number;
  /** Sum of the non-NaN values (compensated summation, so nearly always the correctly rounded sum). */
  sum: number;
  /** The values at minT and maxT (either may be NaN). */
  first: number;
  last: number;
}

export function summarize(ts: Float64Array, vals: Float64Array, from: number, n: number): BlockSummary {
  let min = NaN;
  let max = NaN;
  let nanCount = 0;
  let naive = 0;
  let sum = 0;
  let compensation = 0;
  for (let i = from; i < from + n; i++) {
    const v = vals[i];
    if (v !== v) {
      nanCount++;
      continue;
    }
    if (!(v >= min)) min = v;
    if (!(v <= max)) max = v;
    naive += v;
    // Neumaier's variant of Kahan summation: the running error of each addition is kept apart.
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  const compensated = sum + compensation;
  return {
    count: n,
    minT: ts[from],
    maxT: ts[from + n - 1],
    nanCount,
    min,
    max,
    // With ±Infinity among the values the compensation itself becomes NaN; the plain sum is right.
    sum: Number.isFinite(naive) ? compensated : naive,
    first: vals[from],
    last: vals[from + n - 1],
  };
}

/** Appends the payload of one block holding ts/vals[from, from+n), n >= 1. */
export function encodeBlock(w: ByteWriter, ts: Float64Array, vals: Float64Array, from: number, n: number): void {
  w.origin = w.pos;
  w.uvarint(n);
  encodeTimestamps(w, ts, from, n);
  encodeValues(w, vals, from, n);
}

/**
 * Decodes a block payload into timestamps/values[at, at+count) and returns count. Throws
 * MalformedError (offset within the payload) if the payload is not a well-formed block or does
 * not hold `expectedCount` samples (when given), and RangeError if the output arrays are too short.
 */
export function decodeBlock(payload: Uint8Array, timestamps: Float64Array, values: Float64Array, at = 0, expectedCount?: number): number {
  const r = new ByteReader(payload);
  const n = r.uvarint();
  if (n === 0) r.fail('empty block', 0);
  if (expectedCount !== undefined && n !== expectedCount) r.fail(`block holds ${n} samples, its index entry ${expectedCount}`, 0);
  if (at + n > timestamps.length || at + n > values.length) {
    throw new RangeError(`a block of ${n} samples does not fit the output arrays at ${at}`);
  }
  decodeTimestamps(r, 0, timestamps, at, n);
  decodeValues(r, 0, values, at, n);
  if (r.pos !== payload.length) r.fail(`${payload.length - r.pos} unexpected bytes after the block`);
  return n;
}
