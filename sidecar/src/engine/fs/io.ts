// The one interface through which the engine touches files.
//
// Every storage module (WAL, snapshots, segments, manifest) does its I/O through FileIO so that tests
// can inject faults (ENOSPC, EIO, short writes, failed fsync) at any call, the way TigerBeetle and
// SQLite test their storage. Implementations must report errors as thrown Node-style errors with a
// `code` ('ENOSPC', 'EIO', ...); the engine turns them into typed EngineErrors.

export interface FileHandle {
  readonly path: string;
  /** Writes all of `data` at `position` (or at the end for append handles). */
  write(data: Uint8Array, position?: number): Promise<void>;
  /** Reads up to `length` bytes at `position`; returns how many were read (0 at end of file). */
  read(into: Uint8Array, position: number, length?: number): Promise<number>;
  /** fsync: returns only once the file's data and metadata are on stable storage. */
  sync(): Promise<void>;
  /**
   * fdatasync: like sync, but skips metadata not needed to read the data back (times). Writes into
   * space the file already holds then need no journal commit, which makes it several times faster.
   */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** 'r' read; 'a' append (create); 'w' truncate or create; 'wx' create, fail if it exists; 'r+' read/write. */
export type OpenMode = 'r' | 'a' | 'w' | 'wx' | 'r+';

export interface FileIO {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates the directory and its parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Names (not paths) in the directory, sorted. */
  readdir(path: string): Promise<string[]>;
  /** Makes renames and creations in the directory durable. */
  fsyncDir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  stat(path: string): Promise<{ size: number; isDirectory: boolean }>;
  /** Free bytes on the file system that holds `path`. */
  freeBytes(path: string): Promise<number>;
}
