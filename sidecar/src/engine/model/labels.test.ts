import { InvalidSeriesError } from './errors';
import { LABEL_LIMITS, compareLabelSets, normalizeLabels, seriesKey } from './labels';

describe('normalizeLabels', () => {
  it('drops empty values and keeps the rest', () => {
    expect(normalizeLabels({ __name__: 'temperature', device: 'd1', room: '' })).toEqual({ __name__: 'temperature', device: 'd1' });
  });

  it.each([
    [{ device: 'd1' }, 'missing metric name'],
    [{ __name__: '1abc' }, 'metric name'],
    [{ __name__: 'm', 'bad-name': 'x' }, 'label name "bad-name"'],
    [{ __name__: 'm', __reserved: 'x' }, 'reserved'],
    [{ __name__: 'm', v: 'x'.repeat(LABEL_LIMITS.maxLabelValueBytes + 1) }, 'longer than'],
    [{ __name__: 'm', v: 'a\uD800b' }, 'not valid UTF-8'],
    [{ __name__: 'm'.repeat(LABEL_LIMITS.maxMetricNameBytes + 1) }, 'longer than'],
  ])('rejects %j', (labels, message) => {
    expect(() => normalizeLabels(labels)).toThrow(InvalidSeriesError);
    expect(() => normalizeLabels(labels)).toThrow(message);
  });

  it('rejects more than the label limit', () => {
    const labels: Record<string, string> = { __name__: 'm' };
    for (let i = 0; i <= LABEL_LIMITS.maxLabels; i++) labels[`l${i}`] = 'v';
    expect(() => normalizeLabels(labels)).toThrow(`more than ${LABEL_LIMITS.maxLabels} labels`);
  });

  it('accepts multi-byte UTF-8 values', () => {
    expect(normalizeLabels({ __name__: 'm', site: 'Zürich 東京' }).site).toBe('Zürich 東京');
  });
});

describe('seriesKey', () => {
  it('is independent of label order', () => {
    expect(seriesKey({ __name__: 'm', a: '1', b: '2' })).toBe(seriesKey({ b: '2', a: '1', __name__: 'm' }));
  });

  it('cannot be confused by separator bytes inside values', () => {
    expect(seriesKey({ __name__: 'm', a: 'x\u0001b\u00002:yy' })).not.toBe(seriesKey({ __name__: 'm', a: 'x', b: 'yy' }));
  });
});

describe('compareLabelSets', () => {
  it('orders by sorted pairs, name before value, prefixes first', () => {
    const sets: Array<Record<string, string>> = [
      { __name__: 'm', site: 'b' },
      { __name__: 'm', device: 'z' },
      { __name__: 'm' },
      { __name__: 'm', site: 'a' },
      { __name__: 'a', site: 'z' },
    ];
    expect([...sets].sort(compareLabelSets)).toEqual([
      { __name__: 'a', site: 'z' },
      { __name__: 'm' },
      { __name__: 'm', device: 'z' },
      { __name__: 'm', site: 'a' },
      { __name__: 'm', site: 'b' },
    ]);
  });
});
