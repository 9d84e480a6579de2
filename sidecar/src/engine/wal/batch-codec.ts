// The payload of a WAL batch record: the series it introduces to the file, then its samples.
//
// Invariant: every WAL file is self-contained — a record defines (ref → labels) each series the
// first time that file mentions it — so any suffix of the log can be replayed after older files
// were removed. Refs are the engine's in-process series ids; they mean nothing across restarts.

import { ByteReader, ByteWriter } from '../encoding/bytes';
import { CorruptionError } from '../model/errors';
import { LabelSet, METRIC_NAME_LABEL } from '../model/types';
import { sortedLabelPairs } from '../model/labels';

/** One series' samples in a batch, already validated; `id` is the engine's series id. */
export interface BatchEntry {
  id: number;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * Tracks which series the current WAL file has defined. `reset()` starts a new generation (a new
 * file, or after a failed write whose definitions never reached the file) without touching every
 * series: a series counts as defined only if it was marked in the current generation.
 */
export class FileSeriesDefinitions {
  private markedIn = new Float64Array(1024);
  private generation = 1;

  reset(): void {
    this.generation++;
  }

  isDefined(id: number): boolean {
    return id < this.markedIn.length && this.markedIn[id] === this.generation;
  }

  markDefined(id: number): void {
    if (id >= this.markedIn.length) {
      let size = this.markedIn.length * 2;
      while (size <= id) size *= 2;
      const next = new Float64Array(size);
      next.set(this.markedIn);
      this.markedIn = next;
    }
    this.markedIn[id] = this.generation;
  }
}

/**
 * Appends the payload for `entries` to `w`, defining first the series the file has not seen.
 * `labelsOf(id)` gives a series' labels. The layout is columnar (see FORMAT.md) so replay decodes a
 * record into two arrays with no allocation per entry.
 */
export function encodeBatch(w: ByteWriter, entries: readonly BatchEntry[], defs: FileSeriesDefinitions, labelsOf: (id: number) => LabelSet): void {
  // A batch may name a series twice: define it once.
  let fresh: number[] | undefined;
  for (const e of entries) {
    if (defs.isDefined(e.id)) continue;
    defs.markDefined(e.id);
    (fresh ??= []).push(e.id);
  }
  w.uvarint(fresh?.length ?? 0);
  for (const id of fresh ?? []) {
    const pairs = sortedLabelPairs(labelsOf(id));
    w.uvarint(id);
    w.uvarint(pairs.length);
    for (const [name, value] of pairs) {
      w.str(name);
      w.str(value);
    }
  }
  w.uvarint(entries.length);
  for (const e of entries) {
    w.uvarint(e.id);
    w.uvarint(e.timestamps.length);
  }
  let prev = 0;
  for (const e of entries) {
    const ts = e.timestamps;
    for (let i = 0; i < ts.length; i++) {
      w.varint(ts[i] - prev);
      prev = ts[i];
    }
  }
  for (const e of entries) w.f64s(e.values, 0, e.values.length);
}

/** Receives a decoded batch: samples [from, to) of shared arrays, valid only during the call. */
export interface BatchSink {
  /** A series definition: `ref` is valid for the rest of this file. */
  define(ref: number, labels: LabelSet): void;
  samples(ref: number, timestamps: Float64Array, values: Float64Array, from: number, to: number): void;
}

/**
 * Decodes a batch payload. Unknown refs and malformed fields are CorruptionErrors at their offset,
 * so replay treats them like any other damage. The whole record is checked before any of it reaches
 * `sink`, keeping a record all-or-nothing even when its payload is malformed.
 */
export function decodeBatch(r: ByteReader, known: (ref: number) => boolean, sink: BatchSink): void {
  const nDefs = r.uvarint();
  const defs: Array<[number, LabelSet]> = [];
  const defined = new Set<number>();
  for (let i = 0; i < nDefs; i++) {
    const ref = r.uvarint();
    const nLabels = r.uvarint();
    const labels: Record<string, string> = {};
    for (let j = 0; j < nLabels; j++) {
      const name = r.str();
      labels[name] = r.str();
    }
    if (labels[METRIC_NAME_LABEL] === undefined) r.fail(`series definition ${ref} has no metric name`);
    defs.push([ref, labels]);
    defined.add(ref);
  }
  const nEntries = r.uvarint();
  if (nEntries * 2 > r.end - r.pos) r.fail(`${nEntries} entries do not fit in their record`);
  const refs = new Float64Array(nEntries);
  const counts = new Float64Array(nEntries);
  let total = 0;
  for (let i = 0; i < nEntries; i++) {
    const at = r.pos;
    const ref = r.uvarint();
    if (!defined.has(ref) && !known(ref)) {
      throw new CorruptionError(r.file, r.baseOffset + at, `samples for series ref ${ref}, which this file never defined`);
    }
    refs[i] = ref;
    counts[i] = r.uvarint();
    total += counts[i];
  }
  if (total * 9 > r.end - r.pos) r.fail(`${total} samples do not fit in their record`);
  const ts = new Float64Array(total);
  let t = 0;
  for (let k = 0; k < total; k++) {
    t += r.varint();
    ts[k] = t;
  }
  const vs = new Float64Array(total);
  r.f64s(vs, 0, total);
  if (!r.done) r.fail('bytes left over after the last value');
  for (const [ref, labels] of defs) sink.define(ref, labels);
  let from = 0;
  for (let i = 0; i < nEntries; i++) {
    sink.samples(refs[i], ts, vs, from, from + counts[i]);
    from += counts[i];
  }
}
