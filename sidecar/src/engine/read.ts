// Reading one series from every place it lives: segments (in seq order), then memtables (oldest
// first), newer sources winning on an equal timestamp.
//
// Sources whose data for a series do not overlap in time are simply laid end to end — the common
// case, since flushes and compaction partition by time — and then a segment block the caller can
// use whole (one that lies inside one bucket, or between two window edges) can stand for itself by
// its summary without being read. Only when sources overlap (late samples, overwrites) are they
// decoded and merged. Block reads of many series are batched, so the segment reader coalesces them
// into few large reads.

import { Memtable } from './head/memtable';
import { Part, SampleRun } from './query/parts';
import { lowerBound, mergeRuns, sliceRun, upperBound } from './query/runs';
import { LiveSegment } from './segments';
import { BlockRef } from './segment/reader';

export interface ReadSources {
  /** Ascending seq. */
  segments: readonly LiveSegment[];
  /** Oldest first. */
  memtables: readonly Memtable[];
}

/** What to read of one series. */
export interface SeriesRange {
  id: number;
  /** [start, end): `start` already raised to the series' retention watermark. */
  start: number;
  end: number;
}

/**
 * Whether the caller can take the block with samples [minT, maxT] by its summary (it lies inside one
 * bucket, or no window edge falls inside it).
 */
export type Summarizable = (minT: number, maxT: number) => boolean;

/**
 * Accepts the blocks no cut falls inside: with the first cut after minT past maxT, every window
 * whose edges are among the cuts holds all of the block or none of it.
 */
export function uncutBy(cuts: ArrayLike<number>): Summarizable {
  const sorted = Float64Array.from(cuts).sort();
  return (minT, maxT) => {
    const next = upperBound(sorted, minT);
    return next === sorted.length || sorted[next] > maxT;
  };
}

/** How many series are planned and read together: bounds the decoded samples held at once. */
const BATCH_SERIES = 256;

interface SegmentSource {
  kind: 'segment';
  seg: LiveSegment;
  local: number;
  minT: number;
  maxT: number;
}

interface MemSource {
  kind: 'mem';
  run: SampleRun;
  minT: number;
  maxT: number;
}

type Source = SegmentSource | MemSource;

interface Pending {
  range: SeriesRange;
  sources: Source[];
  /** Concatenate sources in time order (true) or decode everything and merge (false). */
  disjoint: boolean;
  /** Per segment source (by position in `sources`, sparse): block refs asked for, and summary parts. */
  blocks: Wanted[][];
}

/** A block of a segment source: read and decoded (`slot` in its segment's payloads), or taken by its summary. */
type Wanted = { ref: BlockRef; slot: number } | { summary: Part };

/**
 * Calls `each` with the parts of every series, in the order of `ranges`. With `summarizable`, blocks
 * it accepts that lie inside the range, hold no NaN and overlap no other source are passed as
 * summaries; without, every part is a sample run.
 */
export async function readParts(
  sources: ReadSources,
  ranges: readonly SeriesRange[],
  summarizable: Summarizable | undefined,
  each: (range: SeriesRange, parts: Part[]) => void,
): Promise<void> {
  const scratch = new Scratch();
  for (let from = 0; from < ranges.length; from += BATCH_SERIES) {
    const batch = ranges.slice(from, from + BATCH_SERIES).map((r) => plan(sources, r, summarizable));
    const payloads = await fetchBlocks(batch);
    for (const p of batch) each(p.range, assemble(p, payloads, scratch));
  }
}

/**
 * Decoded blocks of the series being assembled, reused from series to series: allocating two typed
 * arrays per block cost more than decoding them. Parts handed to `each` are valid only during the call.
 */
class Scratch {
  timestamps = new Float64Array(4096);
  values = new Float64Array(4096);

  ensure(n: number): void {
    if (n <= this.timestamps.length) return;
    let size = this.timestamps.length;
    while (size < n) size *= 2;
    this.timestamps = new Float64Array(size);
    this.values = new Float64Array(size);
  }
}

// Every series of a query passes here: what is allocated per series and block adds up (the first
// query after start-up pays for it in garbage collection and page faults).
function plan(sources: ReadSources, range: SeriesRange, summarizable: Summarizable | undefined): Pending {
  const found: Source[] = [];
  const { id, start, end } = range;
  for (const seg of sources.segments) {
    const local = seg.localOf(id);
    if (local < 0) continue;
    const meta = seg.reader.series[local];
    if (meta.maxT < start || meta.minT >= end) continue;
    found.push({ kind: 'segment', seg, local, minT: meta.minT, maxT: meta.maxT });
  }
  for (const table of sources.memtables) {
    const data = table.run(id);
    if (!data) continue;
    const run = sliceRun(data, start, end);
    if (run.to === run.from) continue;
    found.push({ kind: 'mem', run, minT: run.timestamps[run.from], maxT: run.timestamps[run.to - 1] });
  }
  // Precedence order is nearly always time order too (flushes and compaction cut by time).
  const byTime = inTimeOrder(found) ? found : [...found].sort((a, b) => a.minT - b.minT);
  let disjoint = true;
  for (let i = 1; i < byTime.length; i++) if (byTime[i].minT <= byTime[i - 1].maxT) disjoint = false;
  const pending: Pending = { range, sources: disjoint ? byTime : found, disjoint, blocks: [] };
  for (let position = 0; position < pending.sources.length; position++) {
    const src = pending.sources[position];
    if (src.kind !== 'segment') continue;
    const series = src.seg.reader.series[src.local];
    const wanted: Wanted[] = [];
    for (let block = 0; block < series.blockCount; block++) {
      const b = series.block(block);
      if (b.maxT < start || b.minT >= end) continue;
      const inside = b.minT >= start && b.maxT < end;
      if (disjoint && summarizable && inside && b.nanCount === 0 && summarizable(b.minT, b.maxT)) wanted.push({ summary: b });
      else wanted.push({ ref: { series: src.local, block }, slot: 0 });
    }
    pending.blocks[position] = wanted;
  }
  return pending;
}

function inTimeOrder(sources: readonly Source[]): boolean {
  for (let i = 1; i < sources.length; i++) if (sources[i].minT < sources[i - 1].minT) return false;
  return true;
}

/** Reads every block the batch needs, one coalesced request per segment. */
async function fetchBlocks(batch: readonly Pending[]): Promise<Map<LiveSegment, Uint8Array[]>> {
  const refsBySegment = new Map<LiveSegment, BlockRef[]>();
  for (const p of batch) {
    p.blocks.forEach((wanted, position) => {
      const seg = (p.sources[position] as SegmentSource).seg;
      for (const w of wanted) {
        if ('summary' in w) continue;
        let refs = refsBySegment.get(seg);
        if (!refs) refsBySegment.set(seg, (refs = []));
        w.slot = refs.length;
        refs.push(w.ref);
      }
    });
  }
  const out = new Map<LiveSegment, Uint8Array[]>();
  for (const [seg, refs] of refsBySegment) out.set(seg, await seg.reader.readBlocks(refs));
  return out;
}

function assemble(p: Pending, payloads: Map<LiveSegment, Uint8Array[]>, scratch: Scratch): Part[] {
  const { start, end } = p.range;
  let needed = 0;
  p.blocks.forEach((wanted, position) => {
    const src = p.sources[position] as SegmentSource;
    for (const w of wanted) if (!('summary' in w)) needed += src.seg.reader.blockMeta(w.ref).count;
  });
  scratch.ensure(needed);
  const ts = scratch.timestamps;
  const vs = scratch.values;
  let at = 0;
  const parts: Part[] = [];
  p.sources.forEach((src, position) => {
    if (src.kind === 'mem') {
      parts.push(src.run);
      return;
    }
    const got = payloads.get(src.seg);
    for (const w of p.blocks[position] ?? []) {
      if ('summary' in w) {
        parts.push(w.summary);
        continue;
      }
      const n = src.seg.reader.decodeBlock(w.ref, got![w.slot], ts, vs, at);
      const run = sliceRun({ timestamps: ts, values: vs, from: at, to: at + n }, start, end);
      if (run.to > run.from) parts.push(run);
      at += n;
    }
  });
  if (p.disjoint) return parts;
  // Overlapping sources: `sources` are in precedence order, so merging lets the newest win.
  const merged = mergeRuns(parts as SampleRun[], start, end);
  return merged.timestamps.length ? [{ timestamps: merged.timestamps, values: merged.values, from: 0, to: merged.timestamps.length }] : [];
}

/**
 * The latest non-NaN sample of a series with start <= t < end, across all sources. The newest source
 * holding the latest timestamp decides its value; if that value is NaN the search goes on below it.
 */
export async function latestOf(sources: ReadSources, id: number, start: number, end: number): Promise<{ t: number; v: number } | undefined> {
  let limit = end;
  for (;;) {
    let bestT = -Infinity;
    let bestV = NaN;
    // Precedence order: a later source with the same timestamp replaces the earlier one.
    for (const seg of sources.segments) {
      const local = seg.localOf(id);
      if (local < 0) continue;
      const meta = seg.reader.series[local];
      if (meta.minT >= limit || meta.maxT < start) continue;
      let block = meta.blockCount - 1;
      while (block > 0 && meta.block(block).minT >= limit) block--;
      const b = meta.block(block);
      const ref = { series: local, block };
      const [payload] = await seg.reader.readBlocks([ref]);
      const ts = new Float64Array(b.count);
      const vs = new Float64Array(b.count);
      seg.reader.decodeBlock(ref, payload, ts, vs);
      const i = lowerBound(ts, limit) - 1;
      if (i >= 0 && ts[i] >= bestT) {
        bestT = ts[i];
        bestV = vs[i];
      }
    }
    for (const table of sources.memtables) {
      const data = table.read(id);
      if (!data) continue;
      const i = lowerBound(data.timestamps, limit) - 1;
      if (i >= 0 && data.timestamps[i] >= bestT) {
        bestT = data.timestamps[i];
        bestV = data.values[i];
      }
    }
    if (bestT === -Infinity || bestT < start) return undefined;
    if (bestV === bestV) return { t: bestT, v: bestV };
    limit = bestT;
  }
}
