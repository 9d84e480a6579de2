// Grafana's services for the plugin's tests against a real sidecar: a BackendSrv that forwards to the
// sidecar as Grafana's data proxy would (plugin.json's route adds the token), a TemplateSrv with the
// dashboard's variables, and builders for datasources and query requests.
import { DataFrame, DataQueryRequest, DataSourceInstanceSettings, dateTime } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse, setTemplateSrv } from '@grafana/runtime';
import { request as httpRequest, STATUS_CODES } from 'http';
import { from, Observable } from 'rxjs';

import { DataSource } from '../../plugin/src/datasource';
import pluginJson from '../../plugin/src/plugin.json';
import { TestAdHocVariable, TestTemplateSrv, TestVariable } from '../../plugin/src/testing/templateSrv';
import { SensorstoreOptions, SensorstoreQuery } from '../../plugin/src/types';
import { SEED_POINTS, SEED_START_MS, SEED_STEP_MS } from './sidecar';

export const PROXY_URL = '/api/datasources/proxy/uid/sensorstore';
export const END_MS = SEED_START_MS + SEED_POINTS * SEED_STEP_MS;
export const MINUTE_MS = 60_000;

/** Node's http client: jsdom has no fetch, and the browser's CORS rules do not apply to Grafana's server. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** BackendSrv.fetch through an emulated data proxy: plugin.json's route, with this token and URL. */
export function proxyBackendSrv(sidecarUrl: string, token: string): BackendSrv {
  const [route] = pluginJson.routes;
  const fetch = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> =>
    from(
      (async () => {
        const prefix = `${PROXY_URL}/${route.path}`;
        if (!options.url.startsWith(prefix)) {
          throw new Error(`not a data proxy URL: ${options.url}`);
        }
        const headers: Record<string, string> = { Authorization: route.headers[0].content.replace('{{ .SecureJsonData.token }}', token) };
        if (options.data !== undefined) {
          headers['Content-Type'] = 'application/json';
        }
        let answer: { status: number; text: string };
        try {
          answer = await send(sidecarUrl + options.url.slice(prefix.length), options.method ?? 'GET', headers, options.data === undefined ? undefined : JSON.stringify(options.data));
        } catch {
          answer = { status: 502, text: '' };
        }
        let data: unknown = answer.text;
        try {
          data = answer.text === '' ? undefined : JSON.parse(answer.text);
        } catch {
          // Kept as text, as Grafana does.
        }
        const response = { data: data as T, status: answer.status, statusText: STATUS_CODES[answer.status] ?? '', ok: answer.status < 300, config: options } as FetchResponse<T>;
        if (answer.status >= 300) {
          throw response;
        }
        return response;
      })(),
    );
  return { fetch } as unknown as BackendSrv;
}

export function datasource(jsonData: Partial<SensorstoreOptions> = {}): DataSource {
  return new DataSource({
    id: 1,
    uid: 'sensorstore',
    type: pluginJson.id,
    name: 'Sensorstore',
    url: PROXY_URL,
    access: 'proxy',
    readOnly: false,
    meta: {} as DataSourceInstanceSettings['meta'],
    jsonData: { url: 'http://sidecar:8428', ...jsonData },
  } as DataSourceInstanceSettings<SensorstoreOptions>);
}

export function request(targets: SensorstoreQuery[], extra: Partial<DataQueryRequest<SensorstoreQuery>> = {}): DataQueryRequest<SensorstoreQuery> {
  const rangeFrom = dateTime(SEED_START_MS);
  const rangeTo = dateTime(END_MS);
  return {
    requestId: 'test',
    interval: '1m',
    intervalMs: MINUTE_MS,
    maxDataPoints: 1000,
    range: { from: rangeFrom, to: rangeTo, raw: { from: rangeFrom, to: rangeTo } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: 0,
    ...extra,
  };
}

export function useVariables(variables: TestVariable[] = [], adHocVariables: TestAdHocVariable[] = []): void {
  setTemplateSrv(new TestTemplateSrv(variables, adHocVariables));
}

export function values(frame: DataFrame, name: string): unknown[] {
  const field = frame.fields.find((candidate) => candidate.name === name);
  if (!field) {
    throw new Error(`no field ${name} in ${frame.fields.map((f) => f.name).join(', ')}`);
  }
  return field.values;
}
