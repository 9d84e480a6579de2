// Writes one immutable segment file from series given in label order, streaming.
//
// Invariants: a segment appears under its name only complete, checksummed and durable: it is
// written to `<name>.tmp`, fsynced, renamed and the directory fsynced. On any failure (ENOSPC,
// EIO, bad input, a failing source iterable) the temporary file is removed, nothing is left under
// the name, and the error is thrown: DiskFullError for ENOSPC, IOError for other I/O failures,
// SegmentInputError for input that breaks the contract below.
// Memory: blocks are encoded into a chunk of a few MiB that is written out whenever it fills, so
// the file is never held whole; only the index entries (a few dozen bytes per block) stay in memory.
// Fault model: the process may die at any point; then only `<name>.tmp` can remain, which is
// never mistaken for a segment (the engine removes stray temporary files at start-up).

import { join } from 'node:path';
import { FileHandle, FileIO } from '../fs/io';
import { ioFailure } from '../fs/errors';
import { EngineError, EngineErrorCode } from '../model/errors';
import { compareLabelSets } from '../model/labels';
import { LabelSet } from '../model/types';
import { encodeBlock, summarize } from './block';
import { ByteWriter } from './bytes';
import { crc32 } from './crc';
import { encodeFooter, encodeHeader } from './layout';
import { BlockMeta, SeriesMeta, encodeIndex } from './segment-index';

/** One series to store: time-ordered, unique timestamps (integer ms) and their values. */
export interface SegmentSeries {
  labels: LabelSet;
  timestamps: Float64Array;
  values: Float64Array;
}

export interface WriteSegmentOptions {
  /** Most samples per block; a series is split into equal blocks of at most this many. */
  blockSamples?: number;
  /** Encoded bytes buffered before each write to the file. */
  chunkBytes?: number;
}

/** What the engine records about a written segment. */
export interface SegmentInfo {
  name: string;
  sizeBytes: number;
  series: number;
  samples: number;
  minT: number;
  maxT: number;
}

/**
 * Samples per block. Measured on the fleet workload (bench/segment/codec.ts, FORMAT.md): 0.441
 * bytes/sample at 720 against 0.385 at 2,160 and 0.834 at 120; a block then covers 2 h of a 10 s
 * series, so summaries answer downsampled queries with buckets of 2 h or more.
 */
export const DEFAULT_BLOCK_SAMPLES = 720;
const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
/** Blocks are bounded so that one block always decodes into modest reusable arrays. */
export const MAX_BLOCK_SAMPLES = 65536;

/** The input broke writeSegment's contract; names the series and, for samples, the index. */
export class SegmentInputError extends EngineError {
  constructor(
    code: Extract<EngineErrorCode, 'INVALID_SERIES' | 'INVALID_SAMPLE'>,
    message: string,
    readonly labels?: LabelSet,
    readonly sample?: number,
  ) {
    super(code, message);
    this.name = 'SegmentInputError';
  }
}

async function io<T>(file: string, op: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw ioFailure(err, file, op);
  }
}

function describe(labels: LabelSet): string {
  return JSON.stringify(labels);
}

function checkSeries(s: SegmentSeries, prev: LabelSet | undefined): void {
  const { labels, timestamps, values } = s;
  if (labels === null || typeof labels !== 'object') {
    throw new SegmentInputError('INVALID_SERIES', 'series without a label set');
  }
  for (const [name, value] of Object.entries(labels)) {
    if (name === '' || typeof value !== 'string') {
      throw new SegmentInputError('INVALID_SERIES', `label ${JSON.stringify(name)} of ${describe(labels)} is not a non-empty name with a string value`, labels);
    }
  }
  if (prev !== undefined && compareLabelSets(prev, labels) >= 0) {
    throw new SegmentInputError('INVALID_SERIES', `series ${describe(labels)} is not after ${describe(prev)} in label order`, labels);
  }
  if (!(timestamps instanceof Float64Array) || !(values instanceof Float64Array)) {
    throw new SegmentInputError('INVALID_SAMPLE', `series ${describe(labels)}: timestamps and values must be Float64Arrays`, labels);
  }
  if (timestamps.length !== values.length) {
    throw new SegmentInputError('INVALID_SAMPLE', `series ${describe(labels)}: ${timestamps.length} timestamps but ${values.length} values`, labels);
  }
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (!Number.isSafeInteger(t)) {
      throw new SegmentInputError('INVALID_SAMPLE', `series ${describe(labels)}: timestamp ${t} at index ${i} is not an integer number of ms`, labels, i);
    }
    if (i > 0 && t <= timestamps[i - 1]) {
      throw new SegmentInputError('INVALID_SAMPLE', `series ${describe(labels)}: timestamp ${t} at index ${i} does not increase`, labels, i);
    }
  }
}

/** Encodes the series' blocks into `chunk`, flushing it to the file when it holds chunkBytes. */
class BlockSink {
  readonly chunk: ByteWriter;
  fileOffset = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly chunkBytes: number,
  ) {
    this.chunk = new ByteWriter(chunkBytes + 64 * 1024);
  }

  async append(bytes: Uint8Array): Promise<void> {
    this.chunk.ensure(bytes.length);
    this.chunk.buf.set(bytes, this.chunk.pos);
    this.chunk.pos += bytes.length;
    if (this.chunk.pos >= this.chunkBytes) await this.flush();
  }

  async addSeries(s: SegmentSeries, blockSamples: number): Promise<BlockMeta[]> {
    const n = s.timestamps.length;
    const blockCount = Math.ceil(n / blockSamples);
    const perBlock = Math.ceil(n / blockCount);
    const blocks: BlockMeta[] = [];
    for (let from = 0; from < n; from += perBlock) {
      const count = Math.min(perBlock, n - from);
      const start = this.chunk.pos;
      encodeBlock(this.chunk, s.timestamps, s.values, from, count);
      this.chunk.u32(crc32(this.chunk.buf.subarray(start, this.chunk.pos)));
      blocks.push({
        offset: this.fileOffset + start,
        sizeBytes: this.chunk.pos - start,
        ...summarize(s.timestamps, s.values, from, count),
      });
      if (this.chunk.pos >= this.chunkBytes) await this.flush();
    }
    return blocks;
  }

  async flush(): Promise<void> {
    if (this.chunk.pos === 0) return;
    const bytes = this.chunk.bytes();
    await io(this.fh.path, 'write', () => this.fh.write(bytes, this.fileOffset));
    this.fileOffset += bytes.length;
    this.chunk.pos = 0;
  }
}

/**
 * Writes series (in ascending label order, see compareLabelSets) as segment `name` in `dir`,
 * atomically and durably, and returns its totals. Series without samples are skipped (they hold
 * nothing); a segment without any sample is refused.
 * @example
 * const info = await writeSegment(io, '/data/segments', 'seg-000042', headSeries());
 */
export async function writeSegment(
  fileIO: FileIO,
  dir: string,
  name: string,
  series: Iterable<SegmentSeries> | AsyncIterable<SegmentSeries>,
  options: WriteSegmentOptions = {},
): Promise<SegmentInfo> {
  const blockSamples = options.blockSamples ?? DEFAULT_BLOCK_SAMPLES;
  if (!Number.isInteger(blockSamples) || blockSamples < 1 || blockSamples > MAX_BLOCK_SAMPLES) {
    throw new RangeError(`blockSamples must be an integer in 1..${MAX_BLOCK_SAMPLES}, got ${blockSamples}`);
  }
  const finalPath = join(dir, name);
  const tmpPath = `${finalPath}.tmp`;
  const fh = await io(tmpPath, 'open', () => fileIO.open(tmpPath, 'w'));
  let open = true;
  let renamed = false;
  try {
    const sink = new BlockSink(fh, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    await sink.append(encodeHeader());
    const metas: SeriesMeta[] = [];
    let prev: LabelSet | undefined;
    let samples = 0;
    for await (const s of series) {
      checkSeries(s, prev);
      prev = s.labels;
      const n = s.timestamps.length;
      if (n === 0) continue;
      const blocks = await sink.addSeries(s, blockSamples);
      metas.push({ labels: s.labels, minT: s.timestamps[0], maxT: s.timestamps[n - 1], count: n, blocks });
      samples += n;
    }
    if (samples === 0) throw new SegmentInputError('INVALID_SAMPLE', `segment ${name} would hold no samples`);
    await sink.flush();
    const indexOffset = sink.fileOffset;
    const lastBlock = metas[metas.length - 1].blocks.at(-1) as BlockMeta;
    if (indexOffset !== lastBlock.offset + lastBlock.sizeBytes) {
      throw new Error(`segment writer lost track of its blocks: they end at ${lastBlock.offset + lastBlock.sizeBytes}, the file at ${indexOffset}`);
    }

    const index = new ByteWriter(64 * 1024);
    encodeIndex(index, metas);
    const indexLength = index.pos;
    index.u32(crc32(index.buf.subarray(0, indexLength)));
    let minT = Infinity;
    let maxT = -Infinity;
    for (const m of metas) {
      minT = Math.min(minT, m.minT);
      maxT = Math.max(maxT, m.maxT);
    }
    await sink.append(index.bytes());
    await sink.append(encodeFooter({ indexOffset, indexLength, series: metas.length, samples, minT, maxT }));
    await sink.flush();
    const sizeBytes = sink.fileOffset;

    await io(tmpPath, 'fsync', () => fh.sync());
    open = false;
    await io(tmpPath, 'close', () => fh.close());
    await io(finalPath, 'rename', () => fileIO.rename(tmpPath, finalPath));
    renamed = true;
    await io(dir, 'fsync', () => fileIO.fsyncDir(dir));
    return { name, sizeBytes, series: metas.length, samples, minT, maxT };
  } catch (err) {
    if (open) await fh.close().catch(() => undefined);
    await fileIO.unlink(renamed ? finalPath : tmpPath).catch(() => undefined);
    throw err;
  }
}
