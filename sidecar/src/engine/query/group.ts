// Grouping of bucketed series by label values, combined per bucket with a CrossAggregation.
//
// Rules (model/types.ts, AggregateRequest): series are grouped by their values of the groupBy
// labels (a missing label counts as ""); in each bucket crossAgg combines the group's filled values
// that are not NaN (count: how many series have one). A group's labels are its non-empty groupBy
// labels. Series are combined in the order they are added; the engine adds them in label order, as
// the specification's model does, so sums come out bit-identical.

import { InvalidQueryError } from '../model/errors';
import { CrossAggregation, LabelSet } from '../model/types';

export const CROSS_AGGREGATIONS: readonly CrossAggregation[] = ['avg', 'min', 'max', 'sum', 'count'];

/** One group: its labels and per-bucket running values. */
export interface Group {
  labels: LabelSet;
  /** Running sum, min or max per bucket. */
  acc: Float64Array;
  /** Series with a value per bucket. */
  counts: Float64Array;
}

/**
 * @example
 * const groups = new GroupAccumulator(['site'], 'avg', bucketing.count);
 * groups.add(series.labels, acc.values);
 * for (const g of groups.groups()) groups.valuesOf(g);
 */
export class GroupAccumulator {
  private readonly byKey = new Map<string, Group>();
  private readonly initial: number;

  constructor(
    readonly by: readonly string[],
    readonly crossAgg: CrossAggregation,
    readonly buckets: number,
  ) {
    if (!Array.isArray(by) || by.some((name) => typeof name !== 'string')) throw new InvalidQueryError('groupBy must be a list of label names');
    if (!CROSS_AGGREGATIONS.includes(crossAgg)) {
      throw new InvalidQueryError(`unknown cross aggregation ${JSON.stringify(crossAgg)}; expected one of ${CROSS_AGGREGATIONS.join(', ')}`);
    }
    this.initial = crossAgg === 'min' ? Infinity : crossAgg === 'max' ? -Infinity : 0;
  }

  /** Adds one series' filled bucket values (NaN: no value) to its group. */
  add(labels: LabelSet, values: Float64Array): void {
    const group = this.groupOf(labels);
    const { acc, counts } = group;
    const n = this.buckets;
    switch (this.crossAgg) {
      case 'avg':
      case 'sum':
        for (let k = 0; k < n; k++) {
          const v = values[k];
          if (v === v) {
            acc[k] += v;
            counts[k]++;
          }
        }
        return;
      case 'min':
        for (let k = 0; k < n; k++) {
          const v = values[k];
          if (v === v) {
            acc[k] = Math.min(acc[k], v);
            counts[k]++;
          }
        }
        return;
      case 'max':
        for (let k = 0; k < n; k++) {
          const v = values[k];
          if (v === v) {
            acc[k] = Math.max(acc[k], v);
            counts[k]++;
          }
        }
        return;
      case 'count':
        for (let k = 0; k < n; k++) if (values[k] === values[k]) counts[k]++;
        return;
    }
  }

  /** Groups in the order they were first seen. */
  groups(): IterableIterator<Group> {
    return this.byKey.values();
  }

  /** The combined value per bucket, NaN where no series of the group has one. */
  valuesOf(group: Group, out = new Float64Array(this.buckets)): Float64Array {
    const { acc, counts } = group;
    for (let k = 0; k < this.buckets; k++) {
      const c = counts[k];
      out[k] = c === 0 ? NaN : this.crossAgg === 'avg' ? acc[k] / c : this.crossAgg === 'count' ? c : acc[k];
    }
    return out;
  }

  private groupOf(labels: LabelSet): Group {
    // Values are length-prefixed so that no value can be mistaken for a separator.
    let key = '';
    for (const name of this.by) {
      const v = labels[name] ?? '';
      key += v.length + ':' + v;
    }
    let group = this.byKey.get(key);
    if (!group) {
      const groupLabels: Record<string, string> = {};
      for (const name of this.by) {
        const v = labels[name];
        if (v !== undefined && v !== '') groupLabels[name] = v;
      }
      group = { labels: groupLabels, acc: new Float64Array(this.buckets).fill(this.initial), counts: new Float64Array(this.buckets) };
      this.byKey.set(key, group);
    }
    return group;
  }
}
