// The benchmark queries in the sidecar's native JSON API (docs/api.md), as the Grafana plugin sends them.
import { Answer, fetchText, parseJson, points, PreparedQuery, QueryId, QuerySpec } from '../queries';

interface NativeSeries {
  metric: string;
  labels: Record<string, string>;
  times: number[];
  values: (number | null)[];
}

interface NativeLatest {
  metric: string;
  labels: Record<string, string>;
  time: number;
  value: number | null;
}

/** The request bodies of one query: several for Q5, where each metric is its own request (sent at once). */
export function nativeRequests(id: QueryId, spec: QuerySpec): { path: string; body: object; nameOf: (s: NativeSeries) => string }[] {
  const device = [{ name: 'device', op: '=', value: spec.device }];
  const whole = { start: spec.startMs, end: spec.endMs };
  switch (id) {
    case 'q1':
      return [{ path: '/api/native/query', body: { metric: spec.metric, matchers: device, start: spec.q1StartMs, end: spec.endMs, raw: true }, nameOf: (s) => s.labels.device }];
    case 'q2':
      // groupBy [] puts every series in one group, so crossAgg averages across the fleet.
      return [{ path: '/api/native/query', body: { metric: spec.metric, ...whole, step: spec.q2BucketMs, agg: 'avg', groupBy: [], crossAgg: 'avg' }, nameOf: () => 'fleet' }];
    case 'q3':
      return [{ path: '/api/native/query', body: { metric: spec.metric, ...whole, step: spec.q3BucketMs, agg: 'avg', groupBy: ['site'], crossAgg: 'avg' }, nameOf: (s) => s.labels.site }];
    case 'q4':
      return [{ path: '/api/native/latest', body: { metric: spec.metric }, nameOf: (s) => s.labels.device }];
    case 'q5':
      return spec.metrics.map((metric) => ({ path: '/api/native/query', body: { metric, matchers: device, ...whole, raw: true }, nameOf: (s: NativeSeries) => s.metric }));
  }
}

function post(url: string, body: object, where: string): Promise<string> {
  return fetchText(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, where);
}

export function nativeQuery(baseUrl: string, id: QueryId, spec: QuerySpec, where: string): PreparedQuery {
  const requests = nativeRequests(id, spec);
  return {
    send: () => Promise.all(requests.map((r) => post(`${baseUrl}${r.path}`, r.body, where))),
    parse: (texts): Answer => {
      const series = new Map();
      texts.forEach((text, i) => {
        const body = parseJson(text, where) as { series: (NativeSeries | NativeLatest)[] };
        for (const s of body.series ?? []) {
          const pairs: [number, number][] = 'times' in s ? s.times.map((t, k) => [t, s.values[k] ?? NaN]) : [[s.time, s.value ?? NaN]];
          series.set(requests[i].nameOf(s as NativeSeries), points(pairs));
        }
      });
      return { series, timesKnown: true };
    },
  };
}

/** Samples stored in [startMs, endMs): a count per metric over the whole range, all series in one group. */
export async function nativeCount(baseUrl: string, spec: QuerySpec, where: string): Promise<number> {
  let total = 0;
  for (const metric of spec.metrics) {
    const body = { metric, start: spec.startMs, end: spec.endMs, step: spec.endMs - spec.startMs, agg: 'count', groupBy: [], crossAgg: 'sum' };
    const answer = parseJson(await post(`${baseUrl}/api/native/query`, body, where), where) as { series: NativeSeries[] };
    for (const s of answer.series ?? []) for (const v of s.values) total += v ?? 0;
  }
  return total;
}
