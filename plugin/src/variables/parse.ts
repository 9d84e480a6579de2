// Reads variable queries typed as text: `metrics()`, `label_names(temperature)`, `label_values(temperature{site="$site"}, device)`.
import { SidecarQueryError } from '../query/errors';
import { LabelMatcher, MatcherOp, SensorstoreVariableQuery } from '../types';

const CALL = /^\s*(metrics|label_names|label_values)\s*\(\s*(.*?)\s*\)\s*$/s;
const SELECTOR = /^([^{\s]*)\s*(?:\{(.*)\})?$/s;
const MATCHER = /^\s*([\w$]+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

function fail(text: string, why: string): never {
  throw new SidecarQueryError(
    'BAD_VARIABLE_QUERY',
    `Variable query "${text}": ${why}. Use metrics(), label_names(metric), label_values(label) or label_values(metric{label="value"}, label)`,
  );
}

/** Splits on commas outside quotes and braces. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '\\') {
      current += char + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === '{') {
      depth++;
    } else if (!quoted && char === '}') {
      depth--;
    } else if (!quoted && depth === 0 && char === ',') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim() !== '') {
    parts.push(current.trim());
  }
  return parts;
}

function parseSelector(text: string, whole: string): { metric?: string; matchers: LabelMatcher[] } {
  const match = SELECTOR.exec(text.trim());
  if (!match) {
    fail(whole, `"${text}" is not a metric selector`);
  }
  const matchers = splitTopLevel(match[2] ?? '').map((part) => {
    const matcher = MATCHER.exec(part);
    if (!matcher) {
      fail(whole, `"${part}" is not a label filter such as site="berlin"`);
    }
    return { name: matcher[1], op: matcher[2] as MatcherOp, value: matcher[3].replace(/\\(.)/g, '$1') };
  });
  return { metric: match[1] || undefined, matchers };
}

export function parseVariableQuery(text: string): SensorstoreVariableQuery {
  const call = CALL.exec(text);
  if (!call) {
    fail(text, 'unknown function');
  }
  const [, name, argsText] = call;
  const args = splitTopLevel(argsText);
  const refId = 'variable';
  if (name === 'metrics') {
    if (args.length > 0) {
      fail(text, 'metrics() takes no arguments');
    }
    return { refId, kind: 'metrics', matchers: [] };
  }
  if (name === 'label_names') {
    if (args.length > 1) {
      fail(text, 'label_names() takes at most a metric selector');
    }
    return { refId, kind: 'labelNames', ...parseSelector(args[0] ?? '', text) };
  }
  if (args.length === 1) {
    return { refId, kind: 'labelValues', label: args[0], matchers: [] };
  }
  if (args.length === 2) {
    return { refId, kind: 'labelValues', label: args[1], ...parseSelector(args[0], text) };
  }
  fail(text, 'label_values() takes a label, or a metric selector and a label');
}
