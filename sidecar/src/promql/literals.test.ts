import { isDurationText, parseDuration, parseNumber, parseStringLiteral } from './literals';

describe('parseDuration', () => {
  test.each([
    ['0', 0],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1y2w3d4h5m6s7ms', 365 * 86_400_000 + 14 * 86_400_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7],
    ['60000ms', 60_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  test.each(['', '1m1h', '5', '1.5h', '3x', '1000000y'])('%p is refused', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  test('tells durations from numbers', () => {
    expect(isDurationText('5m')).toBe(true);
    expect(isDurationText('300')).toBe(false);
  });
});

describe('parseNumber', () => {
  test.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['0x1F', 31],
    ['010', 8],
    ['09', 9],
    ['1_000', 1000],
    ['+Inf', Infinity],
    ['-inf', -Infinity],
  ])('%s is %p', (text, value) => {
    expect(parseNumber(text)).toBe(value);
  });

  test('NaN in any case', () => {
    expect(parseNumber('NaN')).toBeNaN();
    expect(parseNumber('nan')).toBeNaN();
  });

  test.each(['1__0', '_1', '1.2.3', 'abc'])('%p is refused', (text) => {
    expect(parseNumber(text)).toBeUndefined();
  });
});

describe('parseStringLiteral', () => {
  test.each([
    ['"plain"', 'plain'],
    ['"tab\\there"', 'tab\there'],
    ["'single \\' quote'", "single ' quote"],
    ['"\\u00e9\\U0001F600"', 'é😀'],
    ['"\\x41\\101"', 'AA'],
    ['`raw \\n`', 'raw \\n'],
  ])('%s', (text, value) => {
    expect(parseStringLiteral(text)).toEqual({ ok: true, value });
  });

  test.each(['"open', '"\\q"', '"a\nb"', "'\\\"'", '"\\xZZ"', '"\\uD800"', '"\\400"'])('%p is refused', (text) => {
    expect(parseStringLiteral(text).ok).toBe(false);
  });
});
