// The Grafana services a frontend datasource uses, reduced to what a browser page can provide:
// BackendSrv over window.fetch (so requests go through the emulated data proxy) and a TemplateSrv.
import { ScopedVars, TypedVariableModel } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse, TemplateSrv } from '@grafana/runtime';
import { from, lastValueFrom, Observable } from 'rxjs';

async function send<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
  const hasBody = options.data !== undefined;
  const response = await window.fetch(options.url, {
    method: options.method ?? (hasBody ? 'POST' : 'GET'),
    headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...(options.headers ?? {}) },
    body: hasBody ? JSON.stringify(options.data) : undefined,
  });
  const text = await response.text();
  let data: unknown = text;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page, say): keep the text, as Grafana does.
  }
  const result = {
    data: data as T,
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    headers: response.headers,
    redirected: response.redirected,
    type: response.type,
    url: response.url,
    config: options,
  };
  if (!response.ok) {
    // Grafana's BackendSrv rejects with a FetchError: the response plus the request config.
    throw result;
  }
  return result;
}

export function createBackendSrv(): BackendSrv {
  const fetch = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> => from(send<T>(options));
  const request = async <T>(options: BackendSrvRequest): Promise<T> => (await lastValueFrom(fetch<T>(options))).data;
  return {
    fetch,
    request,
    datasourceRequest: <T>(options: BackendSrvRequest) => lastValueFrom(fetch<T>(options)),
    get: <T>(url: string, params?: BackendSrvRequest['params']) => request<T>({ url, params, method: 'GET' }),
    delete: <T>(url: string, data?: unknown) => request<T>({ url, data, method: 'DELETE' }),
    post: <T>(url: string, data?: unknown) => request<T>({ url, data, method: 'POST' }),
    patch: <T>(url: string, data?: unknown) => request<T>({ url, data, method: 'PATCH' }),
    put: <T>(url: string, data?: unknown) => request<T>({ url, data, method: 'PUT' }),
    chunked: () => {
      throw new Error('chunked requests are not used by this plugin');
    },
    resolveCancelerIfExists: () => undefined,
  } as unknown as BackendSrv;
}

const VARIABLE_REF = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** A dashboard without variables: only the request's scoped variables ($__interval, ...) resolve. */
export function createTemplateSrv(): TemplateSrv {
  const lookup = (name: string, scopedVars?: ScopedVars) => scopedVars?.[name];
  return {
    getVariables: (): TypedVariableModel[] => [],
    containsTemplate: (target?: string) => Boolean(target && /\$\w+|\[\[\w+|\$\{\w+/.test(target)),
    updateTimeRange: () => undefined,
    replace: (target?: string, scopedVars?: ScopedVars) =>
      (target ?? '').replace(VARIABLE_REF, (match, var1, var2, _fmt2, var3) => {
        const scoped = lookup(var1 || var2 || var3, scopedVars);
        return scoped ? String(scoped.value) : match;
      }),
  };
}
