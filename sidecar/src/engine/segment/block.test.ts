import { ByteWriter, MalformedError } from './bytes';
import { decodeBlock, encodeBlock, summarize } from './block';
import { STALE_NAN_HI, STALE_NAN_LO, expectSameBits, fromBits } from './testing/fixtures';

const stale = fromBits(STALE_NAN_HI, STALE_NAN_LO);

describe('block', () => {
  it('summarises count, time range, min, max, sum, first and last, skipping NaN in min/max/sum', () => {
    const ts = Float64Array.from([10, 20, 30, 40, 50]);
    const vals = Float64Array.from([stale, 2.5, -1.25, 7, stale]);
    expect(summarize(ts, vals, 0, 5)).toEqual({
      count: 5,
      minT: 10,
      maxT: 50,
      nanCount: 2,
      min: -1.25,
      max: 7,
      sum: 8.25,
      first: NaN,
      last: NaN,
    });
    expect(summarize(ts, vals, 1, 3)).toMatchObject({ count: 3, minT: 20, maxT: 40, first: 2.5, last: 7, nanCount: 0 });
  });

  it('sums accurately and keeps infinities', () => {
    const n = 10_000;
    const ts = Float64Array.from({ length: n }, (_, i) => i);
    expect(summarize(ts, new Float64Array(n).fill(0.1), 0, n).sum).toBe(1000);
    const inf = Float64Array.from([1, Infinity, 2]);
    expect(summarize(ts, inf, 0, 3).sum).toBe(Infinity);
    expect(summarize(ts, Float64Array.from([NaN, NaN]), 0, 2)).toMatchObject({ min: NaN, max: NaN, sum: 0, nanCount: 2 });
  });

  it('decodes a block into reused arrays at an offset', () => {
    const ts = Float64Array.from({ length: 100 }, (_, i) => 1000 + i * 10);
    const vals = Float64Array.from({ length: 100 }, (_, i) => i / 4);
    const w = new ByteWriter();
    encodeBlock(w, ts, vals, 20, 50);
    const outT = new Float64Array(60);
    const outV = new Float64Array(60);
    expect(decodeBlock(w.bytes(), outT, outV, 10)).toBe(50);
    expectSameBits(outT.subarray(10), ts.subarray(20, 70));
    expectSameBits(outV.subarray(10), vals.subarray(20, 70));
    expect(() => decodeBlock(w.bytes(), outT, outV, 11)).toThrow(RangeError);
  });

  it('reports trailing or missing bytes as malformed, with the offset', () => {
    const w = new ByteWriter();
    encodeBlock(w, Float64Array.from([1, 2, 3]), Float64Array.from([1, 2, 4]), 0, 3);
    const out = new Float64Array(3);
    const longer = new Uint8Array(w.pos + 1);
    longer.set(w.bytes());
    expect(() => decodeBlock(longer, out, new Float64Array(3))).toThrow(MalformedError);
    expect(() => decodeBlock(w.bytes().subarray(0, w.pos - 1), out, new Float64Array(3))).toThrow(MalformedError);
    expect(() => decodeBlock(Uint8Array.from([0]), out, out)).toThrow(/empty block/);
  });
});
