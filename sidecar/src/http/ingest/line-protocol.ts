// InfluxDB line protocol → one columnar write batch, parsed byte by byte from the request Buffer.
//
// `measurement,tag=v,tag2=v2 f1=1.5,f2=2i,f3=true 1700000000000000000` becomes series
// `measurement_f1{tag="v",tag2="v2"}`, `measurement_f2{...}` and `measurement_f3{...}`; a field named
// `value` becomes `measurement`. Integers (`2i`), unsigned integers (`2u`) and booleans (1/0) become
// numbers; string fields reject their line. Names are sanitised to Prometheus' rules (names.ts).
//
// Speed: the series key (measurement + tag set) of each line is looked up by its raw bytes in a
// cache of parsed keys, so a known series costs one string of its key bytes and a map look-up; its
// fields are matched by bytes against the fields seen before. Nothing per line is allocated besides
// that key string.
//
// Escapes (InfluxDB 1.x): in measurements `\,` and `\ `; in tag keys, tag values and field keys also
// `\=`. A backslash before any other character is kept as it is.

import { BatchBuilder, CachedSeries } from './batch';
import { HASH_SEED, KeyTable } from './key-table';
import { sanitizeLabelName, sanitizeMetricName } from './names';
import { InvalidSeriesError } from '../../engine/model/errors';
import { normalizeLabels } from '../../engine/model/labels';
import { METRIC_NAME_LABEL } from '../../engine/model/types';

/** Timestamp units, as the `precision` parameter names them. */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

export interface LineError {
  /** 1-based line number in the (decompressed) body. */
  line: number;
  message: string;
}

export interface LineProtocolRequest {
  precision: Precision;
  /** Added as label `db` to every series that has no tag named `db`. */
  db?: string;
  /** Timestamp (ms) for lines without one: when the request arrived. */
  nowMs: number;
  maxSamples: number;
}

export interface ParsedLines {
  builder: BatchBuilder;
  /** Lines that were neither empty nor comments. */
  lines: number;
  rejectedLines: number;
  /** The first MAX_LINE_ERRORS errors, in line order. */
  errors: LineError[];
}

export const MAX_LINE_ERRORS = 10;

/** The label a write's `db` (1.x) or `bucket` (2.x) is stored in, unless a line has a tag of that name. */
export const DATABASE_LABEL = 'db';

const SPACE = 0x20;
const TAB = 0x09;
const NL = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const HASH = 0x23;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_I = 0x69;
const LOWER_U = 0x75;

/** Exact powers of ten: a mantissa below 2^53 divided by one of these is correctly rounded. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const FLOAT_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
// Bounds as BigInt: near 2^63 and 2^64 doubles are 2048 apart, too coarse to tell 2^63-1 from 2^63.
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const TIME_DIVISOR: Record<Precision, number> = { ns: 1e6, us: 1e3, ms: 1, s: 1, m: 1, h: 1 };
const TIME_MULTIPLIER: Record<Precision, number> = { ns: 1, us: 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DIVISOR_DIGITS: Record<Precision, number> = { ns: 6, us: 3, ms: 0, s: 0, m: 0, h: 0 };

/** A parsed series key: the labels its fields share, and the fields seen so far with their series. */
interface KeyEntry {
  measurement: string;
  tags: Record<string, string>;
  /** Why every line with this key is rejected, if it is. */
  error?: string;
  fields: FieldEntry[];
}

interface FieldEntry {
  /** The field key's raw bytes, compared byte by byte against each line's. */
  raw: Buffer;
  series: CachedSeries;
}

class LineFailure {
  constructor(readonly message: string) {}
}

/**
 * Parses line-protocol bodies; one instance (and its cache) serves every request of a process.
 * @example new LineProtocolParser().parse(Buffer.from('m,site=a v=1 1000'), { precision: 'ms', nowMs: 0, maxSamples: 1e6 })
 */
export class LineProtocolParser {
  /** Per value of `db` (each adds a different label), the parsed keys by their raw bytes. */
  private readonly caches = new Map<string, KeyTable<KeyEntry>>();

  constructor(private readonly maxCachedKeys = 1_000_000) {}

  parse(buf: Buffer, req: LineProtocolRequest): ParsedLines {
    const builder = new BatchBuilder(req.maxSamples, Math.min(1 << 20, (buf.length >> 3) + 16));
    const cache = this.cacheFor(req.db ?? '');
    const state = new LineScan(buf, req, builder, cache);
    return state.run();
  }

  /** Grows whenever a cache is cleared, dropping cached series. */
  get cacheGeneration(): number {
    let clears = 0;
    for (const cache of this.caches.values()) clears += cache.clears;
    return clears;
  }

  private cacheFor(db: string): KeyTable<KeyEntry> {
    let cache = this.caches.get(db);
    if (!cache) {
      cache = new KeyTable<KeyEntry>(this.maxCachedKeys);
      this.caches.set(db, cache);
    }
    return cache;
  }
}

/** The scan of one body: position, line number, errors. */
class LineScan {
  private pos = 0;
  private lineNo = 0;
  private lines = 0;
  private rejectedLines = 0;
  private readonly errors: LineError[] = [];
  private readonly view: DataView;

  constructor(
    private readonly buf: Buffer,
    private readonly req: LineProtocolRequest,
    private readonly builder: BatchBuilder,
    private readonly cache: KeyTable<KeyEntry>,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  run(): ParsedLines {
    this.scanAll(this.buf.length);
    return { builder: this.builder, lines: this.lines, rejectedLines: this.rejectedLines, errors: this.errors };
  }

  // The loop has a function of its own: V8 compiles it on-stack while it runs, and code after the
  // loop in the same function would throw that compiled code away on every body.
  private scanAll(len: number): void {
    while (this.pos < len) this.step();
  }

  /** Parses the line at this.pos (or skips it when blank or a comment) and moves past it. */
  private step(): void {
    const buf = this.buf;
    const len = buf.length;
    this.lineNo++;
    let p = this.pos;
    while (p < len && (buf[p] === SPACE || buf[p] === TAB || buf[p] === CR)) p++;
    this.pos = p;
    if (p >= len) return;
    if (buf[p] === NL || buf[p] === HASH) return this.skipLine();
    this.lines++;
    const mark = this.builder.size;
    const line = this.lineNo;
    const failure = this.line();
    if (failure !== undefined) this.reject(failure, line, p, mark);
  }

  private reject(failure: LineFailure, line: number, lineStart: number, mark: number): void {
    this.builder.rollback(mark);
    this.rejectedLines++;
    if (this.errors.length < MAX_LINE_ERRORS) {
      this.errors.push({ line, message: `${failure.message}: ${snippet(this.buf, lineStart)}` });
    }
    this.skipLine();
  }

  /** Moves past the next newline. */
  private skipLine(): void {
    const nl = this.buf.indexOf(NL, this.pos);
    this.pos = nl < 0 ? this.buf.length : nl + 1;
  }

  /** Parses one line starting at this.pos; on success leaves pos after its newline. */
  private line(): LineFailure | undefined {
    const buf = this.buf;
    const len = buf.length;
    const keyStart = this.pos;
    let i = keyStart;
    let hash = HASH_SEED;
    // The key is read and hashed four bytes per step (a multiply's latency per byte would dominate
    // a line); a word holding a byte that ends the key or escapes the next one (found with the
    // "has zero byte" bit trick) drops to the byte-wise step below.
    const view = this.view;
    for (;;) {
      while (i + 4 <= len) {
        const w = view.getInt32(i, true);
        const space = w ^ 0x20202020;
        const nl = w ^ 0x0a0a0a0a;
        const bs = w ^ 0x5c5c5c5c;
        if ((((space - 0x01010101) & ~space) | ((nl - 0x01010101) & ~nl) | ((bs - 0x01010101) & ~bs)) & 0x80808080) break;
        hash = Math.imul(hash ^ w, 0x01000193);
        i += 4;
      }
      if (i >= len) break;
      const c = buf[i];
      if (c === SPACE) break;
      if (c === NL) return new LineFailure('missing fields');
      hash = Math.imul(hash ^ c, 0x01000193);
      if (c === BACKSLASH && i + 1 < len && buf[i + 1] !== NL) {
        i++;
        hash = Math.imul(hash ^ buf[i], 0x01000193);
      }
      i++;
    }
    if (i >= len) return new LineFailure('missing fields');
    const keyEnd = i;
    let entry = this.cache.get(view, keyStart, keyEnd, hash);
    if (!entry) {
      entry = parseKey(buf, keyStart, keyEnd, this.req.db);
      this.cache.set(buf, keyStart, keyEnd, hash, entry);
    }
    if (entry.error !== undefined) return new LineFailure(entry.error);
    i++;
    while (i < len && buf[i] === SPACE) i++;
    const from = this.builder.size;
    const afterFields = this.fields(entry, i);
    if (afterFields instanceof LineFailure) return afterFields;
    return this.timestamp(afterFields, from);
  }

  /** Parses `f1=v1,f2=v2` from `start`; returns the index just past the fields. */
  private fields(entry: KeyEntry, start: number): number | LineFailure {
    const buf = this.buf;
    const len = buf.length;
    let i = start;
    let index = 0;
    for (;;) {
      const nameStart = i;
      while (i < len) {
        const c = buf[i];
        if (c === EQUALS || c === SPACE || c === COMMA || c === NL) break;
        i += c === BACKSLASH && buf[i + 1] !== NL ? 2 : 1;
      }
      if (i >= len || buf[i] !== EQUALS) {
        return new LineFailure(i === nameStart ? 'missing field key' : `missing "=" after field key ${quoteBytes(buf, nameStart, Math.min(i, len))}`);
      }
      const nameEnd = i;
      if (nameEnd === nameStart) return new LineFailure('missing field key');
      i++;
      if (i < len && buf[i] === QUOTE) return this.stringField(buf, nameStart, nameEnd, i);
      const valueStart = i;
      while (i < len) {
        const c = buf[i];
        if (c === COMMA || c === SPACE || c === NL || c === CR) break;
        i++;
      }
      if (i === valueStart) return new LineFailure(`missing value of field ${quoteBytes(buf, nameStart, nameEnd)}`);
      const value = parseFieldValue(buf, valueStart, i);
      if (Number.isNaN(value)) {
        return new LineFailure(`invalid value ${quoteBytes(buf, valueStart, i)} of field ${quoteBytes(buf, nameStart, nameEnd)}`);
      }
      const series = fieldSeries(entry, buf, nameStart, nameEnd, index);
      if (series.error !== undefined) return new LineFailure(series.error);
      this.builder.add(series, 0, value);
      index++;
      if (i < len && buf[i] === COMMA) {
        i++;
        continue;
      }
      return i;
    }
  }

  /** String values are not stored; skip the string (it may hold newlines) and reject the line. */
  private stringField(buf: Buffer, nameStart: number, nameEnd: number, quoteAt: number): LineFailure {
    let i = quoteAt + 1;
    while (i < buf.length && buf[i] !== QUOTE) {
      if (buf[i] === NL) this.lineNo++;
      i += buf[i] === BACKSLASH ? 2 : 1;
    }
    this.pos = Math.min(i + 1, buf.length);
    return new LineFailure(`field ${quoteBytes(buf, nameStart, nameEnd)} has a string value; only numbers, integers and booleans can be stored`);
  }

  /** Parses the optional timestamp and the end of the line. */
  private timestamp(start: number, from: number): LineFailure | undefined {
    const buf = this.buf;
    const len = buf.length;
    let i = start;
    while (i < len && (buf[i] === SPACE || buf[i] === TAB)) i++;
    let t = this.req.nowMs;
    if (i < len && buf[i] !== NL && buf[i] !== CR) {
      const tsStart = i;
      while (i < len && buf[i] !== SPACE && buf[i] !== TAB && buf[i] !== NL && buf[i] !== CR) i++;
      t = parseTimestamp(buf, tsStart, i, this.req.precision);
      if (Number.isNaN(t)) {
        return new LineFailure(`invalid timestamp ${quoteBytes(buf, tsStart, i)} (an integer in ${this.req.precision} within ±2^53 ms)`);
      }
      while (i < len && (buf[i] === SPACE || buf[i] === TAB || buf[i] === CR)) i++;
    }
    while (i < len && buf[i] === CR) i++;
    if (i < len && buf[i] !== NL) {
      const eol = buf.indexOf(NL, i);
      return new LineFailure(`unexpected text ${quoteBytes(buf, i, eol < 0 ? len : eol)} after the timestamp`);
    }
    this.builder.setTimes(from, t);
    this.pos = i + 1;
    return undefined;
  }
}

/** The series of field `index` of a line with this key, matched by raw bytes (usually at `index`). */
function fieldSeries(entry: KeyEntry, buf: Buffer, start: number, end: number, index: number): CachedSeries {
  const fields = entry.fields;
  if (index < fields.length && sameBytes(fields[index].raw, buf, start, end)) return fields[index].series;
  for (let k = 0; k < fields.length; k++) {
    if (sameBytes(fields[k].raw, buf, start, end)) return fields[k].series;
  }
  const field = unescape(buf.toString('utf8', start, end), true);
  const metric = sanitizeMetricName(field === 'value' ? entry.measurement : `${entry.measurement}_${field}`);
  let series: CachedSeries;
  try {
    series = new CachedSeries(normalizeLabels({ ...entry.tags, [METRIC_NAME_LABEL]: metric }));
  } catch (e) {
    if (!(e instanceof InvalidSeriesError)) throw e;
    series = new CachedSeries({}, `series ${metric}: ${e.message}`);
  }
  fields.push({ raw: Buffer.from(buf.subarray(start, end)), series });
  return series;
}

function sameBytes(raw: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (raw.length !== end - start) return false;
  for (let k = 0; k < raw.length; k++) if (raw[k] !== buf[start + k]) return false;
  return true;
}

/** The slow path for a key not seen before: measurement and tags, unescaped and sanitised. */
function parseKey(buf: Buffer, start: number, end: number, db: string | undefined): KeyEntry {
  const parts = splitUnescaped(buf, start, end, COMMA);
  const measurement = unescape(buf.toString('utf8', parts[0], parts[1]), false);
  const fail = (error: string): KeyEntry => ({ measurement, tags: {}, fields: [], error });
  if (measurement === '') return fail('missing measurement');
  const tags: Record<string, string> = {};
  for (let k = 2; k < parts.length; k += 2) {
    const tag = buf.toString('utf8', parts[k], parts[k + 1]);
    const eq = splitUnescaped(buf, parts[k], parts[k + 1], EQUALS);
    if (eq.length !== 4) return fail(eq.length < 4 ? `tag ${JSON.stringify(tag)} has no "=" value` : `tag ${JSON.stringify(tag)} has an unescaped "="`);
    const key = unescape(buf.toString('utf8', eq[0], eq[1]), true);
    const value = unescape(buf.toString('utf8', eq[2], eq[3]), true);
    if (key === '') return fail(`tag ${JSON.stringify(tag)} has no key`);
    if (value === '') return fail(`tag ${JSON.stringify(key)} has no value`);
    const name = sanitizeLabelName(key);
    if (name === METRIC_NAME_LABEL || Object.prototype.hasOwnProperty.call(tags, name)) {
      return fail(`tag ${JSON.stringify(key)} appears twice or clashes with another tag's name`);
    }
    tags[name] = value;
  }
  if (db !== undefined && db !== '' && !Object.prototype.hasOwnProperty.call(tags, DATABASE_LABEL)) tags[DATABASE_LABEL] = db;
  return { measurement, tags, fields: [] };
}

/** Boundaries [s0, e0, s1, e1, ...] of the parts of [start, end) between unescaped `sep` bytes. */
function splitUnescaped(buf: Buffer, start: number, end: number, sep: number): number[] {
  const out = [start];
  for (let i = start; i < end; i++) {
    if (buf[i] === BACKSLASH) i++;
    else if (buf[i] === sep) out.push(i, i + 1);
  }
  out.push(end);
  return out;
}

function unescape(s: string, withEquals: boolean): string {
  if (!s.includes('\\')) return s;
  return withEquals ? s.replace(/\\([, =])/g, '$1') : s.replace(/\\([, ])/g, '$1');
}

/** A float, `123i`, `123u` or a boolean; NaN when the bytes are none of these. */
export function parseFieldValue(buf: Buffer, start: number, end: number): number {
  const last = buf[end - 1];
  if (last === LOWER_I || last === LOWER_U) return parseInteger(buf, start, end - 1, last === LOWER_U);
  const first = buf[start];
  if ((first >= DIGIT_0 && first <= DIGIT_9) || first === MINUS || first === DOT) return parseFloatBytes(buf, start, end);
  return parseBoolean(buf.toString('latin1', start, end));
}

function parseBoolean(s: string): number {
  switch (s) {
    case 't':
    case 'T':
    case 'true':
    case 'True':
    case 'TRUE':
      return 1;
    case 'f':
    case 'F':
    case 'false':
    case 'False':
    case 'FALSE':
      return 0;
    default:
      return NaN;
  }
}

/** Decimal floats with up to 15 significant digits are parsed exactly here; the rest by Number(). */
export function parseFloatBytes(buf: Buffer, start: number, end: number): number {
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = buf[i];
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (digits === 15) return parseFloatSlow(buf, start, end);
      mantissa = mantissa * 10 + (c - DIGIT_0);
      digits++;
      if (dot) fraction++;
    } else if (c === DOT && !dot) {
      dot = true;
    } else {
      return parseFloatSlow(buf, start, end);
    }
  }
  if (digits === 0) return NaN;
  const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return negative ? -value : value;
}

function parseFloatSlow(buf: Buffer, start: number, end: number): number {
  const s = buf.toString('latin1', start, end);
  if (!FLOAT_RE.test(s)) return NaN;
  const value = Number(s);
  return Number.isFinite(value) ? value : NaN;
}

function parseInteger(buf: Buffer, start: number, end: number, unsigned: boolean): number {
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative && !unsigned) i++;
  if (end - i > 0 && end - i <= 15) {
    let value = 0;
    for (; i < end; i++) {
      const c = buf[i];
      if (c < DIGIT_0 || c > DIGIT_9) return NaN;
      value = value * 10 + (c - DIGIT_0);
    }
    // 0 - 0 is +0: an integer field has no negative zero.
    return negative ? 0 - value : value;
  }
  const s = buf.toString('latin1', start, end);
  if (!(unsigned ? /^\d+$/ : /^-?\d+$/).test(s)) return NaN;
  // Checked exactly, as InfluxDB's ParseInt/ParseUint do; the stored double is then the nearest one.
  const value = BigInt(s);
  if (unsigned ? value > UINT64_MAX : value < INT64_MIN || value > INT64_MAX) return NaN;
  return Number(value);
}

/**
 * An integer timestamp in `precision` as integer ms, rounded down (sub-millisecond digits are cut
 * without going through a float, so `...123999999` ns is 123 ms, not 124); NaN if invalid.
 */
export function parseTimestamp(buf: Buffer, start: number, end: number, precision: Precision): number {
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  if (i === end || end - i > 19) return NaN;
  const cut = Math.max(i, end - DIVISOR_DIGITS[precision]);
  let high = 0;
  for (; i < cut; i++) {
    const d = buf[i] - DIGIT_0;
    if (d < 0 || d > 9) return NaN;
    high = high * 10 + d;
  }
  let low = 0;
  for (; i < end; i++) {
    const d = buf[i] - DIGIT_0;
    if (d < 0 || d > 9) return NaN;
    low = low * 10 + d;
  }
  if (TIME_DIVISOR[precision] === 1) high = high * TIME_MULTIPLIER[precision];
  let ms = negative ? -high - (low > 0 ? 1 : 0) : high;
  if (ms === 0) ms = 0; // no negative zero
  return Number.isSafeInteger(ms) ? ms : NaN;
}

function quoteBytes(buf: Buffer, start: number, end: number): string {
  const s = buf.toString('utf8', start, Math.min(end, start + 64));
  return JSON.stringify(end - start > 64 ? `${s}…` : s);
}

/** The start of the line at `start`, for error messages. */
function snippet(buf: Buffer, start: number): string {
  let end = buf.indexOf(NL, start);
  if (end < 0) end = buf.length;
  const text = buf.toString('utf8', start, Math.min(end, start + 120)).replace(/\r$/, '');
  return end - start > 120 ? `${text}…` : text;
}
