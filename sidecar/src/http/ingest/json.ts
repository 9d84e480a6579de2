// The JSON ingest format for devices and scripts:
//   { "series": [ { "metric": "temperature", "labels": { "device": "d1" },
//                   "samples": [[1700000000000, 21.5], [1700000010000, null]] } ] }
// Timestamps are integer ms; a null value is stored as NaN (a gap, as query answers show it).

import { z } from 'zod';

import { BuiltBatch, CachedSeries, toBatch } from './batch';
import { HttpError } from '../errors';
import { METRIC_NAME_LABEL } from '../../engine/model/types';

const sampleSchema = z.tuple([z.number().int(), z.number().nullable()]);

const bodySchema = z
  .object({
    series: z.array(
      z
        .object({
          metric: z.string().min(1),
          labels: z
            .record(z.string())
            .refine((l) => !Object.prototype.hasOwnProperty.call(l, METRIC_NAME_LABEL), 'the metric name goes in "metric", not in a __name__ label')
            .default({}),
          samples: z.array(sampleSchema),
        })
        .strict(),
    ),
  })
  .strict();

/** `["series", 3, "samples", 0, 1]` → `series[3].samples[0][1]`. */
export function jsonPath(path: ReadonlyArray<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || 'the body';
}

/** Validates the body and turns it into one batch; nothing is stored if any part is malformed. */
export function decodeJsonWrite(body: unknown, maxSamples: number): BuiltBatch {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError('INVALID_REQUEST', `${jsonPath(issue.path)}: ${issue.message}; expected {"series":[{"metric":"...","labels":{...},"samples":[[<ms>,<value>],...]}]}`, {
      path: jsonPath(issue.path),
    });
  }
  const total = parsed.data.series.reduce((n, s) => n + s.samples.length, 0);
  if (total > maxSamples) {
    throw new HttpError('TOO_MANY_SAMPLES', `the request holds ${total} samples, more than the per-request limit of ${maxSamples}; nothing was stored`, { limit: maxSamples });
  }
  const series: CachedSeries[] = [];
  const offsets = new Int32Array(parsed.data.series.length + 1);
  const times = new Float64Array(total);
  const values = new Float64Array(total);
  let at = 0;
  parsed.data.series.forEach((s, k) => {
    series.push(new CachedSeries({ ...s.labels, [METRIC_NAME_LABEL]: s.metric }));
    for (const [t, v] of s.samples) {
      times[at] = t;
      values[at++] = v ?? NaN;
    }
    offsets[k + 1] = at;
  });
  return toBatch(series, offsets, times, values);
}
