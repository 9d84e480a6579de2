import { bucketQuantile, expandTemplate, parseGoFloat } from './instant-functions';

describe('expandTemplate (Go regexp.Expand, as label_replace uses it)', () => {
  const match = /^(?:(?<dev>d)(\d+)-(x)?)$/u.exec('d42-')!;
  test.each([
    ['$1', 'd'],
    ['${2}', '42'],
    ['$2x', ''],
    ['${2}x', '42x'],
    ['$dev-$2', 'd-42'],
    ['$$1', '$1'],
    ['$3', ''],
    ['$9', ''],
    ['$', '$'],
    ['a$-b', 'a$-b'],
    ['${unclosed', '${unclosed'],
    ['$0!', 'd42-!'],
    ['${0}', 'd42-'],
  ])('%s → %s', (template, out) => {
    expect(expandTemplate(template, match)).toBe(out);
  });
});

describe('parseGoFloat (Go strconv.ParseFloat, for le labels)', () => {
  test.each([
    ['0.5', 0.5],
    ['1e3', 1000],
    ['+Inf', Infinity],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['0x1p-2', 0.25],
  ])('%s', (text, value) => {
    expect(parseGoFloat(text)).toBe(value);
  });
  test('NaN and garbage', () => {
    expect(parseGoFloat('NaN')).toBeNaN();
    expect(parseGoFloat('')).toBeUndefined();
    expect(parseGoFloat('1,5')).toBeUndefined();
    expect(parseGoFloat(' 1')).toBeUndefined();
  });
});

describe('bucketQuantile', () => {
  const b = (pairs: Array<[number, number]>) => pairs.map(([upperBound, count]) => ({ upperBound, count }));
  test('interpolates within the bucket holding the rank', () => {
    expect(bucketQuantile(0.5, b([[1, 10], [2, 30], [Infinity, 40]]))).toBeCloseTo(1.5, 12);
  });
  test('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(bucketQuantile(0.99, b([[1, 10], [2, 20], [Infinity, 40]]))).toBe(2);
  });
  test('needs a +Inf bucket, observations and two buckets', () => {
    expect(bucketQuantile(0.5, b([[1, 10], [2, 20]]))).toBeNaN();
    expect(bucketQuantile(0.5, b([[1, 0], [Infinity, 0]]))).toBeNaN();
    expect(bucketQuantile(0.5, b([[Infinity, 5]]))).toBeNaN();
  });
  test('fixes non-monotonic counts and merges equal bounds', () => {
    expect(bucketQuantile(0.5, b([[1, 10], [2, 8], [2, 2], [Infinity, 20]]))).toBeCloseTo(1, 12);
  });
  test('q outside [0, 1]', () => {
    expect(bucketQuantile(-1, b([[1, 1], [Infinity, 1]]))).toBe(-Infinity);
    expect(bucketQuantile(2, b([[1, 1], [Infinity, 1]]))).toBe(Infinity);
  });
});
