// Label matchers with Prometheus semantics, compiled once per query.
//
// A regex is fully anchored (`^(?:re)$`) and compiled with the `s` flag (`.` matches a newline, as
// Prometheus' `(?s:…)`) and `u`; an invalid one is an InvalidQueryError naming it. A label that a
// series lacks has the value "", so a matcher that accepts "" also accepts series without the label.
//
// Common regex shapes are recognised so that the index can look values up instead of testing every
// one: literal alternations (`a|b|c`), prefixes (`abc.*`), `.*`, `.+`. Their `test` agrees with the
// compiled regex on every string.

import { InvalidQueryError } from '../model/errors';
import { MatchOp, Matcher } from '../model/types';

export type MatcherKind =
  /** Values in `literals` (`=`, `!=`, literal alternations). */
  | 'literals'
  /** Values starting with `prefix`. */
  | 'prefix'
  /** Any other regex: tested value by value. */
  | 'regex';

export interface CompiledMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly kind: MatcherKind;
  /** For `literals`: the accepted values (before negation). */
  readonly literals: readonly string[];
  /** For `prefix`: what accepted values start with (before negation); '' with `nonEmpty` for `.+`. */
  readonly prefix: string;
  /** For `prefix`: the value must be longer than the prefix (`abc.+`). */
  readonly nonEmpty: boolean;
  /** Whether a series without the label (value "") matches. */
  readonly matchesEmpty: boolean;
  /** Whether the matcher, negation included, accepts a label value. */
  test(value: string): boolean;
}

const OPS: readonly MatchOp[] = ['=', '!=', '=~', '!~'];
/** Characters with a meaning in a regex outside a class. */
const SYNTAX = new Set('^$\\.*+?()[]{}|');
/** The identity escapes `u` mode allows: these characters, escaped, stand for themselves. */
const ESCAPABLE = new Set('^$\\.*+?()[]{}|/');

/**
 * Compiles one matcher, or throws InvalidQueryError saying which part is wrong.
 * @example compileMatcher({ name: 'site', op: '=~', value: 'berlin|paris' }).kind // 'literals'
 */
export function compileMatcher(m: Matcher): CompiledMatcher {
  if (m === null || typeof m !== 'object') throw new InvalidQueryError('a matcher must be an object { name, op, value }');
  if (typeof m.name !== 'string' || m.name === '') throw new InvalidQueryError(`matcher name must be a non-empty string, got ${JSON.stringify(m.name)}`);
  if (!OPS.includes(m.op)) throw new InvalidQueryError(`matcher on ${m.name}: op must be one of ${OPS.join(' ')}, got ${JSON.stringify(m.op)}`);
  if (typeof m.value !== 'string') throw new InvalidQueryError(`matcher on ${m.name}: value must be a string`);
  const negated = m.op === '!=' || m.op === '!~';
  let shape: Shape;
  if (m.op === '=' || m.op === '!=') {
    shape = { kind: 'literals', literals: [m.value], prefix: '', nonEmpty: false, accepts: literalTest([m.value]) };
  } else {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m.value})$`, 'su');
    } catch (e) {
      throw new InvalidQueryError(`matcher on ${m.name}: invalid regular expression ${JSON.stringify(m.value)}: ${(e as Error).message}`);
    }
    shape = recognise(m.value) ?? { kind: 'regex', literals: [], prefix: '', nonEmpty: false, accepts: (v) => re.test(v) };
  }
  const accepts = shape.accepts;
  return {
    name: m.name,
    op: m.op,
    kind: shape.kind,
    literals: shape.literals,
    prefix: shape.prefix,
    nonEmpty: shape.nonEmpty,
    matchesEmpty: accepts('') !== negated,
    test: negated ? (v) => !accepts(v) : accepts,
  };
}

interface Shape {
  kind: MatcherKind;
  literals: readonly string[];
  prefix: string;
  nonEmpty: boolean;
  accepts(value: string): boolean;
}

function literalTest(literals: readonly string[]): (v: string) => boolean {
  if (literals.length === 1) {
    const only = literals[0];
    return (v) => v === only;
  }
  const set = new Set(literals);
  return (v) => set.has(v);
}

/** The literal/prefix shape of a valid regex source, or undefined for anything else. */
function recognise(source: string): Shape | undefined {
  const alternatives = splitLiteralAlternatives(source);
  if (alternatives) {
    const literals = [...new Set(alternatives)];
    return { kind: 'literals', literals, prefix: '', nonEmpty: false, accepts: literalTest(literals) };
  }
  for (const [tail, nonEmpty] of [['.*', false], ['.+', true]] as const) {
    if (!source.endsWith(tail)) continue;
    const head = splitLiteralAlternatives(source.slice(0, -2));
    if (!head || head.length !== 1) continue;
    const prefix = head[0];
    const accepts = nonEmpty ? (v: string) => v.length > prefix.length && v.startsWith(prefix) : (v: string) => v.startsWith(prefix);
    return { kind: 'prefix', literals: [], prefix, nonEmpty, accepts };
  }
  return undefined;
}

/**
 * Splits `a|b\.c|` into its literal alternatives ['a', 'b.c', ''], or undefined when the source
 * holds anything but plain characters, escaped syntax characters and top-level bars. The source is
 * known to compile, so the escapes seen here are the identity escapes `u` mode allows.
 */
function splitLiteralAlternatives(source: string): string[] | undefined {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '|') {
      out.push(current);
      current = '';
    } else if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined || !ESCAPABLE.has(next)) return undefined;
      current += next;
      i++;
    } else if (SYNTAX.has(ch)) {
      return undefined;
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}
