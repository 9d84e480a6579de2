// The segment index: every series' labels and, per block, its place in the file and its summary.
//
// Layout (FORMAT.md "Index"): a symbol table of the distinct label strings, then per series its
// label pairs as symbol numbers and its blocks. Block offsets are not stored: blocks lie back to
// back from the end of the header in index order, so sizes determine them, and the parser checks
// that they exactly fill the space up to the index. Times are deltas from the previous time (see
// writeTime); summary floats are short decimals where possible.
//
// Parsed, a segment's blocks are rows of one Float64Array rather than an object each, and labels
// can be shared among segments (LabelCache): start-up parses every live segment's index, and
// thousands of small objects per segment cost it more in garbage collection than the parse itself.

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
 * Shares label sets among the segments parsed with it: a series found in many segments gets one
 * object, recognised by its symbols instead of being decoded and checked again. For opening the live
 * segments together at start-up; it keeps every set it saw, so it is dropped afterwards.
 */
export class LabelCache {
  private readonly symbolNumbers = new Map<string, number>();
  private readonly sets = new Map<string, LabelSet>();

  /** A number for `symbol`, the same in every segment. */
  numberOf(symbol: string): number {
    let n = this.symbolNumbers.get(symbol);
    if (n === undefined) this.symbolNumbers.set(symbol, (n = this.symbolNumbers.size));
    return n;
  }

  get(key: string): LabelSet | undefined {
    return this.sets.get(key);
  }

  set(key: string, labels: LabelSet): void {
    this.sets.set(key, labels);
  }
}

/**
 * Parses an index payload whose blocks must exactly fill [blocksStart, blocksEnd) of the file.
 * Throws MalformedError with the offset within `payload`.
 */
export function parseIndex(payload: Uint8Array, blocksStart: number, blocksEnd: number, cache?: LabelCache): IndexedSeries[] {
  const r = new ByteReader(payload);
  const symbols = readSymbols(r, payload.length);
  const shared = cache && { cache, numbers: symbols.map((s) => cache.numberOf(s)) };
  const seriesCount = r.uvarint();
  if (seriesCount > payload.length) r.fail(`${seriesCount} series cannot fit`);
  const labels: LabelSet[] = [];
  /** Series s has blocks [ends[s], ends[s + 1]). */
  const ends: number[] = [0];
  const rows = new BlockRows(blocksStart);
  for (let s = 0; s < seriesCount; s++) {
    labels.push(shared ? readSharedLabels(r, symbols, shared) : readLabels(r, symbols, r.uvarint()));
    readBlocks(r, rows, blocksEnd, payload.length);
    ends.push(rows.count);
  }
  if (r.pos !== payload.length) r.fail(`${payload.length - r.pos} unexpected bytes after the index`);
  if (rows.offset !== blocksEnd) throw new MalformedError(r.pos, `blocks end at ${rows.offset}, the index starts at ${blocksEnd}`);
  const table = rows.done();
  const out: IndexedSeries[] = [];
  for (let s = 0; s < seriesCount; s++) out.push(new IndexedSeries(labels[s], table, ends[s], ends[s + 1] - ends[s]));
  return out;
}

/**
 * A series as its segment's index lists it. Its blocks are rows of the segment's block table; the
 * `blocks` array is made only when first asked for, since start-up opens every segment and most
 * series are then only read through block(k) (queries) or not at all.
 */
export class IndexedSeries implements SeriesMeta {
  readonly minT: number;
  readonly maxT: number;
  readonly count: number;
  private made?: readonly BlockMeta[];

  constructor(
    readonly labels: LabelSet,
    private readonly table: Float64Array,
    /** Number of the series' first block in the segment (blocks are numbered in file order). */
    readonly firstBlock: number,
    readonly blockCount: number,
  ) {
    this.minT = table[firstBlock * ROW + MIN_T];
    this.maxT = table[(firstBlock + blockCount - 1) * ROW + MAX_T];
    let count = 0;
    for (let b = firstBlock; b < firstBlock + blockCount; b++) count += table[b * ROW + COUNT];
    this.count = count;
  }

  /** Block k of the series (a new view each call). */
  block(k: number): BlockMeta {
    if (!(k >= 0 && k < this.blockCount)) throw new RangeError(`no block ${k} in a series of ${this.blockCount}`);
    return new BlockRow(this.table, (this.firstBlock + k) * ROW);
  }

  get blocks(): readonly BlockMeta[] {
    return (this.made ??= Array.from({ length: this.blockCount }, (_, k) => this.block(k)));
  }
}

/** One series' blocks, checked: in time order, each within the blocks' part of the file. */
function readBlocks(r: ByteReader, rows: BlockRows, blocksEnd: number, payloadBytes: number): void {
  const blockCount = r.uvarint();
  if (blockCount === 0 || blockCount > payloadBytes) r.fail(`series with ${blockCount} blocks`);
  let prevT = 0;
  for (let b = 0; b < blockCount; b++) {
    const at = r.pos;
    const sizeBytes = r.uvarint();
    const n = r.uvarint();
    const minT = readTime(r, prevT);
    const maxT = readTime(r, minT);
    const nanCount = r.uvarint();
    if (sizeBytes < 5 || rows.offset + sizeBytes > blocksEnd) r.fail(`block of ${sizeBytes} bytes at ${rows.offset} runs past the blocks`, at);
    if (n === 0 || nanCount > n) r.fail(`block with ${n} samples and ${nanCount} NaN`, at);
    if (maxT < minT || (b > 0 && minT <= prevT)) r.fail('block times out of order', at);
    const row = rows.add(sizeBytes);
    const table = rows.table;
    table[row + COUNT] = n;
    table[row + MIN_T] = minT;
    table[row + MAX_T] = maxT;
    table[row + NAN_COUNT] = nanCount;
    table[row + MIN] = readSummaryFloat(r);
    table[row + MAX] = readSummaryFloat(r);
    table[row + SUM] = readSummaryFloat(r);
    table[row + FIRST] = readSummaryFloat(r);
    table[row + LAST] = readSummaryFloat(r);
    prevT = maxT;
  }
}

/** Where each number of a block lies in its row of the table. */
const OFFSET = 0;
const SIZE_BYTES = 1;
const COUNT = 2;
const MIN_T = 3;
const MAX_T = 4;
const NAN_COUNT = 5;
const MIN = 6;
const MAX = 7;
const SUM = 8;
const FIRST = 9;
const LAST = 10;
const ROW = 11;

/** The table of a segment's blocks while its index is parsed: rows in file order. */
class BlockRows {
  table = new Float64Array(ROW * 256);
  count = 0;

  /** @param offset File offset of the next block (they lie back to back). */
  constructor(public offset: number) {}

  /** Adds the row of the next block, of `sizeBytes`; returns where it starts in `table`. */
  add(sizeBytes: number): number {
    if ((this.count + 1) * ROW > this.table.length) {
      const next = new Float64Array(this.table.length * 2);
      next.set(this.table);
      this.table = next;
    }
    const at = this.count++ * ROW;
    this.table[at + OFFSET] = this.offset;
    this.table[at + SIZE_BYTES] = sizeBytes;
    this.offset += sizeBytes;
    return at;
  }

  /** The rows, without the room left for more. */
  done(): Float64Array {
    return this.table.slice(0, this.count * ROW);
  }
}

/** A block's entry: a view of its row in its segment's table (numbers as fields would be boxed doubles). */
class BlockRow implements BlockMeta {
  constructor(
    private readonly table: Float64Array,
    private readonly at: number,
  ) {}

  get offset(): number {
    return this.table[this.at + OFFSET];
  }

  get sizeBytes(): number {
    return this.table[this.at + SIZE_BYTES];
  }

  get count(): number {
    return this.table[this.at + COUNT];
  }

  get minT(): number {
    return this.table[this.at + MIN_T];
  }

  get maxT(): number {
    return this.table[this.at + MAX_T];
  }

  get nanCount(): number {
    return this.table[this.at + NAN_COUNT];
  }

  get min(): number {
    return this.table[this.at + MIN];
  }

  get max(): number {
    return this.table[this.at + MAX];
  }

  get sum(): number {
    return this.table[this.at + SUM];
  }

  get first(): number {
    return this.table[this.at + FIRST];
  }

  get last(): number {
    return this.table[this.at + LAST];
  }
}

function readSymbols(r: ByteReader, payloadBytes: number): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const symbolCount = r.uvarint();
  if (symbolCount > payloadBytes) r.fail(`${symbolCount} symbols cannot fit`);
  const symbols: string[] = [];
  for (let i = 0; i < symbolCount; i++) {
    const len = r.uvarint();
    r.need(len, 'symbol');
    try {
      symbols.push(decoder.decode(r.buf.subarray(r.pos, r.pos + len)));
    } catch {
      r.fail('symbol is not valid UTF-8');
    }
    r.pos += len;
  }
  return symbols;
}

function readSymbol(r: ByteReader, symbols: readonly string[]): number {
  const at = r.pos;
  const id = r.uvarint();
  if (id >= symbols.length) r.fail(`symbol ${id} not in the table of ${symbols.length}`, at);
  return id;
}

/** A series' `labelCount` label pairs, checked: every symbol in the table, no name twice. */
function readLabels(r: ByteReader, symbols: readonly string[], labelCount: number): LabelSet {
  const pairs: Array<[string, string]> = [];
  const names = new Set<string>();
  for (let l = 0; l < labelCount; l++) {
    const at = r.pos;
    const name = symbols[readSymbol(r, symbols)];
    if (names.has(name)) r.fail(`label ${name} repeated`, at);
    names.add(name);
    pairs.push([name, symbols[readSymbol(r, symbols)]]);
  }
  // Object.fromEntries defines own properties, so no label name can reach the prototype.
  return Object.fromEntries(pairs);
}

/** The key of the series being read through a LabelCache, reused from series to series. */
let keyBytes = Buffer.allocUnsafe(256);

/**
 * readLabels through the cache: the same symbols in the same order make the same labels, which
 * passed the same checks when first read, so a known series is recognised by its symbol numbers.
 * The key is their varints (prefix-free, so different sequences give different keys) as one string.
 */
function readSharedLabels(r: ByteReader, symbols: readonly string[], shared: { cache: LabelCache; numbers: number[] }): LabelSet {
  const labelCount = r.uvarint();
  const start = r.pos;
  let p = 0;
  for (let i = 0; i < 2 * labelCount; i++) {
    let n = shared.numbers[readSymbol(r, symbols)];
    if (p + 5 > keyBytes.length) keyBytes = Buffer.concat([keyBytes, Buffer.allocUnsafe(keyBytes.length)]);
    while (n >= 0x80) {
      keyBytes[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    keyBytes[p++] = n;
  }
  const key = keyBytes.toString('latin1', 0, p);
  const known = shared.cache.get(key);
  if (known) return known;
  r.pos = start;
  const labels = readLabels(r, symbols, labelCount);
  shared.cache.set(key, labels);
  return labels;
}
