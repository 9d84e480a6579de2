// Injected I/O faults while writing and reading segments: typed errors, no partial segment left.
import { join } from 'node:path';
import { FaultFileIO, FaultOp } from '../fs/fault-io';
import { NodeFileIO } from '../fs/node-io';
import { DiskFullError, IOError } from '../model/errors';
import { Random, testSeed } from '../query/testing/random';
import { SegmentReader } from './reader';
import { expectSameBits, sensorSeries, tempDir } from './testing/fixtures';
import { SegmentSeries, writeSegment } from './writer';

const seed = testSeed();

describe(`segment I/O faults (SEED=${seed})`, () => {
  const nodeIO = new NodeFileIO();
  let tmp: ReturnType<typeof tempDir>;
  let io: FaultFileIO;
  let series: SegmentSeries[];
  beforeEach(() => {
    tmp = tempDir('ss-seg-faults-');
    io = new FaultFileIO(nodeIO);
    const rnd = new Random(seed);
    series = Array.from({ length: 20 }, (_, i) => sensorSeries(rnd, { __name__: 'battery', device: `d${String(i).padStart(2, '0')}` }, 500));
  });
  afterEach(() => tmp.remove());

  const options = { chunkBytes: 512 };

  async function writesInACleanRun(): Promise<number> {
    io.logCalls = true;
    await writeSegment(io, tmp.dir, 'probe', series, options);
    await nodeIO.unlink(join(tmp.dir, 'probe'));
    io.logCalls = false;
    return io.log.filter((l) => l.startsWith('write')).length;
  }

  it('throws DiskFullError and leaves nothing when the disk fills at any write, then succeeds once space returns', async () => {
    const writes = await writesInACleanRun();
    expect(writes).toBeGreaterThan(5);
    for (let k = 1; k <= writes; k++) {
      // The k-th write fails; every other one writes only part of its data first, as a full disk does.
      const partialBytes = k % 2 ? 100 : undefined;
      io.crashAt(k, () => io.inject({ op: 'write', code: 'ENOSPC', partialBytes, times: 1 }), (op) => op === 'write');
      const err = await writeSegment(io, tmp.dir, 'seg', series, options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DiskFullError);
      expect((err as DiskFullError).file).toBe(join(tmp.dir, 'seg.tmp'));
      expect(await nodeIO.readdir(tmp.dir)).toEqual([]);
    }
    io.crashAt(0, () => undefined);
    const info = await writeSegment(io, tmp.dir, 'seg', series, options);
    expect(info.series).toBe(20);
    expect(await nodeIO.readdir(tmp.dir)).toEqual(['seg']);
  });

  const steps: Array<[string, FaultOp, 'ENOSPC' | 'EIO', typeof DiskFullError | typeof IOError]> = [
    ['creating the file', 'open', 'ENOSPC', DiskFullError],
    ['fsync of the file', 'sync', 'EIO', IOError],
    ['the rename', 'rename', 'EIO', IOError],
    ['fsync of the directory', 'fsyncDir', 'EIO', IOError],
  ];
  it.each(steps)('fails cleanly on %s', async (_, op, code, type) => {
    io.inject({ op, code, times: 1 });
    const err = await writeSegment(io, tmp.dir, 'seg', series, options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect(await nodeIO.readdir(tmp.dir)).toEqual([]);
    await writeSegment(io, tmp.dir, 'seg', series, options);
    expect(await nodeIO.readdir(tmp.dir)).toEqual(['seg']);
  });

  it('leaves nothing when the series source fails midway', async () => {
    function* failing(): Generator<SegmentSeries> {
      yield series[0];
      throw new Error('source broke');
    }
    await expect(writeSegment(io, tmp.dir, 'seg', failing(), options)).rejects.toThrow('source broke');
    expect(await nodeIO.readdir(tmp.dir)).toEqual([]);
  });

  it('reports read failures as IOError, not corruption, and reads again once they stop', async () => {
    await writeSegment(io, tmp.dir, 'seg', series, options);
    const path = join(tmp.dir, 'seg');
    io.inject({ op: 'read', code: 'EIO', times: 1 });
    await expect(SegmentReader.open(io, path)).rejects.toBeInstanceOf(IOError);
    const reader = await SegmentReader.open(io, path);
    io.inject({ op: 'read', code: 'EIO', times: 1 });
    await expect(reader.readSeries([{ series: 3 }])).rejects.toMatchObject({ code: 'IO_ERROR', file: path, op: 'read' });
    const [got] = await reader.readSeries([{ series: 3 }]);
    expectSameBits(got.values, series[3].values);
    await reader.close();
    await expect(reader.readSeries([{ series: 3 }])).rejects.toBeInstanceOf(IOError);
  });
});
