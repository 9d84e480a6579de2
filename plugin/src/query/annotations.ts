// Turns series into annotation events: the stretches where a value is below or above a threshold.
import { createDataFrame, DataFrame, FieldType } from '@grafana/data';

import { AnnotationRule, NativeSeries } from '../types';
import { applyLegend } from './frames';
import { SidecarQueryError } from './errors';

export interface Stretch {
  startMs: number;
  /** Time of the last point that met the condition. */
  endMs: number;
  /** The most extreme value inside the stretch (lowest for `below`, highest for `above`). */
  peak: number;
}

function meets(rule: AnnotationRule, value: number): boolean {
  return rule.condition === 'below' ? value < rule.threshold : value > rule.threshold;
}

/** Consecutive points that meet the rule; a missing value (null) ends a stretch. */
export function findStretches(series: NativeSeries, rule: AnnotationRule): Stretch[] {
  const stretches: Stretch[] = [];
  let current: Stretch | undefined;
  series.times.forEach((timeMs, index) => {
    const value = series.values[index];
    if (value !== null && !Number.isNaN(value) && meets(rule, value)) {
      if (current) {
        current.endMs = timeMs;
        current.peak = rule.condition === 'below' ? Math.min(current.peak, value) : Math.max(current.peak, value);
      } else {
        current = { startMs: timeMs, endMs: timeMs, peak: value };
      }
      return;
    }
    if (current) {
      stretches.push(current);
      current = undefined;
    }
  });
  if (current) {
    stretches.push(current);
  }
  return stretches;
}

export function validateRule(rule: AnnotationRule): void {
  if (!Number.isFinite(rule.threshold)) {
    throw new SidecarQueryError('BAD_ANNOTATION', `Annotation threshold "${rule.threshold}" is not a number`);
  }
}

/**
 * One frame in the shape Grafana's standard annotation processing reads (`time`, `timeEnd`, `title`,
 * `text`, `tags`); `timeEnd` is left out for points.
 */
export function annotationFrame(seriesList: NativeSeries[], rule: AnnotationRule, refId: string, legend?: string): DataFrame {
  validateRule(rule);
  const rows = seriesList.flatMap((series) => {
    const name = legend ? applyLegend(legend, series.metric, series.labels) : describeSeries(series);
    return findStretches(series, rule).map((stretch) => ({ series, name, stretch }));
  });
  const fields = [
    { name: 'time', type: FieldType.time, values: rows.map((row) => row.stretch.startMs), config: {} },
    ...(rule.display === 'regions'
      ? [{ name: 'timeEnd', type: FieldType.time, values: rows.map((row) => row.stretch.endMs), config: {} }]
      : []),
    { name: 'title', type: FieldType.string, values: rows.map((row) => `${row.name} ${rule.condition} ${rule.threshold}`), config: {} },
    {
      name: 'text',
      type: FieldType.string,
      values: rows.map((row) => `${row.series.metric} ${rule.condition === 'below' ? 'lowest' : 'highest'} ${row.stretch.peak}`),
      config: {},
    },
    {
      name: 'tags',
      type: FieldType.other,
      values: rows.map((row) => Object.entries(row.series.labels).map(([key, value]) => `${key}:${value}`)),
      config: {},
    },
  ];
  return createDataFrame({ refId, fields });
}

function describeSeries(series: NativeSeries): string {
  const labels = Object.entries(series.labels).map(([key, value]) => `${key}="${value}"`);
  return `${series.metric}{${labels.join(', ')}}`;
}
