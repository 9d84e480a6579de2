import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NodeFileIO } from './fs/node-io';
import { acquireLock } from './lock';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensorstore-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const io = new NodeFileIO();

it('refuses a data directory whose LOCK names a live process', async () => {
  writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
  await expect(acquireLock(io, dir)).rejects.toThrow(`in use by process ${process.ppid}`);
});

it('takes over a LOCK left by a process that no longer runs', async () => {
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(join(dir, 'LOCK'), `${gone}\n`);
  const release = await acquireLock(io, dir);
  await release();
});

it.each([
  ['empty', ''],
  ['zero', '0\n'],
  ['torn', '\0\0\0'],
  ['negative', '-1\n'],
])('takes over a LOCK that names no process (%s), as a power loss before its sync leaves it', async (_name, content) => {
  writeFileSync(join(dir, 'LOCK'), content);
  const release = await acquireLock(io, dir);
  await release();
});
