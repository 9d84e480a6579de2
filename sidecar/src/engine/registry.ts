// Every series the engine knows, by dense id: its labels and its latest sample.
//
// Ids are handed out in creation order and never reused within a process, so a ref an ingest
// parser cached stays meaningful; they are not persisted (WAL files, snapshots and segments carry
// labels). The latest non-NaN sample per series answers "last reading of every device" without
// touching samples.

import { seriesKey } from './model/labels';
import { LabelSet } from './model/types';

export class SeriesRegistry {
  private readonly idsByKey = new Map<string, number>();
  private readonly labelSets: Array<LabelSet | undefined> = [];
  latestT = new Float64Array(1024).fill(-Infinity);
  latestV = new Float64Array(1024);
  private live = 0;

  get size(): number {
    return this.live;
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
