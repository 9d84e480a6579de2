import fc from 'fast-check';
import { Random, testSeed } from '../query/testing/random';
import { ByteReader, ByteWriter } from './bytes';
import { TS_DELTA, TS_RAW, decodeTimestamps, encodeTimestamps } from './timestamps';

const seed = testSeed();

function roundTrip(ts: number[]): { out: number[]; bytes: number; codec: number } {
  const w = new ByteWriter(16);
  encodeTimestamps(w, Float64Array.from(ts), 0, ts.length);
  const r = new ByteReader(w.bytes());
  const out = new Float64Array(ts.length);
  decodeTimestamps(r, 0, out, 0, ts.length);
  expect(r.pos).toBe(w.pos);
  return { out: Array.from(out), bytes: w.pos, codec: w.buf[0] };
}

describe(`timestamp codec (SEED=${seed})`, () => {
  const start = 1_700_000_000_000;
  const rnd = new Random(seed);
  const regular = Array.from({ length: 720 }, (_, i) => start + i * 10_000);
  const jittered = Array.from({ length: 720 }, (_, i) => start + i * 15_000 + rnd.int(-50, 50));
  const withGaps = regular.filter((_, i) => i % 97 !== 5);
  const cases: Array<[string, number[], number]> = [
    ['a single sample', [start], 10],
    ['two samples', [start, start + 1], 12],
    ['a regular series', regular, 12],
    ['a regular series with missed samples', withGaps, 48],
    ['scrape jitter of ±50 ms', jittered, 740],
    ['negative times across 1970', [-20_000, -10_000, 0, 10_000], 12],
  ];

  it.each(cases)('round-trips %s compactly', (_, ts, maxBytes) => {
    const { out, bytes, codec } = roundTrip(ts);
    expect(out).toEqual(ts);
    expect(codec).toBe(TS_DELTA);
    expect(bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('stores any safe-integer timestamps, even spans beyond 2^52 ms', () => {
    const extreme = [Number.MIN_SAFE_INTEGER, -1, Number.MAX_SAFE_INTEGER];
    const { out, codec } = roundTrip(extreme);
    expect(out).toEqual(extreme);
    expect(codec).toBe(TS_RAW);
  });

  it('round-trips any increasing safe integers (property)', () => {
    const step = fc.oneof(fc.constant(10_000), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 2 ** 40 }));
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.array(step, { maxLength: 300 }), (t0, steps) => {
        const ts = [t0];
        for (const s of steps) ts.push(ts[ts.length - 1] + s);
        expect(roundTrip(ts).out).toEqual(ts);
      }),
      { seed, numRuns: 300 },
    );
  });
});
