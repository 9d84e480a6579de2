// A decode worker: parses ingest bodies off the main thread and answers columns of samples. Series
// are named by their id in this worker; the labels of a series travel once (per cache generation),
// the first time the main thread sees it.

import { parentPort } from 'node:worker_threads';

import { Decoders, WorkerRequest, WorkerResponse } from './decode';
import { HttpError } from '../errors';

const port = parentPort;
if (!port) throw new Error('decode-worker.ts runs only as a worker thread');

const decoders = new Decoders();

port.on('message', ({ id, job }: WorkerRequest) => {
  let response: WorkerResponse;
  try {
    const columns = decoders.decode(job);
    const generation = decoders.generation;
    const newSeries: Array<{ id: number; labels: Record<string, string> }> = [];
    const seriesIds = new Int32Array(columns.series.length);
    columns.series.forEach((s, i) => {
      seriesIds[i] = s.id;
      if (s.announcedIn !== generation) {
        s.announcedIn = generation;
        newSeries.push({ id: s.id, labels: { ...s.labels } });
      }
    });
    response = { id, generation, seriesIds, newSeries, offsets: columns.offsets, times: columns.times, values: columns.values, problems: columns.problems, ignored: columns.ignored };
    // The body goes back with the answer: detached here, this thread keeps no garbage of its own,
    // which would otherwise grow to V8's external-memory headroom (tens of MiB) before a collection.
    port.postMessage(response, [seriesIds.buffer, columns.offsets.buffer, columns.times.buffer, columns.values.buffer, job.body.buffer] as ArrayBuffer[]);
  } catch (e) {
    const error = e instanceof HttpError ? { code: e.code, message: e.message, details: e.details } : { code: 'INTERNAL' as const, message: `decoding failed: ${(e as Error).message}` };
    port.postMessage({ id, error } satisfies WorkerResponse, [job.body.buffer as ArrayBuffer]);
  }
});
