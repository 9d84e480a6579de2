// The typed PromQL syntax tree the evaluator walks, built by parser.ts from Prometheus' own grammar.
// Offsets and `@` live on the selector or subquery they modify, as in Prometheus' parser.

import { Matcher } from '../engine/model/types';
import { FunctionDef } from './functions';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** Where a node sits in the query text: [start, end) character offsets. */
export interface Position {
  start: number;
  end: number;
}

/** `@ <time>`, `@ start()` or `@ end()`; start/end are bound to the query's range when it runs. */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  kind: 'number';
  value: number;
  pos: Position;
}

export interface StringLiteral {
  kind: 'string';
  value: string;
  pos: Position;
}

export interface VectorSelector {
  kind: 'vectorSelector';
  /** The metric name when written as `name{...}` (it is also among `matchers`). */
  name?: string;
  matchers: Matcher[];
  offsetMs: number;
  at?: AtModifier;
  pos: Position;
}

export interface MatrixSelector {
  kind: 'matrixSelector';
  selector: VectorSelector;
  rangeMs: number;
  pos: Position;
}

export interface SubqueryExpr {
  kind: 'subquery';
  expr: Expr;
  rangeMs: number;
  /** Absent: the default subquery resolution of the evaluator. */
  stepMs?: number;
  offsetMs: number;
  at?: AtModifier;
  pos: Position;
}

export interface Call {
  kind: 'call';
  func: FunctionDef;
  args: Expr[];
  pos: Position;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values';

export interface AggregateExpr {
  kind: 'aggregate';
  op: AggregateOp;
  expr: Expr;
  param?: Expr;
  grouping: string[];
  without: boolean;
  pos: Position;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

/** How the series of two vectors pair up (`on`/`ignoring`, `group_left`/`group_right`). */
export interface VectorMatching {
  card: Cardinality;
  /** True for `on(...)`: match on exactly `labels`; false: on all labels but `labels` and the name. */
  on: boolean;
  labels: string[];
  /** Labels copied from the "one" side by group_left/group_right. */
  include: string[];
}

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Present when both sides are instant vectors. */
  matching?: VectorMatching;
  pos: Position;
}

export interface UnaryExpr {
  kind: 'unary';
  op: '-' | '+';
  expr: Expr;
  pos: Position;
}

export interface ParenExpr {
  kind: 'paren';
  expr: Expr;
  pos: Position;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

/** The value type an expression evaluates to (the parser has checked the tree). */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
      return 'vector';
    case 'matrixSelector':
    case 'subquery':
      return 'matrix';
    case 'call':
      return e.func.returns;
    case 'aggregate':
      return 'vector';
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
      return typeOf(e.expr);
  }
}

/** Strips parentheses: `((x))` is `x` wherever Prometheus looks through them. */
export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}
