// Turning a line-protocol or remote write body into columns of samples grouped by series: the one
// step that runs either on the main thread or in a decode worker (decode-pool.ts).

import { DecodeProblems } from './answer';
import { BatchColumns } from './batch';
import { LineProtocolParser, Precision } from './line-protocol';
import { IgnoredParts, RemoteWriteDecoder, uncompressSnappy } from './remote-write';
import { HttpError } from '../errors';

export type DecodeJob =
  | { kind: 'lines'; body: Uint8Array; precision: Precision; db?: string; nowMs: number; maxSamples: number }
  | { kind: 'remote_write'; body: Uint8Array; maxSamples: number; maxBodyBytes: number };

export interface DecodedColumns extends BatchColumns {
  problems: DecodeProblems;
  ignored: IgnoredParts;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The parsers of one thread, with their series caches. */
export class Decoders {
  private readonly lines = new LineProtocolParser();
  private readonly remoteWrite = new RemoteWriteDecoder();

  /** Grows whenever a cache dropped series (their ids are not used again). */
  get generation(): number {
    return this.lines.cacheGeneration + this.remoteWrite.cacheGeneration;
  }

  /** @throws HttpError for bodies refused as a whole (TOO_MANY_SAMPLES, BODY_TOO_LARGE, INVALID_REQUEST) */
  decode(job: DecodeJob): DecodedColumns {
    if (job.kind === 'lines') {
      const parsed = this.lines.parse(asBuffer(job.body), { precision: job.precision, db: job.db, nowMs: job.nowMs, maxSamples: job.maxSamples });
      return { ...parsed.builder.columns(), problems: { rejectedLines: parsed.rejectedLines, lineErrors: parsed.errors }, ignored: { exemplar: 0, metadata: 0 } };
    }
    const decoded = this.remoteWrite.decode(uncompressSnappy(asBuffer(job.body), job.maxBodyBytes), job.maxSamples);
    const seriesErrors = [...decoded.errors];
    if (decoded.rejectedHistograms > 0) {
      seriesErrors.push({ series: '(native histograms)', message: `${decoded.rejectedHistograms} native histogram samples were rejected: only float samples can be stored` });
    }
    return {
      ...decoded.builder.columns(),
      problems: { rejectedSamples: { invalid_series: decoded.rejectedSamples, unsupported: decoded.rejectedHistograms }, seriesErrors },
      ignored: decoded.ignored,
    };
  }
}

/** A job for a decode worker (decode-worker.ts). */
export interface WorkerRequest {
  id: number;
  job: DecodeJob;
}

export type WorkerResponse =
  | {
      id: number;
      generation: number;
      /** Series of the batch by id, and the labels of those the main thread does not know yet. */
      seriesIds: Int32Array;
      newSeries: Array<{ id: number; labels: Record<string, string> }>;
      offsets: Int32Array;
      times: Float64Array;
      values: Float64Array;
      problems: DecodeProblems;
      ignored: IgnoredParts;
    }
  | { id: number; error: { code: HttpError['code']; message: string; details?: Record<string, unknown> } | { code: 'INTERNAL'; message: string } };
