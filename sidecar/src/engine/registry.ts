// Every series the engine knows, by dense id: labels, their sort order, and the latest sample.
//
// Ids are handed out in creation order and never reused within a process, so a ref an ingest
// parser cached stays meaningful; they are not persisted (WAL files, snapshots and segments carry
// labels). The latest non-NaN sample per series answers "last reading of every device" without
// touching samples.

import { seriesKey, sortedLabelPairs } from './model/labels';
import { LabelSet } from './model/types';

export class SeriesRegistry {
  private readonly idsByKey = new Map<string, number>();
  private readonly labelSets: Array<LabelSet | undefined> = [];
  private readonly pairLists: Array<Array<[string, string]>> = [];
  latestT = new Float64Array(1024).fill(-Infinity);
  latestV = new Float64Array(1024);
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Ids ever handed out (an upper bound for arrays indexed by id). */
  get capacity(): number {
    return this.labelSets.length;
  }

  has(id: number): boolean {
    return id >= 0 && id < this.labelSets.length && this.labelSets[id] !== undefined;
  }

  labels(id: number): LabelSet {
    const l = this.labelSets[id];
    if (!l) throw new Error(`series id ${id} is not registered`);
    return l;
  }

  /** The id of already normalised labels, if known. */
  lookup(labels: LabelSet): number | undefined {
    return this.idsByKey.get(seriesKey(labels));
  }

  /** Registers normalised labels (or returns the existing id). */
  getOrCreate(labels: LabelSet): number {
    const key = seriesKey(labels);
    const known = this.idsByKey.get(key);
    if (known !== undefined) return known;
    const id = this.labelSets.length;
    this.idsByKey.set(key, id);
    this.labelSets.push(labels);
    this.pairLists.push(sortedLabelPairs(labels));
    this.live++;
    if (id >= this.latestT.length) this.growLatest();
    return id;
  }

  remove(id: number): void {
    const l = this.labelSets[id];
    if (!l) return;
    this.idsByKey.delete(seriesKey(l));
    this.labelSets[id] = undefined;
    this.live--;
    this.latestT[id] = -Infinity;
  }

  /** Orders ids as compareLabelSets orders their labels. */
  compare = (a: number, b: number): number => {
    const pa = this.pairLists[a];
    const pb = this.pairLists[b];
    const n = Math.min(pa.length, pb.length);
    for (let i = 0; i < n; i++) {
      if (pa[i][0] !== pb[i][0]) return pa[i][0] < pb[i][0] ? -1 : 1;
      if (pa[i][1] !== pb[i][1]) return pa[i][1] < pb[i][1] ? -1 : 1;
    }
    return pa.length - pb.length;
  };

  /**
   * Keeps the latest non-NaN sample of a series (ties: the later write wins). A NaN written over the
   * latest timestamp makes it unknown (NaN) until a query recomputes it from the data.
   */
  noteSamples(id: number, ts: ArrayLike<number>, vs: ArrayLike<number>, from = 0, to = ts.length): void {
    let lt = this.latestT[id];
    let lv = this.latestV[id];
    for (let i = from; i < to; i++) {
      const t = ts[i];
      const v = vs[i];
      if (t < lt || lt !== lt) continue;
      if (v === v) {
        lt = t;
        lv = v;
      } else if (t === lt) {
        lt = NaN;
      }
    }
    this.latestT[id] = lt;
    this.latestV[id] = lv;
  }

  private growLatest(): void {
    const t = new Float64Array(this.latestT.length * 2).fill(-Infinity);
    t.set(this.latestT);
    const v = new Float64Array(this.latestV.length * 2);
    v.set(this.latestV);
    this.latestT = t;
    this.latestV = v;
  }
}
