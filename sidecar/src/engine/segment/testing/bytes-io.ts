// A read-only FileIO over in-memory files, so damage tests can try thousands of corrupted copies of
// a segment without touching the disk.

import { FileHandle, FileIO, OpenMode } from '../../fs/io';

export class BytesFileIO implements FileIO {
  readonly files = new Map<string, Uint8Array>();

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const data = this.files.get(path);
    if (mode !== 'r' || data === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return {
      path,
      read: async (into: Uint8Array, position: number, length = into.length) => {
        const part = data.subarray(position, position + length);
        into.set(part);
        return part.length;
      },
      size: async () => data.length,
      close: async () => undefined,
      write: () => Promise.reject(new Error('read-only')),
      sync: () => Promise.reject(new Error('read-only')),
      datasync: () => Promise.reject(new Error('read-only')),
      truncate: () => Promise.reject(new Error('read-only')),
    };
  }

  async readFile(path: string): Promise<Buffer> {
    const data = this.files.get(path);
    if (data === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return Buffer.from(data);
  }

  rename(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }

  unlink(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }

  mkdir(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }

  async readdir(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  fsyncDir(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }

  async exists(path: string): Promise<boolean> {
    return this.files.has(path);
  }

  async stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    return { size: this.files.get(path)?.length ?? 0, isDirectory: false };
  }

  async freeBytes(): Promise<number> {
    return 0;
  }
}
