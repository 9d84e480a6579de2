// Engines for HTTP tests that need the engine to fail or to wait: a wrapper around the in-memory
// model whose calls can be held until the test releases them, or made to throw.

import { MemoryEngine } from '../../engine/testing/memory-engine';
import { StorageEngine } from '../../engine/model/types';

type Method = 'write' | 'select' | 'aggregate' | 'latest' | 'labelNames' | 'labelValues' | 'series' | 'seriesCount';

/** The in-memory model, with a way to hold or fail each kind of call. */
export class ControlledEngine extends MemoryEngine implements StorageEngine {
  private readonly held = new Map<Method, Array<() => void>>();
  private readonly holding = new Set<Method>();
  private readonly failures = new Map<Method, Error>();
  wasClosed = false;

  /** Calls of `method` wait from now on until release(method). */
  hold(method: Method): void {
    this.holding.add(method);
  }

  /** Lets every held call of `method` (and later ones) go on. */
  release(method: Method): void {
    this.holding.delete(method);
    for (const go of this.held.get(method)?.splice(0) ?? []) go();
  }

  /** How many calls of `method` are waiting now. */
  waiting(method: Method): number {
    return this.held.get(method)?.length ?? 0;
  }

  failWith(method: Method, error: Error | undefined): void {
    if (error) this.failures.set(method, error);
    else this.failures.delete(method);
  }

  override async write(...args: Parameters<MemoryEngine['write']>) {
    await this.gate('write');
    return super.write(...args);
  }

  override async select(...args: Parameters<MemoryEngine['select']>) {
    await this.gate('select');
    return super.select(...args);
  }

  override async aggregate(...args: Parameters<MemoryEngine['aggregate']>) {
    await this.gate('aggregate');
    return super.aggregate(...args);
  }

  override async latest(...args: Parameters<MemoryEngine['latest']>) {
    await this.gate('latest');
    return super.latest(...args);
  }

  override async seriesCount(...args: Parameters<MemoryEngine['seriesCount']>) {
    await this.gate('seriesCount');
    return super.seriesCount(...args);
  }

  override async close(): Promise<void> {
    this.wasClosed = true;
    return super.close();
  }

  private async gate(method: Method): Promise<void> {
    if (this.holding.has(method)) {
      await new Promise<void>((resolve) => {
        if (!this.held.has(method)) this.held.set(method, []);
        this.held.get(method)!.push(resolve);
      });
    }
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }
}

/** Resolves once `condition` holds, checking on each turn of the event loop. */
export async function until(condition: () => boolean, what: string, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting until ${what}`);
}
