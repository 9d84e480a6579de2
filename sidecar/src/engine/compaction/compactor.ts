// Compaction: merges flushed (level 0) segments into one segment per time partition (level 1).
//
// Invariants:
// - A merge takes every segment of the partitions it writes, so no segment left out overlaps an
//   output in time — except the merge of flushed segments alone under sustained ingest, whose
//   outputs overlap only older level-1 segments (every flushed segment has a higher seq than every
//   merged one). Either way outputs can take new, higher seqs without changing which value wins
//   anywhere. Within the merge, the input with the higher seq wins on an equal (series, timestamp) —
//   the later write — and late samples land in the partition of their time.
// - Samples below their metric's retention watermark are dropped here: partly expired data is
//   reclaimed when its partition is rewritten.
// - Crash safety comes from the order of durable steps, kept by the engine: outputs are complete
//   files (temp → fsync → rename) before the manifest that lists them is installed, and inputs are
//   deleted only after that and once no query reads them. A crash before the manifest leaves the
//   outputs as strays, which start-up removes; after it, the inputs, likewise.
// - It never starts without free disk space for its output (estimated as the inputs' size plus a
//   margin), and it yields to the event loop every few milliseconds so ingest and queries go on.

import { FileIO } from '../fs/io';
import { ManifestSegment } from '../manifest/manifest';
import { compareLabelSets } from '../model/labels';
import { EngineLogger, EngineObserver, LabelSet, METRIC_NAME_LABEL, SeriesSamples } from '../model/types';
import { mergeRuns } from '../query/runs';
import { Retention } from '../retention/retention';
import { writeSegment } from '../segment/writer';
import { LiveSegment, segmentName, SegmentStore } from '../segments';

/** Merge on the timer when at least this many level-0 segments wait. */
const MIN_LEVEL0 = 2;
/**
 * Merge right after a flush once this many level-0 segments wait: under sustained ingest it bounds
 * the segments a query or a restart must open, at the price of rewriting the newest partition.
 */
const MAX_LEVEL0 = 4;
/** A level-1 segment is rewritten alone once this share of its samples has expired. */
const REWRITE_EXPIRED_SHARE = 0.1;
/** Yield to the event loop after this much uninterrupted work. */
const SLICE_MS = 8;
/** Series read ahead per input (one coalesced read each). */
const READ_AHEAD_SERIES = 256;

export interface CompactionPlan {
  inputs: LiveSegment[];
  /** Start times of the partitions to write, ascending. */
  partitions: number[];
}

export interface CompactionStats {
  runs: number;
  running: boolean;
  bytesWritten: number;
  lastDurationMs: number;
  /** Runs skipped because the disk lacked room for the output. */
  skippedForSpace: number;
}

export interface CompactorOptions {
  io: FileIO;
  store: SegmentStore;
  partitionMs: number;
  retention: Retention;
  logger?: EngineLogger;
  observer?: EngineObserver;
  /** The engine's clock (retention watermarks). */
  now: () => number;
}

export class Compactor {
  private readonly counters: CompactionStats = { runs: 0, running: false, bytesWritten: 0, lastDurationMs: 0, skippedForSpace: 0 };

  constructor(private readonly opts: CompactorOptions) {}

  stats(): CompactionStats {
    return { ...this.counters };
  }

  partitionOf(t: number): number {
    return Math.floor(t / this.opts.partitionMs) * this.opts.partitionMs;
  }

  /**
   * What to merge now, or undefined when nothing is worth it: several level-0 segments, or a lone one
   * that has waited `quietMs` (ingest went quiet), or a level-1 segment that is largely expired.
   */
  plan(segments: readonly LiveSegment[], quietMs: number): CompactionPlan | undefined {
    const nowMs = this.opts.now();
    const level0 = segments.filter((s) => s.entry.level === 0);
    return this.planMerge(segments, level0, quietMs) ?? this.planRewrite(segments, nowMs);
  }

  /**
   * After a flush under sustained ingest: once MAX_LEVEL0 flushed segments wait, merge just those
   * (not the partitions they touch, which a quiet moment merges later), so the work done while
   * ingest goes on stays proportional to what was flushed.
   */
  planOverflow(segments: readonly LiveSegment[]): CompactionPlan | undefined {
    const level0 = segments.filter((s) => s.entry.level === 0);
    if (level0.length < MAX_LEVEL0) return undefined;
    const partitions = new Set<number>();
    for (const s of level0) for (const p of this.partitionsOf(s.entry)) partitions.add(p);
    return { inputs: level0, partitions: [...partitions].sort((a, b) => a - b) };
  }

  /**
   * Several level-0 segments (or a lone one that has waited quietMs), merged with the partitions
   * they touch; or a partition split over several level-1 segments, merged into one.
   */
  private planMerge(segments: readonly LiveSegment[], level0: readonly LiveSegment[], quietMs: number): CompactionPlan | undefined {
    const partitions = new Set<number>();
    if (level0.length >= MIN_LEVEL0 || (level0.length === 1 && Date.now() - level0[0].openedAtMs >= quietMs)) {
      for (const s of level0) for (const p of this.partitionsOf(s.entry)) partitions.add(p);
    }
    const perPartition = new Map<number, number>();
    for (const s of segments) {
      if (s.entry.level === 0) continue;
      for (const p of this.partitionsOf(s.entry)) perPartition.set(p, (perPartition.get(p) ?? 0) + 1);
    }
    for (const [p, n] of perPartition) if (n > 1) partitions.add(p);
    if (partitions.size === 0) return undefined;
    return this.closed(segments, partitions);
  }

  /**
   * Every segment touching one of `partitions`, and the partitions those touch, until nothing more
   * is added: then no segment left out overlaps an output in time.
   */
  private closed(segments: readonly LiveSegment[], partitions: Set<number>): CompactionPlan {
    let inputs: LiveSegment[] = [];
    for (;;) {
      inputs = segments.filter((s) => this.partitionsOf(s.entry).some((p) => partitions.has(p)));
      const before = partitions.size;
      for (const s of inputs) for (const p of this.partitionsOf(s.entry)) partitions.add(p);
      if (partitions.size === before) return { inputs, partitions: [...partitions].sort((a, b) => a - b) };
    }
  }

  /** A level-1 segment that is largely expired, rewritten alone. */
  private planRewrite(segments: readonly LiveSegment[], nowMs: number): CompactionPlan | undefined {
    for (const s of segments) {
      if (s.entry.level === 0) continue;
      if (this.expiredShare(s, nowMs) >= REWRITE_EXPIRED_SHARE) return { inputs: [s], partitions: this.partitionsOf(s.entry) };
    }
    return undefined;
  }

  /**
   * Writes the plan's outputs (not yet live: the engine installs them with the manifest). Returns
   * undefined when the disk lacks room.
   */
  async run(plan: CompactionPlan, firstSeq: number, seriesId: (labels: LabelSet) => number): Promise<{ outputs: LiveSegment[] } | undefined> {
    const { io, store, logger } = this.opts;
    const inputBytes = plan.inputs.reduce((n, s) => n + s.entry.sizeBytes, 0);
    const needBytes = Math.ceil(inputBytes * 1.1) + (1 << 20);
    await io.mkdir(store.dir);
    const free = await io.freeBytes(store.dir);
    if (free < needBytes) {
      this.counters.skippedForSpace++;
      logger?.warn({ freeBytes: free, needBytes, inputs: plan.inputs.length }, 'compaction skipped: not enough free disk space for its output');
      return undefined;
    }
    const t0 = performance.now();
    this.counters.running = true;
    const outputs: LiveSegment[] = [];
    try {
      let seq = firstSeq;
      for (const partition of plan.partitions) {
        const name = segmentName(seq, 1);
        const info = await writeSegment(io, store.dir, name, this.merged(plan.inputs, partition, partition + this.opts.partitionMs), {}).catch((e) => {
          if ((e as { code?: string }).code === 'INVALID_SAMPLE' && /no samples/.test((e as Error).message)) return undefined;
          throw e;
        });
        if (!info) continue;
        const entry: ManifestSegment = { name, seq, level: 1, minT: info.minT, maxT: info.maxT, samples: info.samples, sizeBytes: info.sizeBytes };
        outputs.push(await store.open(entry, seriesId));
        seq++;
        this.counters.bytesWritten += info.sizeBytes;
      }
    } catch (e) {
      await this.discard(outputs);
      throw e;
    } finally {
      this.counters.running = false;
    }
    const ms = performance.now() - t0;
    this.counters.runs++;
    this.counters.lastDurationMs = ms;
    const outputBytes = outputs.reduce((n, s) => n + s.entry.sizeBytes, 0);
    this.opts.observer?.onCompaction?.(inputBytes, outputBytes, ms);
    logger?.info({ inputs: plan.inputs.length, outputs: outputs.length, inputBytes, outputBytes, ms }, 'compacted segments');
    return { outputs };
  }

  /** Closes and deletes outputs the manifest never listed. */
  async discard(outputs: readonly LiveSegment[]): Promise<void> {
    for (const s of outputs) {
      await s.reader.close().catch(() => undefined);
      await this.opts.store.remove(s.entry.name).catch(() => undefined);
    }
  }

  /** Every series of the inputs within [start, end), in label order, merged by precedence. */
  private async *merged(inputs: readonly LiveSegment[], start: number, end: number): AsyncGenerator<SeriesSamples> {
    const bySeq = [...inputs].sort((a, b) => a.entry.seq - b.entry.seq);
    const cursors = bySeq.map((seg) => new Cursor(seg, start, end));
    const nowMs = this.opts.now();
    let sliceStart = performance.now();
    for (;;) {
      let next: LabelSet | undefined;
      for (const c of cursors) {
        const l = c.peekLabels();
        if (l && (!next || compareLabelSets(l, next) < 0)) next = l;
      }
      if (!next) return;
      const runs = [];
      for (const c of cursors) {
        const l = c.peekLabels();
        if (l && compareLabelSets(l, next) === 0) {
          const s = await c.take();
          runs.push({ timestamps: s.timestamps, values: s.values, from: 0, to: s.timestamps.length });
        }
      }
      const wm = this.opts.retention.watermark(next[METRIC_NAME_LABEL], nowMs);
      const merged = mergeRuns(runs, Math.max(start, wm), end);
      if (merged.timestamps.length > 0) yield { labels: next, timestamps: merged.timestamps, values: merged.values };
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
  }

  private partitionsOf(entry: ManifestSegment): number[] {
    const out: number[] = [];
    for (let p = this.partitionOf(entry.minT); p <= entry.maxT; p += this.opts.partitionMs) out.push(p);
    return out;
  }

  private expiredShare(s: LiveSegment, nowMs: number): number {
    if (!this.opts.retention.limitsAge || s.entry.samples === 0) return 0;
    let expired = 0;
    for (const series of s.reader.series) {
      const wm = this.opts.retention.watermark(series.labels[METRIC_NAME_LABEL], nowMs);
      if (series.minT >= wm) continue;
      for (let k = 0; k < series.blockCount; k++) {
        const b = series.block(k);
        if (b.maxT < wm) expired += b.count;
        // A block the watermark cuts through: its expired part estimated by time.
        else if (b.minT < wm) expired += (b.count * (wm - b.minT)) / (b.maxT - b.minT + 1);
      }
    }
    return expired / s.entry.samples;
  }
}

/** Walks one input's series in label order, reading ahead in coalesced batches. */
class Cursor {
  private next = 0;
  private buffered: SeriesSamples[] = [];
  private bufferedFrom = 0;

  constructor(
    private readonly seg: LiveSegment,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.skipOutside();
  }

  peekLabels(): LabelSet | undefined {
    return this.next < this.seg.reader.series.length ? this.seg.reader.series[this.next].labels : undefined;
  }

  async take(): Promise<SeriesSamples> {
    if (this.next < this.bufferedFrom || this.next >= this.bufferedFrom + this.buffered.length) await this.readAhead();
    const s = this.buffered[this.next - this.bufferedFrom];
    this.next++;
    this.skipOutside();
    return s;
  }

  private async readAhead(): Promise<void> {
    const series = this.seg.reader.series;
    const requests = [];
    for (let i = this.next; i < series.length && requests.length < READ_AHEAD_SERIES; i++) requests.push({ series: i, start: this.start, end: this.end });
    this.buffered = await this.seg.reader.readSeries(requests, { cache: false });
    this.bufferedFrom = this.next;
  }

  /** Skips series without data in the partition, so they are never read. */
  private skipOutside(): void {
    const series = this.seg.reader.series;
    while (this.next < series.length && (series[this.next].maxT < this.start || series[this.next].minT >= this.end)) this.next++;
  }
}
