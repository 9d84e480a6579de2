// Converts the sidecar's answers into Grafana DataFrames: one per series, or one table for latest values.
import { createDataFrame, DataFrame, Field, FieldType, QueryResultMeta } from '@grafana/data';

import { NativeLatestSeries, NativeSeries } from '../types';

/** Units the sidecar reports, by the names Grafana's unit picker uses; others are shown as written. */
const GRAFANA_UNITS: Record<string, string> = {
  celsius: 'celsius',
  fahrenheit: 'fahrenheit',
  kelvin: 'kelvin',
  percent: 'percent',
  '%': 'percent',
  hpa: 'pressurehpa',
  pa: 'pressurepa',
  bar: 'pressurebar',
  volt: 'volt',
  volts: 'volt',
  v: 'volt',
  ampere: 'amp',
  watt: 'watt',
  watts: 'watt',
  seconds: 's',
  s: 's',
  milliseconds: 'ms',
  ms: 'ms',
  bytes: 'bytes',
  lux: 'lux',
  ppm: 'ppm',
};

export function grafanaUnit(sidecarUnit: string | undefined): string | undefined {
  if (!sidecarUnit) {
    return undefined;
  }
  return GRAFANA_UNITS[sidecarUnit.toLowerCase()] ?? sidecarUnit;
}

/**
 * Fills `{{label}}` placeholders from a series' labels; `{{__name__}}` and `{{metric}}` give the
 * metric name. A label the series lacks becomes empty, as in Prometheus' legend format.
 */
export function applyLegend(template: string, metric: string, labels: Record<string, string>): string {
  return template
    .replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_match, name: string) => {
      if (name === '__name__' || name === 'metric') {
        return labels[name] ?? metric;
      }
      return labels[name] ?? '';
    })
    .trim();
}

export function seriesToFrame(series: NativeSeries, refId: string, legend: string | undefined, meta: QueryResultMeta): DataFrame {
  const displayName = legend && legend.trim() !== '' ? applyLegend(legend, series.metric, series.labels) : undefined;
  const valueField: Partial<Field> = {
    name: series.metric,
    type: FieldType.number,
    values: series.values,
    labels: series.labels,
    config: {
      ...(displayName ? { displayNameFromDS: displayName } : {}),
      ...(series.unit ? { unit: grafanaUnit(series.unit) } : {}),
    },
  };
  return createDataFrame({
    refId,
    name: displayName ?? series.metric,
    meta,
    fields: [{ name: 'Time', type: FieldType.time, values: series.times, config: {} }, valueField],
  });
}

/** One row per series: time of the last sample, every label as a column, and the value. */
export function latestToFrame(series: NativeLatestSeries[], refId: string, meta: QueryResultMeta): DataFrame {
  const labelNames = [...new Set(series.flatMap((item) => Object.keys(item.labels)))].sort();
  const units = new Set(series.map((item) => item.unit).filter((unit): unit is string => Boolean(unit)));
  const unit = units.size === 1 ? grafanaUnit([...units][0]) : undefined;
  return createDataFrame({
    refId,
    meta: { ...meta, preferredVisualisationType: 'table' },
    fields: [
      { name: 'Time', type: FieldType.time, values: series.map((item) => item.time), config: {} },
      { name: 'Metric', type: FieldType.string, values: series.map((item) => item.metric), config: {} },
      ...labelNames.map((label) => ({
        name: label,
        type: FieldType.string,
        values: series.map((item) => item.labels[label] ?? ''),
        config: {},
      })),
      { name: 'Value', type: FieldType.number, values: series.map((item) => item.value), config: unit ? { unit } : {} },
    ],
  });
}
