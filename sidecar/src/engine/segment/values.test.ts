import fc from 'fast-check';
import { Random, testSeed } from '../query/testing/random';
import { ByteReader, ByteWriter } from './bytes';
import { STALE_NAN_HI, STALE_NAN_LO, arrayFromBits, expectSameBits, fromBits } from './testing/fixtures';
import { VAL_CONST, VAL_DECIMAL, VAL_GORILLA, VAL_RAW, decodeValues, encodeValues } from './values';

const seed = testSeed();

function roundTrip(values: Float64Array): { out: Float64Array; bytes: number; codec: number } {
  const w = new ByteWriter(16);
  w.u8(0xaa); // values start unaligned inside a block, as they do after the timestamps
  encodeValues(w, values, 0, values.length);
  const r = new ByteReader(w.bytes(), 1);
  const out = new Float64Array(values.length + 1);
  decodeValues(r, 0, out, 1, values.length);
  expect(r.pos).toBe(w.pos);
  return { out: out.subarray(1), bytes: w.pos - 1, codec: w.buf[1] };
}

const stale = fromBits(STALE_NAN_HI, STALE_NAN_LO);
const specials: Array<[string, [number, number]]> = [
  ['staleness marker NaN', [STALE_NAN_HI, STALE_NAN_LO]],
  ['quiet NaN', [0x7ff80000, 0]],
  ['negative NaN with payload', [0xfff80000, 0xdeadbeef]],
  ['signalling NaN', [0x7ff00000, 1]],
  ['+Infinity', [0x7ff00000, 0]],
  ['-Infinity', [0xfff00000, 0]],
  ['-0', [0x80000000, 0]],
  ['smallest subnormal', [0, 1]],
  ['largest double', [0x7fefffff, 0xffffffff]],
];

function walk(rnd: Random, n: number, decimals: number): Float64Array {
  const out = new Float64Array(n);
  let m = rnd.int(-100_000, 100_000);
  for (let i = 0; i < n; i++) {
    m += rnd.int(-20, 20);
    out[i] = m / 10 ** decimals;
  }
  return out;
}

describe(`value codecs (SEED=${seed})`, () => {
  const rnd = new Random(seed);

  it.each(specials)('keeps the exact bits of %s, alone and among decimals', (_, bits) => {
    expectSameBits(roundTrip(arrayFromBits([bits])).out, arrayFromBits([bits]));
    const mixed = walk(rnd, 200, 2);
    const view = new DataView(mixed.buffer);
    view.setUint32(8 * 50, bits[1], true);
    view.setUint32(8 * 50 + 4, bits[0], true);
    const { out, codec } = roundTrip(mixed);
    expectSameBits(out, mixed);
    expect(codec).toBe(VAL_DECIMAL);
  });

  const cases: Array<[string, () => Float64Array, number, number]> = [
    ['a constant', () => new Float64Array(720).fill(21.5), VAL_CONST, 9],
    ['constant staleness markers', () => arrayFromBits(Array.from({ length: 50 }, () => [STALE_NAN_HI, STALE_NAN_LO] as const)), VAL_CONST, 9],
    ['a 2-decimal sensor walk', () => walk(rnd, 720, 2), VAL_DECIMAL, 720 * 0.8],
    ['integers (counters)', () => Float64Array.from({ length: 720 }, (_, i) => 1_000_000 + i * 3), VAL_DECIMAL, 16],
    ['decimals with 15 significant digits', () => walk(rnd, 300, 12).map((v) => v + 1000), VAL_DECIMAL, 300 * 8],
    ['full-precision floats', () => Float64Array.from({ length: 300 }, () => rnd.next() * 1000), VAL_GORILLA, 300 * 8],
    ['slowly changing full-precision floats', () => Float64Array.from({ length: 300 }, (_, i) => Math.sqrt(2) * (i >> 4)), VAL_GORILLA, 300 * 3],
    ['random bit patterns', () => Float64Array.from({ length: 100 }, () => fromBits(rnd.int(0, 2 ** 32 - 1), rnd.int(0, 2 ** 32 - 1))), VAL_RAW, 801],
    ['mantissas at the 2^50 limit', () => Float64Array.from({ length: 16 }, (_, i) => (i === 7 ? 2 ** 50 : i < 8 ? 2 ** 50 - 1 - i : i - (2 ** 50 - 1))), VAL_DECIMAL, 48],
    ['decimals with exponent 22', () => Float64Array.from({ length: 16 }, (_, i) => (i + 1) / 1e22), VAL_DECIMAL, 16],
    ['a large value that overflows when a later value needs more decimals', () => Float64Array.from({ length: 24 }, (_, i) => (i === 0 ? 1e14 : i === 1 ? 0.5 : i / 100)), VAL_DECIMAL, 40],
    ['a short block of awkward values', () => Float64Array.from([2 ** 50, 0.5, 1e-22, 1.5e-20, 0.1 + 0.2]), VAL_RAW, 41],
  ];

  it.each(cases)('round-trips %s', (_, make, codec, maxBytes) => {
    const values = make();
    const got = roundTrip(values);
    expectSameBits(got.out, values);
    expect(got.codec).toBe(codec);
    expect(got.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('survives a staleness marker at the start and end of a decimal block', () => {
    const values = walk(rnd, 100, 1);
    values[0] = stale;
    values[99] = stale;
    const view = new DataView(values.buffer);
    for (const i of [0, 99]) {
      view.setUint32(i * 8, STALE_NAN_LO, true);
      view.setUint32(i * 8 + 4, STALE_NAN_HI, true);
    }
    expectSameBits(roundTrip(values).out, values);
  });

  it('round-trips every bit pattern (property)', () => {
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 200 }), (pairs) => {
        const values = arrayFromBits(pairs);
        expectSameBits(roundTrip(values).out, values);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('round-trips decimals mixed with special values (property)', () => {
    const special = fc.constantFrom(...specials.map(([, bits]) => bits));
    const sample = fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((m) => ({ m })) },
      { weight: 1, arbitrary: special.map((bits) => ({ bits })) },
    );
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 8 }), (samples, e) => {
        const values = new Float64Array(samples.length);
        const view = new DataView(values.buffer);
        samples.forEach((s, i) => {
          if ('m' in s) {
            values[i] = s.m / 10 ** e;
          } else {
            view.setUint32(i * 8, s.bits[1], true);
            view.setUint32(i * 8 + 4, s.bits[0], true);
          }
        });
        expectSameBits(roundTrip(values).out, values);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('round-trips any doubles, including every special value (property)', () => {
    fc.assert(
      fc.property(fc.float64Array({ minLength: 1, maxLength: 200 }), (values) => {
        expectSameBits(roundTrip(values).out, values);
      }),
      { seed, numRuns: 300 },
    );
  });
});
