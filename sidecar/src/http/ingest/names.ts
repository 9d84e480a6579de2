// Turns names from other systems (InfluxDB measurements, fields and tag keys) into valid metric and
// label names, the way Prometheus' influxdb_exporter does: every other character becomes "_"; and
// writes series the way error messages show them.

import { LabelSet, METRIC_NAME_LABEL } from '../../engine/model/types';

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * @example sanitizeMetricName('disk.io-time') // 'disk_io_time'
 * @example sanitizeMetricName('1m_load') // '_1m_load'
 */
export function sanitizeMetricName(name: string): string {
  if (METRIC_NAME_RE.test(name)) return name;
  const replaced = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

/** @example sanitizeLabelName('host-name') // 'host_name' */
export function sanitizeLabelName(name: string): string {
  if (LABEL_NAME_RE.test(name)) return name;
  const replaced = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

/** `name{label="value",...}`, as Prometheus writes a series. */
export function describeSeries(labels: LabelSet): string {
  const rest = Object.keys(labels)
    .filter((k) => k !== METRIC_NAME_LABEL)
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${labels[METRIC_NAME_LABEL] ?? ''}{${rest.join(',')}}`;
}
