// Where ingest bodies are decoded: in worker threads (so parsing runs on another core while the main
// thread answers HTTP and drives the engine), or on the main thread (tests, --ingest-workers 0).
//
// Invariants: a worker names series by ids of its own; the main thread keeps, per worker, the labels
// and engine ref of every id it was told about, and registers the new series of every answer before
// using the answer (answers of one worker arrive in order). When a worker's cache drops series it
// starts a new generation and announces again every series it names, so the main thread can forget
// the old ids. A worker that dies fails the requests it held (500) and is replaced.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { DecodeProblems } from './answer';
import { BuiltBatch, SeriesHandle, toBatch } from './batch';
import { DecodeJob, Decoders, WorkerRequest, WorkerResponse } from './decode';
import { IgnoredParts } from './remote-write';
import { HttpError, HttpErrorCode } from '../errors';

export interface DecodedBatch {
  built: BuiltBatch;
  problems: DecodeProblems;
  ignored: IgnoredParts;
}

export interface IngestDecoder {
  decode(job: DecodeJob): Promise<DecodedBatch>;
  close(): Promise<void>;
}

/** Decodes on the calling thread. */
export class InlineDecoder implements IngestDecoder {
  private readonly decoders = new Decoders();

  async decode(job: DecodeJob): Promise<DecodedBatch> {
    const columns = this.decoders.decode(job);
    return { built: toBatch(columns.series, columns.offsets, columns.times, columns.values), problems: columns.problems, ignored: columns.ignored };
  }

  async close(): Promise<void> {}
}

interface Pending {
  resolve: (batch: DecodedBatch) => void;
  reject: (error: Error) => void;
}

/** One decode worker and what the main thread knows of its series. */
class DecodeWorker {
  private worker!: Worker;
  private readonly pending = new Map<number, Pending>();
  private series = new Map<number, SeriesHandle>();
  private generation = -1;
  private nextId = 1;
  private closing = false;

  constructor(private readonly file: string) {
    this.start();
  }

  get load(): number {
    return this.pending.size;
  }

  decode(job: DecodeJob): Promise<DecodedBatch> {
    const id = this.nextId++;
    // Handed over as it is when the body owns its whole memory (one assembled from several chunks
    // does); a body sharing memory (a single socket chunk) is copied first.
    const src = job.body;
    const owned = src.buffer instanceof ArrayBuffer && src.byteOffset === 0 && src.byteLength === src.buffer.byteLength;
    const body = owned ? new Uint8Array(src.buffer) : new Uint8Array(src);
    const request: WorkerRequest = { id, job: { ...job, body } };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, [body.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private start(): void {
    this.series = new Map();
    this.generation = -1;
    // Its garbage is short-lived (bodies and columns handed on at once): a small young generation
    // keeps the worker's memory near its live data (about 30 MiB less at peak) at no measured cost.
    this.worker = new Worker(this.file, { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.unref();
    this.worker.on('message', (response: WorkerResponse) => this.answer(response));
    this.worker.on('error', (e) => this.fail(`the decode worker failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      if (this.closing) return;
      this.fail(`the decode worker exited with code ${code}`);
      this.start();
    });
  }

  private answer(response: WorkerResponse): void {
    const waiting = this.pending.get(response.id);
    this.pending.delete(response.id);
    if ('error' in response) {
      const { code, message } = response.error;
      const details = 'details' in response.error ? response.error.details : undefined;
      waiting?.reject(new HttpError(code as HttpErrorCode, message, details));
      return;
    }
    if (response.generation !== this.generation) {
      this.generation = response.generation;
      this.series = new Map();
    }
    for (const { id, labels } of response.newSeries) this.series.set(id, { labels, ref: -1 });
    const handles: SeriesHandle[] = new Array(response.seriesIds.length);
    for (let i = 0; i < handles.length; i++) handles[i] = this.series.get(response.seriesIds[i])!;
    waiting?.resolve({
      built: toBatch(handles, response.offsets, response.times, response.values),
      problems: response.problems,
      ignored: response.ignored,
    });
  }

  private fail(message: string): void {
    for (const { reject } of this.pending.values()) reject(new HttpError('INTERNAL', `${message}; the request was not stored`));
    this.pending.clear();
  }
}

/** Decode workers; each job goes to the least busy one. */
export class WorkerDecoderPool implements IngestDecoder {
  private readonly workers: DecodeWorker[];

  constructor(size: number, file: string) {
    this.workers = Array.from({ length: size }, () => new DecodeWorker(file));
  }

  decode(job: DecodeJob): Promise<DecodedBatch> {
    let best = this.workers[0];
    for (const w of this.workers) if (w.load < best.load) best = w;
    return best.decode(job);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

/**
 * Workers when asked for and the compiled worker exists (it does in sidecar/dist; tests that run the
 * TypeScript sources decode on the main thread).
 */
export function createIngestDecoder(workers: number): IngestDecoder {
  const file = join(__dirname, 'decode-worker.js');
  if (workers <= 0 || !existsSync(file)) return new InlineDecoder();
  return new WorkerDecoderPool(workers, file);
}
