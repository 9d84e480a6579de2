// Matcher compilation: Prometheus semantics for every op, anchoring, the empty value, recognised
// regex shapes agreeing with the regex itself, and clear errors.
import { InvalidQueryError } from '../model/errors';
import { Matcher } from '../model/types';
import { Random, testSeed } from '../query/testing/random';
import { compileMatcher } from './matcher';

const seed = testSeed();
const m = (op: Matcher['op'], value: string) => compileMatcher({ name: 'x', op, value });

describe('compileMatcher', () => {
  it.each<[Matcher['op'], string, boolean]>([
    ['=', '', true],
    ['!=', '', false],
    ['=', 'a', false],
    ['!=', 'a', true],
    ['=~', 'a|', true],
    ['!~', 'a|', false],
    ['=~', '.*', true],
    ['=~', '.+', false],
    ['!~', '.+', true],
    ['!~', 'a', true],
    ['=~', 'a*', true],
  ])('x%s"%s" matches a series without x: %s', (op, value, expected) => {
    expect(m(op, value).matchesEmpty).toBe(expected);
    expect(m(op, value).test('')).toBe(expected);
  });

  it('anchors regexes at both ends', () => {
    expect(m('=~', 'ber').test('berlin')).toBe(false);
    expect(m('=~', 'er.*').test('berlin')).toBe(false);
    expect(m('=~', 'ber.*').test('berlin')).toBe(true);
    expect(m('=~', 'a|b').test('ab')).toBe(false);
    expect(m('!~', 'ber').test('berlin')).toBe(true);
  });

  it('lets . match a newline and a whole astral character', () => {
    expect(m('=~', 'line.*').test('line\nbreak')).toBe(true);
    expect(m('=~', '.').test('😀')).toBe(true);
  });

  it.each<[string, string, readonly string[], string]>([
    ['a|b|c', 'literals', ['a', 'b', 'c'], ''],
    ['a\\.b|x\\|y', 'literals', ['a.b', 'x|y'], ''],
    ['berlin|', 'literals', ['berlin', ''], ''],
    ['Zürich|東京', 'literals', ['Zürich', '東京'], ''],
    ['abc.*', 'prefix', [], 'abc'],
    ['a\\.b.+', 'prefix', [], 'a.b'],
    ['.*', 'prefix', [], ''],
    ['(a|b)', 'regex', [], ''],
    ['a.*b', 'regex', [], ''],
    ['a|b.*', 'regex', [], ''],
    ['abc\\.*', 'regex', [], ''],
    ['[ab]', 'regex', [], ''],
  ])('recognises %s as %s', (value, kind, literals, prefix) => {
    const c = m('=~', value);
    expect([c.kind, c.literals, c.prefix]).toEqual([kind, literals, prefix]);
  });

  it(`agrees with the anchored regex on random patterns and values (SEED=${seed})`, () => {
    const r = new Random(seed);
    const atoms = ['a', 'b', 'ab', '.', '.*', '.+', '|', '\\.', '\\|', 'ä', '\n', '(a|b)', '[ab]', 'b?'];
    for (let i = 0; i < 400; i++) {
      let pattern = '';
      for (let k = r.int(0, 4); k > 0; k--) pattern += r.pick(atoms);
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${pattern})$`, 'su');
      } catch {
        continue;
      }
      for (const op of ['=~', '!~'] as const) {
        const c = m(op, pattern);
        for (let j = 0; j < 20; j++) {
          let value = '';
          for (let k = r.int(0, 5); k > 0; k--) value += r.pick(['a', 'b', '.', '|', 'ä', '\n', 'c']);
          expect([pattern, op, value, c.test(value)]).toEqual([pattern, op, value, re.test(value) !== (op === '!~')]);
        }
      }
    }
  });

  it.each([['('], ['[a'], ['a{1'], ['\\'], ['a**'], ['\\-']])('refuses the invalid regex %s, naming it', (value) => {
    expect(() => m('=~', value)).toThrow(InvalidQueryError);
    expect(() => m('!~', value)).toThrow(`matcher on x: invalid regular expression ${JSON.stringify(value)}`);
  });

  it('refuses malformed matchers', () => {
    expect(() => compileMatcher({ name: 'x', op: '==' as Matcher['op'], value: 'a' })).toThrow('op must be one of = != =~ !~, got "=="');
    expect(() => compileMatcher({ name: '', op: '=', value: 'a' })).toThrow('matcher name must be a non-empty string');
    expect(() => compileMatcher({ name: 'x', op: '=', value: 3 as unknown as string })).toThrow('value must be a string');
    expect(() => compileMatcher(null as unknown as Matcher)).toThrow(InvalidQueryError);
  });
});
