// The segment index: every series' labels and, per block, its place in the file and its summary.
//
// Layout (FORMAT.md "Index"): a symbol table of the distinct label strings, then per series its
// label pairs as symbol numbers and its blocks. Block offsets are not stored: blocks lie back to
// back from the end of the header in index order, so sizes determine them, and the parser checks
// that they exactly fill the space up to the index. Times are deltas from the previous time (see
// writeTime); summary floats are short decimals where possible.

import { LabelSet } from '../model/types';
import { sortedLabelPairs } from '../model/labels';
import { BlockSummary } from './block';
import { ByteReader, ByteWriter, MalformedError } from './bytes';
import { POW10, MAX_EXPONENT, decimalExponent } from './values';

/** A block's place in the file and its summary. */
export interface BlockMeta extends BlockSummary {
  /** File offset of the block's first byte. */
  offset: number;
  /** Bytes on disk: the payload and its 4-byte CRC32. */
  sizeBytes: number;
}

export interface SeriesMeta {
  labels: LabelSet;
  minT: number;
  maxT: number;
  /** Samples in all blocks. */
  count: number;
  blocks: readonly BlockMeta[];
}

const RAW_FLOAT = 0xff;
const MAX_TIME_DELTA = 2 ** 52;

/** Writes t relative to prev: an even varint 2*(t - prev) when that is exact, else 1 then t itself. */
function writeTime(w: ByteWriter, prev: number, t: number): void {
  const d = t - prev;
  if (d >= 0 && d <= MAX_TIME_DELTA && prev + d === t) {
    w.uvarint(d * 2);
  } else {
    w.uvarint(1);
    w.svarint(t);
  }
}

function readTime(r: ByteReader, prev: number): number {
  const at = r.pos;
  const x = r.uvarint();
  if (x % 2 === 0) return prev + x / 2;
  if (x !== 1) r.fail(`bad time tag ${x}`, at);
  return r.svarint();
}

/** A float as a short decimal (exponent byte, mantissa svarint) when exact, else tag 0xff and raw bits. */
function writeSummaryFloat(w: ByteWriter, v: number): void {
  const e = decimalExponent(v);
  if (e < 0) {
    w.u8(RAW_FLOAT);
    w.f64(v);
  } else {
    w.u8(e);
    w.svarint(Math.round(v * POW10[e]));
  }
}

function readSummaryFloat(r: ByteReader): number {
  const tag = r.u8();
  if (tag === RAW_FLOAT) return r.f64();
  if (tag > MAX_EXPONENT) r.fail(`bad float tag ${tag}`, r.pos - 1);
  return r.svarint() / POW10[tag];
}

/** Appends the index payload for `series` (given in ascending label order). */
export function encodeIndex(w: ByteWriter, series: readonly SeriesMeta[]): void {
  const symbols = new Map<string, number>();
  const pairs = series.map((s) => sortedLabelPairs(s.labels));
  for (const list of pairs) {
    for (const [name, value] of list) {
      if (!symbols.has(name)) symbols.set(name, symbols.size);
      if (!symbols.has(value)) symbols.set(value, symbols.size);
    }
  }
  const encoder = new TextEncoder();
  w.uvarint(symbols.size);
  for (const sym of symbols.keys()) {
    const bytes = encoder.encode(sym);
    w.uvarint(bytes.length);
    w.ensure(bytes.length);
    w.buf.set(bytes, w.pos);
    w.pos += bytes.length;
  }
  w.uvarint(series.length);
  series.forEach((s, i) => {
    w.uvarint(pairs[i].length);
    for (const [name, value] of pairs[i]) {
      w.uvarint(symbols.get(name) as number);
      w.uvarint(symbols.get(value) as number);
    }
    w.uvarint(s.blocks.length);
    let prevT = 0;
    for (const b of s.blocks) {
      w.uvarint(b.sizeBytes);
      w.uvarint(b.count);
      writeTime(w, prevT, b.minT);
      writeTime(w, b.minT, b.maxT);
      prevT = b.maxT;
      w.uvarint(b.nanCount);
      writeSummaryFloat(w, b.min);
      writeSummaryFloat(w, b.max);
      writeSummaryFloat(w, b.sum);
      writeSummaryFloat(w, b.first);
      writeSummaryFloat(w, b.last);
    }
  });
}

/**
 * Parses an index payload whose blocks must exactly fill [blocksStart, blocksEnd) of the file.
 * Throws MalformedError with the offset within `payload`.
 */
export function parseIndex(payload: Uint8Array, blocksStart: number, blocksEnd: number): SeriesMeta[] {
  const r = new ByteReader(payload);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const symbolCount = r.uvarint();
  if (symbolCount > payload.length) r.fail(`${symbolCount} symbols cannot fit`);
  const symbols: string[] = [];
  for (let i = 0; i < symbolCount; i++) {
    const len = r.uvarint();
    r.need(len, 'symbol');
    try {
      symbols.push(decoder.decode(payload.subarray(r.pos, r.pos + len)));
    } catch {
      r.fail('symbol is not valid UTF-8');
    }
    r.pos += len;
  }
  const symbol = (): string => {
    const at = r.pos;
    const id = r.uvarint();
    if (id >= symbols.length) r.fail(`symbol ${id} not in the table of ${symbols.length}`, at);
    return symbols[id];
  };
  const seriesCount = r.uvarint();
  if (seriesCount > payload.length) r.fail(`${seriesCount} series cannot fit`);
  const out: SeriesMeta[] = [];
  let offset = blocksStart;
  for (let s = 0; s < seriesCount; s++) {
    // Object.fromEntries defines own properties, so no label name can reach the prototype.
    const pairs: Array<[string, string]> = [];
    const names = new Set<string>();
    const labelCount = r.uvarint();
    for (let l = 0; l < labelCount; l++) {
      const at = r.pos;
      const name = symbol();
      if (names.has(name)) r.fail(`label ${name} repeated`, at);
      names.add(name);
      pairs.push([name, symbol()]);
    }
    const labels: LabelSet = Object.fromEntries(pairs);
    const blockCount = r.uvarint();
    if (blockCount === 0 || blockCount > payload.length) r.fail(`series with ${blockCount} blocks`);
    const blocks: BlockMeta[] = [];
    let prevT = 0;
    let count = 0;
    for (let b = 0; b < blockCount; b++) {
      const at = r.pos;
      const sizeBytes = r.uvarint();
      const n = r.uvarint();
      const minT = readTime(r, prevT);
      const maxT = readTime(r, minT);
      const nanCount = r.uvarint();
      if (sizeBytes < 5 || offset + sizeBytes > blocksEnd) r.fail(`block of ${sizeBytes} bytes at ${offset} runs past the blocks`, at);
      if (n === 0 || nanCount > n) r.fail(`block with ${n} samples and ${nanCount} NaN`, at);
      if (maxT < minT || (b > 0 && minT <= prevT)) r.fail('block times out of order', at);
      const block: BlockMeta = {
        offset,
        sizeBytes,
        count: n,
        minT,
        maxT,
        nanCount,
        min: readSummaryFloat(r),
        max: readSummaryFloat(r),
        sum: readSummaryFloat(r),
        first: readSummaryFloat(r),
        last: readSummaryFloat(r),
      };
      blocks.push(block);
      offset += sizeBytes;
      count += n;
      prevT = maxT;
    }
    out.push({ labels, minT: blocks[0].minT, maxT: prevT, count, blocks });
  }
  if (r.pos !== payload.length) r.fail(`${payload.length - r.pos} unexpected bytes after the index`);
  if (offset !== blocksEnd) throw new MalformedError(r.pos, `blocks end at ${offset}, the index starts at ${blocksEnd}`);
  return out;
}
