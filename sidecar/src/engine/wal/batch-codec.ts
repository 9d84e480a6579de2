// The payload of a WAL batch record: the series it introduces to the file, then its samples.
//
// Invariant: every WAL file is self-contained — a record defines (ref → labels) each series the
// first time that file mentions it — so any suffix of the log can be replayed after older files
// were removed. Refs are the engine's in-process series ids; they mean nothing across restarts.

import { ByteReader, ByteWriter } from '../encoding/bytes';
import { CorruptionError } from '../model/errors';
import { LabelSet, METRIC_NAME_LABEL } from '../model/types';
import { sortedLabelPairs } from '../model/labels';

/**
 * A validated write batch: entry i holds samples [from[i], to[i]) of ts[i] and vs[i] for the series
 * with engine id ids[i]. Parallel lists, whose arrays are usually one shared column, so the ingest
 * path hands samples over without an object per entry.
 */
export interface PreparedBatch {
  ids: number[];
  ts: Array<ArrayLike<number>>;
  vs: Array<ArrayLike<number>>;
  from: number[];
  to: number[];
  /** Samples in all entries. */
  count: number;
}

export function emptyBatch(): PreparedBatch {
  return { ids: [], ts: [], vs: [], from: [], to: [], count: 0 };
}

export function addEntry(b: PreparedBatch, id: number, ts: ArrayLike<number>, vs: ArrayLike<number>, from: number, to: number): void {
  b.ids.push(id);
  b.ts.push(ts);
  b.vs.push(vs);
  b.from.push(from);
  b.to.push(to);
  b.count += to - from;
}

/**
 * Tracks which series the current WAL file has defined. `reset()` starts a new generation (a new
 * file, or after a failed write whose definitions never reached the file) without touching every
 * series: a series counts as defined only if it was marked in the current generation.
 * It also keeps the encoded labels of the series the current and the previous file defined: a
 * series is defined again in every file it is written to, and encoding its labels each time was
 * most of the cost of a new file's first records with tens of thousands of series.
 */
export class FileSeriesDefinitions {
  private markedIn = new Float64Array(1024);
  private generation = 1;
  private readonly encoded: Array<Uint8Array | undefined> = [];
  private readonly scratch = new ByteWriter(1024);

  reset(): void {
    // Series the ending file did not define have gone quiet (or were removed): forget their bytes.
    for (let id = 0; id < this.encoded.length; id++) {
      if (this.encoded[id] !== undefined && !this.isDefined(id)) this.encoded[id] = undefined;
    }
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

  /** The label pairs of a definition as written after its ref: count, then name and value strings. */
  labelBytes(id: number, labelsOf: (id: number) => LabelSet): Uint8Array {
    let bytes = this.encoded[id];
    if (bytes === undefined) {
      const w = this.scratch;
      w.reset();
      const pairs = sortedLabelPairs(labelsOf(id));
      w.uvarint(pairs.length);
      for (const [name, value] of pairs) {
        w.str(name);
        w.str(value);
      }
      bytes = Uint8Array.from(w.bytes());
      while (this.encoded.length < id) this.encoded.push(undefined);
      this.encoded[id] = bytes;
    }
    return bytes;
  }
}

/**
 * Appends the payload for `batch` to `w`, defining first the series the file has not seen.
 * `labelsOf(id)` gives a series' labels. The layout is columnar (see FORMAT.md) so replay decodes a
 * record into two arrays with no allocation per entry. The entries are written straight into the
 * buffer after one size check: this runs once per sample on the ingest path.
 */
export function encodeBatch(w: ByteWriter, batch: PreparedBatch, defs: FileSeriesDefinitions, labelsOf: (id: number) => LabelSet): void {
  const { ids, ts, vs, from, to } = batch;
  const n = ids.length;
  // A batch may name a series twice: define it once.
  let fresh: number[] | undefined;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (defs.isDefined(id)) continue;
    defs.markDefined(id);
    (fresh ??= []).push(id);
  }
  w.uvarint(fresh?.length ?? 0);
  for (const id of fresh ?? []) {
    w.uvarint(id);
    w.raw(defs.labelBytes(id, labelsOf));
  }
  w.uvarint(n);
  // Worst case: 10 bytes per varint, 8 per value.
  w.ensure(n * 20 + batch.count * 18);
  const buf = w.buffer;
  let p = w.length;
  for (let i = 0; i < n; i++) {
    p = putUvarint(buf, p, ids[i]);
    p = putUvarint(buf, p, to[i] - from[i]);
  }
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    for (let k = from[i]; k < to[i]; k++) {
      const d = t[k] - prev;
      p = putUvarint(buf, p, d >= 0 ? d * 2 : -d * 2 - 1);
      prev = t[k];
    }
  }
  w.length = p;
  // Runs of entries that are neighbours in one column are copied as one.
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && vs[j] === vs[i] && from[j] === to[j - 1]) j++;
    w.f64s(vs[i], from[i], to[j - 1] - from[i]);
    i = j;
  }
}

/** Writes a LEB128 varint at buf[p] (room is checked by the caller); returns the next position. */
function putUvarint(buf: Uint8Array, p: number, v: number): number {
  if (v < 0x80) {
    buf[p] = v;
    return p + 1;
  }
  while (v >= 0x80) {
    buf[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[p] = v;
  return p + 1;
}

/** Receives a decoded batch: samples [from, to) of shared arrays, valid only during the call. */
export interface BatchSink {
  /** A series definition: `ref` is valid for the rest of this file. */
  define(ref: number, labels: LabelSet): void;
  samples(ref: number, timestamps: Float64Array, values: Float64Array, from: number, to: number): void;
}

/**
 * Columns of the record being decoded, reused from record to record (replay decodes hundreds of
 * thousands of entries; fresh arrays per record were most of its garbage). They only grow.
 */
const scratch: Record<'refs' | 'counts' | 'ts' | 'vs', Float64Array> = { refs: new Float64Array(1024), counts: new Float64Array(1024), ts: new Float64Array(4096), vs: new Float64Array(4096) };

function room(a: Float64Array, n: number): Float64Array {
  if (n <= a.length) return a;
  let size = a.length * 2;
  while (size < n) size *= 2;
  return new Float64Array(size);
}

/**
 * Decodes a batch payload. Unknown refs and malformed fields are CorruptionErrors at their offset,
 * so replay treats them like any other damage. The whole record is checked before any of it reaches
 * `sink`, keeping a record all-or-nothing even when its payload is malformed. The parts are separate
 * functions so that V8 optimises each hot loop on its own, early in a replay.
 */
export function decodeBatch(r: ByteReader, known: (ref: number) => boolean, sink: BatchSink): void {
  const defs = readDefinitions(r);
  const nEntries = readEntries(r, defs, known);
  const total = readTimestamps(r, nEntries);
  const vs = (scratch.vs = room(scratch.vs, total));
  r.f64s(vs, 0, total);
  if (!r.done) r.fail('bytes left over after the last value');
  for (const [ref, labels] of defs) sink.define(ref, labels);
  const { refs, counts, ts } = scratch;
  let from = 0;
  for (let i = 0; i < nEntries; i++) {
    sink.samples(refs[i], ts, vs, from, from + counts[i]);
    from += counts[i];
  }
}

function readDefinitions(r: ByteReader): Array<[number, LabelSet]> {
  const nDefs = r.uvarint();
  const defs: Array<[number, LabelSet]> = [];
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
  }
  return defs;
}

/** Reads the entries into scratch.refs/counts; returns how many. */
function readEntries(r: ByteReader, defs: ReadonlyArray<[number, LabelSet]>, known: (ref: number) => boolean): number {
  const nEntries = r.uvarint();
  if (nEntries * 2 > r.end - r.pos) r.fail(`${nEntries} entries do not fit in their record`);
  const defined = new Set<number>();
  for (const [ref] of defs) defined.add(ref);
  const refs = (scratch.refs = room(scratch.refs, nEntries));
  const counts = (scratch.counts = room(scratch.counts, nEntries));
  for (let i = 0; i < nEntries; i++) {
    const at = r.pos;
    const ref = r.uvarint();
    if (!known(ref) && !defined.has(ref)) {
      throw new CorruptionError(r.file, r.baseOffset + at, `samples for series ref ${ref}, which this file never defined`);
    }
    refs[i] = ref;
    counts[i] = r.uvarint();
  }
  return nEntries;
}

/** Reads the timestamps of the entries' samples into scratch.ts; returns how many. */
function readTimestamps(r: ByteReader, nEntries: number): number {
  const counts = scratch.counts;
  let total = 0;
  for (let i = 0; i < nEntries; i++) total += counts[i];
  if (total * 9 > r.end - r.pos) r.fail(`${total} samples do not fit in their record`);
  const ts = (scratch.ts = room(scratch.ts, total));
  let t = 0;
  for (let k = 0; k < total; k++) {
    t += r.varint();
    ts[k] = t;
  }
  return total;
}
