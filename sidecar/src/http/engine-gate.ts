// The engine as the HTTP layer sees it: not there yet while recovery runs (NOT_READY), there, or
// going away during shutdown (SHUTTING_DOWN). The server listens before recovery ends so that
// /health and /ready can answer.

import { HttpError } from './errors';
import { StorageEngine } from '../engine/model/types';

export class EngineGate {
  private engine?: StorageEngine;
  private failure?: Error;
  private stopping = false;
  private readonly waiters: Array<(engine: StorageEngine) => void> = [];

  constructor(engine: StorageEngine | Promise<StorageEngine>) {
    Promise.resolve(engine).then(
      (e) => {
        this.engine = e;
        for (const resolve of this.waiters.splice(0)) resolve(e);
      },
      (e: Error) => {
        this.failure = e;
      },
    );
  }

  get ready(): boolean {
    return this.engine !== undefined && !this.stopping;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** The engine, or NOT_READY / SHUTTING_DOWN. */
  get(): StorageEngine {
    if (this.stopping) throw new HttpError('SHUTTING_DOWN', 'the sidecar is shutting down');
    if (this.engine) return this.engine;
    if (this.failure) throw new HttpError('NOT_READY', `the storage engine failed to open: ${this.failure.message}`);
    throw new HttpError('NOT_READY', 'the sidecar is still recovering its data; retry shortly', undefined, { 'Retry-After': '1' });
  }

  /** The engine once it is open (for things that start after recovery, like the Prometheus API). */
  whenReady(): Promise<StorageEngine> {
    if (this.engine) return Promise.resolve(this.engine);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The engine if it opened; used by metrics, which must not throw. */
  peek(): StorageEngine | undefined {
    return this.engine;
  }

  /** From now on requests that need the engine are refused with SHUTTING_DOWN. */
  stop(): void {
    this.stopping = true;
  }
}
