// The benchmark queries in InfluxQL, as an InfluxDB 1.x user writes them, over GET /query.
import { Answer, fetchText, parseJson, points, PreparedQuery, QueryId, QuerySpec } from '../queries';
import { BenchError } from '../errors';

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: [number, number | null][];
}

interface InfluxResponse {
  results?: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
  error?: string;
}

export function influxql(id: QueryId, spec: QuerySpec): { text: string; nameOf: (s: InfluxSeries) => string; timesKnown: boolean } {
  const range = (start: number) => `time >= ${start}ms AND time < ${spec.endMs}ms`;
  const metrics = spec.metrics.join(', ');
  switch (id) {
    case 'q1':
      return { text: `SELECT value FROM ${spec.metric} WHERE device = '${spec.device}' AND ${range(spec.q1StartMs)}`, nameOf: () => spec.device, timesKnown: true };
    case 'q2':
      return { text: `SELECT mean(value) FROM ${spec.metric} WHERE ${range(spec.startMs)} GROUP BY time(${spec.q2BucketMs}ms) fill(none)`, nameOf: () => 'fleet', timesKnown: true };
    case 'q3':
      return { text: `SELECT mean(value) FROM ${spec.metric} WHERE ${range(spec.startMs)} GROUP BY time(${spec.q3BucketMs}ms), site fill(none)`, nameOf: (s) => s.tags?.site ?? '', timesKnown: true };
    case 'q4':
      return { text: `SELECT last(value) FROM ${spec.metric} GROUP BY device`, nameOf: (s) => s.tags?.device ?? '', timesKnown: true };
    case 'q5':
      return { text: `SELECT value FROM ${metrics} WHERE device = '${spec.device}' AND ${range(spec.startMs)}`, nameOf: (s) => s.name, timesKnown: true };
  }
}

/** Runs one InfluxQL statement and returns its series (an error answer throws QUERY_FAILED). */
export function influxSeries(text: string, where: string): InfluxSeries[] {
  const body = parseJson(text, where) as InfluxResponse;
  const result = body.results?.[0];
  const error = body.error ?? result?.error;
  if (error || !result) throw new BenchError('QUERY_FAILED', where, `InfluxDB: ${error ?? 'no result'}`);
  return result.series ?? [];
}

export function influxUrl(baseUrl: string, db: string, statement: string): string {
  return `${baseUrl}/query?${new URLSearchParams({ db, epoch: 'ms', q: statement })}`;
}

export function influxqlQuery(baseUrl: string, db: string, id: QueryId, spec: QuerySpec, where: string): PreparedQuery {
  const q = influxql(id, spec);
  const url = influxUrl(baseUrl, db, q.text);
  return {
    send: async () => [await fetchText(url, {}, where)],
    parse: ([text]): Answer => {
      const series = new Map();
      for (const s of influxSeries(text, where)) {
        series.set(q.nameOf(s), points(s.values.map(([t, v]) => [t, v ?? NaN])));
      }
      return { series, timesKnown: q.timesKnown };
    },
  };
}

/** Samples stored in [startMs, endMs) across the given measurements. */
export async function influxCount(baseUrl: string, db: string, spec: QuerySpec, where: string): Promise<number> {
  const statement = `SELECT count(value) FROM ${spec.metrics.join(', ')} WHERE time >= ${spec.startMs}ms AND time < ${spec.endMs}ms`;
  const series = influxSeries(await fetchText(influxUrl(baseUrl, db, statement), {}, where), where);
  return series.reduce((n, s) => n + s.values.reduce((m, [, v]) => m + (v ?? 0), 0), 0);
}
