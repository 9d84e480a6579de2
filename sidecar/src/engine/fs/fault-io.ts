// A FileIO that injects faults into another one, for tests of every storage module.
//
// Faults are rules matched against each call (operation and path); a matching rule makes the call
// fail with a Node-style error (`code` ENOSPC, EIO, ...) — before touching the file, or after
// writing only part of the data (a short write), as a full disk does. `crashAt` counts calls and
// runs a callback (a test child process SIGKILLs itself) just before the chosen one executes, so a
// crash can be placed at any step of a flush or a compaction.

import { FileHandle, FileIO, OpenMode } from './io';

export type FaultOp = 'open' | 'write' | 'read' | 'sync' | 'truncate' | 'readFile' | 'rename' | 'unlink' | 'mkdir' | 'readdir' | 'fsyncDir';

export interface FaultRule {
  op: FaultOp;
  /** Matches when the path contains this string or matches this regex; all paths when absent. */
  path?: string | RegExp;
  code: 'ENOSPC' | 'EIO' | 'EACCES';
  /** For writes: bytes written before failing (a short write). Default 0. */
  partialBytes?: number;
  /** Fail only this many times, then pass (default: until removed). */
  times?: number;
}

export class InjectedFault extends Error {
  constructor(
    readonly code: string,
    op: string,
    path: string,
  ) {
    super(`${code}: injected fault on ${op} ${path}`);
  }
}

export class FaultFileIO implements FileIO {
  private rules: FaultRule[] = [];
  private calls = 0;
  private crash?: { at: number; run: (op: FaultOp, path: string) => void; match?: (op: FaultOp, path: string) => boolean };
  /** Every call as "op path", for tests that assert on the order of durable steps. */
  readonly log: string[] = [];
  logCalls = false;
  /** When set, freeBytes() answers this instead of asking the file system. */
  freeBytesOverride?: number;
  private held: Array<{ op: 'read' | 'sync'; path: string | RegExp; reached: () => void; gate: Promise<void> }> = [];

  constructor(private readonly inner: FileIO) {}

  /** Adds a rule; returns a function that removes it ("space returns"). */
  inject(rule: FaultRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** Runs `run` just before the `at`-th (1-based) call that `match` accepts (all calls by default). */
  crashAt(at: number, run: (op: FaultOp, path: string) => void, match?: (op: FaultOp, path: string) => boolean): void {
    this.crash = { at, run, match };
    this.calls = 0;
  }

  /**
   * Holds the next read or sync of a file whose path matches until resume() is called, so a test
   * can keep a query in the middle of its reads, or a write before its fsync, while other work goes
   * on. `reached` resolves once that call is waiting.
   */
  hold(op: 'read' | 'sync', path: string | RegExp): { reached: Promise<void>; resume: () => void } {
    let resume!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    const whenReached = new Promise<void>((resolve) => (reached = resolve));
    this.held.push({ op, path, reached, gate });
    return { reached: whenReached, resume };
  }

  /** Waits if a hold matches (taking it, so only one call waits on it). */
  async gate(op: 'read' | 'sync', path: string): Promise<void> {
    const i = this.held.findIndex((h) => h.op === op && matchesPath(h.path, path));
    if (i < 0) return;
    const [hold] = this.held.splice(i, 1);
    hold.reached();
    await hold.gate;
  }

  /** Throws the injected error if a rule matches; returns the partial byte count for writes. */
  check(op: FaultOp, path: string): number | undefined {
    if (this.logCalls) this.log.push(`${op} ${path}`);
    if (this.crash && (!this.crash.match || this.crash.match(op, path)) && ++this.calls === this.crash.at) this.crash.run(op, path);
    const rule = this.rules.find((r) => r.op === op && matchesPath(r.path, path));
    if (!rule) return undefined;
    if (rule.times !== undefined && --rule.times <= 0) this.rules = this.rules.filter((r) => r !== rule);
    if (op === 'write' && rule.partialBytes) return rule.partialBytes;
    throw new InjectedFault(rule.code, op, path);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.check('open', path);
    return new FaultHandle(this, await this.inner.open(path, mode));
  }

  async readFile(path: string): Promise<Buffer> {
    this.check('readFile', path);
    return this.inner.readFile(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', to);
    return this.inner.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    return this.inner.unlink(path);
  }

  async mkdir(path: string): Promise<void> {
    this.check('mkdir', path);
    return this.inner.mkdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.check('readdir', path);
    return this.inner.readdir(path);
  }

  async fsyncDir(path: string): Promise<void> {
    this.check('fsyncDir', path);
    return this.inner.fsyncDir(path);
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    return this.inner.stat(path);
  }

  freeBytes(path: string): Promise<number> {
    return this.freeBytesOverride !== undefined ? Promise.resolve(this.freeBytesOverride) : this.inner.freeBytes(path);
  }
}

class FaultHandle implements FileHandle {
  constructor(
    private readonly io: FaultFileIO,
    private readonly inner: FileHandle,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  async write(data: Uint8Array, position?: number): Promise<void> {
    const partial = this.io.check('write', this.path);
    if (partial !== undefined) {
      await this.inner.write(data.subarray(0, Math.min(partial, data.length)), position);
      throw new InjectedFault('ENOSPC', 'write', this.path);
    }
    return this.inner.write(data, position);
  }

  async read(into: Uint8Array, position: number, length?: number): Promise<number> {
    await this.io.gate('read', this.path);
    this.io.check('read', this.path);
    return this.inner.read(into, position, length);
  }

  async sync(): Promise<void> {
    await this.io.gate('sync', this.path);
    this.io.check('sync', this.path);
    return this.inner.sync();
  }

  /** Counted and faulted as 'sync': to the test, both are "make it durable". */
  async datasync(): Promise<void> {
    await this.io.gate('sync', this.path);
    this.io.check('sync', this.path);
    return this.inner.datasync();
  }

  async truncate(length: number): Promise<void> {
    this.io.check('truncate', this.path);
    return this.inner.truncate(length);
  }

  size(): Promise<number> {
    return this.inner.size();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function matchesPath(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? path.includes(pattern) : pattern.test(path);
}
