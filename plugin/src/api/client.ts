// Calls the sidecar's native API through Grafana's data proxy, so the token stays on the server.
import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import {
  NativeLatestAnswer,
  NativeLatestRequest,
  NativeMetadataRequest,
  NativeQueryAnswer,
  NativeQueryRequest,
  NativeStatus,
} from '../types';
import { SidecarError, toSidecarError } from './errors';

/** The plugin.json route path that the data proxy forwards to the sidecar's URL, adding the token. */
export const PROXY_ROUTE = 'sidecar';

export class SidecarClient {
  private readonly baseUrl: string;

  /** @param datasourceUrl the instance settings' `url`, e.g. `/api/datasources/proxy/uid/sensorstore`. */
  constructor(datasourceUrl: string) {
    this.baseUrl = `${datasourceUrl.replace(/\/+$/, '')}/${PROXY_ROUTE}`;
  }

  status(): Promise<NativeStatus> {
    return this.request<NativeStatus>('GET', '/api/native/status');
  }

  query(body: NativeQueryRequest): Promise<NativeQueryAnswer> {
    return this.request<NativeQueryAnswer>('POST', '/api/native/query', body);
  }

  latest(body: NativeLatestRequest): Promise<NativeLatestAnswer> {
    return this.request<NativeLatestAnswer>('POST', '/api/native/latest', body);
  }

  metrics(body: NativeMetadataRequest): Promise<string[]> {
    return this.metadata('/api/native/metrics', body);
  }

  labelNames(body: NativeMetadataRequest): Promise<string[]> {
    return this.metadata('/api/native/labels', body);
  }

  labelValues(label: string, body: NativeMetadataRequest): Promise<string[]> {
    return this.metadata(`/api/native/label/${encodeURIComponent(label)}/values`, body);
  }

  async seriesCount(body: NativeMetadataRequest): Promise<number> {
    const endpoint = '/api/native/series/count';
    const answer = await this.request<{ data?: { series?: unknown } }>('POST', endpoint, body);
    const count = answer?.data?.series;
    if (typeof count !== 'number') {
      throw new SidecarError('BAD_ANSWER', `The sidecar's answer on ${endpoint} lacks data.series`, endpoint, 200);
    }
    return count;
  }

  private async metadata(endpoint: string, body: NativeMetadataRequest): Promise<string[]> {
    const answer = await this.request<{ data?: unknown }>('POST', endpoint, body);
    if (!Array.isArray(answer?.data)) {
      throw new SidecarError('BAD_ANSWER', `The sidecar's answer on ${endpoint} lacks a data array`, endpoint, 200);
    }
    return answer.data.map(String);
  }

  private async request<T>(method: 'GET' | 'POST', endpoint: string, body?: unknown): Promise<T> {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({
          url: this.baseUrl + endpoint,
          method,
          data: body,
          headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
          // Errors are shown where they belong (per query, in "Save & test"), not as global toasts.
          showErrorAlert: false,
          showSuccessAlert: false,
        }),
      );
      return response.data;
    } catch (err) {
      throw toSidecarError(err, endpoint);
    }
  }
}
