// Series identity: validation against the documented limits and a canonical key for hashing.
//
// Limits (see README "Data model"):
// - metric name: 1..256 bytes, [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus' rule, so PromQL can name it)
// - label name: 1..128 bytes, [a-zA-Z_][a-zA-Z0-9_]*; names starting with "__" are reserved
// - label value: 1..2048 bytes of valid UTF-8 (an empty value means the label is absent)
// - at most 32 labels besides the metric name

import { InvalidSeriesError } from './errors';
import { LabelSet, METRIC_NAME_LABEL } from './types';

export const LABEL_LIMITS = {
  maxLabels: 32,
  maxMetricNameBytes: 256,
  maxLabelNameBytes: 128,
  maxLabelValueBytes: 2048,
} as const;

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// A lone surrogate cannot be encoded as UTF-8; it would be silently replaced on disk.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Returns a normalised copy (empty values dropped) or throws InvalidSeriesError naming the label.
 * @example normalizeLabels({ __name__: 'temperature', device: 'd1', room: '' }) // room dropped
 */
export function normalizeLabels(labels: LabelSet): LabelSet {
  const name = labels[METRIC_NAME_LABEL];
  if (typeof name !== 'string' || name === '') {
    throw new InvalidSeriesError('missing metric name', METRIC_NAME_LABEL);
  }
  if (Buffer.byteLength(name) > LABEL_LIMITS.maxMetricNameBytes) {
    throw new InvalidSeriesError(`metric name longer than ${LABEL_LIMITS.maxMetricNameBytes} bytes`, METRIC_NAME_LABEL);
  }
  if (!METRIC_NAME_RE.test(name)) {
    throw new InvalidSeriesError(`metric name ${JSON.stringify(name)} must match [a-zA-Z_:][a-zA-Z0-9_:]*`, METRIC_NAME_LABEL);
  }
  const out: Record<string, string> = { [METRIC_NAME_LABEL]: name };
  let count = 0;
  for (const key of Object.keys(labels)) {
    if (key === METRIC_NAME_LABEL) continue;
    const value = labels[key];
    if (typeof value !== 'string') throw new InvalidSeriesError(`label ${key} must be a string`, key);
    if (value === '') continue;
    if (Buffer.byteLength(key) > LABEL_LIMITS.maxLabelNameBytes) {
      throw new InvalidSeriesError(`label name longer than ${LABEL_LIMITS.maxLabelNameBytes} bytes`, key);
    }
    if (!LABEL_NAME_RE.test(key)) {
      throw new InvalidSeriesError(`label name ${JSON.stringify(key)} must match [a-zA-Z_][a-zA-Z0-9_]*`, key);
    }
    if (key.startsWith('__')) throw new InvalidSeriesError(`label name ${key} is reserved (starts with "__")`, key);
    if (Buffer.byteLength(value) > LABEL_LIMITS.maxLabelValueBytes) {
      throw new InvalidSeriesError(`value of label ${key} longer than ${LABEL_LIMITS.maxLabelValueBytes} bytes`, key);
    }
    if (LONE_SURROGATE_RE.test(value)) throw new InvalidSeriesError(`value of label ${key} is not valid UTF-8`, key);
    if (++count > LABEL_LIMITS.maxLabels) {
      throw new InvalidSeriesError(`more than ${LABEL_LIMITS.maxLabels} labels`, key);
    }
    out[key] = value;
  }
  return out;
}

/**
 * A canonical string for a normalised label set: names sorted, pairs joined with bytes that the
 * validation rules keep out of names ("\u0000" between name and value, "\u0001" between pairs).
 * Values may contain those bytes, so each value is length-prefixed to keep the key unambiguous.
 */
export function seriesKey(labels: LabelSet): string {
  const names = sortedNames(labels);
  let key = '';
  for (const n of names) {
    const v = labels[n];
    key += n + '\u0000' + v.length + ':' + v + '\u0001';
  }
  return key;
}

/** Labels sorted by name, the order used on disk and in answers. */
export function sortedLabelPairs(labels: LabelSet): Array<[string, string]> {
  return sortedNames(labels).map((n) => [n, labels[n]]);
}

/**
 * The label names in ascending order. Label sets read from disk already hold them in that order,
 * and checking is much cheaper than sorting (which copies): start-up does this for every series.
 */
export function sortedNames(labels: LabelSet): string[] {
  const names = Object.keys(labels);
  for (let i = 1; i < names.length; i++) if (names[i - 1] > names[i]) return names.sort();
  return names;
}

/**
 * The order of answers: label pairs sorted by name, compared pair by pair (name, then value, by
 * UTF-16 code units); a set that is a prefix of another sorts first.
 */
export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  // By names and values directly, without building pairs: segment writes check the order of every
  // series they store, and building pairs was most of that cost.
  const na = sortedNames(a);
  const nb = sortedNames(b);
  const n = Math.min(na.length, nb.length);
  for (let i = 0; i < n; i++) {
    if (na[i] !== nb[i]) return na[i] < nb[i] ? -1 : 1;
    const va = a[na[i]];
    const vb = b[nb[i]];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return na.length - nb.length;
}
