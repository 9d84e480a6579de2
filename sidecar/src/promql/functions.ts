// The PromQL functions this evaluator implements, with their signatures as Prometheus 2.x declares
// them (argument types, optional arguments, result type); the parser checks calls against them.
// Functions Prometheus' grammar knows but that are not listed here are refused as unsupported.

import type { ValueType } from './ast';

export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /** 0: exactly argTypes; n > 0: the last n arguments may be left out; -1: the last type repeats. */
  variadic: number;
  returns: ValueType;
}

const fn = (name: string, argTypes: ValueType[], returns: ValueType, variadic = 0): FunctionDef => ({ name, argTypes, variadic, returns });

const MATH_FUNCTIONS = ['abs', 'ceil', 'floor', 'exp', 'sqrt', 'ln', 'log2', 'log10', 'sgn', 'deg', 'rad'];
const TRIG_FUNCTIONS = ['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh'];
const DATE_FUNCTIONS = ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'];
const OVER_TIME_FUNCTIONS = [
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'present_over_time',
  'absent_over_time',
];
const RANGE_FUNCTIONS = ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'resets', 'changes'];

const DEFS: FunctionDef[] = [
  ...MATH_FUNCTIONS.map((n) => fn(n, ['vector'], 'vector')),
  ...TRIG_FUNCTIONS.map((n) => fn(n, ['vector'], 'vector')),
  ...DATE_FUNCTIONS.map((n) => fn(n, ['vector'], 'vector', 1)),
  ...OVER_TIME_FUNCTIONS.map((n) => fn(n, ['matrix'], 'vector')),
  ...RANGE_FUNCTIONS.map((n) => fn(n, ['matrix'], 'vector')),
  fn('quantile_over_time', ['scalar', 'matrix'], 'vector'),
  fn('predict_linear', ['matrix', 'scalar'], 'vector'),
  fn('absent', ['vector'], 'vector'),
  fn('clamp', ['vector', 'scalar', 'scalar'], 'vector'),
  fn('clamp_min', ['vector', 'scalar'], 'vector'),
  fn('clamp_max', ['vector', 'scalar'], 'vector'),
  fn('round', ['vector', 'scalar'], 'vector', 1),
  fn('histogram_quantile', ['scalar', 'vector'], 'vector'),
  fn('label_replace', ['vector', 'string', 'string', 'string', 'string'], 'vector'),
  fn('label_join', ['vector', 'string', 'string', 'string'], 'vector', -1),
  fn('scalar', ['vector'], 'scalar'),
  fn('vector', ['scalar'], 'vector'),
  fn('sort', ['vector'], 'vector'),
  fn('sort_desc', ['vector'], 'vector'),
  fn('time', [], 'scalar'),
  fn('timestamp', ['vector'], 'vector'),
  fn('pi', [], 'scalar'),
];

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(DEFS.map((d) => [d.name, d]));

