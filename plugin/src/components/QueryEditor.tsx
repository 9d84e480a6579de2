// The query editor: metric, label filters, aggregation, grouping, fill, resolution, legend, mode.
import { QueryEditorProps } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow, InlineLabel, Input, MultiCombobox, RadioButtonGroup, Stack } from '@grafana/ui';
import { ChangeEvent, useMemo, useRef } from 'react';

import type { DataSource } from '../datasource';
import { formatStep } from '../query/step';
import { Aggregation, AGGREGATIONS, CROSS_AGGREGATIONS, CrossAggregation, FILL_MODES, FillMode, LabelMatcher, QueryMode, SensorstoreOptions, SensorstoreQuery } from '../types';
import { MatchersEditor } from './MatchersEditor';
import { labelNameOptions, metricOptions } from './options';

export type Props = QueryEditorProps<DataSource, SensorstoreQuery, SensorstoreOptions>;

const LABEL_WIDTH = 16;
const modeOptions: Array<{ label: string; value: QueryMode; description: string }> = [
  { label: 'Series', value: 'series', description: 'Aggregated into buckets' },
  { label: 'Raw samples', value: 'raw', description: 'Every stored sample, as a table' },
  { label: 'Latest', value: 'latest', description: 'The last reading of each series' },
];
const fillOptions: Array<ComboboxOption<FillMode>> = FILL_MODES.map((fill) => ({ label: fill, value: fill }));

function aggregationOptions(defaultAgg: Aggregation): Array<ComboboxOption<string>> {
  return [{ label: `default (${defaultAgg})`, value: '' }, ...AGGREGATIONS.map((agg) => ({ label: agg, value: agg }))];
}

/** The step the last run used, read from the frames' metadata, so users see the resolution. */
function usedStepMs(props: Props): number | undefined {
  const frame = props.data?.series.find((series) => series.refId === props.query.refId);
  const stepMs = (frame?.meta?.custom as { stepMs?: unknown } | undefined)?.stepMs;
  return typeof stepMs === 'number' ? stepMs : undefined;
}

export function QueryEditor(props: Props) {
  const { datasource, query, onChange, onRunQuery, range } = props;
  const mode = query.mode ?? 'series';
  // The query as last sent to onChange: a picker can report one selection several times before the
  // new query comes back as a prop, and that must neither lose edits nor run the query again.
  const latest = useRef(query);
  latest.current = query;
  const change = (patch: Partial<SensorstoreQuery>, run: boolean) => {
    const base = latest.current;
    const changed = (Object.keys(patch) as Array<keyof SensorstoreQuery>).some((key) => JSON.stringify(patch[key]) !== JSON.stringify(base[key]));
    if (!changed) {
      return;
    }
    const next = { ...base, ...patch };
    latest.current = next;
    onChange(next);
    if (run) {
      onRunQuery();
    }
  };
  const loadMetrics = useMemo(() => metricOptions(datasource, range), [datasource, range]);
  const loadLabels = useMemo(() => labelNameOptions(datasource, range, query.metric), [datasource, range, query.metric]);
  const stepMs = usedStepMs(props);
  const id = `sensorstore-${query.refId}`;

  return (
    <Stack direction="column" gap={0.5}>
      <InlineFieldRow>
        <InlineField label="Metric" labelWidth={LABEL_WIDTH} grow>
          <Combobox<string>
            id={`${id}-metric`}
            aria-label="Metric"
            placeholder="Search metrics"
            createCustomValue
            value={query.metric || null}
            options={loadMetrics}
            onChange={(option: ComboboxOption<string>) => change({ metric: option.value }, true)}
          />
        </InlineField>
        <InlineField label="Mode">
          <RadioButtonGroup<QueryMode> options={modeOptions} value={mode} onChange={(value) => change({ mode: value }, true)} />
        </InlineField>
      </InlineFieldRow>
      <MatchersEditor
        idPrefix={`${id}-filter`}
        datasource={datasource}
        range={range}
        metric={query.metric}
        matchers={query.matchers ?? []}
        onChange={(matchers: LabelMatcher[], commit: boolean) => change({ matchers }, commit)}
      />
      {mode === 'series' && (
        <InlineFieldRow>
          <InlineField label="Aggregation" labelWidth={LABEL_WIDTH} tooltip="How samples inside one bucket combine">
            <Combobox<string>
              id={`${id}-agg`}
              width={18}
              value={query.agg ?? ''}
              options={aggregationOptions(datasource.defaultAgg)}
              onChange={(option: ComboboxOption<string>) => change({ agg: (option.value || undefined) as Aggregation | undefined }, true)}
            />
          </InlineField>
          <InlineField label="Group by" tooltip="One series per combination of these labels">
            <MultiCombobox<string>
              id={`${id}-group-by`}
              width="auto"
              minWidth={20}
              createCustomValue
              value={query.groupBy ?? []}
              options={loadLabels}
              onChange={(options: Array<ComboboxOption<string>>) => change({ groupBy: options.map((option) => option.value) }, true)}
            />
          </InlineField>
          {(query.groupBy ?? []).length > 0 && (
            <InlineField label="Across series" tooltip="How the series of one group combine">
              <Combobox<string>
                id={`${id}-cross-agg`}
                width={18}
                value={query.crossAgg ?? ''}
                options={[{ label: 'same as aggregation', value: '' }, ...CROSS_AGGREGATIONS.map((agg) => ({ label: agg, value: agg }))]}
                onChange={(option: ComboboxOption<string>) => change({ crossAgg: (option.value || undefined) as CrossAggregation | undefined }, true)}
              />
            </InlineField>
          )}
          <InlineField label="Fill" tooltip="Empty buckets: leave out, carry the last value forward, or interpolate">
            <Combobox<FillMode>
              id={`${id}-fill`}
              width={14}
              value={query.fill ?? 'none'}
              options={fillOptions}
              onChange={(option: ComboboxOption<FillMode>) => change({ fill: option.value }, true)}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {mode !== 'latest' && (
        <InlineFieldRow>
          {mode === 'series' && (
            <InlineField
              label="Min interval"
              labelWidth={LABEL_WIDTH}
              tooltip="Lower bound for the bucket width, e.g. 1m or $__interval; the panel's size and max data points can make it wider"
            >
              <Input
                id={`${id}-min-interval`}
                width={14}
                placeholder={datasource.minInterval || 'auto'}
                value={query.minInterval ?? ''}
                onChange={(event: ChangeEvent<HTMLInputElement>) => change({ minInterval: event.target.value }, false)}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {/* Series and raw samples are one frame per series, both named by the legend; latest is one table. */}
          <InlineField label="Legend" labelWidth={mode === 'series' ? undefined : LABEL_WIDTH} tooltip="Series name from labels, e.g. {{device}} {{site}}">
            <Input
              id={`${id}-legend`}
              width={30}
              placeholder="{{device}} {{site}}"
              value={query.legend ?? ''}
              onChange={(event: ChangeEvent<HTMLInputElement>) => change({ legend: event.target.value }, false)}
              onBlur={onRunQuery}
            />
          </InlineField>
          {mode === 'series' && stepMs !== undefined && (
            <InlineLabel width="auto" data-testid="sensorstore-step-used" tooltip="The bucket width the last run used, from the panel's size, max data points, range and min interval">
              {`Step used: ${formatStep(stepMs)}`}
            </InlineLabel>
          )}
        </InlineFieldRow>
      )}
      <InlineField label="Series limit" labelWidth={LABEL_WIDTH} tooltip="Most series to return; empty for the sidecar's limit">
        <Input
          id={`${id}-limit`}
          type="number"
          min={1}
          width={14}
          value={query.limit ?? ''}
          onChange={(event: ChangeEvent<HTMLInputElement>) => {
            const limit = Number.parseInt(event.target.value, 10);
            change({ limit: Number.isFinite(limit) && limit > 0 ? limit : undefined }, false);
          }}
          onBlur={onRunQuery}
        />
      </InlineField>
    </Stack>
  );
}
