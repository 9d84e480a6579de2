// The in-memory model of the StorageEngine contract: the oracle that tests hold the real engine to.
//
// It is written for obviousness, not speed: every query scans every series, buckets are computed one
// sample at a time, and time zones are resolved with Intl on each call. It keeps nothing on disk.
// Its rules are the ones documented on the request types in model/types.ts.

import { EngineClosedError, InvalidQueryError, InvalidSeriesError, QueryLimitError } from '../model/errors';
import { compareLabelSets, normalizeLabels, seriesKey } from '../model/labels';
import {
  AggregateRequest,
  Aggregation,
  BucketSeries,
  ColumnarBatch,
  CrossAggregation,
  EngineStats,
  LabelSet,
  LatestRequest,
  LatestSample,
  Matcher,
  MetadataRequest,
  RejectReason,
  SelectRequest,
  SeriesSamples,
  StorageEngine,
  WriteBatch,
  WriteResult,
} from '../model/types';
import { columnsProblem, sampleProblem } from '../model/validate';
import { assertPointsWithin, assertSeriesWithin } from '../query/limits';

const DAY_MS = 86_400_000;

interface ModelSeries {
  labels: LabelSet;
  /** timestamp -> value; a later write replaces an earlier one. */
  samples: Map<number, number>;
}

export interface MemoryEngineOptions {
  maxSeries?: number;
}

export class MemoryEngine implements StorageEngine {
  private readonly byKey = new Map<string, ModelSeries>();
  private readonly refs: ModelSeries[] = [];
  private closed = false;
  private accepted = 0;
  private readonly rejectedByReason: Partial<Record<RejectReason, number>> = {};

  constructor(private readonly options: MemoryEngineOptions = {}) {}

  async write(batch: WriteBatch): Promise<WriteResult> {
    this.assertOpen();
    const result: WriteResult = { accepted: 0, rejected: 0, byReason: {}, rejections: [], refs: [] };
    const reject = (entry: number, reason: RejectReason, samples: number, message: string) => {
      result.rejected += samples;
      result.byReason[reason] = (result.byReason[reason] ?? 0) + samples;
      this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + samples;
      if (result.rejections.length < 100) result.rejections.push({ entry, reason, samples, message });
      result.refs.push(-1);
    };
    batch.forEach((entry, i) => {
      const count = entry.timestamps?.length ?? 0;
      let labels: LabelSet;
      try {
        labels = normalizeLabels(entry.labels);
      } catch (e) {
        if (e instanceof InvalidSeriesError) return reject(i, 'invalid_series', count, e.message);
        throw e;
      }
      const problem = sampleProblem(entry);
      if (problem) return reject(i, 'invalid_sample', count, problem);
      const key = seriesKey(labels);
      let s = this.byKey.get(key);
      if (!s) {
        if (this.options.maxSeries !== undefined && this.byKey.size >= this.options.maxSeries) {
          return reject(i, 'cardinality_limit', count, `the series limit of ${this.options.maxSeries} is reached`);
        }
        s = { labels, samples: new Map() };
        this.byKey.set(key, s);
        this.refs.push(s);
      }
      for (let j = 0; j < count; j++) s.samples.set(entry.timestamps[j], entry.values[j]);
      result.accepted += count;
      result.refs.push(this.refs.indexOf(s));
    });
    this.accepted += result.accepted;
    return result;
  }

  /** The columns as the equivalent list of series writes. */
  async writeColumns(batch: ColumnarBatch): Promise<WriteResult> {
    const problem = columnsProblem(batch);
    if (problem) throw new InvalidQueryError(`a columnar batch is malformed: ${problem}`);
    const slice = (a: ArrayLike<number>, i: number) => Array.prototype.slice.call(a, batch.offsets[i], batch.offsets[i + 1]) as number[];
    return this.write(
      batch.series.map((s, i) => ({ labels: s.labels, ref: s.ref !== undefined && s.ref >= 0 ? s.ref : undefined, timestamps: slice(batch.timestamps, i), values: slice(batch.values, i) })),
    );
  }

  async select(req: SelectRequest): Promise<SeriesSamples[]> {
    this.assertOpen();
    checkRange(req.start, req.end);
    const out: SeriesSamples[] = [];
    for (const s of this.matching(req.matchers, req.start, req.end, req.maxSeries)) {
      const ts = sortedTimes(s).filter((t) => t >= req.start && t < req.end);
      if (ts.length === 0) continue;
      out.push({ labels: s.labels, timestamps: Float64Array.from(ts), values: Float64Array.from(ts, (t) => s.samples.get(t)!) });
    }
    assertPointsWithin(out.reduce((n, s) => n + s.timestamps.length, 0), req.maxPoints);
    return out;
  }

  async aggregate(req: AggregateRequest): Promise<BucketSeries[]> {
    this.assertOpen();
    checkRange(req.start, req.end);
    if (!Number.isSafeInteger(req.step) || req.step <= 0) throw new InvalidQueryError(`step must be a positive integer of ms, got ${req.step}`);
    const zone = req.timeZone ?? 'UTC';
    const bucketStarts = listBuckets(req.start, req.end, req.step, zone);
    if (req.maxPoints !== undefined && bucketStarts.length > req.maxPoints) {
      throw new QueryLimitError(`the range holds ${bucketStarts.length} buckets of ${req.step} ms, more than the limit of ${req.maxPoints} points`, 'points', req.maxPoints);
    }
    const fill = req.fill ?? 'none';
    const perSeries: Array<{ labels: LabelSet; values: number[] }> = [];
    for (const s of this.matching(req.matchers, req.start, req.end, req.maxSeries)) {
      const raw = bucketValues(s, bucketStarts, req, zone);
      const filled = applyFill(raw, bucketStarts, fill, previousValue(s, req.start));
      if (filled.some((v) => v !== undefined && (fill === 'null' ? !Number.isNaN(v) : true))) {
        perSeries.push({ labels: s.labels, values: filled.map((v) => (v === undefined ? NaN : v)) });
      }
    }
    let result: Array<{ labels: LabelSet; values: number[] }>;
    if (req.groupBy) {
      result = groupSeries(perSeries, req.groupBy, req.crossAgg ?? 'avg');
    } else {
      result = perSeries;
    }
    const keepNaN = fill === 'null';
    const answer = result
      .map(({ labels, values }) => {
        const times: number[] = [];
        const vals: number[] = [];
        values.forEach((v, k) => {
          if (!Number.isNaN(v) || keepNaN) {
            times.push(bucketStarts[k]);
            vals.push(v);
          }
        });
        return { labels, timestamps: Float64Array.from(times), values: Float64Array.from(vals) };
      })
      .filter((s) => s.timestamps.length > 0)
      .sort((a, b) => compareLabelSets(a.labels, b.labels));
    assertPointsWithin(answer.reduce((n, s) => n + s.timestamps.length, 0), req.maxPoints);
    return answer;
  }

  async latest(req: LatestRequest): Promise<LatestSample[]> {
    this.assertOpen();
    const start = req.start ?? -Infinity;
    const end = req.end ?? Infinity;
    const out: LatestSample[] = [];
    for (const s of this.matching(req.matchers, start, end, req.maxSeries)) {
      const ts = sortedTimes(s).filter((t) => t >= start && t < end && !Number.isNaN(s.samples.get(t)!));
      if (ts.length === 0) continue;
      const t = ts[ts.length - 1];
      out.push({ labels: s.labels, t, v: s.samples.get(t)! });
    }
    return out;
  }

  async labelNames(req: MetadataRequest): Promise<string[]> {
    this.assertOpen();
    const names = new Set<string>();
    for (const s of this.metadataSeries(req)) for (const n of Object.keys(s.labels)) names.add(n);
    return limit([...names].sort(), req.limit);
  }

  async labelValues(name: string, req: MetadataRequest): Promise<string[]> {
    this.assertOpen();
    const values = new Set<string>();
    for (const s of this.metadataSeries(req)) {
      const v = s.labels[name];
      if (v !== undefined) values.add(v);
    }
    return limit([...values].sort(), req.limit);
  }

  async series(req: MetadataRequest): Promise<LabelSet[]> {
    this.assertOpen();
    return limit(this.metadataSeries(req).map((s) => s.labels), req.limit);
  }

  async seriesCount(req: MetadataRequest): Promise<number> {
    this.assertOpen();
    return this.metadataSeries(req).length;
  }

  stats(): EngineStats {
    let samples = 0;
    for (const s of this.byKey.values()) samples += s.samples.size;
    return {
      wal: { records: 0, bytes: 0, fsyncs: 0, avgGroupSize: 0, fsyncLatencyMsAvg: 0, fsyncLatencyMsMax: 0, segments: 0 },
      head: { series: this.byKey.size, samples },
      segments: { count: 0, bytes: 0, samples: 0 },
      compaction: { runs: 0, running: false, bytesWritten: 0, lastDurationMs: 0 },
      ingest: { acceptedSamples: this.accepted, rejectedSamples: { ...this.rejectedByReason } },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineClosedError();
  }

  /** Matching series whose [first, last] timestamps overlap [start, end), ordered by labels. */
  private matching(matchers: readonly Matcher[], start: number, end: number, maxSeries?: number): ModelSeries[] {
    const out = [...this.byKey.values()]
      .filter((s) => matchesAll(matchers, s.labels) && overlaps(s, start, end))
      .sort((a, b) => compareLabelSets(a.labels, b.labels));
    assertSeriesWithin(out.length, maxSeries);
    return out;
  }

  private metadataSeries(req: MetadataRequest): ModelSeries[] {
    return this.matching(req.matchers ?? [], req.start ?? -Infinity, req.end ?? Infinity);
  }
}

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new InvalidQueryError('start and end must be integers of ms');
  if (end <= start) throw new InvalidQueryError(`end (${end}) must be after start (${start})`);
}

function limit<T>(items: T[], n?: number): T[] {
  return n === undefined ? items : items.slice(0, n);
}

function sortedTimes(s: ModelSeries): number[] {
  return [...s.samples.keys()].sort((a, b) => a - b);
}

function overlaps(s: ModelSeries, start: number, end: number): boolean {
  if (s.samples.size === 0) return false;
  const ts = sortedTimes(s);
  return ts[0] < end && ts[ts.length - 1] >= start;
}

/** Prometheus matcher semantics: regexes are anchored; a missing label has the value "". */
export function matchesAll(matchers: readonly Matcher[], labels: LabelSet): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return anchored(m.value).test(v);
      case '!~':
        return !anchored(m.value).test(v);
    }
  });
}

function anchored(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'su');
  } catch (e) {
    throw new InvalidQueryError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

// ---- buckets -------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new InvalidQueryError(`unknown time zone ${JSON.stringify(zone)}`);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Local day number (days since 1970-01-01 in `zone`) of instant t. */
function localDay(t: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Math.floor(Date.UTC(parts.year, parts.month - 1, parts.day) / DAY_MS);
}

const dayStarts = new Map<string, number>();

/** The first instant whose local day is `day` (binary search: local offsets are within ±26 h). */
function startOfLocalDay(day: number, zone: string): number {
  const key = `${zone} ${day}`;
  const known = dayStarts.get(key);
  if (known !== undefined) return known;
  let lo = day * DAY_MS - 27 * 3_600_000;
  let hi = day * DAY_MS + 27 * 3_600_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(mid, zone) >= day) hi = mid;
    else lo = mid;
  }
  dayStarts.set(key, hi);
  return hi;
}

function bucketStartOf(t: number, step: number, zone: string): number {
  if (step % DAY_MS !== 0) return Math.floor(t / step) * step;
  const n = step / DAY_MS;
  // The local day of t is the last day whose first instant is not after t.
  let d = Math.floor(t / DAY_MS) + 1;
  while (startOfLocalDay(d, zone) > t) d--;
  const first = n % 7 === 0 ? Math.floor((d - 4) / n) * n + 4 : Math.floor(d / n) * n;
  return startOfLocalDay(first, zone);
}

function listBuckets(start: number, end: number, step: number, zone: string): number[] {
  formatter(zone); // rejects an unknown zone even for sub-day steps
  const out: number[] = [];
  const last = bucketStartOf(end - 1, step, zone);
  if (step % DAY_MS !== 0) {
    for (let b = bucketStartOf(start, step, zone); b <= last; b += step) out.push(b);
    return out;
  }
  const n = step / DAY_MS;
  let day = localDay(bucketStartOf(start, step, zone), zone);
  for (;;) {
    const b = startOfLocalDay(day, zone);
    if (b > last) return out;
    out.push(b);
    day += n;
  }
}

/** Per bucket, the aggregate of the series' non-NaN samples in it, or undefined when empty. */
function bucketValues(s: ModelSeries, buckets: number[], req: AggregateRequest, zone: string): Array<number | undefined> {
  const groups = new Map<number, Array<[number, number]>>();
  for (const t of sortedTimes(s)) {
    const v = s.samples.get(t)!;
    if (t < req.start || t >= req.end || Number.isNaN(v)) continue;
    const b = bucketStartOf(t, req.step, zone);
    if (!groups.has(b)) groups.set(b, []);
    groups.get(b)!.push([t, v]);
  }
  return buckets.map((b) => {
    const g = groups.get(b);
    return g ? aggregateValues(g, req.agg) : undefined;
  });
}

function aggregateValues(samples: Array<[number, number]>, agg: Aggregation): number {
  const vs = samples.map(([, v]) => v);
  switch (agg) {
    case 'avg':
      return vs.reduce((a, b) => a + b, 0) / vs.length;
    case 'sum':
      return vs.reduce((a, b) => a + b, 0);
    case 'min':
      return Math.min(...vs);
    case 'max':
      return Math.max(...vs);
    case 'count':
      return vs.length;
    case 'first':
      return vs[0];
    case 'last':
      return vs[vs.length - 1];
  }
}

function previousValue(s: ModelSeries, start: number): number | undefined {
  const before = sortedTimes(s).filter((t) => t < start && !Number.isNaN(s.samples.get(t)!));
  return before.length ? s.samples.get(before[before.length - 1]) : undefined;
}

/** Fill per model/types.ts: undefined marks a dropped bucket, NaN a kept empty one. */
function applyFill(values: Array<number | undefined>, buckets: number[], fill: string, before: number | undefined): Array<number | undefined> {
  switch (fill) {
    case 'none':
      return values;
    case 'null':
      return values.map((v) => (v === undefined ? NaN : v));
    case 'previous': {
      let carry = before;
      return values.map((v) => {
        if (v !== undefined) carry = v;
        return v ?? carry;
      });
    }
    case 'linear':
      return values.map((v, k) => {
        if (v !== undefined) return v;
        let i = k - 1;
        while (i >= 0 && values[i] === undefined) i--;
        let j = k + 1;
        while (j < values.length && values[j] === undefined) j++;
        if (i < 0 || j >= values.length) return undefined;
        const a = values[i]!;
        const b = values[j]!;
        return a + ((b - a) * (buckets[k] - buckets[i])) / (buckets[j] - buckets[i]);
      });
    default:
      throw new InvalidQueryError(`unknown fill ${JSON.stringify(fill)}`);
  }
}

function groupSeries(
  series: Array<{ labels: LabelSet; values: number[] }>,
  by: readonly string[],
  crossAgg: CrossAggregation,
): Array<{ labels: LabelSet; values: number[] }> {
  const groups = new Map<string, { labels: LabelSet; members: number[][] }>();
  for (const s of series) {
    const labels: Record<string, string> = {};
    for (const name of by) {
      const v = s.labels[name];
      if (v !== undefined && v !== '') labels[name] = v;
    }
    const key = seriesKey(labels);
    if (!groups.has(key)) groups.set(key, { labels, members: [] });
    groups.get(key)!.members.push(s.values);
  }
  return [...groups.values()].map(({ labels, members }) => ({
    labels,
    values: members[0].map((_, k) => {
      const vs = members.map((m) => m[k]).filter((v) => !Number.isNaN(v));
      if (vs.length === 0) return NaN;
      switch (crossAgg) {
        case 'avg':
          return vs.reduce((a, b) => a + b, 0) / vs.length;
        case 'sum':
          return vs.reduce((a, b) => a + b, 0);
        case 'min':
          return Math.min(...vs);
        case 'max':
          return Math.max(...vs);
        case 'count':
          return vs.length;
      }
    }),
  }));
}
