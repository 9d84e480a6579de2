// The differential test of the Prometheus-compatible API: the same generated data goes by remote
// write into real Prometheus 2.42 and into the sidecar process (sidecar/dist, built first), then every query of the corpus runs on both as
// instant and range queries; answers must agree series for series, timestamp for timestamp, value
// within 1e-9 relative. Replay a run with SEED=<n> (the seed is in the describe name).
import { ApiAnswer, compareAnswers } from './compare';
import { CORPUS } from './corpus';
import { generateDataset, T0_MS } from './dataset';
import { RunningProcess, startPrometheus } from './processes';
import { remoteWrite } from './remote-write';
import { SidecarTarget, startSidecarProcess } from './sidecar-target';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const sec = (offsetMs: number) => String((T0_MS + offsetMs) / 1000);
const MIN = 60_000;

const INSTANTS = [sec(30 * MIN), sec(61.5 * MIN), sec(100 * MIN + 7_500), sec(124 * MIN), sec(180 * MIN)];
const RANGES = [
  { start: sec(0), end: sec(130 * MIN), step: '60' },
  { start: sec(20 * MIN), end: sec(75 * MIN), step: '137' },
  { start: sec(59 * MIN), end: sec(62 * MIN), step: '15s' },
];
/** Steps longer than a segment block: whole blocks lie between the windows' edges. */
const COARSE_RANGE = { start: sec(5 * MIN), end: sec(125 * MIN), step: '30m' };

interface Evaluation {
  path: '/api/v1/query' | '/api/v1/query_range';
  params: Record<string, string>;
}

/** Each query runs at two instants and over three ranges, two picked by its position to spread coverage. */
function evaluations(query: string, i: number): Evaluation[] {
  return [
    { path: '/api/v1/query', params: { query, time: INSTANTS[i % INSTANTS.length] } },
    { path: '/api/v1/query', params: { query, time: INSTANTS[(i + 2) % INSTANTS.length] } },
    { path: '/api/v1/query_range', params: { query, ...RANGES[0] } },
    { path: '/api/v1/query_range', params: { query, ...RANGES[1 + (i % 2)] } },
    { path: '/api/v1/query_range', params: { query, ...COARSE_RANGE } },
  ];
}

const TOKENS = { read: 'promql-read', write: 'promql-write' };

/** Polls `done` until it holds, for at most 30 seconds. */
async function waitFor(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const SIDECAR_HEADERS = { Authorization: `Bearer ${TOKENS.read}` };

/** GET for even evaluations, form-encoded POST for odd ones, as Grafana may use either. */
async function ask(baseUrl: string, e: Evaluation, post: boolean, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const body = new URLSearchParams(e.params).toString();
  const res = post
    ? await fetch(`${baseUrl}${e.path}`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body })
    : await fetch(`${baseUrl}${e.path}?${body}`, { headers });
  const text = await res.text();
  try {
    return JSON.parse(text) as ApiAnswer;
  } catch {
    throw new Error(`${baseUrl}${e.path} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 300)}`);
  }
}

describe(`PromQL answers agree with Prometheus 2.42 (SEED=${seed})`, () => {
  let prometheus: RunningProcess;
  let sidecar: SidecarTarget;

  beforeAll(async () => {
    // A small head: the first write is flushed into segments (blocks of 720 samples), the late
    // samples stay in the head over them, so queries read both and block summaries are used.
    [prometheus, sidecar] = await Promise.all([startPrometheus(), startSidecarProcess(TOKENS, ['--head-max-samples', '1000'])]);
    const data = generateDataset(seed);
    await Promise.all([remoteWrite(prometheus.baseUrl, data.initial), sidecar.write(data.initial)]);
    await waitFor(async () => (await sidecar.metric('sensorstore_head_samples')) === 0 && (await sidecar.metric('sensorstore_segments')) > 0, 'the first write flushed to segments');
    await Promise.all([remoteWrite(prometheus.baseUrl, data.late), sidecar.write(data.late)]);
  });

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), sidecar?.stop()]);
  });

  test('both hold the same series and samples', async () => {
    const e: Evaluation = { path: '/api/v1/query', params: { query: '{__name__=~".+"}[3h]', time: sec(150 * MIN) } };
    const [want, got] = await Promise.all([ask(prometheus.baseUrl, e, false), ask(sidecar.baseUrl, e, false, SIDECAR_HEADERS)]);
    expect(want.status).toBe('success');
    expect((want.data?.result as unknown[]).length).toBeGreaterThan(50);
    expect(compareAnswers(want, got)).toBeUndefined();
  });

  test.each(CORPUS.map((query, i) => [query, i] as const))('%s', async (query, i) => {
    const problems: string[] = [];
    for (const [k, e] of evaluations(query, i).entries()) {
      const post = (i + k) % 2 === 1;
      const [want, got] = await Promise.all([ask(prometheus.baseUrl, e, post), ask(sidecar.baseUrl, e, post, SIDECAR_HEADERS)]);
      const problem = compareAnswers(want, got, /^sort(_desc)?\(/.test(query));
      if (problem) problems.push(`${e.path} ${JSON.stringify(e.params)}: ${problem}`);
    }
    if (problems.length) throw new Error(`SEED=${seed}\n${problems.join('\n')}`);
  });
});
