import fc from 'fast-check';
import { testSeed } from '../query/testing/random';
import { MAX_PACKED_MAGNITUDE, readPacked, writePacked } from './bitpack';
import { ByteReader, ByteWriter } from './bytes';

const seed = testSeed();

/** Packs at a deliberately unaligned origin, unpacks, and returns the values and the bytes used. */
function roundTrip(values: number[], origin = 3): { out: number[]; bytes: number } {
  const w = new ByteWriter(8);
  w.pos = origin;
  w.origin = origin;
  writePacked(w, Float64Array.from(values), 0, values.length);
  const r = new ByteReader(w.bytes(), origin);
  const out = new Float64Array(values.length + 2).fill(-7);
  readPacked(r, origin, out, 1, values.length);
  expect(r.pos).toBe(w.pos);
  expect(out[0]).toBe(-7);
  expect(out[values.length + 1]).toBe(-7);
  return { out: Array.from(out.subarray(1, values.length + 1)), bytes: w.pos - origin };
}

describe(`packed integers (SEED=${seed})`, () => {
  const regular = Array.from({ length: 720 }, () => 10_000);
  const withGap = regular.map((v, i) => (i === 300 ? 20_000 : v));
  const cases: Array<[string, number[]]> = [
    ['nothing', []],
    ['one value', [-5]],
    ['constant', regular],
    ['constant with one gap', withGap],
    ['small signed walk', Array.from({ length: 500 }, (_, i) => ((i * 7919) % 11) - 5)],
    ['spike among small values', Array.from({ length: 300 }, (_, i) => (i === 150 ? 1e12 : i % 4))],
    ['wider than 32 bits', Array.from({ length: 100 }, (_, i) => (i * 2 ** 40 + i) % 2 ** 45)],
    ['extremes', [MAX_PACKED_MAGNITUDE, -MAX_PACKED_MAGNITUDE, 0, 1, -1, MAX_PACKED_MAGNITUDE - 1]],
  ];

  it.each(cases)('round-trips %s', (_, values) => {
    expect(roundTrip(values).out).toEqual(values);
  });

  it('stores a regular run in a few bytes whatever its length, and a gap as one patch', () => {
    expect(roundTrip(regular).bytes).toBeLessThanOrEqual(8);
    expect(roundTrip(withGap).bytes).toBeLessThanOrEqual(16);
  });

  it('round-trips any integers within ±2^52 (property)', () => {
    const magnitude = fc.oneof(
      fc.integer({ min: -8, max: 8 }),
      fc.integer({ min: -70_000, max: 70_000 }),
      fc.integer({ min: -MAX_PACKED_MAGNITUDE, max: MAX_PACKED_MAGNITUDE }),
    );
    fc.assert(
      fc.property(fc.array(magnitude, { maxLength: 400 }), fc.integer({ min: 0, max: 3 }), (values, origin) => {
        expect(roundTrip(values, origin).out).toEqual(values);
      }),
      { seed, numRuns: 300 },
    );
  });
});
