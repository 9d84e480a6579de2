// The query editor shows the fields each mode uses: the legend names series and raw-sample frames
// alike, and only the latest-value table has no use for it.
import { dateTime } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { fireEvent, render } from '@testing-library/react';

import { DataSource } from '../datasource';
import { cannedBackendSrv } from '../testing/backendSrv';
import { TestTemplateSrv } from '../testing/templateSrv';
import { instanceSettings } from '../testing/settings';
import { QueryMode, SensorstoreQuery } from '../types';
import { QueryEditor } from './QueryEditor';

const datasource = new DataSource(instanceSettings());

const from = dateTime(1_700_000_000_000);
const to = dateTime(1_700_003_600_000);

beforeEach(() => {
  setBackendSrv(cannedBackendSrv({}).backendSrv);
  setTemplateSrv(new TestTemplateSrv());
});

function renderEditor(mode: QueryMode, legend = '') {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const query: SensorstoreQuery = { refId: 'A', metric: 'battery', mode, legend };
  const view = render(<QueryEditor datasource={datasource} query={query} onChange={onChange} onRunQuery={onRunQuery} range={{ from, to, raw: { from, to } }} />);
  const field = (name: string) => view.container.querySelector<HTMLInputElement>(`#sensorstore-A-${name}`);
  return { onChange, onRunQuery, field };
}

describe('QueryEditor', () => {
  it.each<[QueryMode, { legend: boolean; minInterval: boolean; agg: boolean }]>([
    ['series', { legend: true, minInterval: true, agg: true }],
    ['raw', { legend: true, minInterval: false, agg: false }],
    ['latest', { legend: false, minInterval: false, agg: false }],
  ])('in %s mode shows %j', (mode, shown) => {
    const { field } = renderEditor(mode);
    expect({ legend: field('legend') !== null, minInterval: field('min-interval') !== null, agg: field('agg') !== null }).toEqual(shown);
  });

  it('takes a legend for raw samples and runs the query when the field is left', () => {
    const { field, onChange, onRunQuery } = renderEditor('raw');
    fireEvent.change(field('legend')!, { target: { value: '{{device}}' } });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ mode: 'raw', legend: '{{device}}' }));
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.blur(field('legend')!);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });
});
