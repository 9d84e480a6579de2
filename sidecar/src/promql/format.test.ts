import { formatFloatFixed, formatSampleValue } from './format';

describe('formatSampleValue (as Prometheus writes sample values)', () => {
  test.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [0.1, '0.1'],
    [-21.5, '-21.5'],
    [123456789012, '123456789012'],
    [1e-6, '0.000001'],
    [1e-7, '1e-07'],
    [-2.5e-9, '-2.5e-09'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%p → %s', (v, text) => {
    expect(formatSampleValue(v)).toBe(text);
  });
});

describe('formatFloatFixed (Go FormatFloat with f, -1)', () => {
  test.each([
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [12.5, '12.5'],
    [-3, '-3'],
    [0.30000000000000004, '0.30000000000000004'],
    [Infinity, '+Inf'],
  ])('%p → %s', (v, text) => {
    expect(formatFloatFixed(v)).toBe(text);
  });
});
