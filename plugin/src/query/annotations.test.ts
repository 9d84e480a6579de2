// Threshold annotations: stretches below or above a value, as regions or points.
import { annotationFrame, findStretches } from './annotations';

const battery = {
  metric: 'battery',
  labels: { device: 'd1' },
  times: [0, 10, 20, 30, 40, 50, 60],
  values: [50, 19, 15, 30, 10, null, 5],
};

describe('findStretches', () => {
  it('finds consecutive points below the threshold; a gap ends a stretch', () => {
    expect(findStretches(battery, { condition: 'below', threshold: 20, display: 'regions' })).toEqual([
      { startMs: 10, endMs: 20, peak: 15 },
      { startMs: 40, endMs: 40, peak: 10 },
      { startMs: 60, endMs: 60, peak: 5 },
    ]);
  });

  it('finds stretches above the threshold', () => {
    expect(findStretches(battery, { condition: 'above', threshold: 40, display: 'points' })).toEqual([{ startMs: 0, endMs: 0, peak: 50 }]);
  });
});

describe('annotationFrame', () => {
  it('gives regions with timeEnd, titles from the legend and label tags', () => {
    const frame = annotationFrame([battery], { condition: 'below', threshold: 20, display: 'regions' }, 'Anno', '{{device}}');
    const byName = Object.fromEntries(frame.fields.map((field) => [field.name, field.values]));
    expect(byName.time).toEqual([10, 40, 60]);
    expect(byName.timeEnd).toEqual([20, 40, 60]);
    expect(byName.title).toEqual(['d1 below 20', 'd1 below 20', 'd1 below 20']);
    expect(byName.text).toEqual(['battery lowest 15', 'battery lowest 10', 'battery lowest 5']);
    expect(byName.tags).toEqual([['device:d1'], ['device:d1'], ['device:d1']]);
  });

  it('gives points without timeEnd', () => {
    const frame = annotationFrame([battery], { condition: 'below', threshold: 20, display: 'points' }, 'Anno');
    expect(frame.fields.map((field) => field.name)).toEqual(['time', 'title', 'text', 'tags']);
    expect(frame.fields[1].values[0]).toBe('battery{device="d1"} below 20');
  });

  it('rejects a threshold that is not a number', () => {
    expect(() => annotationFrame([battery], { condition: 'below', threshold: Number.NaN, display: 'points' }, 'Anno')).toThrow(
      expect.objectContaining({ code: 'BAD_ANNOTATION' }),
    );
  });
});
