// The WAL's write and replay paths, its damage table and its fault handling.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_HEADER_BYTES } from '../encoding/frame';
import { FaultFileIO } from '../fs/fault-io';
import { NodeFileIO } from '../fs/node-io';
import { CorruptionError, DiskFullError, EngineFailedError } from '../model/errors';
import { Durability } from '../model/options';
import { LabelSet } from '../model/types';
import { addEntry, decodeBatch, emptyBatch, PreparedBatch } from './batch-codec';
import { WAL_HEADER_BYTES, walPath } from './files';
import { replayWal, WalReplayReport } from './replay';
import { WalWriter } from './writer';

const labelsOf = (id: number): LabelSet => ({ __name__: 'temperature', device: `d${id}` });

interface Entry {
  id: number;
  timestamps: number[];
  values: number[];
}

function entry(id: number, ts: number[], vs: number[]): Entry {
  return { id, timestamps: ts, values: vs };
}

/** The writer takes parallel lists; tests write entries. */
function batch(entries: Entry[]): PreparedBatch {
  const b = emptyBatch();
  for (const e of entries) addEntry(b, e.id, e.timestamps, e.values, 0, e.timestamps.length);
  return b;
}

interface Replayed {
  report: WalReplayReport;
  /** One line per record: "device:t=v,..." joined by spaces. */
  records: string[];
}

async function replay(dir: string, opts: { repair?: boolean; fromIndex?: number; io?: FaultFileIO } = {}): Promise<Replayed> {
  const records: string[] = [];
  let refs = new Map<number, LabelSet>();
  const report = await replayWal({
    dir,
    io: opts.io ?? new NodeFileIO(),
    fromIndex: opts.fromIndex ?? 1,
    repair: opts.repair ?? false,
    onFile: () => (refs = new Map()),
    onRecord: (_type, r) => {
      const parts: string[] = [];
      decodeBatch(r, (ref) => refs.has(ref), {
        define: (ref, labels) => refs.set(ref, labels),
        samples: (ref, ts, vs, from, to) =>
          parts.push(`${refs.get(ref)!.device}:${[...ts.subarray(from, to)].map((t, i) => `${t}=${vs[from + i]}`).join(',')}`),
      });
      records.push(parts.join(' '));
    },
  });
  return { report, records };
}

describe('WAL', () => {
  let dir: string;
  const applied: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-wal-'));
    applied.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function open(io = new NodeFileIO() as NodeFileIO | FaultFileIO, durability: Durability = { mode: 'fsync' }, segmentBytes = 1 << 20) {
    return WalWriter.open({
      dir,
      io,
      durability,
      segmentBytes,
      labelsOf,
      apply: (b) => applied.push(b.ids.map((id, i) => `d${id}:${b.to[i] - b.from[i]}`).join(' ')),
    });
  }

  it('writes batches that replay in order with their series', async () => {
    const w = await open();
    await w.append(batch([entry(1, [1000, 2000], [1.5, -2]), entry(2, [1000], [NaN])]));
    await w.append(batch([entry(1, [500], [7])]));
    await w.close();
    expect(applied).toEqual(['d1:2 d2:1', 'd1:1']);
    const { records, report } = await replay(dir);
    expect(records).toEqual(['d1:1000=1.5,2000=-2 d2:1000=NaN', 'd1:500=7']);
    expect(report).toMatchObject({ files: 1, records: 2, tornBytesDropped: 0 });
  });

  it('defines a series once when a batch names it twice', async () => {
    const w = await open();
    await w.append(batch([entry(4, [1], [1]), entry(5, [1], [2]), entry(4, [2], [3])]));
    await w.close();
    expect((await replay(dir)).records).toEqual(['d4:1=1 d5:1=2 d4:2=3']);
  });

  it('shares one fsync among concurrent writers', async () => {
    const w = await open();
    await Promise.all(Array.from({ length: 50 }, (_, i) => w.append(batch([entry(i, [i], [i])]))));
    await w.close();
    const s = w.stats();
    expect(s.records).toBe(50);
    expect(s.fsyncs).toBeLessThan(50);
    expect(s.avgGroupSize).toBeGreaterThan(1);
  });

  it('acknowledges in interval mode only after the covering fsync, and at once in none mode', async () => {
    const w = await open(new NodeFileIO(), { mode: 'interval', intervalMs: 20 });
    await Promise.all([w.append(batch([entry(1, [1], [1])])), w.append(batch([entry(1, [2], [2])]))]);
    expect(w.stats().fsyncs).toBeGreaterThanOrEqual(1);
    await w.close();
    const none = await WalWriter.open({ dir, io: new NodeFileIO(), durability: { mode: 'none' }, segmentBytes: 1 << 20, labelsOf, apply: () => undefined });
    await none.append(batch([entry(1, [3], [3])]));
    expect(none.stats().fsyncs).toBe(0);
    await none.close();
    expect((await replay(dir)).records).toEqual(['d1:1=1', 'd1:2=2', 'd1:3=3']);
  });

  it('rotates by size and keeps every file self-contained', async () => {
    const w = await open(new NodeFileIO(), { mode: 'fsync' }, 100);
    for (let i = 0; i < 10; i++) await w.append(batch([entry(7, [i], [i])]));
    await w.close();
    const files = readdirSync(dir).filter((n) => n.endsWith('.wal'));
    expect(files.length).toBeGreaterThan(3);
    // Dropping the older files leaves a log that still replays: each file defines its series.
    const last = Number(files[files.length - 2].slice(0, 10));
    const { records } = await replay(dir, { fromIndex: last });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.startsWith('d7:'))).toBe(true);
  });

  it('preallocates the current and the next file, and cuts both back on close', async () => {
    const w = await open(new NodeFileIO(), { mode: 'fsync' }, 64 * 1024);
    await w.append(batch([entry(1, [1], [1])]));
    await new Promise((r) => setTimeout(r, 50));
    expect(statSync(walPath(dir, 1)).size).toBe(64 * 1024);
    expect(statSync(walPath(dir, 2)).size).toBe(64 * 1024);
    await w.close();
    expect(readdirSync(dir)).toEqual(['0000000001.wal']);
    expect(statSync(walPath(dir, 1)).size).toBeLessThan(200);
  });

  it('replays a crashed log: unused zeros cut silently, the spare removed', async () => {
    const w = await open(new NodeFileIO(), { mode: 'fsync' }, 64 * 1024);
    await w.append(batch([entry(1, [1], [1])]));
    await w.append(batch([entry(2, [2], [2])]));
    await new Promise((r) => setTimeout(r, 50));
    // A kill -9 now leaves both files preallocated; replay must not call that damage.
    const { records, report } = await replay(dir);
    expect(records).toEqual(['d1:1=1', 'd2:2=2']);
    expect(report.tornBytesDropped).toBe(0);
    expect(readdirSync(dir)).toEqual(['0000000001.wal']);
    await w.close().catch(() => undefined);
  });

  // Spares are probed a chunk at a time instead of read whole: a byte far inside one still counts.
  it.each([
    ['a blank spare silently', undefined, 0],
    ['a spare with a torn first write far inside it', 3_000_000, 3_000_001 - WAL_HEADER_BYTES],
  ])('removes %s', async (_what, tornAt, dropped) => {
    const w = await open(new NodeFileIO(), { mode: 'fsync' }, 4 << 20);
    await w.append(batch([entry(1, [1], [1])]));
    await new Promise((r) => setTimeout(r, 50));
    expect(statSync(walPath(dir, 2)).size).toBe(4 << 20);
    if (tornAt !== undefined) {
      const spare = readFileSync(walPath(dir, 2));
      spare[tornAt] = 7;
      writeFileSync(walPath(dir, 2), spare);
    }
    const { records, report } = await replay(dir);
    expect(records).toEqual(['d1:1=1']);
    expect(report.tornBytesDropped).toBe(dropped);
    expect(readdirSync(dir)).toEqual(['0000000001.wal']);
    await w.close().catch(() => undefined);
  });

  // Replay reads a file through a window of a few hundred KiB: groups cross its edges, outgrow it,
  // and damage far into the file is still found where it is.
  describe('files larger than the read window', () => {
    const run = (n: number, from: number) => Array.from({ length: n }, (_, k) => from + k);
    async function bigLog(): Promise<{ groupStarts: number[]; end: number }> {
      const w = await open(new NodeFileIO(), { mode: 'fsync' }, 8 << 20);
      for (let i = 0; i < 300; i++) {
        const ts = run(i === 150 ? 100_000 : 400, i * 1e6);
        await w.append(batch([entry(i % 40, ts, ts)]));
      }
      await w.close();
      const buf = readFileSync(walPath(dir, 1));
      const groupStarts: number[] = [];
      let pos = WAL_HEADER_BYTES;
      while (pos < buf.length) {
        groupStarts.push(pos);
        pos += FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
        pos += FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
      }
      expect(buf.length).toBeGreaterThan(1 << 20);
      return { groupStarts, end: buf.length };
    }

    it('replays every group, and cuts a torn last one inside preallocated space', async () => {
      const { groupStarts } = await bigLog();
      const original = readFileSync(walPath(dir, 1));
      const last = groupStarts[groupStarts.length - 1];
      writeFileSync(walPath(dir, 1), Buffer.concat([original.subarray(0, last + 100), Buffer.alloc(1 << 20)]));
      const { records, report } = await replay(dir);
      expect(records).toHaveLength(299);
      expect(records[150].split(',')).toHaveLength(100_000);
      expect(records[298]).toMatch(/^d18:298000000=298000000,/);
      expect(report.tornBytesDropped).toBe(100);
      expect(statSync(walPath(dir, 1)).size).toBe(last);
    });

    it('refuses damage in a middle group, naming its byte', async () => {
      const { groupStarts } = await bigLog();
      const buf = readFileSync(walPath(dir, 1));
      const damaged = groupStarts[200] + FRAME_HEADER_BYTES + 50;
      buf[damaged] ^= 0x40;
      writeFileSync(walPath(dir, 1), buf);
      await expect(replay(dir)).rejects.toMatchObject({ file: walPath(dir, 1), offset: groupStarts[200] });
    });
  });

  it('runs a rotation callback between groups and removes older files', async () => {
    const w = await open();
    await w.append(batch([entry(1, [1], [1])]));
    const seen = await w.rotate((index) => ({ index, applied: applied.length }));
    expect(seen).toEqual({ index: 2, applied: 1 });
    await w.append(batch([entry(1, [2], [2])]));
    await w.removeBefore(2);
    await w.close();
    expect(readdirSync(dir)).toEqual(['0000000002.wal']);
    expect((await replay(dir, { fromIndex: 2 })).records).toEqual(['d1:2=2']);
  });

  describe('damage table', () => {
    interface Group {
      /** The batch frame. */
      record: [number, number];
      /** The commit frame that follows it. */
      commit: [number, number];
    }

    /** Three groups of one batch each in one file, as a crash would leave them (no close). */
    async function threeGroups(): Promise<Group[]> {
      const w = await open();
      for (let i = 1; i <= 3; i++) await w.append(batch([entry(i, [i * 1000], [i])]));
      await w.close();
      const buf = readFileSync(walPath(dir, 1));
      const frames: Array<[number, number]> = [];
      let pos = WAL_HEADER_BYTES;
      while (pos < buf.length) {
        const end = pos + FRAME_HEADER_BYTES + buf.readUInt32LE(pos);
        frames.push([pos, end]);
        pos = end;
      }
      expect(frames).toHaveLength(6);
      return [0, 2, 4].map((k) => ({ record: frames[k], commit: frames[k + 1] }));
    }

    const path = () => walPath(dir, 1);
    const flip = (offset: number) => {
      const buf = readFileSync(path());
      buf[offset] ^= 0x40;
      writeFileSync(path(), buf);
    };

    it('cuts a torn last group at every byte offset and keeps the others', async () => {
      const groups = await threeGroups();
      const start = groups[2].record[0];
      const end = groups[2].commit[1];
      const original = readFileSync(path());
      for (let cut = start; cut < end; cut++) {
        writeFileSync(path(), original.subarray(0, cut));
        const { records: got, report } = await replay(dir);
        expect(got).toEqual(['d1:1000=1', 'd2:2000=2']);
        expect(report.tornBytesDropped).toBeLessThanOrEqual(cut - start);
        expect(statSync(path()).size).toBe(start);
      }
    });

    it('cuts a torn last group inside preallocated space (followed by zeros)', async () => {
      const groups = await threeGroups();
      const original = readFileSync(path());
      const cut = groups[2].record[0] + 20;
      writeFileSync(path(), Buffer.concat([original.subarray(0, cut), Buffer.alloc(8192)]));
      const { records, report } = await replay(dir);
      expect(records).toEqual(['d1:1000=1', 'd2:2000=2']);
      expect(report.tornBytesDropped).toBeGreaterThan(0);
      expect(statSync(path()).size).toBe(groups[2].record[0]);
    });

    it('cuts unused zeros after the last group silently', async () => {
      await threeGroups();
      const buf = readFileSync(path());
      writeFileSync(path(), Buffer.concat([buf, Buffer.alloc(4096)]));
      const { records, report } = await replay(dir);
      expect(records).toHaveLength(3);
      expect(report.tornBytesDropped).toBe(0);
    });

    it('treats a damaged commit frame of the last group as a torn write', async () => {
      const groups = await threeGroups();
      flip(groups[2].commit[0] + FRAME_HEADER_BYTES);
      const { records, report } = await replay(dir);
      expect(records).toEqual(['d1:1000=1', 'd2:2000=2']);
      expect(report.tornBytesDropped).toBeGreaterThan(0);
    });

    const regions: Array<[string, number]> = [
      ['length', 0],
      ['type', 4],
      ['payload checksum', 8],
      ['header checksum', 12],
      ['payload', FRAME_HEADER_BYTES + 2],
    ];

    it.each(regions)('refuses a flipped %s byte in a middle record, naming file and offset', async (_what, at) => {
      const groups = await threeGroups();
      const [start, end] = groups[1].record;
      flip(start + at);
      const err = await replay(dir).catch((e) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect(err.file).toBe(path());
      expect(err.offset).toBeGreaterThanOrEqual(start);
      expect(err.offset).toBeLessThan(end);
      expect(err.message).toContain('followed by intact records');
    });

    it.each(regions)('refuses a flipped %s byte in the last record: its commit says it was complete', async (_what, at) => {
      const groups = await threeGroups();
      const [start, end] = groups[2].record;
      flip(start + at);
      const err = await replay(dir).catch((e) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect(err.offset).toBeGreaterThanOrEqual(start);
      expect(err.offset).toBeLessThan(end);
    });

    it.each(regions)('with repair, sets a damaged %s aside and keeps the intact records after it', async (_what, at) => {
      const groups = await threeGroups();
      const [start, end] = groups[1].record;
      const original = readFileSync(path());
      flip(start + at);
      const { records: got, report } = await replay(dir, { repair: true });
      // Record 2 defined series d2 and is gone; records 1 and 3 survive.
      expect(got).toEqual(['d1:1000=1', 'd3:3000=3']);
      expect(report.setAsideRecords).toBe(1);
      expect(report.setAsideBytes).toBe(end - start);
      const aside = readFileSync(report.setAsidePaths[0]);
      expect(aside.length).toBe(end - start);
      expect(aside.equals(original.subarray(start, end))).toBe(false);
      // The repaired file replays cleanly without repair... except that its second commit now
      // follows no record; repair keeps accepting that.
      expect((await replay(dir, { repair: true })).records).toEqual(got);
    });

    it('refuses a damaged file header, and a missing file in the middle', async () => {
      await threeGroups();
      flip(2);
      await expect(replay(dir)).rejects.toThrow(/bad magic|checksum/);
      writeFileSync(walPath(dir, 3), readFileSync(path()));
      rmSync(path());
      await expect(replay(dir)).rejects.toThrow(/missing/);
    });

    it('removes a newest file whose header was never completed', async () => {
      await threeGroups();
      writeFileSync(walPath(dir, 2), Buffer.from([0x53, 0x53, 0x57]));
      const { records } = await replay(dir);
      expect(records).toHaveLength(3);
      expect(readdirSync(dir)).toEqual(['0000000001.wal']);
    });

    it('treats a cut file before the newest one as damage', async () => {
      await threeGroups();
      const w = await open();
      await w.append(batch([entry(9, [9], [9])]));
      await w.close();
      truncateSync(path(), statSync(path()).size - 3);
      await expect(replay(dir)).rejects.toBeInstanceOf(CorruptionError);
    });
  });

  describe('faults', () => {
    it('rejects a write on ENOSPC without acknowledging it, and writes again once space returns', async () => {
      const io = new FaultFileIO(new NodeFileIO());
      const w = await open(io);
      await w.append(batch([entry(1, [1], [1])]));
      // Each failing write leaves 5 bytes of its group behind, which the writer zeroes out again.
      io.inject({ op: 'write', path: '.wal', code: 'ENOSPC', partialBytes: 5, times: 1 });
      await expect(w.append(batch([entry(2, [2], [2])]))).rejects.toBeInstanceOf(DiskFullError);
      io.inject({ op: 'write', path: '.wal', code: 'ENOSPC', partialBytes: 5, times: 1 });
      await expect(w.append(batch([entry(3, [3], [3])]))).rejects.toBeInstanceOf(DiskFullError);
      await w.append(batch([entry(2, [4], [4])]));
      await w.close();
      expect(applied).toEqual(['d1:1', 'd2:1']);
      // The partial bytes were undone; d2 is defined again in the record that reached the file.
      expect((await replay(dir)).records).toEqual(['d1:1=1', 'd2:4=4']);
    });

    it('stops acknowledging when a failed write can not be undone', async () => {
      const io = new FaultFileIO(new NodeFileIO());
      const w = await open(io);
      io.inject({ op: 'write', path: '.wal', code: 'EIO', times: 2 });
      await expect(w.append(batch([entry(1, [1], [1])]))).rejects.toThrow(/EIO/);
      await expect(w.append(batch([entry(1, [2], [2])]))).rejects.toBeInstanceOf(EngineFailedError);
      await w.close();
    });

    it('rejects writes while no new file can be created, and goes on once space returns', async () => {
      const io = new FaultFileIO(new NodeFileIO());
      const w = await open(io, { mode: 'fsync' }, 200);
      await new Promise((r) => setTimeout(r, 20));
      // The disk fills: the spare is already there, the one after it can not be made.
      const spaceBack = io.inject({ op: 'open', path: /0000000003\.wal/, code: 'ENOSPC' });
      let rejected = 0;
      for (let i = 0; i < 12; i++) {
        await w.append(batch([entry(1, [i], [i])])).catch((e) => {
          expect(e).toBeInstanceOf(DiskFullError);
          rejected++;
        });
      }
      expect(rejected).toBeGreaterThan(0);
      spaceBack();
      await w.append(batch([entry(1, [100], [100])]));
      await w.close();
      const { records } = await replay(dir);
      expect(records.length).toBe(12 - rejected + 1);
    });

    it('rejects a write on EIO and keeps going', async () => {
      const io = new FaultFileIO(new NodeFileIO());
      const w = await open(io);
      io.inject({ op: 'write', path: '.wal', code: 'EIO', times: 1 });
      await expect(w.append(batch([entry(1, [1], [1])]))).rejects.toThrow(/EIO/);
      await w.append(batch([entry(1, [2], [2])]));
      await w.close();
      expect((await replay(dir)).records).toEqual(['d1:2=2']);
    });

    it('stops acknowledging for good after a failed fsync', async () => {
      const io = new FaultFileIO(new NodeFileIO());
      const w = await open(io);
      io.inject({ op: 'sync', path: '.wal', code: 'EIO', times: 1 });
      await expect(w.append(batch([entry(1, [1], [1])]))).rejects.toBeInstanceOf(EngineFailedError);
      // The fault is gone, but the writer must not pretend the earlier data is safe.
      await expect(w.append(batch([entry(1, [2], [2])]))).rejects.toBeInstanceOf(EngineFailedError);
      await expect(w.rotate(() => 1)).rejects.toBeInstanceOf(EngineFailedError);
      expect(applied).toEqual([]);
      await w.close();
    });
  });
});
