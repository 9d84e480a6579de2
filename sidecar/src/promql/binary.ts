// Binary operators: arithmetic, comparison (filtering or `bool`) and set operators between scalars and
// instant vectors, with Prometheus' vector matching (on/ignoring, group_left/group_right), its
// errors for ambiguous matches, and its rules for which results lose the metric name.

import { LabelSet, METRIC_NAME_LABEL } from '../engine/model/types';
import { BinaryOp, COMPARISON_OPS, VectorMatching } from './ast';
import { ExecutionError } from './errors';
import { dropMetricName, formatLabels, labelsKey, relabel, StepSeries, VectorBuilder } from './values';

export interface BinaryEnv {
  count: number;
  maxSamples: number;
}

/** Go's math.Pow differs from `**` in a few special cases. */
function goPow(x: number, y: number): number {
  if (x === 1 || y === 0) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

function arithmetic(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new Error(`not an arithmetic operator: ${op}`);
  }
}

function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      throw new Error(`not a comparison operator: ${op}`);
  }
}

/** Arithmetic drops the metric name; comparisons keep it (unless `bool`); atan2 keeps it. */
function dropsName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

/** Value and keep flag of `l op r` on two elements. */
function elementOp(op: BinaryOp, l: number, r: number): [number, boolean] {
  if (COMPARISON_OPS.has(op)) return [l, compare(op, l, r)];
  return [arithmetic(op, l, r), true];
}

export function scalarScalar(op: BinaryOp, lhs: Float64Array, rhs: Float64Array): Float64Array {
  const out = new Float64Array(lhs.length);
  const comparison = COMPARISON_OPS.has(op);
  for (let i = 0; i < out.length; i++) out[i] = comparison ? Number(compare(op, lhs[i], rhs[i])) : arithmetic(op, lhs[i], rhs[i]);
  return out;
}

/** `vector op scalar` (or `scalar op vector` with scalarOnLeft). Comparisons keep the vector's value. */
export function vectorScalar(op: BinaryOp, vector: StepSeries[], scalar: Float64Array, scalarOnLeft: boolean, returnBool: boolean, env: BinaryEnv): StepSeries[] {
  const comparison = COMPARISON_OPS.has(op);
  const computed = vector.map((s) => {
    const values = new Float64Array(env.count);
    const present = new Uint8Array(env.count);
    for (let i = 0; i < env.count; i++) {
      if (!s.present[i]) continue;
      const [l, r] = scalarOnLeft ? [scalar[i], s.values[i]] : [s.values[i], scalar[i]];
      let [value, keep] = elementOp(op, l, r);
      if (comparison && scalarOnLeft) value = r;
      if (returnBool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (keep) {
        present[i] = 1;
        values[i] = value;
      }
    }
    return { labels: s.labels, values, present };
  });
  if (!dropsName(op) && !returnBool) return computed.filter((s) => s.present.includes(1));
  return relabel(computed, env.count, env.maxSamples, `binary ${op}`, dropMetricName).filter((s) => s.present.includes(1));
}

/** The labels two series are matched on. */
function matchLabels(labels: LabelSet, m: VectorMatching): LabelSet {
  const out: Record<string, string> = {};
  if (m.on) {
    for (const n of m.labels) if (labels[n] !== undefined) out[n] = labels[n];
  } else {
    for (const n in labels) if (n !== METRIC_NAME_LABEL && !m.labels.includes(n)) out[n] = labels[n];
  }
  return out;
}

/** Maps each series to a small integer per distinct matching signature. */
class Signatures {
  private readonly ids = new Map<string, number>();

  of(series: StepSeries[], m: VectorMatching): Int32Array {
    return Int32Array.from(series, (s) => {
      const key = labelsKey(matchLabels(s.labels, m));
      let id = this.ids.get(key);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(key, id);
      }
      return id;
    });
  }

  get size(): number {
    return this.ids.size;
  }
}

function anyPresent(series: StepSeries[], i: number): boolean {
  for (const s of series) if (s.present[i]) return true;
  return false;
}

/** The labels of a result: from the "many" side, shaped by the matching and the operator. */
function resultLabels(many: LabelSet, one: LabelSet, op: BinaryOp, m: VectorMatching, returnBool: boolean): LabelSet {
  const out: Record<string, string> = { ...many };
  if (dropsName(op) || returnBool) delete out[METRIC_NAME_LABEL];
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const n of Object.keys(out)) if (!m.labels.includes(n)) delete out[n];
    } else {
      for (const n of m.labels) delete out[n];
    }
  }
  for (const n of m.include) {
    if (one[n] !== undefined) out[n] = one[n];
    else delete out[n];
  }
  return out;
}

function arithmeticOrComparison(op: BinaryOp, lhs: StepSeries[], rhs: StepSeries[], m: VectorMatching, returnBool: boolean, env: BinaryEnv): StepSeries[] {
  const swapped = m.card === 'one-to-many';
  const many = swapped ? rhs : lhs;
  const one = swapped ? lhs : rhs;
  const sigs = new Signatures();
  const manySig = sigs.of(many, m);
  const oneSig = sigs.of(one, m);
  const oneAt = new Int32Array(sigs.size).fill(-1);
  const matched = new Uint8Array(sigs.size);
  const inserted = new Map<number, Set<string>>();
  const results = new Map<string, { labels: LabelSet; key: string }>();
  const out = new VectorBuilder(env.count, env.maxSamples, `binary ${op}`);
  for (let i = 0; i < env.count; i++) {
    if (!anyPresent(many, i) || !anyPresent(one, i)) continue;
    for (let r = 0; r < one.length; r++) {
      if (!one[r].present[i]) continue;
      const sid = oneSig[r];
      if (oneAt[sid] >= 0) {
        const group = formatLabels(matchLabels(one[r].labels, m));
        throw new ExecutionError(
          `found duplicate series for the match group ${group} on the ${swapped ? 'left' : 'right'} hand-side of the operation: ` +
            `[${formatLabels(one[r].labels)}, ${formatLabels(one[oneAt[sid]].labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      oneAt[sid] = r;
    }
    for (let l = 0; l < many.length; l++) {
      if (!many[l].present[i]) continue;
      const sid = manySig[l];
      const r = oneAt[sid];
      if (r < 0) continue;
      const [vl, vr] = swapped ? [one[r].values[i], many[l].values[i]] : [many[l].values[i], one[r].values[i]];
      let [value, keep] = elementOp(op, vl, vr);
      if (returnBool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (!keep) continue;
      const pair = `${l},${r}`;
      let result = results.get(pair);
      if (!result) {
        const labels = resultLabels(many[l].labels, one[r].labels, op, m, returnBool);
        result = { labels, key: labelsKey(labels) };
        results.set(pair, result);
      }
      if (m.card === 'one-to-one') {
        if (matched[sid]) throw new ExecutionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        matched[sid] = 1;
      } else {
        let keys = inserted.get(sid);
        if (!keys) inserted.set(sid, (keys = new Set()));
        if (keys.has(result.key)) throw new ExecutionError('multiple matches for labels: grouping labels must ensure unique matches');
        keys.add(result.key);
      }
      out.set(out.series(result.labels, result.key), i, value);
    }
    oneAt.fill(-1);
    matched.fill(0);
    inserted.clear();
  }
  return out.result();
}

function setOperation(op: BinaryOp, lhs: StepSeries[], rhs: StepSeries[], m: VectorMatching, env: BinaryEnv): StepSeries[] {
  const sigs = new Signatures();
  const lSig = sigs.of(lhs, m);
  const rSig = sigs.of(rhs, m);
  const seen = new Uint8Array(sigs.size);
  const out = new VectorBuilder(env.count, env.maxSamples, op);
  const lOut = lhs.map((s) => out.series(s.labels));
  const rOut = op === 'or' ? rhs.map((s) => out.series(s.labels)) : [];
  const keep = (from: StepSeries[], to: StepSeries[], k: number, i: number) => out.set(to[k], i, from[k].values[i]);
  for (let i = 0; i < env.count; i++) {
    const lAny = anyPresent(lhs, i);
    const rAny = anyPresent(rhs, i);
    if (op === 'and' && (!lAny || !rAny)) continue;
    const marks = op === 'or' ? lSig : rSig;
    const marking = op === 'or' ? lhs : rhs;
    for (let k = 0; k < marking.length; k++) if (marking[k].present[i]) seen[marks[k]] = 1;
    for (let k = 0; k < lhs.length; k++) {
      if (!lhs[k].present[i]) continue;
      if (op === 'or' || (op === 'and' && seen[lSig[k]]) || (op === 'unless' && !seen[lSig[k]])) keep(lhs, lOut, k, i);
    }
    if (op === 'or') {
      for (let k = 0; k < rhs.length; k++) if (rhs[k].present[i] && !seen[rSig[k]]) keep(rhs, rOut, k, i);
    }
    seen.fill(0);
  }
  return out.result().filter((s) => s.present.includes(1));
}

/** `lhs op rhs` between two instant vectors. */
export function vectorVector(op: BinaryOp, lhs: StepSeries[], rhs: StepSeries[], m: VectorMatching, returnBool: boolean, env: BinaryEnv): StepSeries[] {
  if (op === 'and' || op === 'or' || op === 'unless') return setOperation(op, lhs, rhs, m, env);
  return arithmeticOrComparison(op, lhs, rhs, m, returnBool, env);
}
