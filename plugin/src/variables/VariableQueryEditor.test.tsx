// The variable editor shows the fields each kind of list uses and never keeps one that is hidden.
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { fireEvent, render, screen } from '@testing-library/react';

import { DataSource } from '../datasource';
import { cannedBackendSrv } from '../testing/backendSrv';
import { TestTemplateSrv } from '../testing/templateSrv';
import { instanceSettings } from '../testing/settings';
import { SensorstoreVariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

const datasource = new DataSource(instanceSettings());

beforeEach(() => {
  setBackendSrv(cannedBackendSrv({}).backendSrv);
  setTemplateSrv(new TestTemplateSrv());
});

function renderEditor(query: SensorstoreVariableQuery) {
  const onChange = jest.fn();
  const view = render(<VariableQueryEditor datasource={datasource} query={query} onChange={onChange} onRunQuery={jest.fn()} />);
  const shown = (id: string) => view.container.querySelector(`#sensorstore-variable-${id}`) !== null;
  return { onChange, shown };
}

describe('VariableQueryEditor', () => {
  it('asks for a label and an optional metric when listing label values', () => {
    const { shown } = renderEditor({ refId: 'v', kind: 'labelValues', label: 'device', metric: 'temperature' });
    expect({ label: shown('label'), metric: shown('metric') }).toEqual({ label: true, metric: true });
  });

  it('lists metric names without a metric field, and drops a metric left from another kind', () => {
    const { onChange } = renderEditor({ refId: 'v', kind: 'labelValues', label: 'device', metric: 'temperature', matchers: [] });
    fireEvent.click(screen.getByLabelText('Metrics'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'metrics', label: 'device', metric: undefined, matchers: [] });
    const { shown } = renderEditor({ refId: 'v', kind: 'metrics' });
    expect({ label: shown('label'), metric: shown('metric') }).toEqual({ label: false, metric: false });
  });

  it('keeps the metric when switching between label names and label values', () => {
    const { onChange } = renderEditor({ refId: 'v', kind: 'labelValues', label: 'device', metric: 'temperature', matchers: [] });
    fireEvent.click(screen.getByLabelText('Label names'));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ kind: 'labelNames', metric: 'temperature' }));
  });
});
