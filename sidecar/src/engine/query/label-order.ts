// The answer order (compareLabelSets in model/labels.ts) without its per-comparison allocations:
// a label set is flattened once into its sorted name/value pairs, and those are compared.

import { sortedNames } from '../model/labels';
import { LabelSet } from '../model/types';

/**
 * A label set as [name0, value0, name1, value1, …] with names in ascending order.
 * @example labelPairs({ site: 'b', __name__: 't' }) // ['__name__', 't', 'site', 'b']
 */
export type LabelPairs = readonly string[];

export function labelPairs(labels: LabelSet): LabelPairs {
  const names = sortedNames(labels);
  const out = new Array<string>(names.length * 2);
  for (let i = 0; i < names.length; i++) {
    out[2 * i] = names[i];
    out[2 * i + 1] = labels[names[i]];
  }
  return out;
}

/** The same order as compareLabelSets: pair by pair, name then value, a prefix first. */
export function comparePairs(a: LabelPairs, b: LabelPairs): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Sorts items by their label sets in the answer order; each set is flattened once. */
export function sortByLabels<T>(items: readonly T[], labelsOf: (item: T) => LabelSet): T[] {
  const keyed = items.map((item) => ({ item, pairs: labelPairs(labelsOf(item)) }));
  keyed.sort((x, y) => comparePairs(x.pairs, y.pairs));
  return keyed.map((k) => k.item);
}
