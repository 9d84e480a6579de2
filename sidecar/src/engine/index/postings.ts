// Sorted lists of series ids and the set operations select() combines them with.
//
// Invariant: a Postings list is strictly ascending. Intersections and differences mark ids in a
// shared stamp array instead of merging, so their cost is the sum of the list lengths whatever
// their order, and nothing needs clearing between uses.

/** The series ids holding one label value, ascending. */
export class Postings {
  readonly ids: number[] = [];
  /** Position of the value among its label's sorted values, kept by the index for label values. */
  rank = 0;

  /** Inserts id (an append when ids are assigned in increasing order, the usual case). */
  add(id: number): void {
    const ids = this.ids;
    const n = ids.length;
    if (n === 0 || ids[n - 1] < id) {
      ids.push(id);
      return;
    }
    const at = lowerBound(ids, id);
    if (ids[at] !== id) ids.splice(at, 0, id);
  }

  get length(): number {
    return this.ids.length;
  }
}

/**
 * Generation-stamped marks over ids: `next()` starts a new set in O(1); `mark`/`has` test membership
 * in the current one.
 */
export class IdMarks {
  private stamps = new Uint32Array(1024);
  private gen = 0;

  /** Starts a new, empty set able to hold ids below `limit`. */
  next(limit: number): number {
    if (limit > this.stamps.length) {
      let size = this.stamps.length;
      while (size < limit) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.stamps);
      this.stamps = grown;
    }
    if (this.gen === 0xffffffff) {
      this.stamps.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }

  markAll(lists: readonly (readonly number[])[], gen: number): void {
    const stamps = this.stamps;
    for (const ids of lists) for (let i = 0; i < ids.length; i++) stamps[ids[i]] = gen;
  }

  mark(id: number, gen: number): void {
    this.stamps[id] = gen;
  }

  has(id: number, gen: number): boolean {
    return this.stamps[id] === gen;
  }
}

/** Ids of `candidates` that are (keep = true) or are not (keep = false) in any of `lists`. */
export function filterByLists(candidates: Int32Array, lists: readonly (readonly number[])[], keep: boolean, marks: IdMarks, limit: number): Int32Array {
  const gen = marks.next(limit);
  marks.markAll(lists, gen);
  const out = new Int32Array(candidates.length);
  let n = 0;
  for (let i = 0; i < candidates.length; i++) {
    const id = candidates[i];
    if (marks.has(id, gen) === keep) out[n++] = id;
  }
  return n === out.length ? out : out.slice(0, n);
}

/**
 * The ascending union of lists (which may share ids). Few ids are copied and sorted; many are
 * marked and swept over the id range.
 */
export function unionOf(lists: readonly (readonly number[])[], marks: IdMarks, limit: number): Int32Array {
  let total = 0;
  for (const ids of lists) total += ids.length;
  if (lists.length === 1) return Int32Array.from(lists[0]);
  if (total * 8 < limit) {
    const all = new Int32Array(total);
    let n = 0;
    for (const ids of lists) for (let i = 0; i < ids.length; i++) all[n++] = ids[i];
    all.sort();
    let m = 0;
    for (let i = 0; i < n; i++) if (m === 0 || all[m - 1] !== all[i]) all[m++] = all[i];
    return m === n ? all : all.slice(0, m);
  }
  const gen = marks.next(limit);
  marks.markAll(lists, gen);
  const out = new Int32Array(total);
  let n = 0;
  for (let id = 0; id < limit; id++) if (marks.has(id, gen)) out[n++] = id;
  return n === total ? out : out.slice(0, n);
}

/** The first index whose element is >= x. */
export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
