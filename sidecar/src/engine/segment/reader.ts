// Reads a segment file: opens it by checking header, footer and index, then serves blocks.
//
// Invariants: no byte of the file reaches a caller unchecked. The header and footer are checked
// byte by byte and by CRC, the index by its CRC and by parsing it completely (block ranges must
// tile the file between header and index), every block by its CRC before it is cached or decoded,
// and every decoded block against its index entry (count, first and last timestamp). Any mismatch
// is a CorruptionError naming the file and the byte offset of the damaged region; no wrong data
// is ever returned. I/O failures are IOErrors.
// Reads are batched: the blocks of many requests are sorted by offset and neighbouring ones are
// read together (gaps up to MAX_GAP_BYTES, reads up to MAX_READ_BYTES), so a query over a
// thousand series does a handful of reads. Verified payloads go to the shared BlockCache.

import { basename } from 'node:path';
import { FileHandle, FileIO } from '../fs/io';
import { ioFailure } from '../fs/errors';
import { CorruptionError, IOError } from '../model/errors';
import { compareLabelSets } from '../model/labels';
import { LabelSet, SeriesSamples } from '../model/types';
import { decodeBlock } from './block';
import { MalformedError } from './bytes';
import { BlockCache } from './cache';
import { crc32 } from './crc';
import { FOOTER_SIZE, HEADER_SIZE, checkHeader, parseFooter } from './layout';
import { BlockMeta, IndexedSeries, LabelCache, parseIndex } from './segment-index';
import { SegmentInfo } from './writer';

/** Neighbouring blocks closer than this are read together, the gap read and discarded. */
export const MAX_GAP_BYTES = 64 * 1024;
/** Upper bound of one coalesced read. */
export const MAX_READ_BYTES = 8 * 1024 * 1024;
const DEFAULT_SCAN_BATCH_BYTES = 4 * 1024 * 1024;

export interface SegmentReaderOptions {
  /** Shared cache of verified block payloads; without one every read goes to the file. */
  cache?: BlockCache;
  /** Shares label sets with the other segments opened with it (see LabelCache). */
  labels?: LabelCache;
}

/** A block of a series, both by position: series index in `reader.series`, block index in its `blocks`. */
export interface BlockRef {
  series: number;
  block: number;
}

export interface ReadBlocksOptions {
  /** Use and fill the cache (default true). Compaction passes false to keep queries' blocks cached. */
  cache?: boolean;
}

/** Samples of one series within [start, end) (default: all). */
export interface SeriesRequest {
  series: number;
  start?: number;
  end?: number;
}

let nextReaderId = 1;

async function io<T>(file: string, op: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw ioFailure(err, file, op);
  }
}

/** Reads exactly `length` bytes at `position`, or says where the file ended. */
async function readExactly(fh: FileHandle, file: string, position: number, length: number, what: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const got = await io(file, 'read', () => fh.read(buf, position, length));
  if (got < length) throw new CorruptionError(file, position + got, `file ends inside the ${what}`);
  return buf;
}

/** First index in ts[0, n) whose timestamp is >= t. */
function lowerBound(ts: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SegmentReader {
  private closed = false;
  private readonly id = nextReaderId++;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly info: SegmentInfo,
    /** Every series in ascending label order, with its blocks' places and summaries. */
    readonly series: readonly IndexedSeries[],
    private readonly cache: BlockCache | undefined,
  ) {}

  /**
   * Opens a segment, checking its header, footer and index (three reads); blocks are read later.
   * @example
   * const reader = await SegmentReader.open(io, '/data/segments/seg-000042', { cache });
   */
  static async open(fileIO: FileIO, path: string, options: SegmentReaderOptions = {}): Promise<SegmentReader> {
    const fh = await io(path, 'open', () => fileIO.open(path, 'r'));
    try {
      const sizeBytes = await io(path, 'stat', () => fh.size());
      if (sizeBytes < HEADER_SIZE + FOOTER_SIZE) {
        throw new CorruptionError(path, sizeBytes, `file of ${sizeBytes} bytes is too short to be a segment`);
      }
      checkHeader(path, await readExactly(fh, path, 0, HEADER_SIZE, 'header'));
      const footerAt = sizeBytes - FOOTER_SIZE;
      const footer = parseFooter(path, await readExactly(fh, path, footerAt, FOOTER_SIZE, 'footer'), footerAt);
      if (footer.indexOffset < HEADER_SIZE || footer.indexOffset + footer.indexLength + 4 !== footerAt) {
        throw new CorruptionError(path, footerAt, `index at ${footer.indexOffset} (+${footer.indexLength}) does not end where the footer starts`);
      }
      const indexBytes = await readExactly(fh, path, footer.indexOffset, footer.indexLength + 4, 'index');
      const payload = indexBytes.subarray(0, footer.indexLength);
      const stored = new DataView(indexBytes.buffer).getUint32(footer.indexLength, true);
      if (crc32(payload) !== stored) throw new CorruptionError(path, footer.indexOffset, 'index checksum mismatch');
      let series: IndexedSeries[];
      try {
        series = parseIndex(payload, HEADER_SIZE, footer.indexOffset, options.labels);
      } catch (err) {
        if (err instanceof MalformedError) throw new CorruptionError(path, footer.indexOffset + err.offset, `index: ${err.detail}`);
        throw err;
      }
      let samples = 0;
      let minT = Infinity;
      let maxT = -Infinity;
      for (const s of series) {
        samples += s.count;
        if (s.minT < minT) minT = s.minT;
        if (s.maxT > maxT) maxT = s.maxT;
      }
      if (series.length !== footer.series || samples !== footer.samples || minT !== footer.minT || maxT !== footer.maxT) {
        throw new CorruptionError(path, footerAt, 'footer totals do not match the index');
      }
      const info: SegmentInfo = { name: basename(path), sizeBytes, series: series.length, samples, minT, maxT };
      return new SegmentReader(fh, path, info, series, options.cache);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Index of the series with exactly these labels, or -1. */
  findSeries(labels: LabelSet): number {
    let lo = 0;
    let hi = this.series.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareLabelSets(this.series[mid].labels, labels);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  blockMeta(ref: BlockRef): BlockMeta {
    const s = this.series[ref.series];
    if (s === undefined || !(ref.block >= 0 && ref.block < s.blockCount)) throw new RangeError(`no block ${ref.block} of series ${ref.series} in ${this.path}`);
    return s.block(ref.block);
  }

  /**
   * Returns the CRC-checked payloads of the given blocks, in the order asked. Cached ones come from
   * the cache; the others are read in as few coalesced reads as their offsets allow.
   */
  async readBlocks(refs: readonly BlockRef[], options: ReadBlocksOptions = {}): Promise<Uint8Array[]> {
    if (this.closed) throw new IOError(this.path, 'read', { cause: new Error('segment reader is closed') });
    const cache = options.cache === false ? undefined : this.cache;
    const out: Uint8Array[] = new Array(refs.length);
    const wanted = new Map<number, { meta: BlockMeta; key: string; slots: number[] }>();
    refs.forEach((ref, slot) => {
      const meta = this.blockMeta(ref);
      const key = `${this.id}:${this.series[ref.series].firstBlock + ref.block}`;
      const cached = cache?.get(key);
      if (cached !== undefined) {
        out[slot] = cached;
        return;
      }
      const entry = wanted.get(meta.offset);
      if (entry) entry.slots.push(slot);
      else wanted.set(meta.offset, { meta, key, slots: [slot] });
    });
    const pending = [...wanted.values()].sort((a, b) => a.meta.offset - b.meta.offset);
    let i = 0;
    while (i < pending.length) {
      const start = pending[i].meta.offset;
      let end = start + pending[i].meta.sizeBytes;
      let j = i + 1;
      while (j < pending.length) {
        const next = pending[j].meta;
        if (next.offset - end > MAX_GAP_BYTES || next.offset + next.sizeBytes - start > MAX_READ_BYTES) break;
        end = next.offset + next.sizeBytes;
        j++;
      }
      const run = await readExactly(this.fh, this.path, start, end - start, 'blocks');
      for (let k = i; k < j; k++) {
        const { meta, key, slots } = pending[k];
        let payload = this.verify(run, meta.offset - start, meta);
        if (cache) {
          payload = payload.slice();
          cache.set(key, payload);
        }
        for (const slot of slots) out[slot] = payload;
      }
      i = j;
    }
    return out;
  }

  private verify(run: Uint8Array, at: number, meta: BlockMeta): Uint8Array {
    const payloadBytes = meta.sizeBytes - 4;
    const payload = run.subarray(at, at + payloadBytes);
    const c = at + payloadBytes;
    const stored = (run[c] | (run[c + 1] << 8) | (run[c + 2] << 16) | (run[c + 3] << 24)) >>> 0;
    if (crc32(payload) !== stored) throw new CorruptionError(this.path, meta.offset, 'block checksum mismatch');
    return payload;
  }

  /**
   * Decodes a payload from readBlocks into timestamps/values[at, at + count) and returns count.
   * The arrays can be reused from block to block; they must have room for the block's count.
   */
  decodeBlock(ref: BlockRef, payload: Uint8Array, timestamps: Float64Array, values: Float64Array, at = 0): number {
    const meta = this.blockMeta(ref);
    if (at + meta.count > timestamps.length || at + meta.count > values.length) {
      throw new RangeError(`a block of ${meta.count} samples does not fit the output arrays at ${at}`);
    }
    let n: number;
    try {
      n = decodeBlock(payload, timestamps, values, at, meta.count);
    } catch (err) {
      if (err instanceof MalformedError) throw new CorruptionError(this.path, meta.offset + err.offset, `block: ${err.detail}`);
      throw err;
    }
    if (n !== meta.count || timestamps[at] !== meta.minT || timestamps[at + n - 1] !== meta.maxT) {
      throw new CorruptionError(this.path, meta.offset, 'block does not match its index entry');
    }
    return n;
  }

  /**
   * Samples of many series at once (one coalesced batch of reads), each clipped to its [start, end).
   * Answers one entry per request, in request order. The arrays are views into two buffers shared by
   * the whole answer (one allocation instead of two per series); the caller may keep them.
   */
  async readSeries(requests: readonly SeriesRequest[], options: ReadBlocksOptions = {}): Promise<SeriesSamples[]> {
    const refs: BlockRef[] = [];
    let total = 0;
    const plans = requests.map((req) => {
      const s = this.series[req.series];
      if (s === undefined) throw new RangeError(`no series ${req.series} in ${this.path}`);
      const start = req.start ?? -Infinity;
      const end = req.end ?? Infinity;
      const first = refs.length;
      const at = total;
      for (let block = 0; block < s.blockCount; block++) {
        const b = s.block(block);
        if (b.maxT >= start && b.minT < end) {
          refs.push({ series: req.series, block });
          total += b.count;
        }
      }
      return { s, start, end, first, last: refs.length, at };
    });
    const payloads = await this.readBlocks(refs, options);
    const timestamps = new Float64Array(total);
    const values = new Float64Array(total);
    return plans.map((p) => {
      let n = 0;
      for (let k = p.first; k < p.last; k++) n += this.decodeBlock(refs[k], payloads[k], timestamps, values, p.at + n);
      const ts = timestamps.subarray(p.at, p.at + n);
      const lo = p.start <= p.s.minT ? 0 : lowerBound(ts, n, p.start);
      const hi = p.end > p.s.maxT ? n : lowerBound(ts, n, p.end);
      return { labels: p.s.labels, timestamps: ts.subarray(lo, hi), values: values.subarray(p.at + lo, p.at + hi) };
    });
  }

  /**
   * Every series with all its samples, in label order, for compaction: reads batches of about
   * `batchBytes` of blocks at a time and bypasses the cache.
   */
  async *scan(options: { batchBytes?: number } = {}): AsyncGenerator<SeriesSamples> {
    const batchBytes = options.batchBytes ?? DEFAULT_SCAN_BATCH_BYTES;
    let next = 0;
    while (next < this.series.length) {
      const batch: SeriesRequest[] = [];
      let bytes = 0;
      while (next < this.series.length && (batch.length === 0 || bytes < batchBytes)) {
        const s = this.series[next];
        for (let k = 0; k < s.blockCount; k++) bytes += s.block(k).sizeBytes;
        batch.push({ series: next++ });
      }
      yield* await this.readSeries(batch, { cache: false });
    }
  }

  /** Closes the file and drops this reader's blocks from the cache. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.cache) {
      const last = this.series[this.series.length - 1];
      const blocks = last ? last.firstBlock + last.blockCount : 0;
      for (let b = 0; b < blocks; b++) this.cache.delete(`${this.id}:${b}`);
    }
    await io(this.path, 'close', () => this.fh.close());
  }
}
