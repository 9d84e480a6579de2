// Answers in Prometheus' HTTP API shape: `{status:"success", data}` and
// `{status:"error", errorType, error}` with Prometheus' statuses (400 bad_data, 422 execution,
// 503 timeout/unavailable, 500 internal). Query results are written as JSON text directly: values as
// strings formatted like Prometheus', times as Unix seconds.

import type { Response } from 'express';
import { EngineError } from '../../engine/model/errors';
import { LabelSet } from '../../engine/model/types';
import { PromQLError } from '../../promql/errors';
import { formatSampleValue } from '../../promql/format';
import { QueryResult } from '../../promql/query';
import { BadParameterError } from './params';

export type ApiErrorType = 'bad_data' | 'execution' | 'timeout' | 'unavailable' | 'internal' | 'not_found';

const STATUS: Record<ApiErrorType, number> = { bad_data: 400, execution: 422, timeout: 503, unavailable: 503, internal: 500, not_found: 404 };

/** Any error, classified the way Prometheus' API would answer it. */
export function classify(err: unknown): { errorType: ApiErrorType; message: string } {
  if (err instanceof BadParameterError) return { errorType: 'bad_data', message: err.message };
  if (err instanceof PromQLError) return { errorType: err.errorType, message: err.message };
  if (err instanceof EngineError) {
    switch (err.code) {
      case 'INVALID_QUERY':
        return { errorType: 'bad_data', message: err.message };
      case 'QUERY_LIMIT':
        return { errorType: 'execution', message: err.message };
      case 'CLOSED':
        return { errorType: 'unavailable', message: err.message };
      default:
        return { errorType: 'internal', message: err.message };
    }
  }
  return { errorType: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export function sendError(res: Response, errorType: ApiErrorType, message: string): void {
  res.status(STATUS[errorType]).json({ status: 'error', errorType, error: message });
}

export function sendData(res: Response, data: unknown): void {
  res.status(200).json({ status: 'success', data });
}

/** Labels with names in sorted order, as Prometheus writes them. */
export function sortedLabels(labels: LabelSet): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) sorted[k] = labels[k];
  return sorted;
}

function metricJson(labels: LabelSet): string {
  return JSON.stringify(sortedLabels(labels));
}

function point(timestampMs: number, value: number): string {
  return `[${timestampMs / 1000},"${formatSampleValue(value)}"]`;
}

/** The `data` member of a query answer, as JSON text. */
export function resultJson(result: QueryResult): string {
  switch (result.resultType) {
    case 'scalar':
      return `{"resultType":"scalar","result":${point(result.timestampMs, result.value)}}`;
    case 'string':
      return `{"resultType":"string","result":[${result.timestampMs / 1000},${JSON.stringify(result.value)}]}`;
    case 'vector': {
      const items = result.samples.map((s) => `{"metric":${metricJson(s.labels)},"value":${point(s.timestampMs, s.value)}}`);
      return `{"resultType":"vector","result":[${items.join(',')}]}`;
    }
    case 'matrix': {
      const items = result.series.map((s) => {
        const points: string[] = new Array(s.timestamps.length);
        for (let i = 0; i < s.timestamps.length; i++) points[i] = point(s.timestamps[i], s.values[i]);
        return `{"metric":${metricJson(s.labels)},"values":[${points.join(',')}]}`;
      });
      return `{"resultType":"matrix","result":[${items.join(',')}]}`;
    }
  }
}

export function sendQueryResult(res: Response, result: QueryResult): void {
  res.status(200).type('application/json').send(`{"status":"success","data":${resultJson(result)}}`);
}

