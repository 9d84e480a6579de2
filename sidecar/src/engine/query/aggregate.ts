// A bucketed aggregation from start to answer: per-series buckets and fill, optional grouping, the
// answer order and the maxPoints limit (model/types.ts, AggregateRequest).
//
// The engine selects series (index/), checks maxSeries, creates the evaluator (which refuses a range
// of more than maxPoints buckets before anything is read), then adds each series' parts in label
// order and takes the result.

import { InvalidQueryError } from '../model/errors';
import { Aggregation, BucketSeries, CrossAggregation, Fill, LabelSet } from '../model/types';
import { FILLS, SeriesAccumulator } from './accumulator';
import { Bucketing } from './bucketing';
import { GroupAccumulator } from './group';
import { LabelPairs, comparePairs, labelPairs } from './label-order';
import { assertPointsWithin } from './limits';
import { Part } from './parts';

export interface AggregateOptions {
  agg: Aggregation;
  fill?: Fill;
  groupBy?: readonly string[];
  crossAgg?: CrossAggregation;
  maxPoints?: number;
}

interface Answer {
  pairs: LabelPairs;
  series: BucketSeries;
}

/**
 * @example
 * const evaluator = new AggregateEvaluator(Bucketing.create(req), req);
 * for (const s of seriesInLabelOrder) evaluator.add(s.labels, s.parts, s.before);
 * return evaluator.result();
 */
export class AggregateEvaluator {
  readonly fill: Fill;
  private readonly accumulator: SeriesAccumulator;
  private readonly groups: GroupAccumulator | undefined;
  private readonly answers: Answer[] = [];

  constructor(
    readonly bucketing: Bucketing,
    private readonly options: AggregateOptions,
  ) {
    this.fill = options.fill ?? 'none';
    if (!FILLS.includes(this.fill)) throw new InvalidQueryError(`unknown fill ${JSON.stringify(this.fill)}; expected one of ${FILLS.join(', ')}`);
    bucketing.assertWithin(options.maxPoints);
    this.accumulator = new SeriesAccumulator(bucketing, options.agg);
    this.groups = options.groupBy ? new GroupAccumulator(options.groupBy, options.crossAgg ?? 'avg', bucketing.count) : undefined;
  }

  /**
   * Adds one series: its parts in [start, end) in time order, and with fill `previous` its latest
   * non-NaN value before start (the engine finds it with latestOf). With groupBy, add series in label
   * order so that group sums are taken in the specification's order.
   */
  add(labels: LabelSet, parts: readonly Part[], before?: number): void {
    const acc = this.accumulator;
    acc.reset();
    acc.addParts(parts);
    if (!acc.finish(this.fill, before)) return;
    if (this.groups) this.groups.add(labels, acc.values);
    else this.answers.push({ pairs: labelPairs(labels), series: this.emit(labels, acc.values) });
  }

  /** The answer in label order; QueryLimitError if it holds more than maxPoints points. */
  result(): BucketSeries[] {
    const answers = this.groups ? this.groupAnswers(this.groups) : this.answers;
    answers.sort((a, b) => comparePairs(a.pairs, b.pairs));
    let points = 0;
    for (const a of answers) points += a.series.timestamps.length;
    assertPointsWithin(points, this.options.maxPoints);
    return answers.map((a) => a.series);
  }

  private groupAnswers(groups: GroupAccumulator): Answer[] {
    const out: Answer[] = [];
    const scratch = new Float64Array(this.bucketing.count);
    for (const group of groups.groups()) {
      const values = groups.valuesOf(group, scratch);
      let any = false;
      for (let k = 0; k < values.length && !any; k++) any = values[k] === values[k];
      if (any) out.push({ pairs: labelPairs(group.labels), series: this.emit(group.labels, values) });
    }
    return out;
  }

  /** Fill `null` keeps every bucket (NaN where empty); the others keep the buckets with a value. */
  private emit(labels: LabelSet, values: Float64Array): BucketSeries {
    const bounds = this.bucketing.bounds();
    const n = values.length;
    if (this.fill === 'null') return { labels, timestamps: bounds.slice(0, n), values: values.slice() };
    let kept = 0;
    for (let k = 0; k < n; k++) if (values[k] === values[k]) kept++;
    const timestamps = new Float64Array(kept);
    const out = new Float64Array(kept);
    let j = 0;
    for (let k = 0; k < n; k++) {
      const v = values[k];
      if (v === v) {
        timestamps[j] = bounds[k];
        out[j++] = v;
      }
    }
    return { labels, timestamps, values: out };
  }
}
