// The requests Grafana's built-in Prometheus datasource (Grafana 12, pkg/promlib and
// packages/grafana-prometheus) sends to the provisioned "Sensorstore (Prometheus)" datasource, sent
// as it sends them to a real sidecar: the health check of "Save & test", the metric browser (labels
// API, as prometheusType Prometheus ≥ 2.24 enables) and the evaluation of the provisioned alert rule.
// Checks the answers have the shapes Grafana parses, and that the rule fires for the right device.
import { readFileSync } from 'fs';
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
}

const datasources = (YAML.parse(readFileSync(join(repoRoot, 'provisioning', 'datasources', 'sensorstore.yaml'), 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources;
const prometheusDatasource = datasources.find((d) => d.type === 'prometheus')!;
const alerting = YAML.parse(readFileSync(join(repoRoot, 'provisioning', 'alerting', 'sensorstore-battery.yaml'), 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
const batteryRule = alerting.groups.flatMap((g) => g.rules).find((r) => r.uid === 'sensorstore-battery-low')!;

/** What Grafana's Go client sends: url.Values.Encode() (keys sorted) as a form body, or in the URL. */
function encode(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
    .join('&');
}

/** Grafana's formatTime: Unix seconds, shortest decimal. */
const seconds = (ms: number) => String(ms / 1000);

function samples(from: number, to: number, level: (t: number) => number): { timestamps: number[]; values: Float64Array } {
  const timestamps: number[] = [];
  for (let t = from; t <= to; t += 15_000) timestamps.push(t);
  return { timestamps, values: Float64Array.from(timestamps, level) };
}

/**
 * Devices reporting every 15 seconds: d1 below 15 % for the last 30 minutes, d2 full, d3 below 15 %
 * only for 5 minutes. Devices reporting only on change, whose last battery report is hours old: d4
 * at 12 % since 3 hours ago (after 15.5 % before), d5 at 60 %.
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
  ];
}

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
    expect(metrics).toEqual({ status: 200, body: { status: 'success', data: ['battery', 'temperature'] } });
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
    expect(data.result.map((r) => r.metric.device).sort()).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
  });

  test("the rule's query as a range query (the rule editor's preview) answers a matrix", async () => {
    const query = batteryRule.data.find((d) => d.refId === 'A')!;
    const answer = await send('/api/v1/query_range', { query: query.model.expr!, start: seconds(NOW_MS - 10 * MIN), end: seconds(NOW_MS), step: '60' });
    const data = answer.body.data as { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
    expect(data.resultType).toBe('matrix');
    expect(data.result).toHaveLength(5);
    for (const r of data.result) expect(r.values).toHaveLength(11);
  });

  test('requests without the read token are refused', async () => {
    const res = await fetch(`${sidecar.baseUrl}/api/v1/query?query=1`);
    expect(res.status).toBe(401);
  });
});
