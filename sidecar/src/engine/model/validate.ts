// Checks one entry of a write batch, the same way in every engine implementation.

import { SeriesWrite } from './types';

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
