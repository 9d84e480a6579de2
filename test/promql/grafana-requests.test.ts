// The requests Grafana's built-in Prometheus datasource (Grafana 12, pkg/promlib and
// packages/grafana-prometheus) sends to the provisioned "Sensorstore (Prometheus)" datasource, sent
// as it sends them to a real sidecar: the health check of "Save & test", the metric browser (labels
// API, as prometheusType Prometheus ≥ 2.24 enables) and the evaluation of the provisioned alert rules.
// Checks the answers have the shapes Grafana parses, and that each rule fires for the right devices.
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import YAML from 'yaml';
import { SidecarTarget, startSidecarProcess } from './sidecar-target';
import { WriteSeries } from './remote-write';

const repoRoot = join(__dirname, '..', '..');
const TOKENS = { read: 'grafana-read', write: 'grafana-write' };
const NOW_MS = 1_704_074_400_000;
const MIN = 60_000;

interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData: { prometheusType?: string; prometheusVersion?: string; httpMethod?: string; httpHeaderName1?: string };
  secureJsonData?: { httpHeaderValue1?: string };
}

interface AlertQuery {
  refId: string;
  datasourceUid: string;
  relativeTimeRange: { from: number; to: number };
  model: { expr?: string; instant?: boolean; type?: string; expression?: string; conditions?: Array<{ evaluator: { type: string; params: number[] } }> };
}

interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  for: string;
  annotations: Record<string, string>;
}

interface AlertGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: AlertRule[];
}

const datasources = (YAML.parse(readFileSync(join(repoRoot, 'provisioning', 'datasources', 'sensorstore.yaml'), 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources;
const prometheusDatasource = datasources.find((d) => d.type === 'prometheus')!;
const alertingDir = join(repoRoot, 'provisioning', 'alerting');
/** Every file Grafana's alerting provisioning reads from the folder, by name. */
const alertingFiles = readdirSync(alertingDir)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .map((file) => ({ file, ...(YAML.parse(readFileSync(join(alertingDir, file), 'utf8')) as { apiVersion: number; groups: AlertGroup[] }) }));
const alertRules = alertingFiles.flatMap((f) => f.groups.flatMap((g) => g.rules));
const batteryRule = alertRules.find((r) => r.uid === 'sensorstore-battery-low')!;
const silentRule = alertRules.find((r) => r.uid === 'sensorstore-device-silent')!;
/** How long the device-silent rule waits for a sample: its window, named in its title. */
const SILENCE_MIN = 25;

/** What Grafana's Go client sends: url.Values.Encode() (keys sorted) as a form body, or in the URL. */
function encode(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
    .join('&');
}

/** Grafana's formatTime: Unix seconds, shortest decimal. */
const seconds = (ms: number) => String(ms / 1000);

/** Samples every 15 s from `from` to `to`, both included. */
function samples(from: number, to: number, level: (t: number) => number): { timestamps: number[]; values: Float64Array } {
  const timestamps: number[] = [];
  for (let t = from; t <= to; t += 15_000) timestamps.push(t);
  return { timestamps, values: Float64Array.from(timestamps, level) };
}

/** All four metrics of a device, every 15 s from `from` to `to`. */
function allMetrics(device: string, site: string, kind: string, from: number, to: number): WriteSeries[] {
  const levels: Record<string, number> = { temperature: 4.5, humidity: 80, pressure: 1013, battery: 90 };
  return Object.entries(levels).map(([name, level]) => ({ labels: { __name__: name, device, site, kind }, ...samples(from, to, () => level) }));
}

/** One sample of a metric, as a device that reports only on change sends it. */
function reported(name: string, device: string, site: string, kind: string, points: Array<[number, number]>): WriteSeries {
  return { labels: { __name__: name, device, site, kind }, timestamps: points.map(([t]) => t), values: Float64Array.from(points, ([, v]) => v) };
}

/**
 * Battery: devices reporting every 15 seconds: d1 below 15 % for the last 30 minutes, d2 full, d3
 * below 15 % only for 5 minutes. Devices reporting only on change, whose last battery report is
 * hours old: d4 at 12 % since 3 hours ago (after 15.5 % before), d5 at 60 %.
 *
 * Reporting: s1 sent all four metrics every 15 s until 40 minutes ago, then nothing; s2 reports only
 * on change, temperature last 20 minutes ago (a silence such devices have) and the rest hours ago;
 * s3 went offline 40 minutes ago (its backlog arrives in a test); s4 was last heard of 26 hours ago.
 * d4 and d5 sent nothing for hours.
 */
function fleet(): WriteSeries[] {
  const from = NOW_MS - 30 * MIN;
  const battery = (device: string, site: string, level: (t: number) => number): WriteSeries => ({
    labels: { __name__: 'battery', device, site, kind: 'k1' },
    ...samples(from, NOW_MS, level),
  });
  return [
    battery('d1', 'berlin', (t) => 14 - (t - from) / (30 * MIN)),
    battery('d2', 'berlin', (t) => 80 - (t - from) / (30 * MIN)),
    battery('d3', 'paris', (t) => (t < NOW_MS - 5 * MIN ? 16 : 14.5)),
    { labels: { __name__: 'battery', device: 'd4', site: 'rome', kind: 'k1' }, timestamps: [NOW_MS - 9 * 60 * MIN, NOW_MS - 3 * 60 * MIN], values: Float64Array.from([15.5, 12]) },
    { labels: { __name__: 'battery', device: 'd5', site: 'rome', kind: 'k1' }, timestamps: [NOW_MS - 5 * 60 * MIN], values: Float64Array.from([60]) },
    { labels: { __name__: 'temperature', device: 'd1', site: 'berlin', kind: 'k1' }, ...samples(from, NOW_MS, () => 21.5) },
    ...allMetrics('s1', 'oslo', 'freezer', NOW_MS - 3 * 60 * MIN, NOW_MS - 40 * MIN),
    reported('temperature', 's2', 'oslo', 'indoor', [
      [NOW_MS - 3 * 60 * MIN, 21],
      [NOW_MS - 70 * MIN, 21.2],
      [NOW_MS - 20 * MIN, 21.4],
    ]),
    reported('humidity', 's2', 'oslo', 'indoor', [[NOW_MS - 50 * MIN, 46]]),
    reported('pressure', 's2', 'oslo', 'indoor', [[NOW_MS - 2 * 60 * MIN, 1012.5]]),
    reported('battery', 's2', 'oslo', 'indoor', [[NOW_MS - 6 * 60 * MIN, 70]]),
    ...allMetrics('s3', 'vienna', 'outdoor', NOW_MS - 3 * 60 * MIN, NOW_MS - 40 * MIN),
    ...allMetrics('s4', 'vienna', 'outdoor', NOW_MS - 27 * 60 * MIN, NOW_MS - 26 * 60 * MIN),
  ];
}

type VectorResult = Array<{ metric: Record<string, string>; value: [number, string] }>;

describe("Grafana's Prometheus datasource against the sidecar", () => {
  let sidecar: SidecarTarget;
  const headers = { Authorization: `Bearer ${TOKENS.read}`, 'User-Agent': 'Grafana/12.4.10' };
  const range = { start: seconds(NOW_MS - 60 * MIN), end: seconds(NOW_MS) };

  async function get(path: string, params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const query = encode(params);
    const res = await fetch(`${sidecar.baseUrl}${path}${query ? `?${query}` : ''}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** POST as the provisioned httpMethod asks, form-encoded; GET if the datasource is set to GET. */
  async function send(path: string, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    if (prometheusDatasource.jsonData.httpMethod !== 'POST') return get(path, params);
    const res = await fetch(`${sidecar.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: encode(params),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    sidecar = await startSidecarProcess(TOKENS);
    await sidecar.write(fleet());
  });

  afterAll(async () => {
    await sidecar?.stop();
  });

  test('the provisioned datasource is a Prometheus ≥ 2.24 with the labels API, pointing at the sidecar', () => {
    expect(prometheusDatasource).toMatchObject({ uid: 'sensorstore-prom', url: 'http://sidecar:8428', jsonData: { prometheusType: 'Prometheus', httpHeaderName1: 'Authorization' } });
    const [major, minor] = String(prometheusDatasource.jsonData.prometheusVersion).split('.').map(Number);
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(2024);
    expect(prometheusDatasource.secureJsonData?.httpHeaderValue1).toMatch(/^Bearer /);
  });

  test("the provisioned alert files hold what Grafana's provisioning needs: whole groups, unique rule uids, queries on provisioned datasources", () => {
    expect(alertingFiles.map((f) => f.file)).toEqual(expect.arrayContaining(['sensorstore-battery.yaml', 'sensorstore-reporting.yaml']));
    const groups = new Set<string>();
    const uids = new Set<string>();
    const datasourceUids = new Set([...datasources.map((d) => d.uid), '__expr__']);
    for (const { file, apiVersion, groups: fileGroups } of alertingFiles) {
      expect({ file, apiVersion }).toEqual({ file, apiVersion: 1 });
      for (const group of fileGroups) {
        const key = JSON.stringify([group.orgId, group.folder, group.name]);
        expect({ file, group: key, seen: groups.has(key) }).toEqual({ file, group: key, seen: false });
        groups.add(key);
        expect(group.interval).toMatch(/^\d+[smh]$/);
        for (const rule of group.rules) {
          expect(rule.uid).toMatch(/^[\w-]{1,40}$/);
          expect(uids.has(rule.uid)).toBe(false);
          uids.add(rule.uid);
          const refIds = rule.data.map((d) => d.refId);
          expect(refIds).toContain(rule.condition);
          for (const d of rule.data) {
            expect(datasourceUids).toContain(d.datasourceUid);
            if (d.model.expression) expect(refIds).toContain(d.model.expression);
          }
        }
      }
    }
  });

  test('Save & test: the instant query 1+1 at time=4 answers a scalar; buildinfo reads as Prometheus', async () => {
    const health = await send('/api/v1/query', { query: '1+1', time: '4' });
    expect(health).toEqual({ status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [4, '2'] } } });
    const info = await get('/api/v1/status/buildinfo');
    expect(info.status).toBe(200);
    const data = info.body.data as Record<string, unknown>;
    expect(typeof data.version).toBe('string');
    expect(data.features).toBeUndefined();
  });

  test('the metric browser lists metrics, label names, label values and series', async () => {
    const metrics = await get('/api/v1/label/__name__/values', { ...range, limit: '40000' });
    expect(metrics).toEqual({ status: 200, body: { status: 'success', data: ['battery', 'humidity', 'pressure', 'temperature'] } });
    const names = await send('/api/v1/labels', { ...range, limit: '40000' });
    expect(names.body).toEqual({ status: 'success', data: ['__name__', 'device', 'kind', 'site'] });
    const forBattery = await send('/api/v1/labels', { ...range, limit: '40000', 'match[]': 'battery' });
    expect(forBattery.body.data).toEqual(['__name__', 'device', 'kind', 'site']);
    const devices = await get('/api/v1/label/device/values', { ...range, limit: '40000', 'match[]': 'battery{site="berlin"}' });
    expect(devices.body).toEqual({ status: 'success', data: ['d1', 'd2'] });
    const series = await send('/api/v1/series', { ...range, limit: '40000', 'match[]': 'battery{site="berlin"}' });
    expect(series.body).toEqual({
      status: 'success',
      data: [
        { __name__: 'battery', device: 'd1', kind: 'k1', site: 'berlin' },
        { __name__: 'battery', device: 'd2', kind: 'k1', site: 'berlin' },
      ],
    });
    expect((await get('/api/v1/metadata')).body).toEqual({ status: 'success', data: {} });
    expect((await send('/api/v1/query_exemplars', { query: 'battery', ...range })).body).toEqual({ status: 'success', data: [] });
  });

  test('evaluating the provisioned battery rule fires for the devices below 15 % for 10 minutes only, reporting on change or not', async () => {
    const query = batteryRule.data.find((d) => d.refId === 'A')!;
    const condition = batteryRule.data.find((d) => d.refId === batteryRule.condition)!;
    expect(query.datasourceUid).toBe(prometheusDatasource.uid);
    expect(query.model.instant).toBe(true);
    expect(condition.model).toMatchObject({ type: 'threshold', expression: 'A' });
    const evaluator = condition.model.conditions![0].evaluator;
    expect(evaluator.type).toBe('lt');

    // Grafana asks for the instant query at the rule's evaluation time (the end of its range).
    const answer = await send('/api/v1/query', { query: query.model.expr!, time: seconds(NOW_MS) });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('success');
    const data = answer.body.data as { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    expect(data.resultType).toBe('vector');
    for (const r of data.result) {
      expect(Object.values(r.metric).every((v) => typeof v === 'string')).toBe(true);
      expect(r.value[0]).toBe(NOW_MS / 1000);
      expect(Number.isFinite(Number.parseFloat(r.value[1]))).toBe(true);
      expect(r.metric.__name__).toBeUndefined();
    }
    const firing = data.result.filter((r) => Number.parseFloat(r.value[1]) < evaluator.params[0]).map((r) => r.metric.device);
    expect(firing.sort()).toEqual(['d1', 'd4']);
    expect(data.result.map((r) => r.metric.device).sort()).toEqual(['d1', 'd2', 'd3', 'd4', 'd5', 's1', 's2', 's3']);
  });

  test("the rule's query as a range query (the rule editor's preview) answers a matrix", async () => {
    const query = batteryRule.data.find((d) => d.refId === 'A')!;
    const answer = await send('/api/v1/query_range', { query: query.model.expr!, start: seconds(NOW_MS - 10 * MIN), end: seconds(NOW_MS), step: '60' });
    const data = answer.body.data as { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
    expect(data.resultType).toBe('matrix');
    expect(data.result).toHaveLength(8);
    for (const r of data.result) expect(r.values).toHaveLength(11);
  });

  /** The device-silent rule's query A at `timeMs` as Grafana asks for it, and the devices C fires for. */
  async function evaluateSilentRule(timeMs: number): Promise<{ result: VectorResult; firing: string[] }> {
    const query = silentRule.data.find((d) => d.refId === 'A')!;
    const condition = silentRule.data.find((d) => d.refId === silentRule.condition)!;
    expect(condition.model).toMatchObject({ type: 'threshold', expression: 'A' });
    const evaluator = condition.model.conditions![0].evaluator;
    expect(evaluator.type).toBe('lt');
    const answer = await send('/api/v1/query', { query: query.model.expr!, time: seconds(timeMs) });
    expect(answer).toMatchObject({ status: 200, body: { status: 'success', data: { resultType: 'vector' } } });
    const result = (answer.body.data as { result: VectorResult }).result;
    const firing = result.filter((r) => Number.parseFloat(r.value[1]) < evaluator.params[0]).map((r) => r.metric.device);
    return { result, firing: firing.sort() };
  }

  test('evaluating the provisioned device-silent rule fires for the devices that sent nothing for 25 minutes, not for those reporting only on change', async () => {
    const query = silentRule.data.find((d) => d.refId === 'A')!;
    expect(query.datasourceUid).toBe(prometheusDatasource.uid);
    expect(query.model.instant).toBe(true);
    expect(silentRule.title).toContain(`${SILENCE_MIN} minutes`);
    expect(query.relativeTimeRange.from).toBe(SILENCE_MIN * 60);

    const { result, firing } = await evaluateSilentRule(NOW_MS);
    expect(firing).toEqual(['d4', 'd5', 's1', 's3']);
    // Every device heard of in the last day has a value: how many of its metrics it sent lately.
    const values = Object.fromEntries(result.map((r) => [r.metric.device, Number.parseFloat(r.value[1])]));
    expect(values).toEqual({ d1: 2, d2: 1, d3: 1, d4: 0, d5: 0, s1: 0, s2: 1, s3: 0 });
    // Each alert carries device, site and kind, which its annotations name.
    const used = new Set(Object.values(silentRule.annotations).flatMap((a) => [...a.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1])));
    for (const r of result) {
      expect(r.value[0]).toBe(NOW_MS / 1000);
      expect(Object.keys(r.metric).sort()).toEqual(['device', 'kind', 'site']);
      for (const label of used) expect(r.metric[label]).toEqual(expect.any(String));
    }
    expect(result.find((r) => r.metric.device === 's1')!.metric).toEqual({ device: 's1', site: 'oslo', kind: 'freezer' });
  });

  test("the device-silent rule's query as a range query (the rule editor's preview) answers a matrix that drops to 0 once a device is silent for 25 minutes", async () => {
    const query = silentRule.data.find((d) => d.refId === 'A')!;
    const start = NOW_MS - 60 * MIN;
    const answer = await send('/api/v1/query_range', { query: query.model.expr!, start: seconds(start), end: seconds(NOW_MS), step: '60' });
    expect(answer).toMatchObject({ status: 200, body: { status: 'success', data: { resultType: 'matrix' } } });
    const result = (answer.body.data as { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }).result;
    expect(result.map((r) => r.metric.device).sort()).toEqual(['d1', 'd2', 'd3', 'd4', 'd5', 's1', 's2', 's3']);
    // A device has a value at every step from its first sample on (d1 to d3 began 30 minutes ago).
    for (const r of result) expect(r.values.map(([t]) => t)).toEqual(Array.from({ length: r.values.length }, (_, i) => NOW_MS / 1000 - 60 * (r.values.length - 1 - i)));
    // s1's last samples are at NOW - 40 min: the steps up to 25 minutes later still see them.
    const s1 = result.find((r) => r.metric.device === 's1')!.values;
    expect(s1).toHaveLength(61);
    const silentFrom = NOW_MS - 40 * MIN + SILENCE_MIN * MIN;
    for (const [t, v] of s1) expect([t, v]).toEqual([t, t * 1000 <= silentFrom ? '4' : '0']);
  });

  test('a backlog uploaded after an outage ends the silence: samples count by their own time', async () => {
    expect((await evaluateSilentRule(NOW_MS)).firing).toContain('s3');
    // Back online, s3 uploads what it recorded while offline, with the readings of now.
    await sidecar.write(allMetrics('s3', 'vienna', 'outdoor', NOW_MS - 40 * MIN + 15_000, NOW_MS));
    const { result, firing } = await evaluateSilentRule(NOW_MS);
    expect(firing).toEqual(['d4', 'd5', 's1']);
    expect(result.find((r) => r.metric.device === 's3')!.value[1]).toBe('4');
  });

  test('a device silent for over a day has left the rule: its alert resolves as a missing series', async () => {
    const { result } = await evaluateSilentRule(NOW_MS);
    expect(result.map((r) => r.metric.device)).not.toContain('s4');
    // 23 hours after its last sample it was still there, and firing.
    const earlier = await evaluateSilentRule(NOW_MS - 3 * 60 * MIN);
    expect(earlier.firing).toContain('s4');
  });

  test('requests without the read token are refused', async () => {
    const res = await fetch(`${sidecar.baseUrl}/api/v1/query?query=1`);
    expect(res.status).toBe(401);
  });
});
