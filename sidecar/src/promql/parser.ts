// PromQL text → typed syntax tree. Tokens and structure come from Prometheus' own lezer grammar
// (@prometheus-io/lezer-promql); this module adds what Prometheus' Go parser checks on top of the
// grammar (types, where offset/@/ranges may appear, non-empty selectors, argument counts) and refuses,
// by name, newer syntax the grammar accepts but this evaluator does not implement.

import type { SyntaxNode } from '@lezer/common';
import { parser as lezer } from '@prometheus-io/lezer-promql';
import { Matcher, MatchOp, METRIC_NAME_LABEL } from '../engine/model/types';
import {
  AggregateOp,
  AtModifier,
  BinaryOp,
  COMPARISON_OPS,
  Expr,
  MatrixSelector,
  Position,
  SET_OPS,
  SubqueryExpr,
  typeOf,
  ValueType,
  VectorMatching,
  VectorSelector,
} from './ast';
import { ParseError, UnsupportedFeatureError } from './errors';
import { FUNCTIONS } from './functions';
import { isDurationText, parseDuration, parseNumber, parseStringLiteral } from './literals';
import { anchoredRegex } from './regex';

const AGGREGATE_OPS: Record<string, AggregateOp> = {
  Sum: 'sum',
  Avg: 'avg',
  Min: 'min',
  Max: 'max',
  Count: 'count',
  Group: 'group',
  Stddev: 'stddev',
  Stdvar: 'stdvar',
  Topk: 'topk',
  Bottomk: 'bottomk',
  Quantile: 'quantile',
  CountValues: 'count_values',
};
const PARAM_TYPES: Partial<Record<AggregateOp, ValueType>> = { topk: 'scalar', bottomk: 'scalar', quantile: 'scalar', count_values: 'string' };

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};
const MATCH_OPS: Record<string, MatchOp> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

/** How Prometheus names value types in its messages. */
const TYPE_NAMES: Record<ValueType, string> = { scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string' };

/** Children of a node without comments. */
function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
  return out;
}

class Builder {
  constructor(private readonly query: string) {}

  text(node: SyntaxNode): string {
    return this.query.slice(node.from, node.to);
  }

  pos(node: SyntaxNode): Position {
    return { start: node.from, end: node.to };
  }

  fail(at: number | SyntaxNode, detail: string): never {
    throw new ParseError(this.query, typeof at === 'number' ? at : at.from, detail);
  }

  unsupported(at: SyntaxNode, feature: string): never {
    throw new UnsupportedFeatureError(this.query, at.from, feature);
  }

  expectType(e: Expr, want: ValueType, context: string): void {
    const got = typeOf(e);
    if (got !== want) this.fail(e.pos.start, `expected type ${TYPE_NAMES[want]} in ${context}, got ${TYPE_NAMES[got]}`);
  }

  expr(node: SyntaxNode): Expr {
    switch (node.name) {
      case 'NumberDurationLiteral':
        return { kind: 'number', value: this.number(node), pos: this.pos(node) };
      case 'StringLiteral':
        return { kind: 'string', value: this.string(node), pos: this.pos(node) };
      case 'VectorSelector':
        return this.vectorSelector(node);
      case 'MatrixSelector':
        return this.matrixSelector(node);
      case 'SubqueryExpr':
        return this.subquery(node);
      case 'OffsetExpr':
        return this.offset(node);
      case 'StepInvariantExpr':
        return this.at(node);
      case 'ParenExpr':
        return { kind: 'paren', expr: this.expr(children(node)[0]), pos: this.pos(node) };
      case 'UnaryExpr':
        return this.unary(node);
      case 'BinaryExpr':
        return this.binary(node);
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'AnchoredExpr':
        return this.unsupported(node, 'the "anchored" modifier');
      case 'SmoothedExpr':
        return this.unsupported(node, 'the "smoothed" modifier');
      default:
        return this.fail(node, `unexpected ${JSON.stringify(this.text(node))}`);
    }
  }

  number(node: SyntaxNode): number {
    const text = this.text(node).replace(/\s+/g, '');
    if (isDurationText(text.replace(/^[+-]/, ''))) this.unsupported(node, `duration ${JSON.stringify(text)} used as a number`);
    const value = parseNumber(text);
    if (value === undefined) this.fail(node, `error parsing number: ${JSON.stringify(text)}`);
    return value;
  }

  string(node: SyntaxNode): string {
    const parsed = parseStringLiteral(this.text(node));
    if (!parsed.ok) this.fail(node, parsed.message);
    return parsed.value;
  }

  /** A range, offset or subquery step: one duration literal (a plain number counts as seconds). */
  duration(node: SyntaxNode): number {
    const parts = children(node);
    if (parts.length === 2 && parts[0].name === 'UnaryOp') {
      const inner = this.duration(parts[1]);
      return this.text(parts[0]) === '-' ? -inner : inner;
    }
    if (parts.length !== 1 || parts[0].name !== 'NumberDurationLiteralInDurationContext') {
      this.unsupported(node, `duration expression ${JSON.stringify(this.text(node))}`);
    }
    const text = this.text(parts[0]);
    if (isDurationText(text)) {
      const d = parseDuration(text);
      if (!d.ok) this.fail(parts[0], d.message);
      return d.ms;
    }
    const seconds = parseNumber(text);
    if (seconds === undefined || !Number.isFinite(seconds)) this.fail(parts[0], `bad duration syntax: ${JSON.stringify(text)}`);
    return Math.round(seconds * 1000);
  }

  vectorSelector(node: SyntaxNode): VectorSelector {
    let name: string | undefined;
    const matchers: Matcher[] = [];
    for (const part of children(node)) {
      if (part.name === 'Identifier') {
        name = this.text(part);
      } else if (part.name === 'LabelMatchers') {
        for (const m of children(part)) matchers.push(this.matcher(m));
      } else {
        this.fail(part, `unexpected ${JSON.stringify(this.text(part))} in vector selector`);
      }
    }
    if (name !== undefined) {
      const other = matchers.find((m) => m.name === METRIC_NAME_LABEL);
      if (other) this.fail(node, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(other.value)}`);
      matchers.unshift({ name: METRIC_NAME_LABEL, op: '=', value: name });
    }
    if (!matchers.some((m) => !matchesEmpty(m))) this.fail(node, 'vector selector must contain at least one non-empty matcher');
    return { kind: 'vectorSelector', name, matchers, offsetMs: 0, pos: this.pos(node) };
  }

  matcher(node: SyntaxNode): Matcher {
    if (node.name === 'QuotedLabelMatcher' || node.name === 'QuotedLabelName') this.unsupported(node, 'quoted label names');
    if (node.name !== 'UnquotedLabelMatcher') this.fail(node, `unexpected ${JSON.stringify(this.text(node))} in label matching`);
    const [label, op, value] = children(node);
    const matchOp = MATCH_OPS[op.firstChild?.name ?? ''];
    if (!matchOp) this.fail(op, `unexpected ${JSON.stringify(this.text(op))} in label matching`);
    const m: Matcher = { name: this.text(label), op: matchOp, value: this.string(value) };
    if (m.op === '=~' || m.op === '!~') {
      const re = anchoredRegex(m.value);
      if (!re.ok) this.fail(value, `error parsing regexp: ${re.message}`);
    }
    return m;
  }

  /**
   * Applies a postfix (`[range]`, `[range:step]`, `offset`, `@`) to the operand it binds to. Prometheus
   * binds them tighter than any operator (`a - b offset 5m` offsets only b); the lezer grammar
   * attaches them to the whole expression, so they are moved down to the rightmost operand here.
   */
  bindPostfix(e: Expr, node: SyntaxNode, apply: (operand: Expr) => Expr): Expr {
    if (e.kind === 'binary') {
      const rhs = this.bindPostfix(e.rhs, node, apply);
      const type = typeOf(rhs);
      if (type !== 'scalar' && type !== 'vector') this.fail(node, 'binary expression must contain only scalar and instant vector types');
      return { ...e, rhs, pos: { start: e.pos.start, end: node.to } };
    }
    if (e.kind === 'unary') {
      const inner = this.bindPostfix(e.expr, node, apply);
      return this.checkedUnary(e.op, inner, { start: e.pos.start, end: node.to });
    }
    return apply(e);
  }

  matrixSelector(node: SyntaxNode): Expr {
    const [inner, range] = children(node);
    const rangeMs = this.duration(range);
    return this.bindPostfix(this.expr(inner), node, (e) => {
      if (e.kind === 'vectorSelector' && (e.offsetMs !== 0 || e.at)) this.fail(e.pos.start, 'no offset modifiers allowed before range');
      if (e.kind !== 'vectorSelector') this.fail(e.pos.start, 'ranges only allowed for vector selectors');
      const sel: MatrixSelector = { kind: 'matrixSelector', selector: e, rangeMs, pos: { start: e.pos.start, end: node.to } };
      return sel;
    });
  }

  subquery(node: SyntaxNode): Expr {
    const [inner, range, step] = children(node);
    const rangeMs = this.duration(range);
    const stepMs = step ? this.duration(step) : undefined;
    if (step && stepMs !== undefined && stepMs <= 0) this.fail(step, 'zero or negative subquery step');
    return this.bindPostfix(this.expr(inner), node, (expr) => {
      const type = typeOf(expr);
      if (type !== 'vector') this.fail(expr.pos.start, `subquery is only allowed on instant vector, got ${TYPE_NAMES[type]} instead`);
      const sq: SubqueryExpr = { kind: 'subquery', expr, rangeMs, stepMs, offsetMs: 0, pos: { start: expr.pos.start, end: node.to } };
      return sq;
    });
  }

  /** The selector or subquery that `offset` / `@` modify. */
  modifierTarget(e: Expr, node: SyntaxNode, what: string): VectorSelector | SubqueryExpr {
    if (e.kind === 'vectorSelector' || e.kind === 'subquery') return e;
    if (e.kind === 'matrixSelector') return e.selector;
    return this.fail(node, `${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`);
  }

  offset(node: SyntaxNode): Expr {
    const [inner, , duration] = children(node);
    const offsetMs = this.duration(duration);
    return this.bindPostfix(this.expr(inner), node, (e) => {
      const target = this.modifierTarget(e, node, 'offset');
      if (target.offsetMs !== 0) this.fail(node, 'offset may not be set multiple times');
      target.offsetMs = offsetMs;
      return widen(e, node);
    });
  }

  at(node: SyntaxNode): Expr {
    const [inner, , value] = children(node);
    let at: AtModifier;
    if (value.name === 'AtModifierPreprocessors') {
      at = value.firstChild?.name === 'AtStart' ? { kind: 'start' } : { kind: 'end' };
    } else {
      const seconds = this.number(value);
      if (!Number.isFinite(seconds) || Math.abs(seconds * 1000) >= 9.223372036854776e18) {
        this.fail(value, `timestamp out of bounds for @ modifier: ${seconds}`);
      }
      at = { kind: 'time', ms: goRound(seconds * 1000) };
    }
    return this.bindPostfix(this.expr(inner), node, (e) => {
      const target = this.modifierTarget(e, node, '@');
      if (target.at) this.fail(node, '@ <timestamp> may not be set multiple times');
      target.at = at;
      return widen(e, node);
    });
  }

  unary(node: SyntaxNode): Expr {
    const [op, inner] = children(node);
    return this.checkedUnary(this.text(op) === '-' ? '-' : '+', this.expr(inner), this.pos(node));
  }

  checkedUnary(op: '-' | '+', expr: Expr, pos: Position): Expr {
    const type = typeOf(expr);
    if (type !== 'scalar' && type !== 'vector') {
      this.fail(pos.start, `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(TYPE_NAMES[type])}`);
    }
    return { kind: 'unary', op, expr, pos };
  }

  binary(node: SyntaxNode): Expr {
    const parts = children(node);
    const lhsNode = parts[0];
    const opNode = parts[1];
    const rhsNode = parts[parts.length - 1];
    if (opNode.name === 'TrimUpper' || opNode.name === 'TrimLower') this.unsupported(opNode, `the ${JSON.stringify(this.text(opNode))} operator`);
    const op = BINARY_OPS[opNode.name];
    if (!op) this.fail(opNode, `unexpected ${JSON.stringify(this.text(opNode))}`);
    let returnBool = false;
    let clause: SyntaxNode | undefined;
    for (const m of parts.slice(2, -1)) {
      if (m.name === 'BoolModifier') returnBool = true;
      else if (m.name === 'MatchingModifierClause') clause = m;
      else if (m.name === 'FillModifier') this.unsupported(m, 'fill modifiers on binary operators');
      else this.fail(m, `unexpected ${JSON.stringify(this.text(m))}`);
    }
    // Prometheus reads `-2 ^ 2` as -(2 ^ 2): a sign binds less tightly than `^`.
    const lhsText = this.text(lhsNode);
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral' && /^[+-]/.test(lhsText)) {
      const sign = lhsText[0] as '-' | '+';
      const magnitude = Math.abs(this.number(lhsNode));
      const power = this.finishBinary(node, op, { kind: 'number', value: magnitude, pos: this.pos(lhsNode) }, this.expr(rhsNode), returnBool, clause);
      return { kind: 'unary', op: sign, expr: power, pos: this.pos(node) };
    }
    return this.finishBinary(node, op, this.expr(lhsNode), this.expr(rhsNode), returnBool, clause);
  }

  finishBinary(node: SyntaxNode, op: BinaryOp, lhs: Expr, rhs: Expr, returnBool: boolean, clause: SyntaxNode | undefined): Expr {
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) {
      this.fail(node, 'binary expression must contain only scalar and instant vector types');
    }
    const comparison = COMPARISON_OPS.has(op);
    if (returnBool && !comparison) this.fail(node, 'bool modifier can only be used on comparison operators');
    if (comparison && !returnBool && lt === 'scalar' && rt === 'scalar') this.fail(node, 'comparisons between scalars must use BOOL modifier');
    const isSet = SET_OPS.has(op);
    if (isSet && (lt === 'scalar' || rt === 'scalar')) this.fail(node, `set operator ${JSON.stringify(op)} not allowed in binary scalar expression`);
    let matching: VectorMatching | undefined;
    if (clause) {
      matching = this.matching(clause, op);
      if (lt !== 'vector' || rt !== 'vector') {
        if (matching.labels.length > 0) this.fail(clause, 'vector matching only allowed between instant vectors');
        matching = undefined;
      }
    }
    if (lt === 'vector' && rt === 'vector' && !matching) {
      matching = { card: isSet ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] };
    }
    return { kind: 'binary', op, lhs, rhs, returnBool, matching, pos: this.pos(node) };
  }

  matching(clause: SyntaxNode, op: BinaryOp): VectorMatching {
    const parts = children(clause);
    const on = parts[0].name === 'On';
    const labels = this.groupingLabels(parts[1]);
    let card: VectorMatching['card'] = SET_OPS.has(op) ? 'many-to-many' : 'one-to-one';
    let include: string[] = [];
    const group = parts[2];
    if (group) {
      if (SET_OPS.has(op)) this.fail(group, `no grouping allowed for ${JSON.stringify(op)} operation`);
      card = group.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
      if (parts[3]) include = this.groupingLabels(parts[3]);
      if (on) {
        const both = include.find((l) => labels.includes(l));
        if (both !== undefined) this.fail(group, `label ${JSON.stringify(both)} must not occur in ON and GROUP clause at once`);
      }
    }
    return { card, on, labels, include };
  }

  groupingLabels(node: SyntaxNode): string[] {
    return children(node).map((l) => {
      if (l.name !== 'LabelName') this.unsupported(l, 'quoted label names');
      return this.text(l);
    });
  }

  call(node: SyntaxNode): Expr {
    const [ident, body] = children(node);
    const name = this.text(ident);
    const func = FUNCTIONS.get(name);
    if (!func) this.unsupported(ident, `function ${JSON.stringify(name)}`);
    const args = children(body).map((a) => this.expr(a));
    const nargs = func.argTypes.length;
    if (func.variadic === 0) {
      if (args.length !== nargs) this.fail(node, `expected ${nargs} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
    } else {
      const min = nargs - 1;
      if (args.length < min) this.fail(node, `expected at least ${min} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
      if (func.variadic > 0 && args.length > min + func.variadic) {
        this.fail(node, `expected at most ${min + func.variadic} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`);
      }
    }
    args.forEach((a, i) => this.expectType(a, func.argTypes[Math.min(i, nargs - 1)], `call to function ${JSON.stringify(name)}`));
    return { kind: 'call', func, args, pos: this.pos(node) };
  }

  aggregate(node: SyntaxNode): Expr {
    const parts = children(node);
    const opNode = parts[0].firstChild!;
    const op = AGGREGATE_OPS[opNode.name];
    if (!op) this.unsupported(opNode, `aggregation ${JSON.stringify(this.text(opNode))}`);
    let grouping: string[] = [];
    let without = false;
    let body: SyntaxNode | undefined;
    for (const p of parts.slice(1)) {
      if (p.name === 'AggregateModifier') {
        const [kw, labels] = children(p);
        without = kw.name === 'Without';
        grouping = this.groupingLabels(labels);
      } else {
        body = p;
      }
    }
    const args = children(body!).map((a) => this.expr(a));
    const paramType = PARAM_TYPES[op];
    const want = paramType ? 2 : 1;
    if (args.length !== want) this.fail(node, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    const expr = args[want - 1];
    this.expectType(expr, 'vector', 'aggregation expression');
    const param = paramType ? args[0] : undefined;
    if (param && paramType) this.expectType(param, paramType, 'aggregation parameter');
    return { kind: 'aggregate', op, expr, param, grouping, without, pos: this.pos(node) };
  }

  /** The first syntax error, described as Prometheus would. */
  syntaxError(top: SyntaxNode): void {
    let error: SyntaxNode | undefined;
    top.cursor().iterate((n) => {
      if (error) return false;
      if (n.type.isError) error = n.node;
      return undefined;
    });
    if (!error) return;
    const rest = this.query.slice(error.from).trimEnd();
    if (rest === '') this.fail(error.from, 'unexpected end of input');
    const before = error.prevSibling;
    if (rest.startsWith('(') && before?.name === 'Identifier') {
      const name = this.text(before);
      // Prometheus 2.x has holt_winters; the grammar knows it only by its later name.
      if (name === 'holt_winters') this.unsupported(before, `function ${JSON.stringify(name)}`);
      this.fail(before.from, `unknown function with name ${JSON.stringify(name)}`);
    }
    const token = /^(?:[A-Za-z_:][A-Za-z0-9_:]*|[0-9.]+|\S)/.exec(rest)![0];
    this.fail(error.from, `unexpected ${JSON.stringify(token)}`);
  }
}

/** `Expr` with a modifier applied keeps its own node but spans the modifier too. */
function widen(e: Expr, node: SyntaxNode): Expr {
  e.pos = { start: e.pos.start, end: node.to };
  return e;
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
    case '!~': {
      const re = anchoredRegex(m.value);
      const hit = re.ok && re.regex.test('');
      return m.op === '=~' ? hit : !hit;
    }
  }
}

/** Go's math.Round: halves away from zero. */
export function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Parses a PromQL expression into a checked syntax tree; throws ParseError (with line:column) or
 * UnsupportedFeatureError.
 * @example parseExpr('sum by (site) (rate(requests_total[5m]))')
 */
export function parseExpr(query: string): Expr {
  const b = new Builder(query);
  const top = lezer.parse(query).topNode;
  if (!children(top).some((n) => !n.type.isError)) b.fail(0, 'no expression found in input');
  b.syntaxError(top);
  const exprs = children(top);
  return b.expr(exprs[0]);
}

/**
 * Parses a series selector such as `up{job="x"}` (the `match[]` of the metadata endpoints): a vector
 * selector with no offset, `@` or range.
 */
export function parseSeriesSelector(text: string): Matcher[] {
  const e = parseExpr(text);
  if (e.kind !== 'vectorSelector' || e.offsetMs !== 0 || e.at) {
    throw new ParseError(text, e.pos.start, `expected a series selector such as up{job="x"}, got ${JSON.stringify(text)}`);
  }
  return e.matchers;
}
