// What the engine hands to query evaluation for one series: its data in [start, end) as an ordered
// list of parts that do not overlap (after the engine's own merge and dedup).

/**
 * Decoded samples timestamps/values[from, to): timestamps sorted and unique. The arrays may be
 * longer (a decoded block or a head buffer); only the index range belongs to the part.
 */
export interface SampleRun {
  timestamps: Float64Array;
  values: Float64Array;
  from: number;
  to: number;
}

/**
 * A block described by its summary instead of its samples. The engine passes one only for a block
 * without NaN values that lies wholly inside one bucket (Bucketing.spanIndex), so per-bucket
 * aggregates can be taken from it. `first` and `last` are the values at minT and maxT.
 */
export interface SummaryPart {
  count: number;
  minT: number;
  maxT: number;
  min: number;
  max: number;
  sum: number;
  first: number;
  last: number;
}

export type Part = SampleRun | SummaryPart;

export function isSampleRun(part: Part): part is SampleRun {
  return (part as SampleRun).timestamps !== undefined;
}

/** A run over whole arrays. */
export function wholeRun(timestamps: Float64Array, values: Float64Array): SampleRun {
  return { timestamps, values, from: 0, to: timestamps.length };
}
