// One process per data directory: a LOCK file holding the owner's pid.
//
// A lock left by a process that no longer runs (after kill -9) is taken over; a live owner makes
// open() fail with a message naming it, instead of two processes appending to one WAL.

import { join } from 'node:path';
import { FileIO } from './fs/io';
import { EngineError } from './model/errors';

export async function acquireLock(io: FileIO, dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  if (await io.exists(path)) {
    const owner = Number((await io.readFile(path)).toString('utf8').trim());
    // An empty or torn LOCK (a power loss before its sync) reads as 0 or NaN: no owner. Pid 0 must
    // not reach kill(), which would ask about this process group and always find it alive.
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new EngineError('IO_ERROR', `the data directory ${dir} is in use by process ${owner}`);
    }
  }
  const f = await io.open(path, 'w');
  try {
    await f.write(Buffer.from(`${process.pid}\n`), 0);
    await f.sync();
  } finally {
    await f.close();
  }
  return async () => {
    await io.unlink(path).catch(() => undefined);
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
