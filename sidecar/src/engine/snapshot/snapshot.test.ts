// Snapshots round-trip bit-exactly, install atomically, and refuse any damaged byte.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultFileIO } from '../fs/fault-io';
import { NodeFileIO } from '../fs/node-io';
import { CorruptionError, DiskFullError } from '../model/errors';
import { listSnapshots, readSnapshot, Snapshot, snapshotPath, writeSnapshot } from './snapshot';

const io = new NodeFileIO();
const staleNaN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];

function sample(): Snapshot {
  return {
    walTo: 7,
    sections: [
      { walFrom: 3, walTo: 5, series: [{ labels: { __name__: 'temperature', device: 'd1' }, timestamps: Float64Array.of(-5, 1000, 2000), values: Float64Array.of(21.5, -0, staleNaN) }] },
      {
        walFrom: 5,
        walTo: 7,
        series: [
          { labels: { __name__: 'humidity', site: 'Zürich' }, timestamps: Float64Array.of(1), values: Float64Array.of(Infinity) },
          { labels: { __name__: 'battery' }, timestamps: new Float64Array(0), values: new Float64Array(0) },
        ],
      },
    ],
  };
}

describe('snapshots', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ss-snap-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips sections, labels and values bit-exactly', async () => {
    await writeSnapshot(io, dir, sample());
    expect(await listSnapshots(io, dir)).toEqual([7]);
    const back = await readSnapshot(io, dir, 7);
    expect(back).toEqual(sample());
    const bits = new BigUint64Array(back.sections[0].series[0].values.buffer);
    expect(bits[2]).toBe(0x7ff0000000000002n);
    expect(Object.is(back.sections[0].series[0].values[1], -0)).toBe(true);
  });

  it('splits large sections over several frames', async () => {
    const series = Array.from({ length: 300 }, (_, i) => ({
      labels: { __name__: 'm', i: String(i) },
      timestamps: Float64Array.from({ length: 500 }, (_, k) => k * 10_000),
      values: Float64Array.from({ length: 500 }, (_, k) => Math.sin(i + k)),
    }));
    await writeSnapshot(io, dir, { walTo: 2, sections: [{ walFrom: 1, walTo: 2, series }] });
    expect((await readSnapshot(io, dir, 2)).sections[0].series).toEqual(series);
  });

  it('refuses every flipped byte and every truncation with the file and an offset', async () => {
    await writeSnapshot(io, dir, sample());
    const path = snapshotPath(dir, 7);
    const good = readFileSync(path);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] ^= 0x01;
      writeFileSync(path, bad);
      const err = await readSnapshot(io, dir, 7).catch((e) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect(err.file).toBe(path);
      expect(err.offset).toBeLessThanOrEqual(i + 1);
    }
    for (const cut of [0, 10, 25, good.length - 1]) {
      writeFileSync(path, good.subarray(0, cut));
      await expect(readSnapshot(io, dir, 7)).rejects.toBeInstanceOf(CorruptionError);
    }
  });

  it('leaves no file behind when the disk fills', async () => {
    const faulty = new FaultFileIO(io);
    faulty.inject({ op: 'write', code: 'ENOSPC', partialBytes: 10 });
    await expect(writeSnapshot(faulty, dir, sample())).rejects.toBeInstanceOf(DiskFullError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
