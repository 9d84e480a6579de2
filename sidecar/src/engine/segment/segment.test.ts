import { join } from 'node:path';
import { FaultFileIO } from '../fs/fault-io';
import { NodeFileIO } from '../fs/node-io';
import { SegmentSeries } from './writer';
import { Random, testSeed } from '../query/testing/random';
import { summarize } from './block';
import { BlockCache } from './cache';
import { SegmentReader } from './reader';
import { LabelCache } from './segment-index';
import { STALE_NAN_HI, STALE_NAN_LO, expectSameBits, sensorSeries, tempDir } from './testing/fixtures';
import { SegmentInputError, writeSegment } from './writer';

const seed = testSeed();

function device(i: number): string {
  return `d-${String(i).padStart(4, '0')}`;
}

/** Series in label order: one metric, many devices, lengths around the block boundaries. */
function fleet(rnd: Random, devices: number, lengths: readonly number[]): SegmentSeries[] {
  return Array.from({ length: devices }, (_, i) =>
    sensorSeries(rnd, { __name__: 'temperature', device: device(i) }, lengths[i % lengths.length]),
  );
}

function expectSameSeries(got: { timestamps: Float64Array; values: Float64Array }, want: SegmentSeries): void {
  expectSameBits(got.timestamps, want.timestamps);
  expectSameBits(got.values, want.values);
}

describe(`segment files (SEED=${seed})`, () => {
  const nodeIO = new NodeFileIO();
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('ss-seg-')));
  afterEach(() => tmp.remove());

  it('writes series and reads back the same bits, block summaries and totals', async () => {
    const rnd = new Random(seed);
    const series = fleet(rnd, 30, [1, 2, 719, 720, 721, 1440, 2160, 3001]);
    const view = new DataView(series[3].values.buffer);
    view.setUint32(8 * 100, STALE_NAN_LO, true);
    view.setUint32(8 * 100 + 4, STALE_NAN_HI, true);
    series[4].values[5] = -0;
    series[5].values.forEach((_, i, a) => (a[i] = rnd.next()));
    const extra: SegmentSeries = { labels: { __name__: 'up', constructor: 'x', 'ü': 'ünïcode ✓' }, timestamps: Float64Array.from([-5, 0, Number.MAX_SAFE_INTEGER]), values: Float64Array.from([1, 0, 1]) };
    const shared = new Float64Array(1000).map((_, i) => i);
    const views: SegmentSeries = { labels: { __name__: 'views' }, timestamps: shared.subarray(10, 500), values: shared.subarray(501, 991) };
    const all = [...series, extra, views];

    const info = await writeSegment(nodeIO, tmp.dir, 'seg-1', all);
    const samples = all.reduce((n, s) => n + s.timestamps.length, 0);
    expect(info).toMatchObject({ name: 'seg-1', series: all.length, samples, minT: -5, maxT: Number.MAX_SAFE_INTEGER });
    expect(await nodeIO.readdir(tmp.dir)).toEqual(['seg-1']);
    expect((await nodeIO.stat(join(tmp.dir, 'seg-1'))).size).toBe(info.sizeBytes);

    const reader = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-1'));
    expect(reader.info).toEqual(info);
    expect(reader.series.map((s) => s.labels)).toEqual(all.map((s) => s.labels));
    all.forEach((s, i) => {
      const meta = reader.series[i];
      expect(meta).toMatchObject({ count: s.timestamps.length, minT: s.timestamps[0], maxT: s.timestamps.at(-1) });
      expect(meta.blocks.every((b) => b.count <= 720)).toBe(true);
      let from = 0;
      for (const b of meta.blocks) {
        expect(b).toMatchObject(summarize(s.timestamps, s.values, from, b.count));
        from += b.count;
      }
    });
    const read = await reader.readSeries(all.map((_, i) => ({ series: i })));
    read.forEach((got, i) => {
      expect(got.labels).toEqual(all[i].labels);
      expectSameSeries(got, all[i]);
    });
    await reader.close();
  });

  it('accepts an async iterable, writes in chunks, and scans back in label order', async () => {
    const rnd = new Random(seed);
    const series = fleet(rnd, 40, [300, 1000]);
    async function* source(): AsyncGenerator<SegmentSeries> {
      for (const s of series) yield s;
    }
    const io = new FaultFileIO(nodeIO);
    io.logCalls = true;
    await writeSegment(io, tmp.dir, 'seg-2', source(), { chunkBytes: 2048, blockSamples: 256 });
    expect(io.log.filter((l) => l.startsWith('write')).length).toBeGreaterThan(5);

    const cache = new BlockCache();
    const reader = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-2'), { cache });
    expect(reader.series[1].blocks.map((b) => b.count)).toEqual([250, 250, 250, 250]);
    let i = 0;
    for await (const got of reader.scan({ batchBytes: 1500 })) {
      expect(got.labels).toEqual(series[i].labels);
      expectSameSeries(got, series[i]);
      i++;
    }
    expect(i).toBe(series.length);
    expect(cache.stats().entries).toBe(0);
    await reader.close();
  });

  it('shares one labels object per series among the segments opened with a LabelCache', async () => {
    const rnd = new Random(seed);
    const all = fleet(rnd, 12, [5]);
    // Different series, and so different symbol tables: one extra label, a device only here.
    const second = [...all.slice(4, 8), { ...all[11], labels: { ...all[11].labels, site: 'ü-berlin' } }];
    await writeSegment(nodeIO, tmp.dir, 'seg-a', all.slice(0, 8));
    await writeSegment(nodeIO, tmp.dir, 'seg-b', second);
    const labels = new LabelCache();
    const a = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-a'), { labels });
    const b = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-b'), { labels });
    const alone = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-b'));
    expect(b.series.map((s) => s.labels)).toEqual(second.map((s) => s.labels));
    expect(b.series.map((s) => s.labels)).toEqual(alone.series.map((s) => s.labels));
    for (let i = 0; i < 4; i++) expect(b.series[i].labels).toBe(a.series[i + 4].labels);
    expect(a.series.map((s) => s.labels)).not.toContain(b.series[4].labels);
    for (const r of [a, b, alone]) await r.close();
  });

  it('answers time ranges [start, end) and finds series by labels', async () => {
    const rnd = new Random(seed);
    const series = fleet(rnd, 3, [2000]);
    await writeSegment(nodeIO, tmp.dir, 'seg-3', series, { blockSamples: 300 });
    const reader = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-3'));
    const ts = series[1].timestamps;
    const ranges: Array<[number, number]> = [
      [ts[0], ts[0] + 1],
      [ts[10] + 1, ts[1500]],
      [ts[299], ts[301]],
      [ts[0] - 1e6, ts[0]],
      [ts[1999] + 1, ts[1999] + 1e6],
      [-Infinity, Infinity],
    ];
    const got = await reader.readSeries(ranges.map(([start, end]) => ({ series: 1, start, end })));
    ranges.forEach(([start, end], k) => {
      const lo = ts.findIndex((t) => t >= start);
      const hi = ts.findIndex((t) => t >= end);
      const from = lo < 0 ? ts.length : lo;
      const to = hi < 0 ? ts.length : hi;
      expectSameSeries(got[k], { labels: {}, timestamps: ts.subarray(from, to), values: series[1].values.subarray(from, to) });
    });
    expect(reader.findSeries({ device: device(2), __name__: 'temperature' })).toBe(2);
    expect(reader.findSeries({ __name__: 'temperature', device: 'd-9999' })).toBe(-1);
    expect(reader.findSeries({ __name__: 'temperature' })).toBe(-1);
    expect(() => reader.blockMeta({ series: 1, block: 99 })).toThrow(RangeError);
    expect(() => reader.series[1].block(-1)).toThrow(RangeError);
    const { offset, count, minT, maxT } = reader.series[1].blocks[2];
    expect(reader.series[1].block(2)).toMatchObject({ offset, count, minT, maxT });
    await reader.close();
  });

  it('reads the blocks of a thousand series in a few coalesced reads, then from the cache', async () => {
    const rnd = new Random(seed);
    const series = fleet(rnd, 1000, [20]);
    await writeSegment(nodeIO, tmp.dir, 'seg-4', series);
    const io = new FaultFileIO(nodeIO);
    io.logCalls = true;
    const cache = new BlockCache();
    const reader = await SegmentReader.open(io, join(tmp.dir, 'seg-4'), { cache });
    const reads = (): number => io.log.filter((l) => l.startsWith('read')).length;
    const afterOpen = reads();
    expect(afterOpen).toBe(3);

    const everyTenth = series.map((_, i) => ({ series: i })).filter((r) => r.series % 10 === 0);
    const got = await reader.readSeries(everyTenth);
    got.forEach((g, k) => expectSameSeries(g, series[everyTenth[k].series]));
    expect(reads() - afterOpen).toBe(1);

    const all = await reader.readSeries(series.map((_, i) => ({ series: i })));
    all.forEach((g, i) => expectSameSeries(g, series[i]));
    expect(reads() - afterOpen).toBe(2);
    const before = cache.stats();
    await reader.readSeries(series.map((_, i) => ({ series: i })));
    expect(reads() - afterOpen).toBe(2);
    expect(cache.stats().hits - before.hits).toBe(1000);

    await reader.close();
    expect(cache.stats()).toMatchObject({ entries: 0, sizeBytes: 0 });
  });

  it('keeps the cache within its byte budget, evicting the least recently used blocks', async () => {
    const rnd = new Random(seed);
    const series = fleet(rnd, 50, [720]);
    await writeSegment(nodeIO, tmp.dir, 'seg-5', series);
    const probe = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-5'));
    const blockBytes = probe.series.map((s) => s.blocks[0].sizeBytes - 4);
    await probe.close();
    const budget = blockBytes.slice(0, 10).reduce((a, b) => a + b, 0);
    const cache = new BlockCache(budget);
    const reader = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-5'), { cache });
    for (let i = 0; i < 50; i++) {
      await reader.readSeries([{ series: i }]);
      expect(cache.stats().sizeBytes).toBeLessThanOrEqual(budget);
    }
    const stats = cache.stats();
    expect(stats.evictions).toBeGreaterThan(30);
    expect(stats.entries).toBeGreaterThanOrEqual(5);
    const hitsBefore = stats.hits;
    await reader.readSeries([{ series: 49 }]);
    expect(cache.stats().hits).toBe(hitsBefore + 1);
    await reader.readSeries([{ series: 0 }]);
    expect(cache.stats().hits).toBe(hitsBefore + 1);
    await reader.close();
  });

  describe('refuses input that breaks the contract, leaving no file', () => {
    const ts = Float64Array.from([1, 2, 3]);
    const vs = Float64Array.from([1, 2, 3]);
    const cases: Array<[string, SegmentSeries[], string, RegExp]> = [
      ['series out of label order', [{ labels: { __name__: 'b' }, timestamps: ts, values: vs }, { labels: { __name__: 'a' }, timestamps: ts, values: vs }], 'INVALID_SERIES', /label order/],
      ['a repeated series', [{ labels: { __name__: 'a' }, timestamps: ts, values: vs }, { labels: { __name__: 'a' }, timestamps: ts, values: vs }], 'INVALID_SERIES', /label order/],
      ['timestamps that do not increase', [{ labels: { __name__: 'a' }, timestamps: Float64Array.from([1, 3, 3]), values: vs }], 'INVALID_SAMPLE', /index 2 does not increase/],
      ['a fractional timestamp', [{ labels: { __name__: 'a' }, timestamps: Float64Array.from([1, 2.5, 3]), values: vs }], 'INVALID_SAMPLE', /2\.5 at index 1/],
      ['an unsafe timestamp', [{ labels: { __name__: 'a' }, timestamps: Float64Array.from([1, 2 ** 53]), values: Float64Array.from([1, 2]) }], 'INVALID_SAMPLE', /index 1/],
      ['lengths that differ', [{ labels: { __name__: 'a' }, timestamps: ts, values: Float64Array.from([1]) }], 'INVALID_SAMPLE', /3 timestamps but 1 values/],
      ['no samples at all', [{ labels: { __name__: 'a' }, timestamps: new Float64Array(0), values: new Float64Array(0) }], 'INVALID_SAMPLE', /no samples/],
    ];
    it.each(cases)('%s', async (_, input, code, message) => {
      const err = await writeSegment(nodeIO, tmp.dir, 'seg-bad', input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SegmentInputError);
      expect(err).toMatchObject({ code });
      expect((err as Error).message).toMatch(message);
      expect(await nodeIO.readdir(tmp.dir)).toEqual([]);
    });
  });

  it('skips series without samples', async () => {
    const input: SegmentSeries[] = [
      { labels: { __name__: 'a' }, timestamps: new Float64Array(0), values: new Float64Array(0) },
      { labels: { __name__: 'b' }, timestamps: Float64Array.from([5]), values: Float64Array.from([NaN]) },
    ];
    const info = await writeSegment(nodeIO, tmp.dir, 'seg-6', input);
    expect(info).toMatchObject({ series: 1, samples: 1, minT: 5, maxT: 5 });
    const reader = await SegmentReader.open(nodeIO, join(tmp.dir, 'seg-6'));
    expect(reader.series[0].blocks[0]).toMatchObject({ count: 1, nanCount: 1, sum: 0 });
    await reader.close();
  });
});
