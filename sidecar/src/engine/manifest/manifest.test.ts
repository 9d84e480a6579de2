// The manifest installs atomically and refuses any damaged byte.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultFileIO } from '../fs/fault-io';
import { NodeFileIO } from '../fs/node-io';
import { CorruptionError, DiskFullError } from '../model/errors';
import { Manifest, MANIFEST_NAME, readManifest, writeManifest } from './manifest';

const io = new NodeFileIO();
const m: Manifest = {
  walFlushedTo: 4,
  nextSeq: 3,
  segments: [{ name: '0000000002-0.seg', seq: 2, level: 0, minT: 0, maxT: 99, samples: 100, sizeBytes: 1234 }],
};

describe('manifest', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ss-manifest-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is absent in a new directory and round-trips', async () => {
    expect(await readManifest(io, dir)).toBeUndefined();
    await writeManifest(io, dir, m);
    expect(await readManifest(io, dir)).toEqual(m);
    expect(readdirSync(dir)).toEqual([MANIFEST_NAME]);
  });

  it('refuses every flipped byte with the file and an offset', async () => {
    await writeManifest(io, dir, m);
    const path = join(dir, MANIFEST_NAME);
    const good = readFileSync(path);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] ^= 0x20;
      writeFileSync(path, bad);
      const err = await readManifest(io, dir).catch((e) => e);
      expect(err).toBeInstanceOf(CorruptionError);
      expect(err.file).toBe(path);
    }
    writeFileSync(path, good.subarray(0, good.length - 1));
    await expect(readManifest(io, dir)).rejects.toThrow(/body bytes/);
  });

  it('keeps the old manifest when installing a new one fails', async () => {
    await writeManifest(io, dir, m);
    const faulty = new FaultFileIO(io);
    faulty.inject({ op: 'write', code: 'ENOSPC' });
    await expect(writeManifest(faulty, dir, { ...m, walFlushedTo: 9 })).rejects.toBeInstanceOf(DiskFullError);
    expect(await readManifest(io, dir)).toEqual(m);
    expect(readdirSync(dir)).toEqual([MANIFEST_NAME]);
  });
});
