// The engine: wires the WAL, the head, snapshots, segments, compaction, retention and the index into
// one StorageEngine.
//
// Invariants:
// - A write is acknowledged only when its WAL record is durable per the durability mode; only then is
//   it applied to the head (WalWriter's apply), so readers never see what the log does not hold.
// - Precedence on an equal (series, timestamp): later WAL records over earlier ones, the head over
//   segments, a segment with a higher seq over a lower one. Every path (live writes, replay, flush,
//   compaction) keeps that order, so a second write of a timestamp wins everywhere and after restart.
// - Background work (flush, snapshot, compaction, retention) runs one task at a time in `chain`; a
//   failed task is logged and retried on the next tick, never lost.
// - Files leave the disk only after the state that no longer needs them is durable: WAL files after
//   the manifest or snapshot covering them; segments after the manifest that drops them, and only
//   once no query holds them.

import { join } from 'node:path';
import { ioFailure } from './fs/errors';
import { FileIO } from './fs/io';
import { filesBytes } from './fs/usage';
import { NodeFileIO } from './fs/node-io';
import { Head } from './head/head';
import { Memtable } from './head/memtable';
import { LabelIndex } from './index/label-index';
import { acquireLock } from './lock';
import { Manifest, ManifestSegment, writeManifest } from './manifest/manifest';
import { CardinalityLimitError, EngineClosedError, EngineError, InvalidQueryError, InvalidSeriesError } from './model/errors';
import { normalizeLabels } from './model/labels';
import { Durability, EngineOptions, validateOptions } from './model/options';
import {
  AggregateRequest,
  BucketSeries,
  ColumnarBatch,
  EngineLogger,
  EngineStats,
  LabelSet,
  LatestRequest,
  LatestSample,
  MetadataRequest,
  METRIC_NAME_LABEL,
  RejectReason,
  SampleSummary,
  SelectRequest,
  SeriesSamples,
  StorageEngine,
  SummarizedSelectRequest,
  SummarizedSeries,
  WriteBatch,
  WriteResult,
} from './model/types';
import { columnsProblem, rangeProblem, sampleProblem } from './model/validate';
import { AggregateEvaluator } from './query/aggregate';
import { Bucketing } from './query/bucketing';
import { assertPointsWithin, assertSeriesWithin } from './query/limits';
import { latestOf, readParts, ReadSources, SeriesRange, uncutBy } from './read';
import { mergeRuns } from './query/runs';
import { isSampleRun, SampleRun } from './query/parts';
import { recoverHead } from './recovery';
import { loadManifest, removeTempFiles } from './startup';
import { SeriesRegistry } from './registry';
import { Retention } from './retention/retention';
import { BlockCache, DEFAULT_BLOCK_CACHE_BYTES } from './segment/cache';
import { LabelCache } from './segment/segment-index';
import { writeSegment } from './segment/writer';
import { LiveSegment, segmentName, SegmentStore, SegmentView } from './segments';
import { listSnapshots, snapshotPath, writeSnapshot } from './snapshot/snapshot';
import { addEntry, emptyBatch, PreparedBatch } from './wal/batch-codec';
import { WalWriter } from './wal/writer';
import { CompactionPlan, Compactor } from './compaction/compactor';

const DEFAULTS = {
  walSegmentBytes: 16 * 1024 * 1024,
  snapshotIntervalMs: 5 * 60_000,
  headMaxSamples: 1_000_000,
  compactionIntervalMs: 60_000,
  idleFlushMs: 30_000,
  partitionMs: 86_400_000,
  maxSeries: 1_000_000,
};
const MAX_REJECTIONS = 100;
const SNAPSHOTS_KEPT = 2;

export class Engine implements StorageEngine {
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private flushScheduled = false;
  /** Wall-clock time of the last write, and whether the idle work has run since. */
  private lastWriteAtMs = Date.now();
  private idleDone = false;
  /** WAL records written when the last snapshot was taken: no new records, no new snapshot. */
  private recordsAtSnapshot = -1;
  private readonly counters = {
    accepted: 0,
    rejected: {} as Partial<Record<RejectReason, number>>,
    flushes: 0,
  };

  private constructor(
    private readonly io: FileIO,
    private readonly opts: Required<Pick<EngineOptions, 'dataDir' | 'walSegmentBytes' | 'snapshotIntervalMs' | 'headMaxSamples' | 'compactionIntervalMs' | 'idleFlushMs' | 'partitionMs' | 'maxSeries'>>,
    private readonly logger: EngineLogger | undefined,
    private readonly registry: SeriesRegistry,
    private readonly index: LabelIndex,
    private readonly retention: Retention,
    private readonly store: SegmentStore,
    private manifest: Manifest,
    private head: Head,
    private wal: WalWriter,
    private snapshots: number[],
    private readonly compactor: Compactor,
    private readonly unlock: () => Promise<void>,
    private readonly options: EngineOptions,
  ) {}

  /**
   * Opens (or creates) the data directory and recovers: segments from the manifest, the newest intact
   * snapshot, then the WAL after it. Resolves once every acknowledged sample is queryable.
   * @example const engine = await Engine.open({ dataDir: './data', durability: { mode: 'fsync' } });
   */
  static async open(options: EngineOptions): Promise<Engine> {
    const io = options.io ?? new NodeFileIO();
    const logger = options.logger;
    const t0 = performance.now();
    const opts = {
      dataDir: options.dataDir,
      walSegmentBytes: options.walSegmentBytes ?? DEFAULTS.walSegmentBytes,
      snapshotIntervalMs: options.snapshotIntervalMs ?? DEFAULTS.snapshotIntervalMs,
      headMaxSamples: options.headMaxSamples ?? DEFAULTS.headMaxSamples,
      compactionIntervalMs: options.compactionIntervalMs ?? DEFAULTS.compactionIntervalMs,
      idleFlushMs: options.idleFlushMs ?? DEFAULTS.idleFlushMs,
      partitionMs: options.partitionMs ?? DEFAULTS.partitionMs,
      maxSeries: options.maxSeries ?? DEFAULTS.maxSeries,
    };
    validateOptions(options);
    const durability: Durability = options.durability ?? { mode: 'fsync' };
    const now = options.now ?? Date.now;
    const retention = new Retention(options.retention ?? {}, now);
    try {
      await io.mkdir(opts.dataDir);
    } catch (e) {
      throw ioFailure(e, opts.dataDir, 'mkdir');
    }
    const unlock = await acquireLock(io, opts.dataDir);
    const registry = new SeriesRegistry();
    const index = new LabelIndex(retention.limitsAge ? (metric) => retention.watermark(metric) : undefined);
    const noteSamples = (id: number, ts: Float64Array, vs: Float64Array, from: number, to: number) => {
      if (to === from) return;
      if (!index.has(id)) index.add(id, registry.labels(id));
      index.cover(id, ts, from, to);
      registry.noteSamples(id, ts, vs, from, to);
    };
    // Labels read back from the WAL or a snapshot are validated again (an older version may have
    // allowed more); segment labels were validated when their data was first written.
    const seriesId = (labels: LabelSet) => registry.getOrCreate(normalizeLabels(labels));
    const segmentSeriesId = (labels: LabelSet) => registry.getOrCreate(labels);
    const dirs = { dataDir: opts.dataDir, walDir: join(opts.dataDir, 'wal'), snapshotDir: join(opts.dataDir, 'snapshots'), segmentDir: join(opts.dataDir, 'segments') };
    const store = new SegmentStore(io, dirs.segmentDir, new BlockCache(options.blockCacheBytes ?? DEFAULT_BLOCK_CACHE_BYTES), logger);
    try {
      await removeTempFiles(io, dirs, logger);
      const manifest = await loadManifest(io, dirs, options.repair ?? false, logger);
      await Engine.openSegments(store, manifest, segmentSeriesId, registry, index, logger);
      const recovered = await recoverHead({
        io,
        walDir: dirs.walDir,
        snapshotDir: dirs.snapshotDir,
        flushedTo: manifest.walFlushedTo,
        headMaxSamples: opts.headMaxSamples,
        repair: options.repair ?? false,
        logger,
        seriesId,
        noteSamples,
        seriesCount: () => registry.size,
      });
      // The WAL calls back into the engine it is built for; the engine needs the WAL to exist first.
      const applyTo: { engine?: Engine } = {};
      const wal = await WalWriter.open({
        dir: dirs.walDir,
        io,
        durability,
        segmentBytes: opts.walSegmentBytes,
        labelsOf: (id) => registry.labels(id),
        apply: (entries) => applyTo.engine!.apply(entries),
        observer: options.observer,
        logger,
        minIndex: recovered.replayFrom,
      });
      const compactor = new Compactor({ io, store, partitionMs: opts.partitionMs, logger, observer: options.observer, retention, now });
      const engine = new Engine(io, opts, logger, registry, index, retention, store, manifest, recovered.head, wal, recovered.snapshots, compactor, unlock, options);
      applyTo.engine = engine;
      // A head rebuilt from the WAL is worth a snapshot on close even if nothing new arrives.
      engine.recordsAtSnapshot = recovered.wal.records > 0 ? -1 : 0;
      await engine.removeObsoleteWal();
      logger?.info(
        { seconds: (performance.now() - t0) / 1000, series: registry.size, headSamples: recovered.head.samples, segments: store.segments.length },
        'engine ready',
      );
      engine.startTimers();
      if (recovered.head.frozen.length > 0 || recovered.head.active.samples >= opts.headMaxSamples) engine.scheduleFlush();
      return engine;
    } catch (e) {
      await store.closeAll().catch(() => undefined);
      await unlock();
      throw e;
    }
  }

  private static async openSegments(
    store: SegmentStore,
    manifest: Manifest,
    seriesId: (labels: LabelSet) => number,
    registry: SeriesRegistry,
    index: LabelIndex,
    logger: EngineLogger | undefined,
  ): Promise<void> {
    const opened: LiveSegment[] = [];
    // Most series are in many segments: each is decoded and registered once (by label object).
    const labels = new LabelCache();
    const ids = new Map<LabelSet, number>();
    const lastT = new Float64Array(1);
    const lastV = new Float64Array(1);
    const idOf = (l: LabelSet) => {
      let id = ids.get(l);
      if (id === undefined) ids.set(l, (id = seriesId(l)));
      return id;
    };
    try {
      for (const entry of [...manifest.segments].sort((a, b) => a.seq - b.seq)) {
        const seg = await store.open(entry, idOf, labels);
        opened.push(seg);
        for (let local = 0; local < seg.ids.length; local++) {
          const meta = seg.reader.series[local];
          const id = seg.ids[local];
          if (!index.has(id)) index.add(id, registry.labels(id));
          index.extend(id, meta.minT, meta.maxT);
          const last = meta.block(meta.blockCount - 1);
          lastT[0] = last.maxT;
          lastV[0] = last.last;
          registry.noteSamples(id, lastT, lastV);
          // A NaN last value hides where the latest real value is: leave it to a query to find.
          if (last.last !== last.last) registry.latestT[id] = NaN;
        }
      }
    } catch (e) {
      for (const s of opened) await s.reader.close().catch(() => undefined);
      throw e;
    }
    await store.swap(opened, []);
    const listed = new Set(manifest.segments.map((s) => s.name));
    for (const stray of await store.strays(listed)) {
      logger?.warn({ file: store.path(stray) }, 'removed a segment file the manifest does not list (unfinished flush or compaction)');
      await store.remove(stray);
    }
  }

  // ---- writes ---------------------------------------------------------------------------------

  async write(batch: WriteBatch): Promise<WriteResult> {
    this.assertOpen();
    if (!Array.isArray(batch)) throw new InvalidQueryError('a write batch must be a list of series');
    const result = newResult(batch.length);
    const prepared = emptyBatch();
    const nowMs = this.beginWrite();
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i];
      const count = typeof entry?.timestamps?.length === 'number' ? entry.timestamps.length : 0;
      const problem = entry ? sampleProblem(entry) : 'the entry is empty';
      if (problem) this.reject(result, i, 'invalid_sample', count, problem);
      else this.accept(result, prepared, i, entry.labels, entry.ref, entry.timestamps, entry.values, 0, count, nowMs);
    }
    return this.commitWrite(result, prepared);
  }

  async writeColumns(batch: ColumnarBatch): Promise<WriteResult> {
    this.assertOpen();
    const malformed = columnsProblem(batch);
    if (malformed) throw new InvalidQueryError(`a columnar batch is malformed: ${malformed}`);
    const { series, offsets, timestamps, values } = batch;
    const result = newResult(series.length);
    const prepared = emptyBatch();
    const nowMs = this.beginWrite();
    for (let i = 0; i < series.length; i++) {
      const from = offsets[i];
      const to = offsets[i + 1];
      const problem = rangeProblem(timestamps, values, from, to);
      if (problem) this.reject(result, i, 'invalid_sample', to - from, problem);
      else this.accept(result, prepared, i, series[i].labels, series[i].ref, timestamps, values, from, to, nowMs);
    }
    return this.commitWrite(result, prepared);
  }

  /** Refuses writes after an fsync failure; notes the time for the idle flush; returns the clock. */
  private beginWrite(): number {
    if (this.wal.failed) throw this.wal.failed;
    this.lastWriteAtMs = Date.now();
    this.idleDone = false;
    return (this.options.now ?? Date.now)();
  }

  /** Resolves the series of entry `i` and adds its samples [from, to), or records why not. */
  private accept(
    result: WriteResult,
    prepared: PreparedBatch,
    i: number,
    labels: LabelSet,
    ref: number | undefined,
    ts: ArrayLike<number>,
    vs: ArrayLike<number>,
    from: number,
    to: number,
    nowMs: number,
  ): void {
    let id: number;
    try {
      id = this.resolveSeries(labels, ref);
    } catch (e) {
      if (e instanceof InvalidSeriesError) return this.reject(result, i, 'invalid_series', to - from, e.message);
      if (e instanceof CardinalityLimitError) return this.reject(result, i, 'cardinality_limit', to - from, e.message);
      throw e;
    }
    result.refs[i] = id;
    if (to === from) return;
    if (this.retention.limitsAge) {
      const kept = this.withinRetention(id, ts, vs, from, to, nowMs);
      if (kept.dropped > 0) {
        this.reject(result, i, 'out_of_retention', kept.dropped, `${kept.dropped} samples are older than the retention of ${this.registry.labels(id)[METRIC_NAME_LABEL]}`);
      }
      if (kept.timestamps.length > 0) addEntry(prepared, id, kept.timestamps, kept.values, 0, kept.timestamps.length);
    } else {
      addEntry(prepared, id, ts, vs, from, to);
    }
  }

  private async commitWrite(result: WriteResult, prepared: PreparedBatch): Promise<WriteResult> {
    result.accepted = prepared.count;
    if (prepared.count > 0) await this.wal.append(prepared);
    this.counters.accepted += result.accepted;
    if (this.head.active.samples >= this.opts.headMaxSamples) this.scheduleFlush();
    return result;
  }

  /** Applies a durable batch to the head (called by the WAL writer in log order). */
  private apply(batch: PreparedBatch): void {
    const table = this.head.active;
    const { index, registry } = this;
    const { ids, ts, vs, from, to } = batch;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const t = ts[i];
      const f = from[i];
      const e = to[i];
      table.append(id, t, vs[i], f, e);
      if (!index.has(id)) index.add(id, registry.labels(id));
      index.cover(id, t, f, e);
      registry.noteSamples(id, t, vs[i], f, e);
    }
  }

  private resolveSeries(labels: LabelSet, ref: number | undefined): number {
    if (ref !== undefined && this.registry.has(ref)) return ref;
    const normalized = normalizeLabels(labels);
    const known = this.registry.lookup(normalized);
    if (known !== undefined) return known;
    if (this.registry.size >= this.opts.maxSeries) {
      throw new CardinalityLimitError(this.opts.maxSeries);
    }
    return this.registry.getOrCreate(normalized);
  }

  private withinRetention(
    id: number,
    ts: ArrayLike<number>,
    vs: ArrayLike<number>,
    from: number,
    to: number,
    nowMs: number,
  ): { timestamps: ArrayLike<number>; values: ArrayLike<number>; dropped: number } {
    const wm = this.retention.watermark(this.registry.labels(id)[METRIC_NAME_LABEL], nowMs);
    const keptT: number[] = [];
    const keptV: number[] = [];
    for (let i = from; i < to; i++) {
      if (ts[i] >= wm) {
        keptT.push(ts[i]);
        keptV.push(vs[i]);
      }
    }
    return { timestamps: keptT, values: keptV, dropped: to - from - keptT.length };
  }

  private reject(result: WriteResult, entry: number, reason: RejectReason, samples: number, message: string): void {
    result.rejected += samples;
    result.byReason[reason] = (result.byReason[reason] ?? 0) + samples;
    this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + samples;
    if (result.rejections.length < MAX_REJECTIONS) result.rejections.push({ entry, reason, samples, message });
  }

  // ---- reads ----------------------------------------------------------------------------------

  async select(req: SelectRequest): Promise<SeriesSamples[]> {
    this.assertOpen();
    checkRange(req.start, req.end);
    const ranges = this.selectRanges(req.matchers, req.start, req.end, req.maxSeries);
    const out: SeriesSamples[] = [];
    let points = 0;
    await this.withSources((sources) =>
      readParts(sources, ranges, undefined, (range, parts) => {
        if (parts.length === 0) return;
        // Copied out of the reader's scratch arrays: the answer outlives the read.
        const { timestamps, values } = mergeRuns(parts as SampleRun[]);
        points += timestamps.length;
        assertPointsWithin(points, req.maxPoints);
        out.push({ labels: this.registry.labels(range.id), timestamps, values });
      }),
    );
    return out;
  }

  async selectSummarized(req: SummarizedSelectRequest): Promise<SummarizedSeries[]> {
    this.assertOpen();
    checkRange(req.start, req.end);
    const ranges = this.selectRanges(req.matchers, req.start, req.end, req.maxSeries);
    const out: SummarizedSeries[] = [];
    let points = 0;
    await this.withSources((sources) =>
      readParts(sources, ranges, uncutBy(req.cuts), (range, parts) => {
        if (parts.length === 0) return;
        const summaries: SampleSummary[] = [];
        const runs: SampleRun[] = [];
        for (const part of parts) {
          if (isSampleRun(part)) {
            runs.push(part);
            continue;
          }
          const { minT, maxT, count, min, max, sum, last } = part;
          summaries.push({ minT, maxT, count, min, max, sum, last });
          points += count;
        }
        // Copied out of the reader's scratch arrays: the answer outlives the read.
        const { timestamps, values } = mergeRuns(runs);
        points += timestamps.length;
        assertPointsWithin(points, req.maxPoints);
        out.push({ labels: this.registry.labels(range.id), timestamps, values, summaries });
      }),
    );
    return out;
  }

  async aggregate(req: AggregateRequest): Promise<BucketSeries[]> {
    this.assertOpen();
    const bucketing = Bucketing.create({ start: req.start, end: req.end, step: req.step, timeZone: req.timeZone });
    const evaluator = new AggregateEvaluator(bucketing, req);
    const ranges = this.selectRanges(req.matchers, req.start, req.end, req.maxSeries);
    await this.withSources(async (sources) => {
      const befores = new Map<number, number>();
      if (evaluator.fill === 'previous') {
        for (const r of ranges) {
          const wm = this.watermarkOf(r.id);
          const prev = await latestOf(sources, r.id, wm, req.start);
          if (prev) befores.set(r.id, prev.v);
        }
      }
      await readParts(sources, ranges, (minT, maxT) => bucketing.spanIndex(minT, maxT) >= 0, (range, parts) => evaluator.add(this.registry.labels(range.id), parts, befores.get(range.id)));
    });
    return evaluator.result();
  }

  async latest(req: LatestRequest): Promise<LatestSample[]> {
    this.assertOpen();
    const start = req.start ?? -Infinity;
    const end = req.end ?? Infinity;
    if (!(end > start)) throw new InvalidQueryError(`end (${end}) must be after start (${start})`);
    const ids = this.selectIds(req.matchers, start, end, req.maxSeries);
    const out: LatestSample[] = [];
    await this.withSources(async (sources) => {
      for (const id of ids) {
        const from = Math.max(start, this.watermarkOf(id));
        const t = this.registry.latestT[id];
        if (t === t && t < end) {
          if (t >= from) out.push({ labels: this.registry.labels(id), t, v: this.registry.latestV[id] });
          continue;
        }
        const found = await latestOf(sources, id, from, end);
        if (found) out.push({ labels: this.registry.labels(id), t: found.t, v: found.v });
      }
    });
    return out;
  }

  async labelNames(req: MetadataRequest): Promise<string[]> {
    this.assertOpen();
    return this.index.labelNames(req);
  }

  async labelValues(name: string, req: MetadataRequest): Promise<string[]> {
    this.assertOpen();
    return this.index.labelValues(name, req);
  }

  async series(req: MetadataRequest): Promise<LabelSet[]> {
    this.assertOpen();
    return this.index.series(req);
  }

  async seriesCount(req: MetadataRequest): Promise<number> {
    this.assertOpen();
    return this.index.seriesCount(req);
  }

  /** Matching ids with data overlapping [start, end), in label order; QueryLimitError past maxSeries. */
  private selectIds(matchers: SelectRequest['matchers'], start: number, end: number, maxSeries?: number): Int32Array {
    const ids = this.index.select(matchers, start, end);
    assertSeriesWithin(ids.length, maxSeries);
    return this.index.sortByLabels(ids);
  }

  private selectRanges(matchers: SelectRequest['matchers'], start: number, end: number, maxSeries?: number): SeriesRange[] {
    const ids = this.selectIds(matchers, start, end, maxSeries);
    const ranges: SeriesRange[] = [];
    for (const id of ids) {
      const from = Math.max(start, this.watermarkOf(id));
      if (from < end) ranges.push({ id, start: from, end });
    }
    return ranges;
  }

  private watermarkOf(id: number): number {
    return this.retention.limitsAge ? this.retention.watermark(this.registry.labels(id)[METRIC_NAME_LABEL]) : -Infinity;
  }

  /** Runs a read over a consistent set of sources; segments stay open until it finishes. */
  private async withSources<T>(read: (sources: ReadSources) => Promise<T>): Promise<T> {
    const view: SegmentView = this.store.view();
    try {
      return await read({ segments: view.segments, memtables: this.head.memtables.slice() });
    } finally {
      view.release();
    }
  }

  // ---- background work ------------------------------------------------------------------------

  /** Cuts the head and flushes every memtable to segments. */
  async flush(): Promise<void> {
    this.assertOpen();
    await this.enqueue(async () => {
      if (this.head.active.samples > 0) await this.wal.rotate((index) => this.head.cut(index));
      await this.flushFrozen();
    });
  }

  /** Merges segments into time partitions now (the timer does it every compactionIntervalMs). */
  async compact(): Promise<void> {
    this.assertOpen();
    await this.enqueue(() => this.compactOnce());
  }

  /** Writes a head snapshot now (the timer does it every snapshotIntervalMs). */
  async snapshot(): Promise<void> {
    this.assertOpen();
    await this.enqueue(() => this.snapshotOnce());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    void this.enqueue(async () => {
      this.flushScheduled = false;
      if (this.head.active.samples >= this.opts.headMaxSamples) await this.wal.rotate((index) => this.head.cut(index));
      await this.flushFrozen();
    }).catch((e) => this.logger?.error({ err: (e as Error).message }, 'head flush failed; it is retried'));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushFrozen(): Promise<void> {
    for (const table of this.head.frozen) await this.flushTable(table);
    const overflow = this.compactor.planOverflow(this.store.segments);
    if (overflow) await this.runCompaction(overflow);
  }

  /** Writes one frozen memtable as a level-0 segment and installs it. */
  private async flushTable(table: Memtable): Promise<void> {
    const t0 = performance.now();
    const seq = this.manifest.nextSeq;
    const name = segmentName(seq, 0);
    const ids = this.index.sortByLabels(table.ids.filter((id) => this.registry.has(id)));
    const nowMs = (this.options.now ?? Date.now)();
    const registry = this.registry;
    const retention = this.retention;
    // The segment's series in file order: the ids it is opened with, without looking labels up.
    const written: number[] = [];
    function* series() {
      for (const id of ids) {
        const data = table.read(id);
        if (!data) continue;
        const labels = registry.labels(id);
        const wm = retention.watermark(labels[METRIC_NAME_LABEL], nowMs);
        let from = 0;
        while (from < data.timestamps.length && data.timestamps[from] < wm) from++;
        if (from === data.timestamps.length) continue;
        written.push(id);
        yield { labels, timestamps: data.timestamps.subarray(from), values: data.values.subarray(from) };
      }
    }
    let added: LiveSegment[] = [];
    let entry: ManifestSegment | undefined;
    if (ids.length > 0 && table.samples > 0) {
      const info = await writeSegment(this.io, this.store.dir, name, series()).catch((e) => {
        // A memtable whose samples are all expired writes nothing: that is fine, not a failure.
        if (e instanceof EngineError && e.code === 'INVALID_SAMPLE' && /no samples/.test(e.message)) return undefined;
        throw e;
      });
      if (info) {
        entry = { name, seq, level: 0, minT: info.minT, maxT: info.maxT, samples: info.samples, sizeBytes: info.sizeBytes };
        if (info.series !== written.length) throw new Error(`flush wrote ${info.series} series of ${written.length}`);
        added = [await this.store.open(entry, (_labels, i) => written[i])];
      }
    }
    const next: Manifest = {
      walFlushedTo: table.walTo,
      nextSeq: seq + 1,
      segments: entry ? [...this.manifest.segments, entry] : this.manifest.segments,
    };
    try {
      await writeManifest(this.io, this.opts.dataDir, next);
    } catch (e) {
      for (const s of added) {
        await s.reader.close().catch(() => undefined);
        await this.store.remove(s.entry.name).catch(() => undefined);
      }
      throw e;
    }
    this.manifest = next;
    await this.store.swap(added, []);
    this.head.release(table);
    this.counters.flushes++;
    const ms = performance.now() - t0;
    this.options.observer?.onFlush?.(table.samples, ms);
    this.logger?.info({ segment: name, samples: entry?.samples ?? 0, bytes: entry?.sizeBytes ?? 0, ms }, 'flushed the head to a segment');
    await this.removeObsoleteWal();
  }

  private async snapshotOnce(): Promise<void> {
    if (this.wal.failed || this.head.samples === 0) return;
    if (this.wal.stats().records === this.recordsAtSnapshot) return;
    const captured = await this.wal.rotate((index) => ({
      records: this.wal.stats().records,
      walTo: index,
      sections: this.head.memtables.map((table) => ({
        walFrom: table.walFrom,
        walTo: table.frozen ? table.walTo : index,
        series: table.ids
          .filter((id) => this.registry.has(id))
          .map((id) => ({ id, data: table.read(id) }))
          .filter((s) => s.data !== undefined)
          .map((s) => ({ labels: this.registry.labels(s.id), timestamps: s.data!.timestamps, values: s.data!.values })),
      })),
    }));
    const t0 = performance.now();
    const bytes = await writeSnapshot(this.io, join(this.opts.dataDir, 'snapshots'), captured);
    this.recordsAtSnapshot = captured.records;
    this.snapshots = [captured.walTo, ...this.snapshots];
    for (const old of this.snapshots.slice(SNAPSHOTS_KEPT)) {
      await this.io.unlink(snapshotPath(join(this.opts.dataDir, 'snapshots'), old)).catch(() => undefined);
    }
    this.snapshots = this.snapshots.slice(0, SNAPSHOTS_KEPT);
    this.logger?.info({ walTo: captured.walTo, bytes, ms: performance.now() - t0 }, 'wrote a head snapshot');
    await this.removeObsoleteWal();
  }

  /**
   * Deletes WAL files every recovery path can do without: below the segments' mark and, so a damaged
   * newest snapshot can fall back to the previous one, below the previous snapshot's mark.
   */
  private async removeObsoleteWal(): Promise<void> {
    const flushed = this.manifest.walFlushedTo;
    const mark = this.snapshots.length >= SNAPSHOTS_KEPT ? Math.max(flushed, this.snapshots[SNAPSHOTS_KEPT - 1]) : flushed;
    await this.wal.removeBefore(mark);
    // A snapshot at or below the segments' mark holds nothing recovery would load (its sections all
    // end there): neither as the newest nor as a fallback.
    const snapDir = join(this.opts.dataDir, 'snapshots');
    for (const s of await listSnapshots(this.io, snapDir)) {
      if (s <= flushed) await this.io.unlink(snapshotPath(snapDir, s)).catch(() => undefined);
    }
    this.snapshots = this.snapshots.filter((s) => s > flushed);
  }

  /** Flushes the head, merges segments and gives back WAL space once ingest has gone quiet. */
  private async idleWork(): Promise<void> {
    if (this.idleDone || Date.now() - this.lastWriteAtMs < this.opts.idleFlushMs) return;
    if (this.head.active.samples > 0) await this.wal.rotate((index) => this.head.cut(index));
    await this.flushFrozen();
    await this.compactOnce(0);
    await this.wal.trim();
    // Writes that arrived meanwhile reset the flag; only a truly quiet store stays done.
    if (Date.now() - this.lastWriteAtMs >= this.opts.idleFlushMs) this.idleDone = true;
  }

  private async compactOnce(quietMs = this.opts.compactionIntervalMs): Promise<void> {
    await this.applyRetention();
    const plan = this.compactor.plan(this.store.segments, quietMs);
    if (plan) await this.runCompaction(plan);
  }

  /** Writes the plan's outputs, installs them with a new manifest, then retires the inputs. */
  private async runCompaction(plan: CompactionPlan): Promise<void> {
    const seq = this.manifest.nextSeq;
    const result = await this.compactor.run(plan, seq, (labels) => this.registry.getOrCreate(labels));
    if (!result) return;
    const removed = new Set(plan.inputs.map((s) => s.entry.name));
    const next: Manifest = {
      walFlushedTo: this.manifest.walFlushedTo,
      nextSeq: seq + result.outputs.length,
      segments: [...this.manifest.segments.filter((s) => !removed.has(s.name)), ...result.outputs.map((s) => s.entry)],
    };
    try {
      await writeManifest(this.io, this.opts.dataDir, next);
    } catch (e) {
      await this.compactor.discard(result.outputs);
      throw e;
    }
    this.manifest = next;
    await this.store.swap(result.outputs, plan.inputs);
  }

  /**
   * Drops segments that retention expired entirely or that exceed the size limit, oldest first, and
   * forgets series left without data.
   */
  private async applyRetention(): Promise<void> {
    const doomed = new Set<LiveSegment>();
    if (this.retention.limitsAge) {
      const nowMs = (this.options.now ?? Date.now)();
      for (const id of this.index.expire()) {
        this.index.remove(id);
        this.registry.remove(id);
      }
      for (const seg of this.store.segments) {
        const expired = seg.reader.series.every((s) => s.maxT < this.retention.watermark(s.labels[METRIC_NAME_LABEL], nowMs));
        if (expired) doomed.add(seg);
      }
    }
    const maxBytes = this.retention.maxBytes;
    if (maxBytes !== undefined) {
      // The limit is on the data directory, as an operator sizes a disk; the WAL and snapshots hold
      // what no segment holds yet, so only segments can make room.
      const dir = this.opts.dataDir;
      let total = this.store.sizeBytes + (await filesBytes(this.io, join(dir, 'wal'))) + (await filesBytes(this.io, join(dir, 'snapshots')));
      for (const seg of [...this.store.segments].sort((a, b) => a.entry.maxT - b.entry.maxT || a.entry.seq - b.entry.seq)) {
        if (total <= maxBytes) break;
        if (doomed.has(seg)) continue;
        doomed.add(seg);
        total -= seg.entry.sizeBytes;
      }
    }
    if (doomed.size === 0) return;
    const names = new Set([...doomed].map((s) => s.entry.name));
    const next: Manifest = { ...this.manifest, segments: this.manifest.segments.filter((s) => !names.has(s.name)) };
    await writeManifest(this.io, this.opts.dataDir, next);
    this.manifest = next;
    await this.store.swap([], [...doomed]);
    this.logger?.info({ segments: [...names] }, 'retention dropped segments');
  }

  private startTimers(): void {
    const every = (ms: number, task: () => Promise<void>, what: string) => {
      if (ms <= 0) return;
      const timer = setInterval(() => {
        if (this.closed) return;
        this.enqueue(task).catch((e) => this.logger?.error({ err: (e as Error).message }, `${what} failed; it is retried`));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.opts.snapshotIntervalMs, () => this.snapshotOnce(), 'snapshot');
    every(this.opts.compactionIntervalMs, () => this.compactOnce(), 'compaction');
    every(this.opts.idleFlushMs > 0 ? Math.max(1000, Math.min(5000, this.opts.idleFlushMs / 2)) : 0, () => this.idleWork(), 'idle flush');
  }

  // ---- life cycle -----------------------------------------------------------------------------

  stats(): EngineStats {
    return {
      wal: this.wal.stats(),
      head: { series: this.registry.size, samples: this.head.samples },
      segments: { count: this.store.segments.length, bytes: this.store.sizeBytes, samples: this.store.samples },
      compaction: this.compactor.stats(),
      ingest: { acceptedSamples: this.counters.accepted, rejectedSamples: { ...this.counters.rejected } },
    };
  }

  /** Waits for queued writes and background work, writes a snapshot, fsyncs and releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of this.timers) clearInterval(t);
    await this.chain;
    try {
      if (!this.wal.failed) await this.snapshotOnce();
    } finally {
      this.closed = true;
      await this.wal.close();
      await this.store.closeAll();
      await this.unlock();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }
}

function newResult(entries: number): WriteResult {
  return { accepted: 0, rejected: 0, byReason: {}, rejections: [], refs: new Array(entries).fill(-1) };
}

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new InvalidQueryError('start and end must be integers of ms');
  if (end <= start) throw new InvalidQueryError(`end (${end}) must be after start (${start})`);
}
