// A BackendSrv for unit tests that answers from a table of canned responses and records requests.
import { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { Observable, of, throwError } from 'rxjs';

export interface CannedAnswer {
  status: number;
  data: unknown;
}

export interface RecordedRequest {
  url: string;
  method?: string;
  data?: unknown;
}

/** Answers `fetch` from `answers[path]` (the part after the proxy route); unknown paths get a 404. */
export function cannedBackendSrv(answers: Record<string, CannedAnswer | ((body: unknown) => CannedAnswer)>) {
  const requests: RecordedRequest[] = [];
  const fetch = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> => {
    requests.push({ url: options.url, method: options.method, data: options.data });
    const path = options.url.replace(/^.*\/sidecar/, '');
    const entry = answers[path];
    const answer = typeof entry === 'function' ? entry(options.data) : (entry ?? { status: 404, data: { code: 'NOT_FOUND', message: `no ${path}` } });
    const response = {
      data: answer.data as T,
      status: answer.status,
      statusText: String(answer.status),
      ok: answer.status < 300,
      headers: new Headers(),
      redirected: false,
      type: 'basic' as ResponseType,
      url: options.url,
      config: options,
    };
    return answer.status < 300 ? of(response) : throwError(() => response);
  };
  return { backendSrv: { fetch } as unknown as BackendSrv, requests };
}
