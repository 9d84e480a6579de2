// Frame conversion: time and number fields, labels, units, legend names, and the latest-value table.
import { FieldType } from '@grafana/data';

import { applyLegend, grafanaUnit, latestToFrame, seriesToFrame } from './frames';

const series = {
  metric: 'temperature',
  labels: { device: 'd1', site: 'berlin' },
  unit: 'celsius',
  times: [1000, 2000, 3000],
  values: [21.5, null, 22],
};

describe('seriesToFrame', () => {
  it('makes a time field and a labelled number field with the unit', () => {
    const frame = seriesToFrame(series, 'A', undefined, { executedQueryString: 'q' });
    expect(frame.refId).toBe('A');
    expect(frame.length).toBe(3);
    expect(frame.meta?.executedQueryString).toBe('q');
    const [time, value] = frame.fields;
    expect(time).toMatchObject({ name: 'Time', type: FieldType.time });
    expect(time.values).toEqual([1000, 2000, 3000]);
    expect(value).toMatchObject({ name: 'temperature', type: FieldType.number, labels: { device: 'd1', site: 'berlin' }, config: { unit: 'celsius' } });
    expect(value.values).toEqual([21.5, null, 22]);
    expect(value.config.displayNameFromDS).toBeUndefined();
  });

  it('names the series from the legend template', () => {
    const frame = seriesToFrame(series, 'A', '{{device}} {{site}}', {});
    expect(frame.fields[1].config.displayNameFromDS).toBe('d1 berlin');
    expect(frame.name).toBe('d1 berlin');
  });
});

describe('applyLegend', () => {
  it('fills labels, the metric name, and leaves missing labels empty', () => {
    expect(applyLegend('{{ __name__ }}: {{device}}/{{missing}}', 'humidity', { device: 'd7' })).toBe('humidity: d7/');
    expect(applyLegend('{{metric}} at {{site}}', 'humidity', { site: 'oslo' })).toBe('humidity at oslo');
  });
});

describe('grafanaUnit', () => {
  it("maps the sidecar's unit names to Grafana's and keeps unknown ones", () => {
    expect(grafanaUnit('hPa')).toBe('pressurehpa');
    expect(grafanaUnit('percent')).toBe('percent');
    expect(grafanaUnit('furlongs')).toBe('furlongs');
    expect(grafanaUnit(undefined)).toBeUndefined();
  });
});

describe('latestToFrame', () => {
  it('gives one row per series with every label as a column', () => {
    const frame = latestToFrame(
      [
        { metric: 'battery', labels: { device: 'd1', site: 'berlin' }, unit: 'percent', time: 5000, value: 12 },
        { metric: 'battery', labels: { device: 'd2', kind: 'outdoor' }, unit: 'percent', time: 6000, value: 80 },
      ],
      'B',
      {},
    );
    expect(frame.meta?.preferredVisualisationType).toBe('table');
    expect(frame.fields.map((field) => field.name)).toEqual(['Time', 'Metric', 'device', 'kind', 'site', 'Value']);
    expect(frame.fields.map((field) => field.values)).toEqual([[5000, 6000], ['battery', 'battery'], ['d1', 'd2'], ['', 'outdoor'], ['berlin', ''], [12, 80]]);
    expect(frame.fields[5].config.unit).toBe('percent');
  });

  it('gives an empty table when nothing matched', () => {
    const frame = latestToFrame([], 'B', {});
    expect(frame.length).toBe(0);
    expect(frame.fields.map((field) => field.name)).toEqual(['Time', 'Metric', 'Value']);
  });
});
