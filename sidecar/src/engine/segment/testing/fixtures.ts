// Test fixtures for segment tests: exact bit comparisons, doubles from bit patterns, sensor-like
// series and a temporary data directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../query/testing/random';
import { LabelSet } from '../../model/types';
import { SegmentSeries } from '../writer';

/** The double whose IEEE bits are hi:lo (two unsigned 32-bit halves). */
export function fromBits(hi: number, lo: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}

/** Hex of a double's bits, for readable failures. */
function hexBits(v: Float64Array, i: number): string {
  const view = new DataView(v.buffer, v.byteOffset + i * 8, 8);
  return view.getBigUint64(0, true).toString(16).padStart(16, '0');
}

/** Prometheus' staleness marker: a NaN that must keep its payload. */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

/** A Float64Array holding exactly the given bit patterns ([hi, lo] pairs), bypassing JS numbers. */
export function arrayFromBits(pairs: ReadonlyArray<readonly [number, number]>): Float64Array {
  const out = new Float64Array(pairs.length);
  const view = new DataView(out.buffer);
  pairs.forEach(([hi, lo], i) => {
    view.setUint32(i * 8, lo, true);
    view.setUint32(i * 8 + 4, hi, true);
  });
  return out;
}

/** Index of the first element whose bits differ, or -1 when both arrays hold the same bits. */
function firstBitDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / 8);
  return -1;
}

/** Asserts equal bits, naming the first difference. */
export function expectSameBits(actual: Float64Array, expected: Float64Array): void {
  const i = firstBitDifference(actual, expected);
  if (i >= 0) {
    const got = i < actual.length ? hexBits(actual, i) : 'nothing';
    const want = i < expected.length ? hexBits(expected, i) : 'nothing';
    throw new Error(`bits differ at index ${i} of ${expected.length}: got ${got}, want ${want}`);
  }
}

/** A sensor-like series: every `stepMs`, a smooth walk rounded to `decimals`. */
export function sensorSeries(rnd: Random, labels: LabelSet, n: number, startMs = 1_700_000_000_000, stepMs = 10_000, decimals = 2): SegmentSeries {
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const scale = 10 ** decimals;
  let x = 20 + rnd.next() * 10;
  let velocity = 0;
  for (let i = 0; i < n; i++) {
    timestamps[i] = startMs + i * stepMs;
    velocity = 0.9 * velocity + (rnd.next() - 0.5) * 0.02;
    x += velocity;
    values[i] = Math.round(x * scale) / scale;
  }
  return { labels, timestamps, values };
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
