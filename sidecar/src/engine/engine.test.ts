// The engine through its public interface: durability modes, faults, damaged snapshots and segments,
// repair, retention, the cardinality limit and compaction's disk-space check.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Engine } from './engine';
import { FaultFileIO } from './fs/fault-io';
import { NodeFileIO } from './fs/node-io';
import { CorruptionError, DiskFullError, EngineFailedError, InvalidOptionError } from './model/errors';
import { EngineOptions } from './model/options';
import { EngineLogger } from './model/types';
import { WAL_HEADER_BYTES, walPath } from './wal/files';
import { FRAME_HEADER_BYTES } from './encoding/frame';
import { HEADER_SIZE } from './segment/layout';

const H = 3_600_000;
const T = Date.UTC(2026, 10, 1);

function logger(): EngineLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg: string) => lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}

/** Polls until `check` holds: for work the engine finishes in the background, on its own time. */
async function eventually(check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Engine', () => {
  let dir: string;
  const open = (o: Partial<EngineOptions> = {}) => Engine.open({ dataDir: dir, snapshotIntervalMs: 0, compactionIntervalMs: 0, ...o });
  const write = (e: Engine, metric: string, ts: number[], vs: number[] = ts.map((t) => t / 1000), labels: Record<string, string> = {}) =>
    e.write([{ labels: { __name__: metric, ...labels }, timestamps: ts, values: vs }]);
  const values = async (e: Engine, metric = 'm') => {
    const r = await e.select({ matchers: [{ name: '__name__', op: '=', value: metric }], start: 0, end: T + 1000 * H });
    return r.flatMap((s) => [...s.timestamps].map((t, i) => [t, s.values[i]]));
  };

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ss-engine-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([{ mode: 'fsync' as const }, { mode: 'interval' as const, intervalMs: 5 }, { mode: 'none' as const }])('keeps writes across a restart with durability %j', async (durability) => {
    const io = new FaultFileIO(new NodeFileIO());
    const e = await open({ io, durability });
    const wal = walPath(join(dir, 'wal'), 1);
    if (durability.mode === 'none') {
      await write(e, 'm', [T]);
      expect(e.stats().wal.fsyncs).toBe(0);
    } else {
      // Acknowledged only once the fsync covering it returned: while that fsync hangs, it waits.
      const hold = io.hold('sync', wal);
      let acknowledged = false;
      const first = write(e, 'm', [T]).then(() => (acknowledged = true));
      await hold.reached;
      await new Promise((r) => setImmediate(r));
      expect(acknowledged).toBe(false);
      hold.resume();
      await first;
      expect(e.stats().wal.fsyncs).toBe(1);
    }
    io.logCalls = true;
    await Promise.all([write(e, 'm', [T + 1]), write(e, 'm', [T + 2])]);
    io.logCalls = false;
    const syncs = io.log.filter((l) => l === `sync ${wal}`).length;
    // Group commit: concurrent writes share fsyncs; `none` never waits for one.
    expect(syncs).toBeLessThanOrEqual(durability.mode === 'none' ? 0 : 2);
    if (durability.mode !== 'none') expect(syncs).toBeGreaterThanOrEqual(1);
    expect(e.stats().wal.fsyncs).toBe(durability.mode === 'none' ? 0 : 1 + syncs);
    await e.close();
    const again = await open();
    expect(await values(again)).toEqual([[T, T / 1000], [T + 1, (T + 1) / 1000], [T + 2, (T + 2) / 1000]]);
    await again.close();
  });

  it('in interval mode fsyncs at most once per interval, shared by the writers waiting', async () => {
    const io = new FaultFileIO(new NodeFileIO());
    const intervalMs = 25;
    const e = await open({ io, durability: { mode: 'interval', intervalMs } });
    const wal = walPath(join(dir, 'wal'), 1);
    io.logCalls = true;
    const startedMs = Date.now();
    // Four writers, each writing its next batch once the last was acknowledged.
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (let i = 0; i < 8; i++) {
          await write(e, 'm', [T + w * 100 + i]);
        }
      }),
    );
    const elapsedMs = Date.now() - startedMs;
    io.logCalls = false;
    const syncs = io.log.filter((l) => l === `sync ${wal}`).length;
    expect(e.stats().wal).toMatchObject({ fsyncs: syncs, records: 32 });
    // Consecutive fsyncs are an interval apart (less the millisecond a timer may fire early): a
    // slower machine only makes fewer of them.
    expect(syncs).toBeLessThanOrEqual(Math.floor(elapsedMs / (intervalMs - 1)) + 1);
    // Each writer's 8 batches need 8 fsyncs one after the other, however many writers share them.
    expect(syncs).toBeGreaterThanOrEqual(8);
    await e.close();
  });

  it('never numbers a new WAL file below what segments cover, even when crashes left only empty files', async () => {
    // A "crash" here: the lock is removed and the next engine opens without the first closing.
    const first = await open();
    await write(first, 'm', [T]);
    await first.flush(); // the segments now cover every WAL file below the current one
    rmSync(join(dir, 'LOCK'));
    const second = await open(); // the current file and its spare are empty: both are dropped
    await write(second, 'm', [T + 1]);
    rmSync(join(dir, 'LOCK'));
    const third = await open();
    expect((await values(third)).map(([t]) => t)).toEqual([T, T + 1]);
    await third.close();
    for (const e of [first, second]) await e.close().catch(() => undefined);
  });

  it('stores a columnar batch like the same list of series, rejecting per series', async () => {
    const e = await open();
    const r = await e.writeColumns({
      series: [{ labels: { __name__: 'm', d: 'a' } }, { labels: { __name__: '1bad' } }, { labels: { __name__: 'm', d: 'b' }, ref: -1 }, { labels: { __name__: 'm', d: 'c' } }],
      offsets: [0, 2, 3, 4, 6],
      timestamps: Float64Array.of(T, T + 1, T, T, T + 0.5, T + 2),
      values: Float64Array.of(1, 2, 3, 4, 5, 6),
    });
    expect(r.accepted).toBe(3);
    expect(r.byReason).toEqual({ invalid_series: 1, invalid_sample: 2 });
    expect(r.rejections.map((x) => x.entry)).toEqual([1, 3]);
    expect(r.refs[0]).toBeGreaterThanOrEqual(0);
    expect(r.refs[1]).toBe(-1);
    // A ref from an earlier write names the series without its labels being looked at again.
    await e.writeColumns({ series: [{ labels: { __name__: 'm', d: 'a' }, ref: r.refs[0] }], offsets: [0, 1], timestamps: [T + 5], values: [7] });
    const got = await e.select({ matchers: [{ name: '__name__', op: '=', value: 'm' }], start: 0, end: T + 1000 });
    expect(got.map((s) => [s.labels.d, [...s.timestamps].map((t) => t - T), [...s.values]])).toEqual([
      ['a', [0, 1, 5], [1, 2, 7]],
      ['b', [0], [4]],
    ]);
    await expect(e.writeColumns({ series: [{ labels: { __name__: 'm' } }], offsets: [0, 3], timestamps: [T], values: [1] })).rejects.toThrow(/malformed/);
    await e.close();
  });

  it.each<[string, Partial<EngineOptions>]>([
    ['durability.intervalMs', { durability: { mode: 'interval', intervalMs: 0 } }],
    ['durability.mode', { durability: { mode: 'sometimes' } as unknown as EngineOptions['durability'] }],
    ['headMaxSamples', { headMaxSamples: -5 }],
    ['walSegmentBytes', { walSegmentBytes: 1.5 }],
    ['idleFlushMs', { idleFlushMs: Number.NaN }],
    ['retention.maxAgeMs', { retention: { maxAgeMs: 0 } }],
    ['retention.maxBytes', { retention: { maxBytes: -1 } }],
    ['retention.rules[1].maxAgeMs', { retention: { rules: [{ metric: 'a*', maxAgeMs: 1 }, { metric: 'b*', maxAgeMs: -1 }] } }],
  ])('refuses the option %s out of range with an InvalidOptionError, touching no file', async (option, bad) => {
    const fresh = join(dir, 'never-created');
    const err = await Engine.open({ dataDir: fresh, ...bad }).catch((x) => x);
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err).toMatchObject({ code: 'INVALID_OPTION', option });
    expect(err.message).toContain(option);
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses a second process on the same directory', async () => {
    const e = await open();
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
    await expect(open()).rejects.toThrow(/in use by process/);
    await e.close();
  });

  it('rejects writes while the disk is full, keeps reads working, and writes again once space returns', async () => {
    const io = new FaultFileIO(new NodeFileIO());
    const e = await open({ io, walSegmentBytes: 256 });
    await write(e, 'm', [T]);
    await new Promise((r) => setTimeout(r, 20));
    // The disk fills: preallocated WAL space is used up, and no new WAL file can be created.
    const spaceBack = io.inject({ op: 'open', path: '.wal', code: 'ENOSPC' });
    const acked: number[] = [];
    let rejected = 0;
    for (let i = 1; i <= 20; i++) {
      await write(e, 'm', [T + i]).then(
        () => acked.push(T + i),
        (err) => {
          expect(err).toBeInstanceOf(DiskFullError);
          rejected++;
        },
      );
    }
    expect(rejected).toBeGreaterThan(0);
    expect((await values(e)).map(([t]) => t)).toEqual([T, ...acked]);
    spaceBack();
    await write(e, 'm', [T + 100]);
    await e.close();
    const again = await open();
    expect((await values(again)).map(([t]) => t)).toEqual([T, ...acked, T + 100]);
    await again.close();
  });

  it('acknowledges nothing more after a failed fsync, and recovers what was acknowledged on restart', async () => {
    const io = new FaultFileIO(new NodeFileIO());
    const e = await open({ io });
    await write(e, 'm', [T]);
    // The log's current file, not the spare being preallocated beside it in the background.
    io.inject({ op: 'sync', path: walPath(join(dir, 'wal'), 1), code: 'EIO', times: 1 });
    await expect(write(e, 'm', [T + 1])).rejects.toBeInstanceOf(EngineFailedError);
    await expect(write(e, 'm', [T + 2])).rejects.toBeInstanceOf(EngineFailedError);
    await e.close();
    const again = await open();
    expect((await values(again)).map(([t]) => t)).toContain(T);
    expect((await values(again)).map(([t]) => t)).not.toContain(T + 2);
    await again.close();
  });

  it('falls back to the previous snapshot plus the WAL when the newest snapshot is damaged', async () => {
    const e = await open();
    await write(e, 'm', [T]);
    await e.snapshot();
    await write(e, 'm', [T + 1]);
    await e.snapshot();
    await write(e, 'm', [T + 2]);
    await e.close(); // a third snapshot; the two newest are kept
    const snaps = readdirSync(join(dir, 'snapshots')).sort();
    expect(snaps).toHaveLength(2);
    const newest = join(dir, 'snapshots', snaps[1]);
    const buf = readFileSync(newest);
    buf[buf.length - 5] ^= 0xff;
    writeFileSync(newest, buf);
    const log = logger();
    const again = await open({ logger: log });
    expect(await values(again)).toEqual([[T, T / 1000], [T + 1, (T + 1) / 1000], [T + 2, (T + 2) / 1000]]);
    expect(log.lines.some((l) => l.startsWith('warn snapshot is damaged'))).toBe(true);
    expect(readdirSync(join(dir, 'snapshots')).some((n) => n.endsWith('.damaged'))).toBe(true);
    await again.close();
  });

  it('stops at damage in the middle of the WAL, and with repair sets it aside and keeps the rest', async () => {
    const e = await open({ durability: { mode: 'fsync' } });
    for (let i = 0; i < 3; i++) await write(e, 'm', [T + i]);
    // Simulate a crash: no close, so no snapshot; release the lock by hand.
    rmSync(join(dir, 'LOCK'));
    const path = walPath(join(dir, 'wal'), 1);
    const buf = readFileSync(path);
    const second = WAL_HEADER_BYTES + FRAME_HEADER_BYTES + buf.readUInt32LE(WAL_HEADER_BYTES);
    buf[second + FRAME_HEADER_BYTES + 3] ^= 0x10; // the payload of the second record
    writeFileSync(path, buf);
    const err = await open().catch((x) => x);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(err.message).toContain(path);
    const log = logger();
    const repaired = await open({ repair: true, logger: log });
    expect((await values(repaired)).length).toBe(2);
    expect(log.lines.some((l) => l.includes('set a damaged WAL region aside'))).toBe(true);
    expect(readdirSync(join(dir, 'wal', 'damaged'))).toHaveLength(1);
    await repaired.close();
    await e.close().catch(() => undefined);
  });

  it('answers a flipped byte in a segment block with a corruption error naming file and offset', async () => {
    const e = await open();
    await write(e, 'm', Array.from({ length: 100 }, (_, i) => T + i * 1000));
    await e.flush();
    await e.close();
    const seg = readdirSync(join(dir, 'segments'))[0];
    const path = join(dir, 'segments', seg);
    const buf = readFileSync(path);
    buf[HEADER_SIZE + 3] ^= 0x01; // inside the first block
    writeFileSync(path, buf);
    const again = await open();
    const err = await values(again).catch((x) => x);
    expect(err).toBeInstanceOf(CorruptionError);
    expect(err.file).toBe(path);
    await again.close();
  });

  describe('a lost manifest', () => {
    const segmentFiles = () => readdirSync(join(dir, 'segments')).filter((n) => n.endsWith('.seg'));

    it('is written when a directory is first opened, so only a lost one is ever missing', async () => {
      const e = await open();
      expect(existsSync(join(dir, 'MANIFEST'))).toBe(true);
      await e.close();
    });

    it('stops start-up beside finished segments, and with repair sets them aside, never deleting them', async () => {
      const e = await open();
      for (let i = 0; i < 2; i++) {
        await write(e, 'm', [T + i]);
        await e.flush();
      }
      await e.close();
      const files = segmentFiles();
      expect(files).toHaveLength(2);
      const bytes = files.map((f) => readFileSync(join(dir, 'segments', f)));
      rmSync(join(dir, 'MANIFEST'));

      const err = await open().catch((x) => x);
      expect(err).toBeInstanceOf(CorruptionError);
      expect(err.file).toBe(join(dir, 'MANIFEST'));
      expect(err.message).toContain(join(dir, 'segments'));
      expect(err.message).toContain('2 finished segment files');
      expect(segmentFiles()).toEqual(files);
      expect(existsSync(join(dir, 'MANIFEST'))).toBe(false);

      const log = logger();
      const repaired = await open({ repair: true, logger: log });
      expect(log.lines.some((l) => l.startsWith('warn repair: the manifest was missing') && l.includes('"segments":2'))).toBe(true);
      expect(segmentFiles()).toEqual([]);
      const aside = join(dir, 'segments', 'unlisted');
      expect(readdirSync(aside)).toEqual(files);
      expect(files.map((f) => readFileSync(join(aside, f)))).toEqual(bytes);
      // New segments are numbered above the ones set aside, so none is ever written over.
      await write(repaired, 'm', [T + 5]);
      await repaired.flush();
      expect(segmentFiles().every((f) => f > files[files.length - 1])).toBe(true);
      expect((await values(repaired)).map(([t]) => t)).toEqual([T + 5]);
      await repaired.close();
      expect(readdirSync(aside)).toEqual(files);
    });

    it('still removes a segment file that a manifest in place does not list (a flush killed before install)', async () => {
      const e = await open();
      await write(e, 'm', [T]);
      await e.flush();
      await e.close();
      const [listed] = segmentFiles();
      const stray = '0000009999-L0.seg';
      writeFileSync(join(dir, 'segments', stray), readFileSync(join(dir, 'segments', listed)));
      const log = logger();
      const again = await open({ logger: log });
      expect(segmentFiles()).toEqual([listed]);
      expect(log.lines.some((l) => l.startsWith('warn removed a segment file the manifest does not list') && l.includes(stray))).toBe(true);
      expect((await values(again)).map(([t]) => t)).toEqual([T]);
      await again.close();
    });
  });

  it('rejects new series beyond the cardinality limit while existing series keep being written', async () => {
    const e = await open({ maxSeries: 2 });
    await write(e, 'm', [T], [1], { d: 'a' });
    await write(e, 'm', [T], [1], { d: 'b' });
    const r = await e.write([
      { labels: { __name__: 'm', d: 'c' }, timestamps: [T], values: [1] },
      { labels: { __name__: 'm', d: 'a' }, timestamps: [T + 1], values: [2] },
    ]);
    expect(r.accepted).toBe(1);
    expect(r.byReason).toEqual({ cardinality_limit: 1 });
    expect(r.rejections[0].message).toMatch(/series limit of 2/);
    expect(e.stats().ingest.rejectedSamples).toEqual({ cardinality_limit: 1 });
    await e.close();
  });

  it('refuses reads past maxSeries or maxPoints with a QueryLimitError naming the limit, in the head and in segments', async () => {
    const e = await open();
    const all = [{ name: '__name__', op: '=' as const, value: 'm' }];
    for (const d of ['a', 'b', 'c']) await write(e, 'm', Array.from({ length: 10 }, (_, i) => T + i * 1000), undefined, { d });
    for (const where of ['head', 'segments']) {
      if (where === 'segments') await e.flush();
      const limit = (kind: 'series' | 'points', max: number) => expect.objectContaining({ name: 'QueryLimitError', code: 'QUERY_LIMIT', limit: kind, max });
      await expect(e.select({ matchers: all, start: T, end: T + H, maxSeries: 2 })).rejects.toEqual(limit('series', 2));
      await expect(e.select({ matchers: all, start: T, end: T + H, maxPoints: 25 })).rejects.toEqual(limit('points', 25));
      await expect(e.select({ matchers: all, start: T, end: T + H, maxPoints: 25 })).rejects.toThrow('more than the limit of 25');
      await expect(e.aggregate({ matchers: all, start: T, end: T + 10_000, step: 1000, agg: 'avg', maxSeries: 2 })).rejects.toEqual(limit('series', 2));
      await expect(e.aggregate({ matchers: all, start: T, end: T + 10_000, step: 1000, agg: 'avg', maxPoints: 29 })).rejects.toEqual(limit('points', 29));
      await expect(e.latest({ matchers: all, maxSeries: 2 })).rejects.toEqual(limit('series', 2));
      // At the limit exactly, every read answers.
      expect((await e.select({ matchers: all, start: T, end: T + H, maxSeries: 3, maxPoints: 30 })).length).toBe(3);
      expect((await e.aggregate({ matchers: all, start: T, end: T + 10_000, step: 1000, agg: 'avg', maxSeries: 3, maxPoints: 30 })).length).toBe(3);
      expect((await e.latest({ matchers: all, maxSeries: 3 })).length).toBe(3);
    }
    await e.close();
  });

  describe('retention', () => {
    let now = T;
    const clock = () => now;
    beforeEach(() => (now = T));

    it('rejects samples older than the watermark and hides data from every read, metadata included, at once as it expires', async () => {
      const e = await open({ now: clock, retention: { maxAgeMs: 10 * H, rules: [{ metric: 'vibration_*', maxAgeMs: 2 * H }] } });
      // The watermark itself is kept; one millisecond older is not.
      const r = await e.write([
        { labels: { __name__: 'temp' }, timestamps: [T - 10 * H - 1, T - 10 * H, T - H], values: [1, 2, 3] },
        { labels: { __name__: 'vibration_x' }, timestamps: [T - 3 * H, T - 2 * H - 1, T - H], values: [1, 2, 3] },
      ]);
      expect(r.accepted).toBe(3);
      expect(r.byReason).toEqual({ out_of_retention: 3 });
      expect(await values(e, 'temp')).toEqual([[T - 10 * H, 2], [T - H, 3]]);
      expect(await values(e, 'vibration_x')).toEqual([[T - H, 3]]);
      const beforeWatermark = { start: T - 11 * H, end: T - 9.5 * H };
      expect(await e.seriesCount(beforeWatermark)).toBe(1);
      now = T + 30 * 60_000; // vibration's T - H sample is still inside; temp's T - 10 H no longer
      expect(await values(e, 'temp')).toEqual([[T - H, 3]]);
      // Metadata hides what lies below the watermark too.
      expect(await e.seriesCount(beforeWatermark)).toBe(0);
      expect(await e.series(beforeWatermark)).toEqual([]);
      expect(await e.series({ start: T - 11 * H, end: T })).toEqual([{ __name__: 'temp' }, { __name__: 'vibration_x' }]);
      now = T + 2 * H;
      // vibration_x expired entirely: gone from every read at once, before any compaction.
      expect(await values(e, 'vibration_x')).toEqual([]);
      expect(await e.latest({ matchers: [{ name: '__name__', op: '=', value: 'vibration_x' }] })).toEqual([]);
      expect(await e.labelValues('__name__', {})).toEqual(['temp']);
      expect(await e.labelNames({ matchers: [{ name: '__name__', op: '=~', value: 'vib.*' }] })).toEqual([]);
      expect(await e.series({})).toEqual([{ __name__: 'temp' }]);
      expect(await e.seriesCount({})).toBe(1);
      await e.flush();
      await e.compact();
      // And after compaction it is forgotten for good.
      expect(await e.labelValues('__name__', {})).toEqual(['temp']);
      expect(e.stats().head.series).toBe(1);
      await e.close();
    });

    it('drops whole expired segments, and the oldest ones past the size limit', async () => {
      const e = await open({ now: clock, retention: { maxAgeMs: 100 * H } });
      for (let day = 0; day < 3; day++) {
        await write(e, 'm', Array.from({ length: 50 }, (_, i) => T - (90 - day * 24) * H + i * 60_000));
        await e.flush();
      }
      expect(e.stats().segments.count).toBe(3);
      now = T + 20 * H; // the first flush (T - 90 H .. ) is now entirely older than 100 h
      await e.compact();
      const days = new Set((await values(e)).map(([t]) => Math.floor((t - (T - 90 * H)) / (24 * H))));
      expect([...days]).toEqual([1, 2]);
      await e.close();
      const bytes = readdirSync(join(dir, 'segments')).length;
      expect(bytes).toBeGreaterThan(0);
      const small = await open({ now: clock, retention: { maxAgeMs: 100 * H, maxBytes: 1 } });
      await small.compact();
      expect(small.stats().segments.count).toBe(0);
      expect(await values(small)).toEqual([]);
      await small.close();
    });
  });

  it('counts the WAL and snapshots against the size limit, dropping the oldest segments to make room', async () => {
    const segmentBytes = () => readdirSync(join(dir, 'segments')).reduce((n, f) => n + statSync(join(dir, 'segments', f)).size, 0);
    // Values without pattern, so each day's segment is far larger than the WAL files beside it.
    const noise = (i: number) => (Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1) * 1000;
    const e = await open({ walSegmentBytes: 64 * 1024 });
    for (let day = 0; day < 3; day++) {
      await write(e, 'm', Array.from({ length: 25_000 }, (_, i) => T + day * 24 * H + i * 1000), Array.from({ length: 25_000 }, (_, i) => noise(day * 25_000 + i)));
      await e.flush();
    }
    await e.close();
    const segments = segmentBytes();
    const days = async (x: Engine) => [...new Set((await values(x)).map(([t]) => Math.floor((t - T) / (24 * H))))];

    const roomy = await open({ walSegmentBytes: 64 * 1024, retention: { maxBytes: segments + 64 * 1024 * 1024 } });
    await roomy.compact();
    expect(await days(roomy)).toEqual([0, 1, 2]);
    await roomy.close();

    // The segments alone fit; with the WAL beside them they do not: the oldest day goes.
    const tight = await open({ walSegmentBytes: 64 * 1024, retention: { maxBytes: segmentBytes() + 1 } });
    await tight.compact();
    expect(await days(tight)).toEqual([1, 2]);
    await tight.close();
  });

  it('rewrites a partition that retention has partly expired, keeping only what is inside', async () => {
    let now = T;
    const e = await open({ now: () => now, retention: { maxAgeMs: 30 * H }, partitionMs: 24 * H });
    const day = Date.UTC(2026, 10, 1);
    // One day-partition of minute samples, flushed and merged into a level-1 segment.
    await write(e, 'm', Array.from({ length: 24 * 60 }, (_, i) => day + i * 60_000));
    await e.flush();
    await e.write([{ labels: { __name__: 'm', other: '1' }, timestamps: [day + 1000], values: [1] }]);
    await e.flush();
    await e.compact();
    expect(e.stats().segments).toMatchObject({ count: 1, samples: 24 * 60 + 1 });
    // Ten hours later the first 4 h of that day (17 %) are past the 30 h watermark.
    now = day + 34 * H;
    await e.compact();
    const st = e.stats();
    expect(st.compaction.runs).toBe(2);
    expect(st.segments.samples).toBe(20 * 60);
    expect((await values(e)).length).toBe(20 * 60);
    expect((await values(e))[0][0]).toBe(day + 4 * H);
    await e.close();
  });

  it('deletes the segments compaction replaced only once no query reads them any more', async () => {
    const io = new FaultFileIO(new NodeFileIO());
    const e = await open({ io });
    for (let i = 0; i < 3; i++) {
      await write(e, 'm', [T + i * H], [i]);
      await e.flush();
    }
    const flushed = readdirSync(join(dir, 'segments'));
    expect(flushed).toHaveLength(3);
    const onDisk = () => flushed.filter((f) => existsSync(join(dir, 'segments', f)));
    // A query takes its view of the three segments and waits inside its first read.
    const hold = io.hold('read', '-L0.seg');
    const reading = values(e);
    await hold.reached;
    await e.compact();
    expect(e.stats()).toMatchObject({ segments: { count: 1 }, compaction: { runs: 1 } });
    expect(onDisk()).toEqual(flushed);
    hold.resume();
    // It reads all three old files, the two it had not reached yet included.
    expect(await reading).toEqual([[T, 0], [T + H, 1], [T + 2 * H, 2]]);
    await eventually(() => onDisk().length === 0, 'the replaced segments are deleted');
    expect(readdirSync(join(dir, 'segments'))).toEqual([expect.stringMatching(/-L1\.seg$/)]);
    expect(await values(e)).toEqual([[T, 0], [T + H, 1], [T + 2 * H, 2]]);
    await e.close();
  });

  it('does not compact without disk room for its output, and loses nothing', async () => {
    const io = new FaultFileIO(new NodeFileIO());
    const log = logger();
    const e = await open({ io, logger: log });
    for (let i = 0; i < 3; i++) {
      await write(e, 'm', [T + i]);
      await e.flush();
    }
    io.freeBytesOverride = 1000;
    await e.compact();
    expect(e.stats().compaction).toMatchObject({ runs: 0, skippedForSpace: 1 });
    expect(log.lines.some((l) => l.includes('compaction skipped'))).toBe(true);
    io.freeBytesOverride = undefined;
    await e.compact();
    expect(e.stats().compaction.runs).toBe(1);
    expect(e.stats().segments.count).toBe(1);
    expect((await values(e)).length).toBe(3);
    await e.close();
  });

  it('flushes, merges and gives back WAL space once ingest goes quiet', async () => {
    const e = await open({ idleFlushMs: 1000, walSegmentBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) {
      await write(e, 'm', [T + i]);
      await e.flush();
    }
    await write(e, 'm', [T + 10]);
    // A file the idle work removes between the listing and its stat counts as empty.
    const walBytes = () => readdirSync(join(dir, 'wal')).reduce((n, f) => n + (statSync(join(dir, 'wal', f), { throwIfNoEntry: false })?.size ?? 0), 0);
    expect(walBytes()).toBeGreaterThan(1 << 20); // the current file and its spare, preallocated
    // The idle check runs every second; trimming the WAL is the last thing it does.
    await eventually(() => walBytes() < 1000, 'the idle store gives back its WAL space');
    const st = e.stats();
    expect(st.head.samples).toBe(0);
    expect(st.segments.count).toBe(1);
    expect((await values(e)).map(([t]) => t)).toEqual([T, T + 1, T + 2, T + 10]);
    await write(e, 'm', [T + 11]); // and writing resumes normally
    await e.close();
  });

  it('removes the temporary files a crash left at start-up, and keeps what repair set aside', async () => {
    const e = await open();
    await write(e, 'm', [T]);
    await e.flush();
    await write(e, 'm', [T + 1]);
    await e.close();
    const planted = {
      temporary: ['MANIFEST.tmp', 'snapshots/0000000099.snap.tmp', 'wal/0000000001.wal.repair', 'segments/0000000050-L0.seg.tmp'],
      setAside: ['wal/damaged/1-20.bin', 'snapshots/0000000005.snap.damaged', 'segments/unlisted/0000000003-L0.seg'],
    };
    for (const f of [...planted.temporary, ...planted.setAside]) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), 'half-written');
    }
    const log = logger();
    const again = await open({ logger: log });
    expect(planted.temporary.filter((f) => existsSync(join(dir, f)))).toEqual([]);
    expect(planted.setAside.filter((f) => existsSync(join(dir, f)))).toEqual(planted.setAside);
    expect(log.lines.some((l) => l.startsWith('info removed temporary files') && l.includes('MANIFEST.tmp') && l.includes('.wal.repair'))).toBe(true);
    expect(await values(again)).toEqual([[T, T / 1000], [T + 1, (T + 1) / 1000]]);
    await again.close();
  });

  it('reports recovery progress and figures in its log', async () => {
    const e = await open();
    await write(e, 'm', [T]);
    rmSync(join(dir, 'LOCK'));
    const log = logger();
    const again = await open({ logger: log });
    expect(log.lines.some((l) => l.startsWith('info replayed WAL file') && l.includes('"records":1'))).toBe(true);
    expect(log.lines.some((l) => l.startsWith('info engine ready'))).toBe(true);
    await again.close();
    await e.close().catch(() => undefined);
  });
});
