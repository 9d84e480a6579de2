import fc from 'fast-check';
import { testSeed } from '../query/testing/random';
import { ByteReader, ByteWriter, MalformedError, bitLength } from './bytes';

const seed = testSeed();

describe(`bytes (SEED=${seed})`, () => {
  const edges = [0, 1, 63, 64, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 49, 2 ** 52, Number.MAX_SAFE_INTEGER];

  it('round-trips unsigned and sign-magnitude varints over the whole safe-integer range', () => {
    const w = new ByteWriter(4);
    for (const v of edges) {
      w.uvarint(v);
      w.svarint(v);
      w.svarint(-v);
    }
    const r = new ByteReader(w.bytes());
    for (const v of edges) {
      expect(r.uvarint()).toBe(v);
      expect(r.svarint()).toBe(v);
      expect(r.svarint()).toBe(-v === 0 ? 0 : -v);
    }
    expect(r.pos).toBe(w.pos);
  });

  it('round-trips any safe integer (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), (vals) => {
        const w = new ByteWriter(1);
        for (const v of vals) w.svarint(v);
        const r = new ByteReader(w.bytes());
        for (const v of vals) expect(r.svarint()).toBe(v === 0 ? 0 : v);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('keeps a NaN payload through f64', () => {
    const w = new ByteWriter();
    w.bits64(0x00000002, 0x7ff00000);
    const r = new ByteReader(w.bytes());
    const out = new Uint32Array(2);
    r.bits64Into(out, 0);
    const view = new DataView(out.buffer);
    expect(view.getUint32(0, true)).toBe(2);
    expect(view.getUint32(4, true)).toBe(0x7ff00000);
  });

  it('refuses to read past the end or a varint beyond 2^53, naming the offset', () => {
    expect(() => new ByteReader(Uint8Array.from([0x80, 0x80])).uvarint()).toThrow(MalformedError);
    const tooLong = new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    expect(() => tooLong.uvarint()).toThrow(/safe integer/);
    const r = new ByteReader(Uint8Array.from([1, 2, 3]), 1);
    r.u8();
    r.u8();
    try {
      r.u32();
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedError);
      expect((err as MalformedError).offset).toBe(3);
    }
  });

  it('measures bit lengths across the 32-bit boundary', () => {
    expect([0, 1, 2, 3, 2 ** 32 - 1, 2 ** 32, 2 ** 52].map(bitLength)).toEqual([0, 1, 2, 2, 32, 33, 53]);
  });
});
