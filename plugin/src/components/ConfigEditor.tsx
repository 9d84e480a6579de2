// Datasource settings: where the sidecar is, its read token (kept server-side), and query defaults.
import { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, Input, SecretInput, Stack } from '@grafana/ui';
import { ChangeEvent } from 'react';

import { parseIntervalMs } from '../query/step';
import { Aggregation, AGGREGATIONS, SensorstoreOptions, SensorstoreSecureOptions } from '../types';

type Props = DataSourcePluginOptionsEditorProps<SensorstoreOptions, SensorstoreSecureOptions>;

const LABEL_WIDTH = 22;
const aggregationOptions: Array<ComboboxOption<Aggregation>> = AGGREGATIONS.map((agg) => ({ label: agg, value: agg }));

function intervalProblem(text: string | undefined): string | undefined {
  try {
    parseIntervalMs(text, 'Min interval');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function urlProblem(text: string | undefined): string | undefined {
  if (!text) {
    return undefined;
  }
  return /^https?:\/\/[^\s/]+/.test(text) ? undefined : 'Use an http:// or https:// URL, e.g. http://sidecar:8428';
}

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const jsonData = options.jsonData;
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = (options.secureJsonData ?? {}) as SensorstoreSecureOptions;

  const setJsonData = (patch: Partial<SensorstoreOptions>) => onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });

  const onTokenChange = (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, token: event.target.value } });

  const onTokenReset = () =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, token: false },
      secureJsonData: { ...secureJsonData, token: '' },
    });

  const urlError = urlProblem(jsonData.url);
  const intervalError = intervalProblem(jsonData.minInterval);

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Sidecar URL" labelWidth={LABEL_WIDTH} interactive tooltip="Reached by the Grafana server, not the browser" invalid={Boolean(urlError)} error={urlError}>
        <Input
          id="sensorstore-url"
          width={40}
          value={jsonData.url ?? ''}
          placeholder="http://sidecar:8428"
          onChange={(event: ChangeEvent<HTMLInputElement>) => setJsonData({ url: event.target.value.trim() })}
        />
      </InlineField>
      <InlineField label="Token" labelWidth={LABEL_WIDTH} tooltip="The sidecar's read token; Grafana keeps it encrypted and adds it on its server">
        <SecretInput
          id="sensorstore-token"
          width={40}
          isConfigured={Boolean(secureJsonFields.token)}
          value={secureJsonData.token ?? ''}
          placeholder="read token (leave empty if the sidecar has none)"
          onChange={onTokenChange}
          onReset={onTokenReset}
        />
      </InlineField>
      <InlineField label="Default aggregation" labelWidth={LABEL_WIDTH} tooltip="Used by queries that do not choose one">
        <Combobox<Aggregation>
          id="sensorstore-default-aggregation"
          width={20}
          options={aggregationOptions}
          value={jsonData.defaultAggregation ?? 'avg'}
          onChange={(option: SelectableValue<Aggregation>) => setJsonData({ defaultAggregation: option.value })}
        />
      </InlineField>
      <InlineField
        label="Min interval"
        labelWidth={LABEL_WIDTH}
        tooltip="The finest bucket width any query asks for, e.g. the sensors' reporting interval (10s)"
        invalid={Boolean(intervalError)}
        error={intervalError}
      >
        <Input
          id="sensorstore-min-interval"
          width={20}
          value={jsonData.minInterval ?? ''}
          placeholder="10s"
          onChange={(event: ChangeEvent<HTMLInputElement>) => setJsonData({ minInterval: event.target.value.trim() })}
        />
      </InlineField>
    </Stack>
  );
}
