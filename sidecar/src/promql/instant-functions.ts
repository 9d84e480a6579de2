// Functions over instant vectors and scalars (abs, clamp, round, label_replace, histogram_quantile,
// absent, scalar, vector, time, sort, date parts ...), applied at every step of the grid with
// Prometheus 2.x semantics, including which ones drop the metric name.

import { LabelSet, METRIC_NAME_LABEL } from '../engine/model/types';
import { Expr, unwrapParens } from './ast';
import { ExecutionError } from './errors';
import { anchoredRegex } from './regex';
import { dropMetricName, Grid, gridTime, labelsKey, relabel, StepSeries, Value, VectorBuilder } from './values';

export interface FunctionEnv {
  grid: Grid;
  maxSamples: number;
}

type Args = Value[];

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function vectorArg(args: Args, i: number): StepSeries[] {
  const v = args[i];
  if (v.type !== 'vector') throw new Error(`argument ${i} is ${v.type}, expected an instant vector`);
  return v.series;
}

function scalarArg(args: Args, i: number): Float64Array {
  const v = args[i];
  if (v.type !== 'scalar') throw new Error(`argument ${i} is ${v.type}, expected a scalar`);
  return v.values;
}

function stringArg(args: Args, i: number): string {
  const v = args[i];
  if (v.type !== 'string') throw new Error(`argument ${i} is ${v.type}, expected a string`);
  return v.value;
}

/** Applies f to every present value; the metric name is dropped (and equal label sets merge). */
function mapValues(series: StepSeries[], env: FunctionEnv, name: string, f: (v: number, i: number) => number): Value {
  const mapped = series.map((s) => {
    const values = new Float64Array(s.values.length);
    for (let i = 0; i < values.length; i++) if (s.present[i]) values[i] = f(s.values[i], i);
    return { labels: s.labels, values, present: s.present };
  });
  return { type: 'vector', series: relabel(mapped, env.grid.count, env.maxSamples, name, dropMetricName) };
}

const MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn: Math.sign,
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
};

/** Date parts of a Unix time in seconds (truncated), in UTC, as Go's time package gives them. */
const DATE_PARTS: Record<string, (d: Date) => number> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => Math.round((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

function datePart(name: string, args: Args, env: FunctionEnv): Value {
  const part = DATE_PARTS[name];
  const of = (seconds: number) => part(new Date(Math.trunc(seconds) * 1000));
  if (args.length === 0) {
    const series: StepSeries = { labels: {}, values: new Float64Array(env.grid.count), present: new Uint8Array(env.grid.count).fill(1) };
    for (let i = 0; i < env.grid.count; i++) series.values[i] = of(Math.trunc(gridTime(env.grid, i) / 1000));
    return { type: 'vector', series: [series] };
  }
  return mapValues(vectorArg(args, 0), env, name, of);
}

/** Labels of absent()'s answer: the equality matchers of a plain selector, other than the name. */
export function absentLabels(arg: Expr): LabelSet {
  const e = unwrapParens(arg);
  const sel = e.kind === 'vectorSelector' ? e : e.kind === 'matrixSelector' ? e.selector : undefined;
  if (!sel) return {};
  const out: Record<string, string> = {};
  const dropped = new Set<string>();
  for (const m of sel.matchers) {
    if (m.name === METRIC_NAME_LABEL) continue;
    if (m.op !== '=' || m.name in out) dropped.add(m.name);
    else if (m.value !== '') out[m.name] = m.value;
  }
  for (const n of dropped) delete out[n];
  return out;
}

function absent(args: Args, exprs: Expr[], env: FunctionEnv): Value {
  const { count } = env.grid;
  const out: StepSeries = { labels: absentLabels(exprs[0]), values: new Float64Array(count), present: new Uint8Array(count) };
  const any = new Uint8Array(count);
  for (const s of vectorArg(args, 0)) for (let i = 0; i < count; i++) any[i] |= s.present[i];
  for (let i = 0; i < count; i++) {
    if (!any[i]) {
      out.present[i] = 1;
      out.values[i] = 1;
    }
  }
  return { type: 'vector', series: out.present.includes(1) ? [out] : [] };
}

/** Go's regexp.Expand: $1, ${1}, $name, ${name}, $$; unknown groups expand to "". */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref[0].length);
    const name = ref[1] ?? ref[2];
    if (/^(?:0|[1-9][0-9]{0,8})$/.test(name)) {
      out += match[Number(name)] ?? '';
    } else {
      out += match.groups?.[name] ?? '';
    }
  }
  return out + rest;
}

function labelReplace(args: Args, env: FunctionEnv): Value {
  const dst = stringArg(args, 1);
  const replacement = stringArg(args, 2);
  const src = stringArg(args, 3);
  const pattern = stringArg(args, 4);
  const re = anchoredRegex(pattern);
  if (!re.ok) throw new ExecutionError(`invalid regular expression in label_replace(): ${pattern}`);
  if (!LABEL_NAME_RE.test(dst)) throw new ExecutionError(`invalid destination label name in label_replace(): ${dst}`);
  const series = relabel(vectorArg(args, 0), env.grid.count, env.maxSamples, 'label_replace', (labels) => {
    const match = re.regex.exec(labels[src] ?? '');
    if (!match) return labels;
    const value = expandTemplate(replacement, match);
    const out: Record<string, string> = { ...labels };
    delete out[dst];
    if (value !== '') out[dst] = value;
    return out;
  });
  return { type: 'vector', series };
}

function labelJoin(args: Args, env: FunctionEnv): Value {
  const dst = stringArg(args, 1);
  const separator = stringArg(args, 2);
  const sources = args.slice(3).map((_, k) => stringArg(args, 3 + k));
  if (!LABEL_NAME_RE.test(dst)) throw new ExecutionError(`invalid destination label name in label_join(): ${dst}`);
  for (const s of sources) if (!LABEL_NAME_RE.test(s)) throw new ExecutionError(`invalid source label name in label_join(): ${s}`);
  const series = relabel(vectorArg(args, 0), env.grid.count, env.maxSamples, 'label_join', (labels) => {
    const value = sources.map((s) => labels[s] ?? '').join(separator);
    const out: Record<string, string> = { ...labels };
    delete out[dst];
    if (value !== '') out[dst] = value;
    return out;
  });
  return { type: 'vector', series };
}

/** Go's strconv.ParseFloat for bucket bounds: decimal, exponent, Inf/Infinity, NaN. */
export function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(?:inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+-]?(?:[0-9]+(?:_[0-9]+)*(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?|\.[0-9]+(?:_[0-9]+)*)(?:[eE][+-]?[0-9]+)?$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[+-]?0[xX][0-9a-fA-F]*(?:\.[0-9a-fA-F]*)?[pP][+-]?[0-9]+$/.test(s)) return parseHexFloat(s);
  return undefined;
}

function parseHexFloat(s: string): number {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(s)!;
  const frac = m[3] ?? '';
  const mantissa = parseInt((m[2] + frac) || '0', 16);
  const v = mantissa * Math.pow(2, Number(m[4]) - 4 * frac.length);
  return m[1] === '-' ? -v : v;
}

interface Bucket {
  upperBound: number;
  count: number;
}

/** Prometheus' bucketQuantile for classic histograms (cumulative `le` buckets). */
export function bucketQuantile(q: number, buckets: Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => a.upperBound - b.upperBound);
  if (buckets[buckets.length - 1].upperBound !== Infinity) return NaN;
  const merged: Bucket[] = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else merged.push({ ...b });
  }
  let max = -Infinity;
  for (const b of merged) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (merged.length < 2) return NaN;
  const observations = merged[merged.length - 1].count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = 0;
  while (b < merged.length - 1 && !(merged[b].count >= rank)) b++;
  if (b === merged.length - 1) return merged[merged.length - 2].upperBound;
  if (b === 0 && merged[0].upperBound <= 0) return merged[0].upperBound;
  let bucketStart = 0;
  const bucketEnd = merged[b].upperBound;
  let count = merged[b].count;
  if (b > 0) {
    bucketStart = merged[b - 1].upperBound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function histogramQuantile(args: Args, env: FunctionEnv): Value {
  const q = scalarArg(args, 0);
  const { count } = env.grid;
  // Buckets group by all labels but `le` (the name included); the answer drops `le` and the name.
  const groups = new Map<string, { labels: LabelSet; members: Array<{ s: StepSeries; upperBound: number }> }>();
  for (const s of vectorArg(args, 1)) {
    const upperBound = parseGoFloat(s.labels.le ?? '');
    if (upperBound === undefined) continue;
    const rest: Record<string, string> = { ...s.labels };
    delete rest.le;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) {
      g = { labels: dropMetricName(rest), members: [] };
      groups.set(key, g);
    }
    g.members.push({ s, upperBound });
  }
  const out = new VectorBuilder(count, env.maxSamples, 'histogram_quantile');
  for (const g of groups.values()) {
    const series = out.series(g.labels);
    for (let i = 0; i < count; i++) {
      const buckets: Bucket[] = [];
      for (const m of g.members) if (m.s.present[i]) buckets.push({ upperBound: m.upperBound, count: m.s.values[i] });
      if (buckets.length > 0) out.set(series, i, bucketQuantile(q[i], buckets));
    }
  }
  return { type: 'vector', series: out.result().filter((s) => s.present.includes(1)) };
}

function clampWith(args: Args, env: FunctionEnv, name: string, lo: Float64Array | undefined, hi: Float64Array | undefined): Value {
  const series = vectorArg(args, 0);
  const kept = series.map((s) => {
    const present = Uint8Array.from(s.present);
    const values = new Float64Array(s.values.length);
    for (let i = 0; i < present.length; i++) {
      if (!present[i]) continue;
      const min = lo ? lo[i] : -Infinity;
      const max = hi ? hi[i] : Infinity;
      if (lo && hi && max < min) {
        present[i] = 0;
        continue;
      }
      values[i] = Math.max(min, Math.min(max, s.values[i]));
    }
    return { labels: s.labels, values, present };
  });
  return { type: 'vector', series: relabel(kept, env.grid.count, env.maxSamples, name, dropMetricName) };
}

function round(args: Args, env: FunctionEnv): Value {
  const toNearest = args.length > 1 ? scalarArg(args, 1) : undefined;
  return mapValues(vectorArg(args, 0), env, 'round', (v, i) => {
    const inverse = 1 / (toNearest ? toNearest[i] : 1);
    return Math.floor(v * inverse + 0.5) / inverse;
  });
}

function scalarOf(args: Args, env: FunctionEnv): Value {
  const { count } = env.grid;
  const values = new Float64Array(count).fill(NaN);
  const seen = new Uint32Array(count);
  for (const s of vectorArg(args, 0)) {
    for (let i = 0; i < count; i++) {
      if (!s.present[i]) continue;
      seen[i]++;
      values[i] = seen[i] === 1 ? s.values[i] : NaN;
    }
  }
  return { type: 'scalar', values };
}

/** sort/sort_desc: the order only shows in instant queries (one step); NaN comes first. */
function sortByValue(args: Args, descending: boolean): Value {
  const series = [...vectorArg(args, 0)];
  series.sort((a, b) => {
    const x = a.values[0];
    const y = b.values[0];
    if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(y)) - Number(Number.isNaN(x));
    return descending ? y - x : x - y;
  });
  return { type: 'vector', series };
}

/**
 * Evaluates an instant-vector function. `args` are the evaluated arguments, `exprs` their syntax
 * (absent() reads the selector's matchers).
 */
export function callInstantFunction(name: string, args: Args, exprs: Expr[], env: FunctionEnv): Value {
  const { count } = env.grid;
  if (name in MATH) return mapValues(vectorArg(args, 0), env, name, MATH[name]);
  if (name in DATE_PARTS) return datePart(name, args, env);
  switch (name) {
    case 'round':
      return round(args, env);
    case 'clamp':
      return clampWith(args, env, name, scalarArg(args, 1), scalarArg(args, 2));
    case 'clamp_min':
      return clampWith(args, env, name, scalarArg(args, 1), undefined);
    case 'clamp_max':
      return clampWith(args, env, name, undefined, scalarArg(args, 1));
    case 'absent':
      return absent(args, exprs, env);
    case 'label_replace':
      return labelReplace(args, env);
    case 'label_join':
      return labelJoin(args, env);
    case 'histogram_quantile':
      return histogramQuantile(args, env);
    case 'scalar':
      return scalarOf(args, env);
    case 'vector':
      return { type: 'vector', series: [{ labels: {}, values: Float64Array.from(scalarArg(args, 0)), present: new Uint8Array(count).fill(1) }] };
    case 'sort':
      return sortByValue(args, false);
    case 'sort_desc':
      return sortByValue(args, true);
    case 'time':
      return { type: 'scalar', values: Float64Array.from({ length: count }, (_, i) => gridTime(env.grid, i) / 1000) };
    case 'pi':
      return { type: 'scalar', values: new Float64Array(count).fill(Math.PI) };
    case 'timestamp':
      return mapValues(vectorArg(args, 0), env, name, (_, i) => gridTime(env.grid, i) / 1000);
  }
  throw new Error(`no implementation for function ${name}`);
}
