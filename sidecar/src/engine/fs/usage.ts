// How many bytes the files directly in a directory hold: what the disk-size retention limit counts
// for the WAL and the snapshots (preallocated WAL space included: the disk holds it too).

import { join } from 'node:path';
import { ioFailure } from './errors';
import { FileIO } from './io';

/** Sum of the sizes of the files in `dir` (subdirectories not counted); 0 if it does not exist. */
export async function filesBytes(io: FileIO, dir: string): Promise<number> {
  if (!(await io.exists(dir))) return 0;
  let total = 0;
  for (const name of await io.readdir(dir)) {
    const path = join(dir, name);
    try {
      const s = await io.stat(path);
      if (!s.isDirectory) total += s.size;
    } catch (e) {
      // Removed between the listing and the stat (an old WAL file, the spare): it holds nothing now.
      if ((e as { code?: string }).code === 'ENOENT') continue;
      throw ioFailure(e, path, 'stat');
    }
  }
  return total;
}
