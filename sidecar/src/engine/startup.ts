// Start-up housekeeping before recovery: which manifest to trust, and what crashed writers left.
//
// Invariants:
// - A data directory has a MANIFEST from its first open on (an empty one is installed then), so a
//   missing MANIFEST beside finished segment files means it was lost, not never written. Start-up
//   then stops with a CorruptionError instead of taking every segment for a leftover and deleting
//   the store. With repair, those files are moved to segments/unlisted/ (never deleted), and the
//   new manifest hands out seq numbers above theirs so no later segment is named like one of them.
// - Every temporary file (MANIFEST.tmp, *.snap.tmp, the WAL's *.wal.repair) is renamed into place
//   only once complete, and the file it would replace stays intact until that rename. One found at
//   start-up belongs to a writer that died first: it holds nothing recovery needs and is removed.
//   What repair set aside (wal/damaged/, *.damaged snapshots, segments/unlisted/) is kept. Segment
//   files (*.seg.tmp included) are the manifest's business: SegmentStore.strays.

import { join } from 'node:path';
import { ioFailure } from './fs/errors';
import { FileIO } from './fs/io';
import { emptyManifest, Manifest, MANIFEST_NAME, readManifest, writeManifest } from './manifest/manifest';
import { CorruptionError } from './model/errors';
import { EngineLogger } from './model/types';
import { segmentSeqOf, UNLISTED_DIR } from './segments';

export interface StartupDirs {
  dataDir: string;
  walDir: string;
  snapshotDir: string;
  segmentDir: string;
}

/** Temporary files, by the directory they are written in. */
const TEMP_FILES: Array<{ dir: 'dataDir' | 'walDir' | 'snapshotDir'; name: RegExp }> = [
  { dir: 'dataDir', name: new RegExp(`^${MANIFEST_NAME}\\.tmp$`) },
  { dir: 'snapshotDir', name: /^\d+\.snap\.tmp$/ },
  { dir: 'walDir', name: /^\d+\.wal\.repair$/ },
];

/** Removes the temporary files crashed writers left, and logs which. */
export async function removeTempFiles(io: FileIO, dirs: StartupDirs, logger?: EngineLogger): Promise<void> {
  const removed: string[] = [];
  for (const { dir, name } of TEMP_FILES) {
    if (!(await io.exists(dirs[dir]))) continue;
    const doomed = (await io.readdir(dirs[dir])).filter((n) => name.test(n)).map((n) => join(dirs[dir], n));
    for (const path of doomed) {
      try {
        await io.unlink(path);
      } catch (e) {
        throw ioFailure(e, path, 'unlink');
      }
    }
    if (doomed.length > 0) await io.fsyncDir(dirs[dir]);
    removed.push(...doomed);
  }
  if (removed.length > 0) logger?.info({ files: removed }, 'removed temporary files of writes a crash cut short');
}

/**
 * The manifest to start from. A new directory gets an empty one installed at once; a missing one
 * beside finished segments is a CorruptionError, or with `repair` moves those segments aside.
 */
export async function loadManifest(io: FileIO, dirs: StartupDirs, repair: boolean, logger?: EngineLogger): Promise<Manifest> {
  const found = await readManifest(io, dirs.dataDir);
  if (found) return found;
  const manifestPath = join(dirs.dataDir, MANIFEST_NAME);
  const segments = (await io.exists(dirs.segmentDir)) ? (await io.readdir(dirs.segmentDir)).filter((n) => segmentSeqOf(n) !== undefined) : [];
  const manifest = emptyManifest();
  if (segments.length > 0) {
    if (!repair) {
      throw new CorruptionError(
        manifestPath,
        0,
        `the manifest is missing but ${dirs.segmentDir} holds ${segments.length} finished segment files; nothing was deleted. ` +
          `Restore the manifest, or start with repair to move the segments to ${join(dirs.segmentDir, UNLISTED_DIR)} and go on without them`,
      );
    }
    const aside = await moveAside(io, dirs.segmentDir, segments);
    // Above every seq set aside, by this run or an earlier one a crash cut short.
    const setAside = (await io.readdir(aside)).map(segmentSeqOf).filter((seq): seq is number => seq !== undefined);
    manifest.nextSeq = Math.max(...setAside) + 1;
    logger?.warn({ file: manifestPath, segments: segments.length, movedTo: aside }, 'repair: the manifest was missing; set every segment file aside and started without them');
  }
  await writeManifest(io, dirs.dataDir, manifest);
  return manifest;
}

async function moveAside(io: FileIO, segmentDir: string, names: readonly string[]): Promise<string> {
  const aside = join(segmentDir, UNLISTED_DIR);
  try {
    await io.mkdir(aside);
    for (const name of names) {
      // A rename over a file of the same name would delete that one.
      const target = (await io.exists(join(aside, name))) ? `${name}.${Date.now()}` : name;
      await io.rename(join(segmentDir, name), join(aside, target));
    }
    await io.fsyncDir(aside);
    await io.fsyncDir(segmentDir);
  } catch (e) {
    throw ioFailure(e, aside, 'move unlisted segments aside');
  }
  return aside;
}
