// Edits what a template variable lists: metric names, label names, or the values of one label.
import { QueryEditorProps } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, RadioButtonGroup, Stack } from '@grafana/ui';
import { useMemo } from 'react';

import { labelNameOptions, metricOptions } from '../components/options';
import { MatchersEditor } from '../components/MatchersEditor';
import type { DataSource } from '../datasource';
import { LabelMatcher, SensorstoreOptions, SensorstoreQuery, SensorstoreVariableQuery, VariableQueryKind } from '../types';

type Props = QueryEditorProps<DataSource, SensorstoreQuery, SensorstoreOptions, SensorstoreVariableQuery>;

const kindOptions: Array<{ label: string; value: VariableQueryKind }> = [
  { label: 'Label values', value: 'labelValues' },
  { label: 'Label names', value: 'labelNames' },
  { label: 'Metrics', value: 'metrics' },
];

export function VariableQueryEditor({ datasource, query, onChange, range }: Props) {
  const current: SensorstoreVariableQuery = { ...query, kind: query.kind ?? 'labelValues', matchers: query.matchers ?? [] };
  const change = (patch: Partial<SensorstoreVariableQuery>) => onChange({ ...current, ...patch });
  const loadMetrics = useMemo(() => metricOptions(datasource, range), [datasource, range]);
  const loadLabels = useMemo(() => labelNameOptions(datasource, range, current.metric), [datasource, range, current.metric]);

  return (
    <Stack direction="column" gap={0.5}>
      <InlineField label="List" labelWidth={16}>
        <RadioButtonGroup<VariableQueryKind>
          options={kindOptions}
          value={current.kind}
          // Metric names are not narrowed by a metric: one left from another kind would hide the rest.
          onChange={(kind) => change(kind === 'metrics' ? { kind, metric: undefined } : { kind })}
        />
      </InlineField>
      {current.kind === 'labelValues' && (
        <InlineField label="Label" labelWidth={16}>
          <Combobox<string>
            id="sensorstore-variable-label"
            width={30}
            createCustomValue
            value={current.label || null}
            options={loadLabels}
            onChange={(option: ComboboxOption<string>) => change({ label: option.value })}
          />
        </InlineField>
      )}
      {current.kind !== 'metrics' && (
        <InlineField label="Metric" labelWidth={16} tooltip="Only series of this metric (optional)">
          <Combobox<string>
            id="sensorstore-variable-metric"
            width={30}
            createCustomValue
            isClearable
            value={current.metric || null}
            options={loadMetrics}
            onChange={(option: ComboboxOption<string> | null) => change({ metric: option?.value || undefined })}
          />
        </InlineField>
      )}
      <MatchersEditor
        idPrefix="sensorstore-variable-filter"
        datasource={datasource}
        range={range}
        metric={current.metric}
        matchers={current.matchers ?? []}
        onChange={(matchers: LabelMatcher[]) => change({ matchers })}
      />
    </Stack>
  );
}
