// Checks one entry of a write batch, the same way in every engine implementation.

import { ColumnarBatch, SeriesWrite } from './types';

/**
 * Returns why the samples of `entry` can not be stored, or undefined if they can. Timestamps must be
 * safe integers (ms since the epoch; negative is allowed), values numbers (NaN and ±Infinity are
 * stored as they are), and both arrays equally long.
 */
export function sampleProblem(entry: SeriesWrite): string | undefined {
  const { timestamps, values } = entry;
  if (!timestamps || !values || typeof timestamps.length !== 'number' || typeof values.length !== 'number') {
    return 'timestamps and values must be arrays';
  }
  if (timestamps.length !== values.length) {
    return `${timestamps.length} timestamps but ${values.length} values`;
  }
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (!Number.isSafeInteger(t)) return `timestamp ${t} at index ${i} is not an integer number of milliseconds`;
    if (typeof values[i] !== 'number') return `value at index ${i} is not a number`;
  }
  return undefined;
}

/** Why a columnar batch is malformed as a whole (offsets that do not fit), or undefined. */
export function columnsProblem(batch: ColumnarBatch): string | undefined {
  const { series, offsets, timestamps, values } = batch;
  if (!series || !offsets || !timestamps || !values) return 'series, offsets, timestamps and values are all required';
  if (offsets.length !== series.length + 1) return `${series.length} series need ${series.length + 1} offsets, got ${offsets.length}`;
  if (timestamps.length !== values.length) return `${timestamps.length} timestamps but ${values.length} values`;
  for (let i = 0; i < series.length; i++) {
    if (!(offsets[i] >= 0 && offsets[i] <= offsets[i + 1] && offsets[i + 1] <= timestamps.length)) return `offsets ${i} and ${i + 1} do not describe a range of the samples`;
  }
  return undefined;
}

/** Why samples [from, to) can not be stored, or undefined (the rules of sampleProblem). */
export function rangeProblem(timestamps: ArrayLike<number>, values: ArrayLike<number>, from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) {
    if (!Number.isSafeInteger(timestamps[i])) return `timestamp ${timestamps[i]} at index ${i - from} is not an integer number of milliseconds`;
    if (typeof values[i] !== 'number') return `value at index ${i - from} is not a number`;
  }
  return undefined;
}
