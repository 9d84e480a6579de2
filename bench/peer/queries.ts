// The five benchmark queries, what the generator says each must answer, and the check of an answer.
// Every target turns its own answer into the same shape (named runs of points), so one check serves all.
import { Agent, request } from 'http';
import { gunzipSync } from 'zlib';
import { Fleet, METRICS, MetricName, Points } from '../workload/fleet';
import { BenchError } from './errors';

export const QUERY_IDS = ['q1', 'q2', 'q3', 'q4', 'q5'] as const;
export type QueryId = (typeof QUERY_IDS)[number];

export const QUERY_TITLES: Record<QueryId, string> = {
  q1: 'Q1 raw, one device, one metric, last 1 h',
  q2: 'Q2 fleet mean of one metric, 1-min buckets, whole range',
  q3: 'Q3 mean per site of one metric, 5-min buckets, whole range',
  q4: 'Q4 last temperature of every device',
  q5: 'Q5 raw, one device, all 4 metrics, whole range',
};

/** The parameters every dialect fills in. */
export interface QuerySpec {
  /** The device of Q1 and Q5 (its label value) and its index. */
  device: string;
  deviceIndex: number;
  metric: MetricName;
  metrics: readonly MetricName[];
  startMs: number;
  endMs: number;
  /** Q1 covers [q1StartMs, endMs): the last hour, or the whole range if it is shorter. */
  q1StartMs: number;
  q2BucketMs: number;
  q3BucketMs: number;
}

export function querySpec(fleet: Fleet): QuerySpec {
  const deviceIndex = Math.floor(fleet.devices / 2);
  return {
    device: fleet.series[deviceIndex * METRICS.length].labels.device,
    deviceIndex,
    metric: 'temperature',
    metrics: METRICS,
    startMs: fleet.startMs,
    endMs: fleet.endMs,
    q1StartMs: Math.max(fleet.startMs, fleet.endMs - 3_600_000),
    q2BucketMs: 60_000,
    q3BucketMs: 300_000,
  };
}

/**
 * An answer: runs of points by name (the device, site, metric, or "fleet"). `timesKnown` is false
 * when the target answers with the evaluation time instead of the sample's own (PromQL instant vectors).
 */
export interface Answer {
  series: Map<string, Points>;
  timesKnown: boolean;
}

/** Raw samples must match exactly; means may differ by summation order. */
const RELATIVE_TOLERANCE = 1e-9;

export function expectedAnswer(fleet: Fleet, spec: QuerySpec, id: QueryId): Answer {
  const series = new Map<string, Points>();
  switch (id) {
    case 'q1':
      series.set(spec.device, fleet.raw(spec.deviceIndex, spec.metric, spec.q1StartMs, spec.endMs));
      break;
    case 'q2':
      series.set('fleet', fleet.fleetMeans(spec.metric, spec.q2BucketMs, spec.startMs, spec.endMs));
      break;
    case 'q3':
      for (const [site, points] of fleet.siteMeans(spec.metric, spec.q3BucketMs, spec.startMs, spec.endMs)) series.set(site, points);
      break;
    case 'q4':
      for (const l of fleet.last(spec.metric)) series.set(l.device, { timestampsMs: Float64Array.of(l.timestampMs), values: Float64Array.of(l.value) });
      break;
    case 'q5':
      for (const m of spec.metrics) series.set(m, fleet.raw(spec.deviceIndex, m, spec.startMs, spec.endMs));
      break;
  }
  return { series, timesKnown: true };
}

/** Throws WRONG_ANSWER naming the first difference (which series, which point, got vs want). */
export function checkAnswer(id: QueryId, got: Answer, want: Answer, where: string): void {
  const exact = id === 'q1' || id === 'q4' || id === 'q5';
  const wrong = (msg: string) => new BenchError('WRONG_ANSWER', where, `${QUERY_TITLES[id]}: ${msg}`);
  const gotNames = [...got.series.keys()].sort();
  const wantNames = [...want.series.keys()].sort();
  if (gotNames.join('\n') !== wantNames.join('\n')) {
    const missing = wantNames.filter((n) => !got.series.has(n));
    const extra = gotNames.filter((n) => !want.series.has(n));
    throw wrong(`series differ: ${gotNames.length} instead of ${wantNames.length}; missing [${missing.slice(0, 5).join(', ')}], unexpected [${extra.slice(0, 5).join(', ')}]`);
  }
  for (const name of wantNames) {
    const g = got.series.get(name)!;
    const w = want.series.get(name)!;
    if (g.values.length !== w.values.length) throw wrong(`series ${name}: ${g.values.length} points instead of ${w.values.length}`);
    for (let i = 0; i < w.values.length; i++) {
      if (got.timesKnown && g.timestampsMs[i] !== w.timestampsMs[i]) {
        throw wrong(`series ${name} point ${i}: time ${g.timestampsMs[i]} instead of ${w.timestampsMs[i]}`);
      }
      const ok = exact ? g.values[i] === w.values[i] : Math.abs(g.values[i] - w.values[i]) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(w.values[i]));
      if (!ok) throw wrong(`series ${name} point ${i} (t=${w.timestampsMs[i]}): value ${g.values[i]} instead of ${w.values[i]}`);
    }
  }
}

/** A query ready to send: `send` does the HTTP work (timed), `parse` reads the bodies (not timed). */
export interface PreparedQuery {
  send(): Promise<string[]>;
  parse(bodies: string[]): Answer;
}

/** The answers every dialect builds points from. */
export function points(pairs: [number, number][]): Points {
  const timestampsMs = new Float64Array(pairs.length);
  const values = new Float64Array(pairs.length);
  pairs.forEach(([t, v], i) => {
    timestampsMs[i] = t;
    values[i] = v;
  });
  return { timestampsMs, values };
}

/** The init fields the benchmark's requests use. */
export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Keep-alive connections shared by every query, as Grafana keeps them to a datasource. node:http
 * rather than fetch(): fetch's own overhead (1–4 ms per answer here) would hide the servers'
 * differences in the latency figures.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * POST or GET and resolve with the body; throws QUERY_FAILED on a non-2xx answer. Every request
 * accepts gzip, as Grafana's Go HTTP client does, and a compressed answer is decompressed before it
 * counts as arrived.
 */
export async function fetchText(url: string, init: RequestInit, where: string): Promise<string> {
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  const headers: Record<string, string | number> = { 'Accept-Encoding': 'gzip', ...init.headers };
  if (body) headers['Content-Length'] = body.length;
  let answer: { status: number; text: string };
  try {
    answer = await new Promise((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const raw = Buffer.concat(chunks);
            const bytes = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
            resolve({ status: res.statusCode ?? 0, text: bytes.toString('utf8') });
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  } catch (err) {
    throw new BenchError('QUERY_FAILED', where, `${url}: ${(err as Error).message}`);
  }
  if (answer.status < 200 || answer.status > 299) throw new BenchError('QUERY_FAILED', where, `${url} answered HTTP ${answer.status}: ${answer.text.slice(0, 500)}`);
  return answer.text;
}

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BenchError('QUERY_FAILED', where, `answer is not JSON: ${text.slice(0, 200)}`);
  }
}
