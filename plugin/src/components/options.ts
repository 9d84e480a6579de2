// Option lists for the editors' pickers, filled from the sidecar and the dashboard's variables.
import { TimeRange } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { ComboboxOption } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { LabelMatcher } from '../types';

/** Pickers show at most this many names; typing narrows the list on the sidecar. */
export const PICKER_LIMIT = 500;

function toOptions(values: string[]): Array<ComboboxOption<string>> {
  return values.map((value) => ({ label: value, value }));
}

/** Dashboard variables, offered first so `$site` can be picked like any value; ad hoc filters hold no value. */
export function variableOptions(search: string): Array<ComboboxOption<string>> {
  return getTemplateSrv()
    .getVariables()
    .filter((variable) => variable.type !== 'adhoc')
    .map((variable) => `$${variable.name}`)
    .filter((name) => name.toLowerCase().includes(search.toLowerCase()))
    .map((name) => ({ label: name, value: name, description: 'Dashboard variable' }));
}

export function metricOptions(datasource: DataSource, range: TimeRange | undefined) {
  return async (search: string): Promise<Array<ComboboxOption<string>>> => {
    const names = await datasource.client.metrics({ ...datasource.metadataRequest([], range, undefined, search), limit: PICKER_LIMIT });
    return [...variableOptions(search), ...toOptions(names)];
  };
}

export function labelNameOptions(datasource: DataSource, range: TimeRange | undefined, metric: string | undefined) {
  return async (search: string): Promise<Array<ComboboxOption<string>>> => {
    const names = await datasource.client.labelNames({ ...datasource.metadataRequest([], range, metric || undefined, search), limit: PICKER_LIMIT });
    return toOptions(names);
  };
}

/**
 * Values of one label among the series the other filters select, so the list narrows as filters are
 * added. Filters that use variables are left out: their values are only known when the panel runs.
 */
export function labelValueOptions(
  datasource: DataSource,
  range: TimeRange | undefined,
  metric: string | undefined,
  label: string,
  otherMatchers: LabelMatcher[],
) {
  return async (search: string): Promise<Array<ComboboxOption<string>>> => {
    if (label === '') {
      return [];
    }
    const templateSrv = getTemplateSrv();
    const concrete = otherMatchers.filter((m) => m.name !== '' && !templateSrv.containsTemplate(m.value) && !templateSrv.containsTemplate(m.name));
    const usableMetric = metric && !templateSrv.containsTemplate(metric) ? metric : undefined;
    const values = await datasource.client.labelValues(label, {
      ...datasource.metadataRequest(concrete, range, usableMetric, search),
      limit: PICKER_LIMIT,
    });
    return [...variableOptions(search), ...toOptions(values)];
  };
}
