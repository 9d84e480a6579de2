// FileIO on the real file system (node:fs/promises).

import { constants, promises as fsp } from 'node:fs';
import { FileHandle, FileIO, OpenMode } from './io';

const FLAGS: Record<OpenMode, string> = { r: 'r', a: 'a', w: 'w', wx: 'wx', 'r+': 'r+' };

class NodeFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    private readonly fh: fsp.FileHandle,
    private readonly append: boolean,
  ) {}

  async write(data: Uint8Array, position?: number): Promise<void> {
    let offset = 0;
    // fs.write may write fewer bytes than asked (e.g. near ENOSPC); loop until all are written.
    while (offset < data.length) {
      const pos = this.append || position === undefined ? null : position + offset;
      const { bytesWritten } = await this.fh.write(data, offset, data.length - offset, pos);
      offset += bytesWritten;
    }
  }

  async read(into: Uint8Array, position: number, length = into.length): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(into, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  sync(): Promise<void> {
    return this.fh.sync();
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export class NodeFileIO implements FileIO {
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fh = await fsp.open(path, FLAGS[mode]);
    return new NodeFileHandle(path, fh, mode === 'a');
  }

  readFile(path: string): Promise<Buffer> {
    return fsp.readFile(path);
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return fsp.unlink(path);
  }

  async mkdir(path: string): Promise<void> {
    await fsp.mkdir(path, { recursive: true });
  }

  async readdir(path: string): Promise<string[]> {
    return (await fsp.readdir(path)).sort();
  }

  async fsyncDir(path: string): Promise<void> {
    const fh = await fsp.open(path, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.access(path);
      return true;
    } catch {
      return false;
    }
  }

  async stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    const s = await fsp.stat(path);
    return { size: s.size, isDirectory: s.isDirectory() };
  }

  async freeBytes(path: string): Promise<number> {
    const s = await fsp.statfs(path);
    return s.bavail * s.bsize;
  }
}
