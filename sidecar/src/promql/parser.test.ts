import { Expr } from './ast';
import { ParseError, UnsupportedFeatureError } from './errors';
import { parseExpr, parseSeriesSelector } from './parser';

/** A compact rendering of a tree, to compare against expectations. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'vectorSelector': {
      const m = e.matchers.map((x) => `${x.name}${x.op}${JSON.stringify(x.value)}`).join(',');
      const off = e.offsetMs ? ` offset ${e.offsetMs}` : '';
      const at = e.at ? ` @ ${e.at.kind === 'time' ? e.at.ms : e.at.kind}` : '';
      return `{${m}}${off}${at}`;
    }
    case 'matrixSelector':
      return `${show(e.selector)}[${e.rangeMs}]`;
    case 'subquery':
      return `(${show(e.expr)})[${e.rangeMs}:${e.stepMs ?? ''}]${e.offsetMs ? ` offset ${e.offsetMs}` : ''}${e.at ? ' @' : ''}`;
    case 'call':
      return `${e.func.name}(${e.args.map(show).join(', ')})`;
    case 'aggregate':
      return `${e.op}${e.without ? ' without' : ' by'}(${e.grouping.join(',')})(${e.param ? show(e.param) + ', ' : ''}${show(e.expr)})`;
    case 'binary': {
      const m = e.matching;
      const mod = m ? ` ${m.card}${m.on ? ' on' : ' ignoring'}(${m.labels.join(',')})${m.include.length ? `(${m.include.join(',')})` : ''}` : '';
      return `(${show(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${mod} ${show(e.rhs)})`;
    }
    case 'unary':
      return `${e.op}${show(e.expr)}`;
    case 'paren':
      return `(${show(e.expr)})`;
  }
}

describe('parseExpr', () => {
  test.each([
    ['foo', '{__name__="foo"}'],
    ['{__name__=~"a|b", x!=""}', '{__name__=~"a|b",x!=""}'],
    ['foo{a="b",}', '{__name__="foo",a="b"}'],
    ['rate(foo[5m])', 'rate({__name__="foo"}[300000])'],
    ['foo[1h30m] offset 1m', '{__name__="foo"} offset 60000[5400000]'],
    ['foo @ 100.5 offset -5m', '{__name__="foo"} offset -300000 @ 100500'],
    ['foo offset 5m @ end()', '{__name__="foo"} offset 300000 @ end'],
    ['sum by (a, b) (foo)', 'sum by(a,b)({__name__="foo"})'],
    ['sum(foo) without (a)', 'sum without(a)({__name__="foo"})'],
    ['topk(3, foo)', 'topk by()(3, {__name__="foo"})'],
    ['count_values("v", foo)', 'count_values by()("v", {__name__="foo"})'],
    ['a + on(x) group_left(y) b', '({__name__="a"} + many-to-one on(x)(y) {__name__="b"})'],
    ['a > bool ignoring(x) b', '({__name__="a"} > bool one-to-one ignoring(x) {__name__="b"})'],
    ['a and b', '({__name__="a"} and many-to-many ignoring() {__name__="b"})'],
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['-2 ^ 2', '-(2 ^ 2)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['- - 1', '--1'],
    ['0x1F + 010 + 1e3 + .5', '(((31 + 8) + 1000) + 0.5)'],
    ['Inf', 'Infinity'],
    ['-nan', 'NaN'],
    ['"a\\tb" ', '"a\\tb"'],
    ["'it\\'s'", '"it\'s"'],
    ['`raw\\n`', '"raw\\\\n"'],
    ['"\\xc3\\xa9\\u00e9"', '"éé"'],
    ['rate(foo[5m])[30m:1m]', '(rate({__name__="foo"}[300000]))[1800000:60000]'],
    ['foo[30m:]', '({__name__="foo"})[1800000:]'],
    ['label_join(foo, "d", ",", "a", "b")', 'label_join({__name__="foo"}, "d", ",", "a", "b")'],
    ['round(foo)', 'round({__name__="foo"})'],
    ['hour()', 'hour()'],
    ['foo # comment', '{__name__="foo"}'],
    ['a - b offset 5m', '({__name__="a"} - one-to-one ignoring() {__name__="b"} offset 300000)'],
    ['a * b + c @ 100', '(({__name__="a"} * one-to-one ignoring() {__name__="b"}) + one-to-one ignoring() {__name__="c"} @ 100000)'],
    ['-a offset 1m', '-{__name__="a"} offset 60000'],
    ['a and b @ 100 offset 1m', '({__name__="a"} and many-to-many ignoring() {__name__="b"} offset 60000 @ 100000)'],
    ['max_over_time(a[5m:1m] offset 1m)', 'max_over_time(({__name__="a"})[300000:60000] offset 60000)'],
  ])('%s', (query, want) => {
    expect(show(parseExpr(query))).toBe(want);
  });

  test.each([
    ['', '1:1: parse error: no expression found in input'],
    ['foo{', 'unexpected end of input'],
    ['rate(foo)', 'expected type range vector in call to function "rate", got instant vector'],
    ['abs(foo[5m])', 'expected type instant vector in call to function "abs", got range vector'],
    ['sum(foo[5m])', 'expected type instant vector in aggregation expression, got range vector'],
    ['topk(foo)', 'wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['topk("a", foo)', 'expected type scalar in aggregation parameter, got string'],
    ['clamp(foo, 1)', 'expected 3 argument(s) in call to "clamp", got 2'],
    ['round(foo, 1, 2)', 'expected at most 2 argument(s) in call to "round", got 3'],
    ['label_join(foo, "a")', 'expected at least 3 argument(s) in call to "label_join", got 2'],
    ['1 > 2', 'comparisons between scalars must use BOOL modifier'],
    ['a + bool b', 'bool modifier can only be used on comparison operators'],
    ['1 and foo', 'set operator "and" not allowed in binary scalar expression'],
    ['a and on(x) group_left b', 'no grouping allowed for "and" operation'],
    ['a + on(x) group_left(x) b', 'label "x" must not occur in ON and GROUP clause at once'],
    ['1 + on(x) foo', 'vector matching only allowed between instant vectors'],
    ['foo[5m] + 1', 'binary expression must contain only scalar and instant vector types'],
    ['(foo)[5m]', 'ranges only allowed for vector selectors'],
    ['foo offset 1m [5m]', 'no offset modifiers allowed before range'],
    ['(foo) offset 1m', 'offset modifier must be preceded by an instant vector selector'],
    ['foo offset 1m offset 2m', 'offset may not be set multiple times'],
    ['foo @ 1 @ 2', '@ <timestamp> may not be set multiple times'],
    ['{a=""}', 'vector selector must contain at least one non-empty matcher'],
    ['{a=~".*"}', 'vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', 'metric name must not be set twice: "foo" or "bar"'],
    ['foo{a=~"("}', 'error parsing regexp'],
    ['(1)[5m:1m]', 'subquery is only allowed on instant vector, got scalar instead'],
    ['-"a"', 'unary expression only allowed on expressions of type scalar or instant vector'],
    ['"a\\q"', 'unknown escape sequence \\q'],
    ['foo[5m:0s]', 'zero or negative subquery step'],
    ['hello(foo)', 'unknown function with name "hello"'],
    ['a - b[5m]', 'binary expression must contain only scalar and instant vector types'],
    ['max_over_time(a - b[5m:1m])', 'binary expression must contain only scalar and instant vector types'],
    ['-a[5m:1m]', 'unary expression only allowed on expressions of type scalar or instant vector'],
    ['sum(a) offset 1m', 'offset modifier must be preceded by an instant vector selector'],
  ])('%s is refused', (query, message) => {
    let err: unknown;
    try {
      parseExpr(query);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).errorType).toBe('bad_data');
    expect((err as Error).message).toContain(message);
  });

  test('messages carry line and column', () => {
    expect(() => parseExpr('sum(\n  rate(foo)\n)')).toThrow(/^2:8: parse error: expected type range vector/);
  });

  test.each([
    ['first_over_time(foo[5m])', 'function "first_over_time"'],
    ['holt_winters(foo[5m], 0.5, 0.5)', 'function "holt_winters"'],
    ['limitk(2, foo)', 'aggregation "limitk"'],
    ['foo[5m] smoothed', 'the "smoothed" modifier'],
    ['a >/ b', 'the ">/" operator'],
    ['foo[5m+1m]', 'duration expression "5m+1m"'],
    ['{"foo"}', 'quoted label names'],
    ['sum by ("a") (foo)', 'quoted label names'],
    ['5m', 'duration "5m" used as a number'],
    ['a + fill(0) b', 'fill modifiers'],
  ])('%s is refused as unsupported, by name', (query, feature) => {
    let err: unknown;
    try {
      parseExpr(query);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    expect((err as Error).message).toContain(`unsupported PromQL feature: ${feature}`);
  });
});

describe('parseSeriesSelector', () => {
  test('accepts a selector', () => {
    expect(parseSeriesSelector('up{job="a"}')).toEqual([
      { name: '__name__', op: '=', value: 'up' },
      { name: 'job', op: '=', value: 'a' },
    ]);
  });
  test.each(['rate(up[5m])', 'up offset 5m', 'up[5m]'])('refuses %s', (text) => {
    expect(() => parseSeriesSelector(text)).toThrow(ParseError);
  });
});
