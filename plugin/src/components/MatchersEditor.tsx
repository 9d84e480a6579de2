// Label filters (`site = berlin`, `device =~ d1|d2`) with names and values picked from the sidecar.
import { TimeRange } from '@grafana/data';
import { Button, Combobox, ComboboxOption, InlineField, Stack } from '@grafana/ui';
import { useMemo } from 'react';

import type { DataSource } from '../datasource';
import { LabelMatcher, MATCHER_OPS, MatcherOp } from '../types';
import { labelNameOptions, labelValueOptions } from './options';

interface Props {
  datasource: DataSource;
  range?: TimeRange;
  metric?: string;
  matchers: LabelMatcher[];
  /** Called with the new list; `commit` is true when the filters are complete and the query may run. */
  onChange: (matchers: LabelMatcher[], commit: boolean) => void;
  idPrefix: string;
}

const opOptions: Array<ComboboxOption<MatcherOp>> = MATCHER_OPS.map((op) => ({ label: op, value: op }));

export function MatchersEditor({ datasource, range, metric, matchers, onChange, idPrefix }: Props) {
  const update = (index: number, patch: Partial<LabelMatcher>) => {
    const next = matchers.map((matcher, i) => (i === index ? { ...matcher, ...patch } : matcher));
    const changed = next[index];
    if (JSON.stringify(changed) === JSON.stringify(matchers[index])) {
      return;
    }
    // Picking a label alone does not run the query; picking its value (or operator) does. An empty
    // value is a real filter (the label is absent) once the user chose it.
    const complete = changed.name !== '' && (patch.value !== undefined || patch.op !== undefined || changed.value !== '');
    onChange(next, complete);
  };
  const remove = (index: number) => onChange(matchers.filter((_m, i) => i !== index), true);
  const add = () => onChange([...matchers, { name: '', op: '=', value: '' }], false);

  return (
    <InlineField label="Label filters" labelWidth={16} tooltip="Series must match every filter; =~ and !~ take anchored regexes">
      <Stack direction="column" gap={0.5}>
        {matchers.map((matcher, index) => (
          <MatcherRow
            key={index}
            id={`${idPrefix}-${index}`}
            position={index + 1}
            datasource={datasource}
            range={range}
            metric={metric}
            matcher={matcher}
            others={matchers.filter((_m, i) => i !== index)}
            onChange={(patch) => update(index, patch)}
            onRemove={() => remove(index)}
          />
        ))}
        <div>
          <Button variant="secondary" size="sm" icon="plus" onClick={add} id={`${idPrefix}-add`}>
            Add filter
          </Button>
        </div>
      </Stack>
    </InlineField>
  );
}

interface RowProps {
  id: string;
  position: number;
  datasource: DataSource;
  range?: TimeRange;
  metric?: string;
  matcher: LabelMatcher;
  others: LabelMatcher[];
  onChange: (patch: Partial<LabelMatcher>) => void;
  onRemove: () => void;
}

function MatcherRow({ id, position, datasource, range, metric, matcher, others, onChange, onRemove }: RowProps) {
  const othersKey = JSON.stringify(others);
  // Stable loaders, so a picker reloads only when what it depends on changes.
  const loadNames = useMemo(() => labelNameOptions(datasource, range, metric), [datasource, range, metric]);
  const loadValues = useMemo(
    () => labelValueOptions(datasource, range, metric, matcher.name, JSON.parse(othersKey) as LabelMatcher[]),
    [datasource, range, metric, matcher.name, othersKey],
  );
  return (
    <Stack direction="row" gap={0.5} alignItems="center">
      <Combobox<string>
        id={`${id}-label`}
        aria-label={`Filter ${position} label`}
        width={20}
        placeholder="label"
        createCustomValue
        value={matcher.name || null}
        options={loadNames}
        onChange={(option: ComboboxOption<string>) => onChange({ name: option.value })}
      />
      <Combobox<MatcherOp>
        id={`${id}-op`}
        aria-label={`Filter ${position} operator`}
        width={8}
        value={matcher.op}
        options={opOptions}
        onChange={(option: ComboboxOption<MatcherOp>) => onChange({ op: option.value })}
      />
      <Combobox<string>
        id={`${id}-value`}
        aria-label={`Filter ${position} value`}
        width={24}
        placeholder="value"
        createCustomValue
        value={matcher.value || null}
        options={loadValues}
        onChange={(option: ComboboxOption<string>) => onChange({ value: option.value })}
      />
      <Button variant="secondary" size="sm" icon="trash-alt" aria-label={`Remove filter ${position}`} onClick={onRemove} />
    </Stack>
  );
}
