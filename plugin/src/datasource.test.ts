// The datasource's own logic with Grafana's services replaced: targets, per-query errors, variables,
// ad hoc filters, annotations and "Save & test" messages. (test/plugin runs it against a real sidecar.)
import { DataQueryRequest, dateTime, FieldType } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { lastValueFrom, Observable } from 'rxjs';

import { DataSource } from './datasource';
import { cannedBackendSrv, CannedAnswer } from './testing/backendSrv';
import { TestTemplateSrv } from './testing/templateSrv';
import { instanceSettings } from './testing/settings';
import { SensorstoreQuery } from './types';

const settings = instanceSettings({ defaultAggregation: 'max', minInterval: '10s' });

const START_MS = 1_700_000_000_000;

function request(targets: SensorstoreQuery[], extra: Partial<DataQueryRequest<SensorstoreQuery>> = {}): DataQueryRequest<SensorstoreQuery> {
  const from = dateTime(START_MS);
  const to = dateTime(START_MS + 3_600_000);
  return {
    requestId: 'r1',
    interval: '15s',
    intervalMs: 15_000,
    maxDataPoints: 500,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: 0,
    ...extra,
  };
}

function queryAnswer(body: unknown): CannedAnswer {
  const metric = (body as { metric: string }).metric;
  if (metric === 'broken') {
    return { status: 400, data: { code: 'INVALID_QUERY', message: 'matchers[0].value: bad regex "("' } };
  }
  return {
    status: 200,
    data: {
      step: 15_000,
      series: [{ metric, labels: { device: 'd1', site: 'berlin' }, unit: 'percent', times: [START_MS, START_MS + 15_000], values: [30, 15] }],
      stats: { series: 1, points: 2, tookMs: 1, truncated: (body as { limit?: number }).limit === 1 },
    },
  };
}

beforeEach(() => {
  setTemplateSrv(
    new TestTemplateSrv([
      { name: 'site', current: ['berlin', 'paris'], multi: true },
      { name: 'metric', current: ['humidity', 'pressure'], multi: true },
    ]),
  );
});

describe('DataSource.query', () => {
  it('sends one request per visible target and names the series from the legend', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/query': queryAnswer });
    setBackendSrv(backendSrv);
    const ds = new DataSource(settings);
    const response = await ds.query(
      request([
        { refId: 'A', metric: 'humidity', matchers: [{ name: 'site', op: '=', value: '$site' }], legend: '{{device}}' },
        { refId: 'B', metric: 'pressure', hide: true },
        { refId: 'C', metric: '' },
      ]),
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ url: '/api/datasources/proxy/uid/sensorstore/sidecar/api/native/query', method: 'POST' });
    expect(requests[0].data).toEqual({
      metric: 'humidity',
      matchers: [{ name: 'site', op: '=~', value: '(berlin|paris)' }],
      start: START_MS,
      end: START_MS + 3_600_000,
      limit: undefined,
      step: 15_000,
      agg: 'max',
      fill: 'none',
      timeZone: 'UTC',
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toHaveLength(1);
    const frame = response.data[0];
    expect(frame.fields[1]).toMatchObject({ type: FieldType.number, config: { displayNameFromDS: 'd1', unit: 'percent' } });
    expect(frame.meta.custom).toEqual({ stepMs: 15_000 });
  });

  it('names raw-sample frames from the legend as well, and shows them as a table', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/query': queryAnswer });
    setBackendSrv(backendSrv);
    const response = await new DataSource(settings).query(request([{ refId: 'A', metric: 'humidity', mode: 'raw', legend: '{{site}}/{{device}}' }]));
    expect(requests[0].data).toMatchObject({ metric: 'humidity', raw: true });
    expect(response.data[0].fields[1].config.displayNameFromDS).toBe('berlin/d1');
    expect(response.data[0].meta).toMatchObject({ preferredVisualisationType: 'table', executedQueryString: 'raw humidity{}' });
  });

  it("reports each failing query under its own refId with the sidecar's message", async () => {
    setBackendSrv(cannedBackendSrv({ '/api/native/query': queryAnswer }).backendSrv);
    const response = await new DataSource(settings).query(
      request([
        { refId: 'A', metric: 'humidity' },
        { refId: 'B', metric: 'broken' },
        { refId: 'C', metric: 'humidity', minInterval: 'often' },
      ]),
    );
    expect(response.data).toHaveLength(1);
    expect(response.errors).toEqual([
      { refId: 'B', status: 400, message: 'INVALID_QUERY: matchers[0].value: bad regex "("' },
      { refId: 'C', message: expect.stringContaining('Query C min interval: "often"') },
    ]);
  });

  it('refuses a metric variable with several values in that query alone, sending nothing for it', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/query': queryAnswer });
    setBackendSrv(backendSrv);
    const response = await new DataSource(settings).query(
      request([
        { refId: 'A', metric: '$metric' },
        { refId: 'B', metric: 'humidity' },
      ]),
    );
    expect(requests.map((r) => (r.data as { metric: string }).metric)).toEqual(['humidity']);
    expect(response.data.map((frame: { refId: string }) => frame.refId)).toEqual(['B']);
    expect(response.errors).toEqual([
      {
        refId: 'A',
        message: 'Query A: the metric $metric stands for 2 metrics (humidity, pressure), and a query reads one metric; select one value, or repeat the panel by the variable',
      },
    ]);
  });

  it('says when the series limit cut the answer short', async () => {
    setBackendSrv(cannedBackendSrv({ '/api/native/query': queryAnswer }).backendSrv);
    const response = await new DataSource(settings).query(request([{ refId: 'A', metric: 'humidity', limit: 1 }]));
    expect(response.data[0].meta.notices).toEqual([{ severity: 'warning', text: 'Showing the first 1 series; raise the limit or narrow the filters to see more' }]);
  });

  it('adds ad hoc filters to every query', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/query': queryAnswer });
    setBackendSrv(backendSrv);
    await new DataSource(settings).query(
      request([{ refId: 'A', metric: 'humidity' }, { refId: 'B', metric: 'pressure' }], { filters: [{ key: 'kind', operator: '!=', value: 'outdoor' }] }),
    );
    expect(requests.map((r) => (r.data as { matchers: unknown }).matchers)).toEqual([
      [{ name: 'kind', op: '!=', value: 'outdoor' }],
      [{ name: 'kind', op: '!=', value: 'outdoor' }],
    ]);
  });

  it("applies the dashboard's ad hoc filters to annotation queries, which Grafana sends without them", async () => {
    setTemplateSrv(
      new TestTemplateSrv(
        [{ name: 'ds', current: 'sensorstore' }],
        [
          { name: 'Filters', datasourceUid: 'sensorstore', filters: [{ key: 'kind', operator: '=', value: 'outdoor' }] },
          { name: 'ViaVariable', datasourceUid: '$ds', filters: [{ key: 'site', operator: '!=', value: 'paris' }] },
          { name: 'OtherDatasource', datasourceUid: 'prometheus', filters: [{ key: 'job', operator: '=', value: 'x' }] },
        ],
      ),
    );
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/query': queryAnswer });
    setBackendSrv(backendSrv);
    const anno: SensorstoreQuery = { refId: 'Anno', metric: 'battery', annotation: { condition: 'below', threshold: 20, display: 'points' } };
    await new DataSource(settings).query(request([anno]));
    expect((requests[0].data as { matchers: unknown }).matchers).toEqual([
      { name: 'kind', op: '=', value: 'outdoor' },
      { name: 'site', op: '!=', value: 'paris' },
    ]);
    // A panel's request carries the filters itself; they are not added twice.
    await new DataSource(settings).query(request([{ refId: 'A', metric: 'battery' }], { filters: [{ key: 'kind', operator: '=', value: 'outdoor' }] }));
    expect((requests[1].data as { matchers: unknown }).matchers).toEqual([{ name: 'kind', op: '=', value: 'outdoor' }]);
  });

  it('turns an annotation query into threshold regions', async () => {
    setBackendSrv(cannedBackendSrv({ '/api/native/query': queryAnswer }).backendSrv);
    const response = await new DataSource(settings).query(
      request([{ refId: 'Anno', metric: 'battery', annotation: { condition: 'below', threshold: 20, display: 'regions' } }]),
    );
    const fields = Object.fromEntries(response.data[0].fields.map((f: { name: string; values: unknown[] }) => [f.name, f.values]));
    expect(fields.time).toEqual([START_MS + 15_000]);
    expect(fields.timeEnd).toEqual([START_MS + 15_000]);
  });
});

describe('DataSource.testDatasource', () => {
  const ok = { '/api/native/status': { status: 200, data: { version: '0.1.0', series: 12, ready: true } }, '/api/native/series/count': { status: 200, data: { data: { series: 12 } } } };

  it('says how many series the sidecar holds', async () => {
    setBackendSrv(cannedBackendSrv(ok).backendSrv);
    expect(await new DataSource(settings).testDatasource()).toEqual({ status: 'success', message: 'Connected to Sensorstore 0.1.0 at http://sidecar:8428: 12 series' });
  });

  it.each([
    ['a refused token', { '/api/native/status': { status: 401, data: { code: 'UNAUTHORIZED', message: 'unknown token' } } }, /refused the token/],
    ['an unreachable sidecar', { '/api/native/status': { status: 502, data: { message: 'Bad Gateway' } } }, /Could not reach the sidecar/],
    ['something that is not a sidecar', { '/api/native/status': { status: 200, data: '<html></html>' } }, /not like a Sensorstore sidecar/],
  ])('explains %s', async (_name, answers, message) => {
    setBackendSrv(cannedBackendSrv(answers as Record<string, CannedAnswer>).backendSrv);
    const result = await new DataSource(settings).testDatasource();
    expect(result.status).toBe('error');
    expect(result.message).toMatch(message);
  });

  it('says the sidecar is still recovering, as its 503 NOT_READY answer tells', async () => {
    // The answer of the sidecar's EngineGate while recovery runs (sidecar/src/http/engine-gate.ts).
    const notReady = { status: 503, data: { code: 'NOT_READY', message: 'the sidecar is still recovering its data; retry shortly' } };
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/status': notReady });
    setBackendSrv(backendSrv);
    expect(await new DataSource(settings).testDatasource()).toEqual({
      status: 'error',
      message: 'The sidecar is not ready yet (NOT_READY: the sidecar is still recovering its data; retry shortly)',
    });
    expect(requests.map((r) => r.url)).toEqual(['/api/datasources/proxy/uid/sensorstore/sidecar/api/native/status']);
  });

  it('asks for a URL first', async () => {
    const result = await new DataSource({ ...settings, jsonData: { url: '' } }).testDatasource();
    expect(result).toEqual({ status: 'error', message: 'Set the sidecar URL (e.g. http://sidecar:8428) and save again' });
  });
});

describe('variables and ad hoc filters', () => {
  it('lists label values narrowed by other variables and the time range', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/label/device/values': { status: 200, data: { data: ['d1', 'd2'] } } });
    setBackendSrv(backendSrv);
    const ds = new DataSource(settings);
    const from = dateTime(START_MS);
    const to = dateTime(START_MS + 1000);
    const values = await ds.metricFindQuery('label_values(temperature{site="$site"}, device)', { range: { from, to, raw: { from, to } } });
    expect(values).toEqual([
      { text: 'd1', value: 'd1' },
      { text: 'd2', value: 'd2' },
    ]);
    expect(requests[0].data).toEqual({ matchers: [{ name: 'site', op: '=~', value: '(berlin|paris)' }], metric: 'temperature', start: START_MS, end: START_MS + 1000 });
  });

  it("narrows variable queries by the dashboard's ad hoc filters, or by those the request brings", async () => {
    setTemplateSrv(new TestTemplateSrv([], [{ name: 'Filters', datasourceUid: 'sensorstore', filters: [{ key: 'kind', operator: '=', value: 'indoor' }] }]));
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/label/device/values': { status: 200, data: { data: ['d1'] } } });
    setBackendSrv(backendSrv);
    const ds = new DataSource(settings);
    await ds.metricFindQuery('label_values(device)');
    expect(requests[0].data).toEqual({ matchers: [{ name: 'kind', op: '=', value: 'indoor' }] });
    const support = ds.variables as unknown as { query(r: DataQueryRequest): Observable<unknown> };
    const variableRequest = { ...request([]), targets: [{ refId: 'v', kind: 'labelValues', label: 'device' }], filters: [{ key: 'site', operator: '=', value: 'oslo' }] };
    await lastValueFrom(support.query(variableRequest as unknown as DataQueryRequest));
    expect(requests[1].data).toMatchObject({ matchers: [{ name: 'site', op: '=', value: 'oslo' }] });
  });

  it('offers tag values filtered by the other ad hoc filters', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/label/site/values': { status: 200, data: { data: ['berlin'] } } });
    setBackendSrv(backendSrv);
    const values = await new DataSource(settings).getTagValues({
      key: 'site',
      filters: [
        { key: 'site', operator: '=', value: 'x' },
        { key: 'kind', operator: '=', value: 'indoor' },
      ],
    });
    expect(values).toEqual([{ text: 'berlin', value: 'berlin' }]);
    expect(requests[0].data).toEqual({ matchers: [{ name: 'kind', op: '=', value: 'indoor' }] });
  });

  it('resolves variables and filters for Explore', () => {
    const ds = new DataSource(settings);
    const [query] = ds.interpolateVariablesInQueries([{ refId: 'A', metric: 'temperature', matchers: [{ name: 'site', op: '=', value: '$site' }] }], {}, [
      { key: 'kind', operator: '=', value: 'indoor' },
    ]);
    expect(query.matchers).toEqual([
      { name: 'site', op: '=~', value: '(berlin|paris)' },
      { name: 'kind', op: '=', value: 'indoor' },
    ]);
    expect(query.datasource).toEqual({ type: 'sensorstore-datasource', uid: 'sensorstore' });
  });

  it('gives Explore a metric that stands for several metrics as written, with the rest resolved', () => {
    const [query] = new DataSource(settings).interpolateVariablesInQueries([{ refId: 'A', metric: '$metric', matchers: [{ name: 'site', op: '=', value: '$site' }] }], {});
    expect(query).toMatchObject({ metric: '$metric', matchers: [{ name: 'site', op: '=~', value: '(berlin|paris)' }] });
  });

  it('lists label values across the metrics of a multi-value metric variable with a regex on the name', async () => {
    const { backendSrv, requests } = cannedBackendSrv({ '/api/native/label/device/values': { status: 200, data: { data: ['d1'] } } });
    setBackendSrv(backendSrv);
    await new DataSource(settings).metricFindQuery({ refId: 'v', kind: 'labelValues', metric: '$metric', label: 'device' });
    expect(requests[0].data).toEqual({ matchers: [{ name: '__name__', op: '=~', value: '(humidity|pressure)' }] });
  });
});
