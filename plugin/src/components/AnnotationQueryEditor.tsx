// Annotation queries: a normal query plus the threshold that marks the interesting stretches.
import { AnnotationQuery } from '@grafana/data';
import { Combobox, ComboboxOption, InlineField, InlineFieldRow, Input, RadioButtonGroup } from '@grafana/ui';
import { ChangeEvent, useState } from 'react';

import { AnnotationRule, SensorstoreQuery } from '../types';
import { QueryEditor, Props as QueryEditorComponentProps } from './QueryEditor';

type Props = QueryEditorComponentProps & {
  annotation?: AnnotationQuery<SensorstoreQuery>;
  onAnnotationChange?: (annotation: AnnotationQuery<SensorstoreQuery>) => void;
};

const DEFAULT_RULE: AnnotationRule = { condition: 'below', threshold: 20, display: 'regions' };
const conditionOptions: Array<ComboboxOption<AnnotationRule['condition']>> = [
  { label: 'below', value: 'below' },
  { label: 'above', value: 'above' },
];

export function AnnotationQueryEditor(props: Props) {
  const { query, onChange } = props;
  const rule = query.annotation ?? DEFAULT_RULE;
  const [thresholdText, setThresholdText] = useState(String(rule.threshold));
  const thresholdValid = thresholdText.trim() !== '' && Number.isFinite(Number(thresholdText));
  const setRule = (patch: Partial<AnnotationRule>) => onChange({ ...query, annotation: { ...rule, ...patch } });

  return (
    <>
      <QueryEditor {...props} query={{ ...query, mode: query.mode === 'latest' ? 'series' : query.mode, annotation: rule }} />
      <InlineFieldRow>
        <InlineField label="Mark when value is" labelWidth={20}>
          <Combobox<AnnotationRule['condition']>
            width={12}
            value={rule.condition}
            options={conditionOptions}
            onChange={(option: ComboboxOption<AnnotationRule['condition']>) => setRule({ condition: option.value })}
          />
        </InlineField>
        <InlineField label="Threshold" invalid={!thresholdValid} error={thresholdValid ? undefined : 'Enter a number'}>
          <Input
            width={12}
            value={thresholdText}
            onChange={(event: ChangeEvent<HTMLInputElement>) => setThresholdText(event.target.value)}
            onBlur={() => thresholdValid && setRule({ threshold: Number(thresholdText) })}
          />
        </InlineField>
        <InlineField label="Show as">
          <RadioButtonGroup<AnnotationRule['display']>
            options={[
              { label: 'Regions', value: 'regions' },
              { label: 'Points', value: 'points' },
            ]}
            value={rule.display}
            onChange={(display) => setRule({ display })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
