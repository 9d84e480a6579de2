// Replaces dashboard variables in a query; multi-value and `All` selections become regex matchers.
import { AdHocVariableFilter, ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

import { LabelMatcher, MatcherOp, SensorstoreQuery } from '../types';
import { SidecarQueryError } from './errors';

/** The variable reference syntaxes Grafana understands: `$var`, `[[var:fmt]]`, `${var.field:fmt}`. */
const VARIABLE_REF = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** The parts of Grafana's variable model a custom formatter receives. */
interface VariableModelLike {
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}

/** Escapes regex metacharacters so a value matches only itself inside the sidecar's anchored regexes. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function isMultiVariable(variable: VariableModelLike | undefined): boolean {
  return Boolean(variable && (variable.multi || variable.includeAll));
}

function isCustomAllValue(value: string, variable: VariableModelLike | undefined): boolean {
  return Boolean(variable && variable.allValue && variable.allValue === value);
}

function regexFromValue(value: unknown, variable: VariableModelLike | undefined, escapeSingles: boolean): string {
  if (Array.isArray(value)) {
    const escaped = value.map((item) => escapeRegex(String(item)));
    return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
  }
  const text = String(value ?? '');
  // A custom "All" value such as `.*` is a regex by definition.
  if (isCustomAllValue(text, variable)) {
    return text;
  }
  return escapeSingles || isMultiVariable(variable) ? escapeRegex(text) : text;
}

const REGEX_OF: Record<MatcherOp, MatcherOp> = { '=': '=~', '!=': '!~', '=~': '=~', '!~': '!~' };

/**
 * Interpolates one matcher. With `=`/`!=`, a value that uses a multi-value or `All` variable turns
 * the matcher into `=~`/`!~` and every part of the value is escaped, so `room-$device` with
 * `a`,`b` selected becomes `room-(a|b)`. With `=~`/`!~`, single-value variables are inserted as
 * typed (they may hold a regex) and multi-value ones as an escaped alternation.
 */
export function interpolateMatcher(matcher: LabelMatcher, templateSrv: TemplateSrv, scopedVars: ScopedVars): LabelMatcher {
  const name = templateSrv.replace(matcher.name, scopedVars);
  const usesMultiValue = referencesMultiValue(matcher.value, templateSrv, scopedVars);
  const isRegexOp = matcher.op === '=~' || matcher.op === '!~';
  if (!isRegexOp && !usesMultiValue) {
    return { name, op: matcher.op, value: templateSrv.replace(matcher.value, scopedVars) };
  }
  const upgraded = !isRegexOp;
  const value = mapTemplateParts(
    matcher.value,
    (literal) => (upgraded ? escapeRegex(literal) : literal),
    (reference) =>
      templateSrv.replace(reference, scopedVars, (raw: unknown, variable?: VariableModelLike) => regexFromValue(raw, variable, upgraded)),
  );
  return { name, op: REGEX_OF[matcher.op], value };
}

/**
 * Whether a value uses a multi-value or `All` variable. The variable's definition decides, not its
 * current selection, because Grafana inserts a custom `All` value (such as `.*`) as is, without
 * calling a format function; scoped values (repeated panels) are always single.
 */
function referencesMultiValue(template: string, templateSrv: TemplateSrv, scopedVars: ScopedVars): boolean {
  const names = [...template.matchAll(VARIABLE_REF)].map((match) => match[1] || match[2] || match[4]);
  if (names.length === 0) {
    return false;
  }
  const variables = templateSrv.getVariables() as unknown as Array<VariableModelLike & { name: string }>;
  let usesArray = false;
  templateSrv.replace(template, scopedVars, (value: unknown) => {
    usesArray = usesArray || Array.isArray(value);
    return '';
  });
  return usesArray || names.some((name) => !scopedVars[name] && isMultiVariable(variables.find((variable) => variable.name === name)));
}

/** Applies `onLiteral` to the text between variable references and `onReference` to each reference. */
function mapTemplateParts(template: string, onLiteral: (text: string) => string, onReference: (text: string) => string): string {
  let result = '';
  let last = 0;
  for (const match of template.matchAll(VARIABLE_REF)) {
    const index = match.index ?? 0;
    result += onLiteral(template.slice(last, index)) + onReference(match[0]);
    last = index + match[0].length;
  }
  return result + onLiteral(template.slice(last));
}

/** Ad hoc filter operators Grafana offers and the matcher each becomes. */
export function adHocFilterToMatcher(filter: AdHocVariableFilter): LabelMatcher {
  switch (filter.operator) {
    case '=':
    case '!=':
    case '=~':
    case '!~':
      return { name: filter.key, op: filter.operator, value: filter.value };
    case '=|':
    case '!=|': {
      const values = filter.values && filter.values.length > 0 ? filter.values : [filter.value];
      return { name: filter.key, op: filter.operator === '=|' ? '=~' : '!~', value: values.map(escapeRegex).join('|') };
    }
    default:
      throw new SidecarQueryError(
        'BAD_FILTER',
        `Ad hoc filter ${filter.key} ${filter.operator} ${filter.value}: operator "${filter.operator}" is not supported (use =, !=, =~, !~)`,
      );
  }
}

/** Metric names as the sidecar stores them (Prometheus' rule); nothing else can match a series. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Values named in the several-metrics error before the rest are counted. */
const LISTED_METRICS = 5;

/**
 * The metric of a query with its variables replaced. The sidecar's native API reads exactly one
 * metric per query (no regex on the name), so a multi-value or `All` selection — which Grafana would
 * insert as a glob, `{a,b}` — is refused, as is any variable value that is not a metric name. A
 * repeated panel gets one value per panel through `scopedVars`, which is how to chart several.
 */
export function interpolateMetric(metric: string | undefined, refId: string, templateSrv: TemplateSrv, scopedVars: ScopedVars): string | undefined {
  if (metric === undefined || !new RegExp(VARIABLE_REF.source).test(metric)) {
    return metric;
  }
  let several: string[] | undefined;
  const text = templateSrv
    .replace(metric, scopedVars, (value: unknown) => {
      const values = Array.isArray(value) ? value.map(String) : [String(value ?? '')];
      if (values.length > 1) {
        several = several ?? values;
      }
      return values[0] ?? '';
    })
    .trim();
  if (several) {
    const listed = several.slice(0, LISTED_METRICS).join(', ') + (several.length > LISTED_METRICS ? `, and ${several.length - LISTED_METRICS} more` : '');
    throw new SidecarQueryError(
      'MULTI_VALUE_METRIC',
      `Query ${refId}: the metric ${metric} stands for ${several.length} metrics (${listed}), and a query reads one metric; select one value, or repeat the panel by the variable`,
    );
  }
  if (!METRIC_NAME.test(text)) {
    throw new SidecarQueryError('BAD_METRIC', `Query ${refId}: the metric ${metric} gives "${text}", which is not a metric name`);
  }
  return text;
}

/**
 * Interpolates every field of a query that may hold variables; a metric that does not resolve to one
 * metric name is a SidecarQueryError (see interpolateMetric).
 */
export function interpolateQuery(query: SensorstoreQuery, templateSrv: TemplateSrv, scopedVars: ScopedVars): SensorstoreQuery {
  const replace = (text: string | undefined) => (text === undefined ? undefined : templateSrv.replace(text, scopedVars));
  return {
    ...query,
    metric: interpolateMetric(query.metric, query.refId, templateSrv, scopedVars),
    matchers: (query.matchers ?? []).map((matcher) => interpolateMatcher(matcher, templateSrv, scopedVars)),
    groupBy: query.groupBy
      ?.flatMap((label) => templateSrv.replace(label, scopedVars, 'csv').split(','))
      .map((label) => label.trim())
      .filter((label) => label !== ''),
    minInterval: replace(query.minInterval),
    legend: replace(query.legend),
  };
}

/** `$__interval` and `$__range` for the request's range, so they work in every field. */
export function rangeScopedVars(intervalMs: number, startMs: number, endMs: number): ScopedVars {
  const rangeMs = Math.max(0, endMs - startMs);
  const rangeS = Math.floor(rangeMs / 1000);
  return {
    __interval: { text: formatDuration(intervalMs), value: formatDuration(intervalMs) },
    __interval_ms: { text: String(intervalMs), value: intervalMs },
    __range: { text: `${rangeS}s`, value: `${rangeS}s` },
    __range_s: { text: String(rangeS), value: rangeS },
    __range_ms: { text: String(rangeMs), value: rangeMs },
  };
}

function formatDuration(durationMs: number): string {
  return durationMs % 1000 === 0 ? `${durationMs / 1000}s` : `${durationMs}ms`;
}
