// The benchmark queries in PromQL over the Prometheus HTTP API, for Prometheus and for the sidecar's
// Prometheus-compatible API alike.
//
// Range selectors are evaluated 1 ms before a bucket's end: a window [t - w, t] (Prometheus 2.x,
// closed) and (t - w, t] (Prometheus 3.x, left-open) then hold the same samples on a 10 s grid, namely
// those of the bucket [t + 1 ms - w, t + 1 ms), so either reading answers exactly the generator's buckets.
import { Answer, fetchText, parseJson, points, PreparedQuery, QueryId, QuerySpec } from '../queries';
import { BenchError } from '../errors';

interface PromSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

interface PromResponse {
  status: string;
  data?: { resultType: string; result: PromSeries[] };
  error?: string;
  errorType?: string;
}

export interface PromRequest {
  path: '/api/v1/query' | '/api/v1/query_range';
  params: Record<string, string>;
  nameOf: (metric: Record<string, string>) => string;
  /** Turns an answer's time (ms) into the generator's time for the same point. */
  timeOf: (answerMs: number) => number;
  timesKnown: boolean;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function promql(id: QueryId, spec: QuerySpec): PromRequest {
  const same = (t: number) => t;
  const selector = `${spec.metric}{device="${spec.device}"}`;
  switch (id) {
    case 'q1':
      return { path: '/api/v1/query', params: { query: `${selector}[${spec.endMs - spec.q1StartMs}ms]`, time: seconds(spec.endMs - 1) }, nameOf: (m) => m.device, timeOf: same, timesKnown: true };
    case 'q2':
    case 'q3': {
      const bucketMs = id === 'q2' ? spec.q2BucketMs : spec.q3BucketMs;
      const query = id === 'q2' ? `avg(avg_over_time(${spec.metric}[${bucketMs}ms]))` : `avg by (site) (avg_over_time(${spec.metric}[${bucketMs}ms]))`;
      return {
        path: '/api/v1/query_range',
        params: { query, start: seconds(spec.startMs + bucketMs - 1), end: seconds(spec.endMs - 1), step: String(bucketMs / 1000) },
        nameOf: (m) => (id === 'q2' ? 'fleet' : m.site),
        timeOf: (t) => t + 1 - bucketMs,
        timesKnown: true,
      };
    }
    case 'q4':
      return { path: '/api/v1/query', params: { query: spec.metric, time: seconds(spec.endMs) }, nameOf: (m) => m.device, timeOf: same, timesKnown: false };
    case 'q5':
      return {
        path: '/api/v1/query',
        params: { query: `{__name__=~"${spec.metrics.join('|')}",device="${spec.device}"}[${spec.endMs - spec.startMs}ms]`, time: seconds(spec.endMs - 1) },
        nameOf: (m) => m.__name__,
        timeOf: same,
        timesKnown: true,
      };
  }
}

/** Reads a Prometheus API answer; an error answer throws QUERY_FAILED. */
export function promResult(text: string, where: string): PromSeries[] {
  const body = parseJson(text, where) as PromResponse;
  if (body.status !== 'success' || !body.data) throw new BenchError('QUERY_FAILED', where, `${body.errorType ?? 'error'}: ${body.error ?? text.slice(0, 200)}`);
  return body.data.result;
}

function promUrl(baseUrl: string, path: string, params: Record<string, string>): string {
  return `${baseUrl}${path}?${new URLSearchParams(params)}`;
}

export function promqlQuery(baseUrl: string, id: QueryId, spec: QuerySpec, where: string): PreparedQuery {
  const q = promql(id, spec);
  const url = promUrl(baseUrl, q.path, q.params);
  return {
    send: async () => [await fetchText(url, {}, where)],
    parse: ([text]): Answer => {
      const series = new Map();
      for (const s of promResult(text, where)) {
        const samples = s.values ?? (s.value ? [s.value] : []);
        series.set(q.nameOf(s.metric), points(samples.map(([t, v]) => [q.timeOf(Math.round(t * 1000)), Number(v)])));
      }
      return { series, timesKnown: q.timesKnown };
    },
  };
}

/** Samples stored in [startMs, endMs), one instant query per metric (keeps each under query.max-samples). */
export async function promCount(baseUrl: string, spec: QuerySpec, where: string): Promise<number> {
  let total = 0;
  for (const metric of spec.metrics) {
    const params = { query: `sum(count_over_time(${metric}[${spec.endMs - spec.startMs}ms]))`, time: seconds(spec.endMs - 1) };
    for (const s of promResult(await fetchText(promUrl(baseUrl, '/api/v1/query', params), {}, where), where)) total += Number(s.value?.[1] ?? 0);
  }
  return total;
}
