// The batch payload codec: series definitions per file, kept encoded for the series still written.

import { addEntry, decodeBatch, emptyBatch, encodeBatch, FileSeriesDefinitions } from './batch-codec';
import { ByteReader, ByteWriter } from '../encoding/bytes';
import { LabelSet } from '../model/types';

const LABELS: Record<number, LabelSet> = {
  1: { __name__: 'temperature', device: 'd1', site: 'berlin' },
  2: { site: 'paris', __name__: 'humidity', device: 'd2 ü' },
};

/** Encodes one batch naming `ids` (the file defined `knownBefore` earlier), decodes it, and says which labels it defined and how often labels were asked for. */
function roundTrip(defs: FileSeriesDefinitions, ids: number[], knownBefore: number[] = []): { defined: Array<[number, LabelSet]>; asked: number[] } {
  const asked: number[] = [];
  const batch = emptyBatch();
  for (const id of ids) addEntry(batch, id, [1000 * id], [id / 2], 0, 1);
  const w = new ByteWriter(64);
  encodeBatch(w, batch, defs, (id) => {
    asked.push(id);
    return LABELS[id];
  });
  const defined: Array<[number, LabelSet]> = [];
  const seen: number[] = [];
  decodeBatch(new ByteReader(Buffer.from(w.bytes()), 'wal-test', 0), (ref) => knownBefore.includes(ref), {
    define: (ref, labels) => defined.push([ref, labels]),
    samples: (ref, ts, vs, from, to) => {
      expect([...ts.subarray(from, to)]).toEqual([1000 * ref]);
      expect([...vs.subarray(from, to)]).toEqual([ref / 2]);
      seen.push(ref);
    },
  });
  expect(seen).toEqual(ids);
  return { defined, asked };
}

describe('series definitions', () => {
  it('define each series once per file, with labels that decode as written', () => {
    const defs = new FileSeriesDefinitions();
    const first = roundTrip(defs, [1, 2]);
    expect(first.defined).toEqual([
      [1, LABELS[1]],
      [2, LABELS[2]],
    ]);
    expect(first.asked).toEqual([1, 2]);
    const again = roundTrip(defs, [1, 2], [1, 2]);
    expect(again.defined).toEqual([]);
  });

  it('reuse the encoded labels of series the previous file defined, and forget the others', () => {
    const defs = new FileSeriesDefinitions();
    roundTrip(defs, [1, 2]);
    defs.reset();
    // A new file defines both again, from the kept bytes: no labels are asked for.
    const second = roundTrip(defs, [1]);
    expect(second.defined).toEqual([[1, LABELS[1]]]);
    expect(second.asked).toEqual([]);
    defs.reset();
    // Series 2 was not written to the second file: its bytes are gone; series 1's are kept.
    const third = roundTrip(defs, [2, 1]);
    expect(third.defined).toEqual([
      [2, LABELS[2]],
      [1, LABELS[1]],
    ]);
    expect(third.asked).toEqual([2]);
  });
});
