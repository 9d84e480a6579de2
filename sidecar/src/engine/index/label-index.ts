// The in-memory label index: postings from (label name, value) to series ids, each series' labels
// and time bounds, matcher selection and the metadata answers (label names, label values, series).
//
// Invariants:
// - Series ids are dense small integers given by the engine; an id is present between add(id) and
//   remove(id) and may be given again after its removal.
// - Every present series is in exactly the postings of its non-empty label values. Removals are
//   applied in one pass per touched list before the next add or read, so a retention sweep that
//   drops many series costs one filter of each list it touches, not one splice per series.
// - A series' bounds [minT, maxT] cover every timestamp it holds; a series without data has
//   minT = +Infinity and maxT = -Infinity, so it overlaps no range. Bounds only widen on writes
//   (extend) and narrow when retention removes old data (expire): they may over-cover, which can
//   only make metadata include a series whose data starts later or ends earlier than reported.
// - Retention hides data at once: every range test raises its start to the series' watermark (the
//   `watermark` hook, asked once per metric and call), so a series whose data all lies below it is
//   in no answer even before expire() finds it empty.
//
// Nothing here does I/O; the engine rebuilds the index from its series table at start-up.

import { InvalidQueryError } from '../model/errors';
import { LabelSet, METRIC_NAME_LABEL, Matcher, MetadataRequest } from '../model/types';
import { LabelPairs, comparePairs, labelPairs } from '../query/label-order';
import { CompiledMatcher, compileMatcher } from './matcher';
import { IdMarks, Postings, filterByLists, unionOf } from './postings';

type Lists = readonly (readonly number[])[];
/** The watermark of series `id`. */
type Floor = (id: number) => number;

/** A matcher with the cost of answering it from postings, estimated before evaluating it. */
interface Plan {
  m: CompiledMatcher;
  /** Postings lists already looked up (direct lookups only). */
  lists?: Lists;
  /** Ids in `lists`, or the number of values a scan would test. */
  cost: number;
}

const EMPTY_IDS = new Int32Array(0);

/**
 * @example
 * const index = new LabelIndex();
 * index.add(0, { __name__: 'temperature', site: 'berlin' });
 * index.extend(0, t, t);
 * index.select([{ name: 'site', op: '=~', value: 'ber.*' }]); // Int32Array [0]
 */
export class LabelIndex {
  private readonly postings = new Map<string, Map<string, Postings>>();
  /** Sorted values per label name, rebuilt after a value appears or disappears. */
  private readonly sortedValues = new Map<string, string[]>();
  private labels: Array<LabelSet | undefined> = [];
  private pairs: Array<LabelPairs | undefined> = [];
  private minT = new Float64Array(1024).fill(Infinity);
  private maxT = new Float64Array(1024).fill(-Infinity);
  /** One more than the largest id ever added. */
  private idLimit = 0;
  private present = 0;
  private pending: Array<{ id: number; labels: LabelSet }> = [];
  private readonly marks = new IdMarks();

  /**
   * @param watermark The oldest visible timestamp of a metric now (retention); absent: all data
   * is visible.
   */
  constructor(private readonly watermark?: (metric: string) => number) {}

  /** Number of series present. */
  get size(): number {
    return this.present;
  }

  has(id: number): boolean {
    return this.labels[id] !== undefined;
  }

  /** The labels of a present series. */
  labelsOf(id: number): LabelSet | undefined {
    return this.labels[id];
  }

  /** Adds a series without data (bounds empty until extend). `labels` are normalised: empty values are skipped. */
  add(id: number, labels: LabelSet): void {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new RangeError(`series id must be an integer in [0, 2^31), got ${id}`);
    if (this.labels[id] !== undefined) throw new RangeError(`series id ${id} is already in the index`);
    this.flush();
    if (id >= this.minT.length) this.grow(id + 1);
    this.labels[id] = labels;
    this.pairs[id] = labelPairs(labels);
    this.minT[id] = Infinity;
    this.maxT[id] = -Infinity;
    for (const name of Object.keys(labels)) {
      const value = labels[name];
      if (value === '') continue;
      let values = this.postings.get(name);
      if (!values) {
        values = new Map();
        this.postings.set(name, values);
      }
      let p = values.get(value);
      if (!p) {
        p = new Postings();
        values.set(value, p);
        this.sortedValues.delete(name);
      }
      p.add(id);
    }
    if (id >= this.idLimit) this.idLimit = id + 1;
    this.present++;
  }

  /** Removes a series (retention dropped its last data); its id may be added again. */
  remove(id: number): void {
    const labels = this.labels[id];
    if (labels === undefined) return;
    this.pending.push({ id, labels });
    this.labels[id] = undefined;
    this.pairs[id] = undefined;
    this.minT[id] = Infinity;
    this.maxT[id] = -Infinity;
    this.present--;
  }

  /** Widens a series' bounds to cover [minT, maxT]. The ingest hot path: O(1), no allocation. */
  extend(id: number, minT: number, maxT: number): void {
    if (minT < this.minT[id]) this.minT[id] = minT;
    if (maxT > this.maxT[id]) this.maxT[id] = maxT;
  }

  /**
   * Widens a series' bounds to cover timestamps[from, to). Taking the array, not its bounds, keeps
   * the timestamps unboxed: a double passed to or returned from a call V8 does not inline is a heap
   * allocation, and this runs for every entry written or replayed.
   */
  cover(id: number, timestamps: ArrayLike<number>, from: number, to: number): void {
    let lo = this.minT[id];
    let hi = this.maxT[id];
    for (let i = from; i < to; i++) {
      const t = timestamps[i];
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    this.minT[id] = lo;
    this.maxT[id] = hi;
  }

  /** First timestamp of a series (+Infinity without data). */
  minTime(id: number): number {
    return id < this.idLimit ? this.minT[id] : Infinity;
  }

  /** Last timestamp of a series (-Infinity without data). */
  maxTime(id: number): number {
    return id < this.idLimit ? this.maxT[id] : -Infinity;
  }

  /**
   * Retention dropped what lies below the watermarks: each series' bounds start no earlier than
   * its watermark. Returns the ids left without data, ascending, so the engine can remove them.
   */
  expire(): number[] {
    this.flush();
    const floor = this.floors();
    const emptied: number[] = [];
    if (!floor) return emptied;
    for (let id = 0; id < this.idLimit; id++) {
      if (this.labels[id] === undefined) continue;
      const wm = floor(id);
      if (this.maxT[id] < wm) {
        this.minT[id] = Infinity;
        this.maxT[id] = -Infinity;
        emptied.push(id);
      } else if (this.minT[id] < wm) {
        this.minT[id] = wm;
      }
    }
    return emptied;
  }

  /**
   * Ids of the series matching every matcher whose bounds overlap [start, end), ascending. With no
   * matchers, every series with data in range. InvalidQueryError for a malformed matcher.
   */
  select(matchers: readonly Matcher[], start = -Infinity, end = Infinity): Int32Array {
    if (!Array.isArray(matchers)) throw new InvalidQueryError('matchers must be a list');
    const compiled = matchers.map(compileMatcher);
    this.flush();
    let candidates: Int32Array | undefined;
    // Matchers that exclude series lacking the label narrow the set; the most selective goes first.
    const narrowing = compiled.filter((m) => !m.matchesEmpty).map((m) => this.plan(m, true));
    narrowing.sort((a, b) => a.cost - b.cost);
    for (const plan of narrowing) {
      if (candidates && candidates.length === 0) return EMPTY_IDS;
      candidates = candidates ? this.narrow(candidates, plan, true) : unionOf(plan.lists ?? this.listsWhere(plan.m, true), this.marks, this.idLimit);
    }
    candidates ??= this.allIds();
    // Matchers that accept a missing label can only remove series: those with a rejected value.
    for (const m of compiled) {
      if (!m.matchesEmpty || candidates.length === 0) continue;
      if (m.kind === 'prefix' && m.prefix === '' && !m.nonEmpty && m.op === '=~') continue;
      if (!this.postings.has(m.name)) continue;
      candidates = this.narrow(candidates, this.plan(m, false), false);
    }
    return this.inRange(candidates, start, end);
  }

  /** Ids ordered by their series' labels (the answer order, compareLabelSets). */
  sortByLabels(ids: ArrayLike<number>): Int32Array {
    const pairs = this.pairs;
    return Int32Array.from(ids).sort((a, b) => comparePairs(pairs[a]!, pairs[b]!));
  }

  /** Sorted label names, `__name__` included, of the series the request selects. */
  labelNames(req: MetadataRequest = {}): string[] {
    const { matchers, start, end, limit } = this.metadata(req);
    const out: string[] = [];
    if (matchers.length === 0) {
      const floor = this.floors();
      for (const name of [...this.postings.keys()].sort()) {
        if (out.length >= limit) break;
        for (const p of this.postings.get(name)!.values()) {
          if (this.anyInRange(p.ids, start, end, floor)) {
            out.push(name);
            break;
          }
        }
      }
      return out;
    }
    const names = new Set<string>();
    for (const id of this.select(matchers, start, end)) {
      const pairs = this.pairs[id]!;
      for (let i = 0; i < pairs.length; i += 2) names.add(pairs[i]);
    }
    return [...names].sort().slice(0, limit);
  }

  /**
   * Sorted values of one label (`__name__`: metric names) among the series the request selects.
   * Without matchers it reads the label's values, not its series; with matchers the work follows
   * the number of matching series.
   */
  labelValues(name: string, req: MetadataRequest = {}): string[] {
    if (typeof name !== 'string') throw new InvalidQueryError('label name must be a string');
    const { matchers, start, end, limit } = this.metadata(req);
    const values = this.postings.get(name);
    if (!values || limit === 0) return [];
    if (matchers.length === 0) {
      const out: string[] = [];
      const floor = this.floors();
      for (const v of this.valuesOf(name)) {
        if (this.anyInRange(values.get(v)!.ids, start, end, floor)) out.push(v);
        if (out.length >= limit) break;
      }
      return out;
    }
    const ids = this.select(matchers, start, end);
    // Few series: collect and sort their values. Many: mark value ranks and sweep them in order.
    if (ids.length * Math.log2(ids.length + 2) < values.size) {
      const found = new Set<string>();
      for (const id of ids) {
        const v = this.labels[id]![name];
        if (v !== undefined && v !== '') found.add(v);
      }
      return [...found].sort().slice(0, limit);
    }
    const sorted = this.valuesOf(name);
    const seen = new Uint8Array(sorted.length);
    for (const id of ids) {
      const v = this.labels[id]![name];
      if (v !== undefined && v !== '') seen[values.get(v)!.rank] = 1;
    }
    const out: string[] = [];
    for (let r = 0; r < sorted.length && out.length < limit; r++) if (seen[r]) out.push(sorted[r]);
    return out;
  }

  /** Label sets of the series the request selects, in label order. */
  series(req: MetadataRequest = {}): LabelSet[] {
    const { matchers, start, end, limit } = this.metadata(req);
    const ids = this.select(matchers, start, end);
    const chosen = limit < ids.length ? this.smallest(ids, limit) : this.sortByLabels(ids);
    return Array.from(chosen, (id) => this.labels[id]!);
  }

  seriesCount(req: MetadataRequest = {}): number {
    const { matchers, start, end } = this.metadata(req);
    return this.select(matchers, start, end).length;
  }

  // ---- selection -----------------------------------------------------------------------------

  /**
   * How to find the ids whose value of m.name makes m.test return `want`: direct lookups of
   * literal values or a prefix range are done now; anything else costs a scan of every value.
   */
  private plan(m: CompiledMatcher, want: boolean): Plan {
    const direct = (m.op === '=' || m.op === '=~') === want;
    if (direct && m.kind === 'literals') {
      const values = this.postings.get(m.name);
      const lists: number[][] = [];
      for (const v of m.literals) {
        const p = v === '' ? undefined : values?.get(v);
        if (p) lists.push(p.ids);
      }
      return { m, lists, cost: sizeOf(lists) };
    }
    if (direct && m.kind === 'prefix') {
      const lists = this.prefixLists(m);
      return { m, lists, cost: sizeOf(lists) };
    }
    return { m, cost: this.postings.get(m.name)?.size ?? 0 };
  }

  /** Keeps the candidates whose value passes (want = true) or fails (want = false) the matcher. */
  private narrow(candidates: Int32Array, plan: Plan, want: boolean): Int32Array {
    const { m } = plan;
    // Testing each candidate's own value beats building a set larger than the candidates.
    if (plan.cost > candidates.length) return this.filterByTest(candidates, m);
    return filterByLists(candidates, plan.lists ?? this.listsWhere(m, want), want, this.marks, this.idLimit);
  }

  /** The postings of every value of m.name for which m.test gives `want`, testing each value once. */
  private listsWhere(m: CompiledMatcher, want: boolean): Lists {
    const lists: number[][] = [];
    const values = this.postings.get(m.name);
    if (values) for (const [v, p] of values) if (m.test(v) === want) lists.push(p.ids);
    return lists;
  }

  private prefixLists(m: CompiledMatcher): Lists {
    const values = this.postings.get(m.name);
    if (!values) return [];
    const sorted = this.valuesOf(m.name);
    const lists: number[][] = [];
    for (let i = lowerBoundString(sorted, m.prefix); i < sorted.length && sorted[i].startsWith(m.prefix); i++) {
      if (!m.nonEmpty || sorted[i].length > m.prefix.length) lists.push(values.get(sorted[i])!.ids);
    }
    return lists;
  }

  /** Candidates whose value passes m.test; a regex is evaluated once per distinct value. */
  private filterByTest(candidates: Int32Array, m: CompiledMatcher): Int32Array {
    const memo = m.kind === 'regex' ? new Map<string, boolean>() : undefined;
    const out = new Int32Array(candidates.length);
    let n = 0;
    for (let i = 0; i < candidates.length; i++) {
      const id = candidates[i];
      const v = this.labels[id]![m.name] ?? '';
      let ok: boolean | undefined;
      if (memo) {
        ok = memo.get(v);
        if (ok === undefined) memo.set(v, (ok = m.test(v)));
      } else {
        ok = m.test(v);
      }
      if (ok) out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  private allIds(): Int32Array {
    const out = new Int32Array(this.present);
    let n = 0;
    for (let id = 0; id < this.idLimit; id++) if (this.labels[id] !== undefined) out[n++] = id;
    return out;
  }

  /** Ids whose bounds overlap [start, end) above their watermark; always a fresh array. */
  private inRange(ids: Int32Array, start: number, end: number): Int32Array {
    const floor = this.floors();
    const out = new Int32Array(ids.length);
    let n = 0;
    for (let i = 0; i < ids.length; i++) if (this.overlaps(ids[i], start, end, floor)) out[n++] = ids[i];
    return n === out.length ? out : out.slice(0, n);
  }

  private anyInRange(ids: readonly number[], start: number, end: number, floor: Floor | undefined): boolean {
    for (let i = 0; i < ids.length; i++) if (this.overlaps(ids[i], start, end, floor)) return true;
    return false;
  }

  private overlaps(id: number, start: number, end: number, floor: Floor | undefined): boolean {
    const from = floor ? Math.max(start, floor(id)) : start;
    return this.minT[id] < end && this.maxT[id] >= from && from < end;
  }

  /** Each series' watermark for one call, asked of the hook once per metric; undefined without one. */
  private floors(): Floor | undefined {
    const watermark = this.watermark;
    if (!watermark) return undefined;
    const byMetric = new Map<string, number>();
    return (id) => {
      const metric = this.labels[id]![METRIC_NAME_LABEL] ?? '';
      let wm = byMetric.get(metric);
      if (wm === undefined) byMetric.set(metric, (wm = watermark(metric)));
      return wm;
    };
  }

  // ---- metadata ------------------------------------------------------------------------------

  private metadata(req: MetadataRequest): { matchers: readonly Matcher[]; start: number; end: number; limit: number } {
    const limit = req.limit ?? Infinity;
    if (limit !== Infinity && (!Number.isSafeInteger(limit) || limit < 0)) throw new InvalidQueryError(`limit must be a non-negative integer, got ${req.limit}`);
    for (const [key, t] of [['start', req.start], ['end', req.end]] as const) {
      if (t !== undefined && !Number.isSafeInteger(t)) throw new InvalidQueryError(`${key} must be an integer of ms, got ${t}`);
    }
    const matchers = req.matchers ?? [];
    if (!Array.isArray(matchers)) throw new InvalidQueryError('matchers must be a list');
    // Compiled here too so that a bad matcher is refused even when no series could reach it.
    matchers.forEach(compileMatcher);
    this.flush();
    return { matchers, start: req.start ?? -Infinity, end: req.end ?? Infinity, limit };
  }

  /** The `limit` ids with the smallest labels, in order, without sorting all of them. */
  private smallest(ids: Int32Array, limit: number): Int32Array {
    const pairs = this.pairs;
    const top: number[] = [];
    if (limit === 0) return new Int32Array(0);
    for (const id of ids) {
      if (top.length === limit && comparePairs(pairs[id]!, pairs[top[limit - 1]]!) >= 0) continue;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (comparePairs(pairs[top[mid]]!, pairs[id]!) <= 0) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, id);
      if (top.length > limit) top.pop();
    }
    return Int32Array.from(top);
  }

  /** The label's values in ascending order; each value's Postings carries its rank. */
  private valuesOf(name: string): string[] {
    let sorted = this.sortedValues.get(name);
    if (sorted) return sorted;
    const values = this.postings.get(name);
    sorted = values ? [...values.keys()].sort() : [];
    for (let r = 0; r < sorted.length; r++) values!.get(sorted[r])!.rank = r;
    this.sortedValues.set(name, sorted);
    return sorted;
  }

  // ---- upkeep --------------------------------------------------------------------------------

  /** Applies pending removals: each touched postings list is filtered once. */
  private flush(): void {
    if (this.pending.length === 0) return;
    const gen = this.marks.next(this.idLimit);
    const touched = new Map<Postings, [string, string]>();
    for (const { id, labels } of this.pending) {
      this.marks.mark(id, gen);
      for (const name of Object.keys(labels)) {
        const value = labels[name];
        const p = value === '' ? undefined : this.postings.get(name)?.get(value);
        if (p) touched.set(p, [name, value]);
      }
    }
    this.pending = [];
    for (const [p, [name, value]] of touched) {
      const kept = p.ids.filter((id) => !this.marks.has(id, gen));
      p.ids.length = 0;
      for (const id of kept) p.ids.push(id);
      if (p.ids.length > 0) continue;
      const values = this.postings.get(name)!;
      values.delete(value);
      this.sortedValues.delete(name);
      if (values.size === 0) this.postings.delete(name);
    }
  }

  private grow(limit: number): void {
    let size = this.minT.length;
    while (size < limit) size *= 2;
    const minT = new Float64Array(size).fill(Infinity);
    const maxT = new Float64Array(size).fill(-Infinity);
    minT.set(this.minT);
    maxT.set(this.maxT);
    this.minT = minT;
    this.maxT = maxT;
  }
}

function sizeOf(lists: Lists): number {
  let n = 0;
  for (const ids of lists) n += ids.length;
  return n;
}

function lowerBoundString(a: readonly string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
