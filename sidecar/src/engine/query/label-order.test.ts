// The flattened comparison orders label sets exactly as compareLabelSets does.
import { compareLabelSets } from '../model/labels';
import { LabelSet } from '../model/types';
import { comparePairs, labelPairs, sortByLabels } from './label-order';
import { Random, testSeed } from './testing/random';

const seed = testSeed();

describe('label order', () => {
  it('flattens sorted pairs', () => {
    expect(labelPairs({ site: 'b', __name__: 't', a: '' })).toEqual(['__name__', 't', 'a', '', 'site', 'b']);
  });

  it(`agrees with compareLabelSets on random label sets (SEED=${seed})`, () => {
    const r = new Random(seed);
    const sets: LabelSet[] = [];
    for (let i = 0; i < 300; i++) {
      const labels: Record<string, string> = {};
      for (const name of r.some(['__name__', 'a', 'b', 'Z', 'site'])) labels[name] = r.pick(['x', 'y', 'xy', 'Ä', '']);
      sets.push(labels);
    }
    for (let i = 0; i < sets.length; i++) {
      const a = sets[i];
      const b = sets[(i * 7 + 3) % sets.length];
      expect([a, b, Math.sign(comparePairs(labelPairs(a), labelPairs(b)))]).toEqual([a, b, Math.sign(compareLabelSets(a, b))]);
    }
    expect(sortByLabels(sets, (s) => s)).toEqual([...sets].sort(compareLabelSets));
  });
});
