import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileIO } from './node-io';

describe('NodeFileIO', () => {
  let dir: string;
  const io = new NodeFileIO();
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ss-io-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, appends, reads at a position, truncates and renames durably', async () => {
    const path = join(dir, 'f');
    const w = await io.open(path, 'a');
    await w.write(Buffer.from('hello '));
    await w.write(Buffer.from('world'));
    await w.sync();
    expect(await w.size()).toBe(11);
    await w.close();

    const r = await io.open(path, 'r+');
    const buf = Buffer.alloc(5);
    expect(await r.read(buf, 6)).toBe(5);
    expect(buf.toString()).toBe('world');
    await r.truncate(5);
    await r.close();
    expect((await io.readFile(path)).toString()).toBe('hello');

    await io.rename(path, join(dir, 'g'));
    await io.fsyncDir(dir);
    expect(await io.readdir(dir)).toEqual(['g']);
    expect(await io.exists(path)).toBe(false);
    expect((await io.stat(join(dir, 'g'))).size).toBe(5);
    expect(await io.freeBytes(dir)).toBeGreaterThan(0);
  });

  it('refuses to create over an existing file with wx', async () => {
    const path = join(dir, 'f');
    await (await io.open(path, 'w')).close();
    await expect(io.open(path, 'wx')).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
