// Compares two Prometheus API answers: same status and error type, same result type, the same series
// (by label set), the same timestamps, values within 1e-9 relative (NaN equals NaN).

export interface ApiAnswer {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

type Point = [number, string];
interface SeriesJson {
  metric: Record<string, string>;
  value?: Point;
  values?: Point[];
}

export const RELATIVE_TOLERANCE = 1e-9;

export function valuesAgree(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

function key(metric: Record<string, string>): string {
  return JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
}

function comparePoints(where: string, want: Point[], got: Point[]): string | undefined {
  if (want.length !== got.length) {
    return `${where}: ${got.length} points instead of ${want.length} (want times ${want.slice(0, 5).map((p) => p[0])}…, got ${got.slice(0, 5).map((p) => p[0])}…)`;
  }
  for (let i = 0; i < want.length; i++) {
    if (want[i][0] !== got[i][0]) return `${where} point ${i}: time ${got[i][0]} instead of ${want[i][0]}`;
    if (!valuesAgree(Number(want[i][1]), Number(got[i][1]))) return `${where} at ${want[i][0]}: value ${got[i][1]} instead of ${want[i][1]}`;
  }
  return undefined;
}

/**
 * Undefined when `got` (the sidecar) agrees with `want` (Prometheus), else what differs.
 * `ordered`: vector answers must list series in the same order (sort, sort_desc).
 */
export function compareAnswers(want: ApiAnswer, got: ApiAnswer, ordered = false): string | undefined {
  if (want.status !== got.status) {
    return `status ${got.status} (${got.errorType ?? ''}: ${got.error ?? ''}) instead of ${want.status} (${want.errorType ?? ''}: ${want.error ?? ''})`;
  }
  if (want.status === 'error') {
    return want.errorType === got.errorType ? undefined : `error type ${got.errorType} (${got.error}) instead of ${want.errorType} (${want.error})`;
  }
  const wd = want.data!;
  const gd = got.data!;
  if (wd.resultType !== gd.resultType) return `result type ${gd.resultType} instead of ${wd.resultType}`;
  if (wd.resultType === 'scalar' || wd.resultType === 'string') {
    const [wt, wv] = wd.result as Point;
    const [gt, gv] = gd.result as Point;
    if (wt !== gt) return `time ${gt} instead of ${wt}`;
    const same = wd.resultType === 'string' ? wv === gv : valuesAgree(Number(wv), Number(gv));
    return same ? undefined : `value ${gv} instead of ${wv}`;
  }
  const ws = wd.result as SeriesJson[];
  const gs = gd.result as SeriesJson[];
  const wantKeys = ws.map((s) => key(s.metric));
  const gotKeys = gs.map((s) => key(s.metric));
  const byKey = new Map(gs.map((s) => [key(s.metric), s]));
  const missing = wantKeys.filter((k) => !byKey.has(k));
  const extra = gotKeys.filter((k) => !wantKeys.includes(k));
  if (missing.length || extra.length || ws.length !== gs.length) {
    return `series differ: missing ${missing.slice(0, 3).join(' ')}; unexpected ${extra.slice(0, 3).join(' ')} (${gs.length} instead of ${ws.length})`;
  }
  if (ordered && wd.resultType === 'vector') {
    const wantValues = ws.map((s) => s.value![1]).join(',');
    const gotValues = gs.map((s) => s.value![1]).join(',');
    if (wantValues !== gotValues) return `order of values ${gotValues} instead of ${wantValues}`;
  }
  for (const w of ws) {
    const g = byKey.get(key(w.metric))!;
    const where = `series ${key(w.metric)}`;
    const problem = wd.resultType === 'vector' ? comparePoints(where, [w.value!], [g.value!]) : comparePoints(where, w.values!, g.values!);
    if (problem) return problem;
  }
  return undefined;
}
