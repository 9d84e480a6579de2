// Prometheus remote write 1.0 (a snappy-compressed prometheus.WriteRequest) → one columnar batch.
//
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
//
// The message is walked with protobufjs' Reader without building objects: the raw bytes of a time
// series' label fields are its cache key, so a known series costs one string of those bytes and a
// map look-up. Exemplars and metadata are not stored (counted in `ignored`); native histograms are
// rejected with a reason.

import { Reader } from 'protobufjs';
import snappy from 'snappyjs';

import { BatchBuilder, CachedSeries } from './batch';
import { KeyTable, hashRange } from './key-table';
import { describeSeries } from './names';
import { HttpError } from '../errors';
import { InvalidSeriesError } from '../../engine/model/errors';
import { normalizeLabels } from '../../engine/model/labels';
import { LabelSet } from '../../engine/model/types';

export interface SeriesError {
  series: string;
  message: string;
}

export interface DecodedRemoteWrite {
  builder: BatchBuilder;
  /** Samples of series with invalid labels and native histogram samples, not stored. */
  rejectedSamples: number;
  rejectedHistograms: number;
  /** Parts not stored by design, by the `kind` label of sensorstore_ingest_ignored_total. */
  ignored: IgnoredParts;
  /** The first MAX_SERIES_ERRORS problems. */
  errors: SeriesError[];
}

export interface IgnoredParts {
  exemplar: number;
  metadata: number;
}

export const MAX_SERIES_ERRORS = 10;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const utf8 = new TextDecoder('utf-8', { fatal: true });

class MalformedError extends Error {}

/** Uncompresses a snappy block, refusing (413) one that would expand beyond `maxBytes`. */
export function uncompressSnappy(body: Buffer, maxBytes: number): Buffer {
  let out: Uint8Array;
  try {
    out = snappy.uncompress(body, maxBytes);
  } catch (e) {
    const message = (e as Error).message;
    if (message.includes('too big')) {
      throw new HttpError('BODY_TOO_LARGE', `the remote write body expands beyond the body size limit of ${maxBytes} bytes`, { limit: maxBytes });
    }
    throw new HttpError('INVALID_REQUEST', `the body is not a valid snappy block: ${message}`);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes remote write requests; one instance (and its cache) serves every request of a process. */
export class RemoteWriteDecoder {
  private readonly cache: KeyTable<CachedSeries>;
  /** The request being decoded (decode is synchronous, so one at a time). */
  private bytes: Buffer = Buffer.alloc(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  constructor(maxCachedSeries = 1_000_000) {
    this.cache = new KeyTable(maxCachedSeries);
  }

  /** Grows whenever the cache is cleared, dropping cached series. */
  get cacheGeneration(): number {
    return this.cache.clears;
  }

  /** @throws HttpError INVALID_REQUEST for bytes that are not a WriteRequest. */
  decode(buf: Buffer, maxSamples: number): DecodedRemoteWrite {
    const out: DecodedRemoteWrite = {
      builder: new BatchBuilder(maxSamples, Math.min(1 << 20, (buf.length >> 4) + 16)),
      rejectedSamples: 0,
      rejectedHistograms: 0,
      ignored: { exemplar: 0, metadata: 0 },
      errors: [],
    };
    const reader = Reader.create(buf);
    this.bytes = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    try {
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        if (tag >>> 3 === 1 && (tag & 7) === WIRE_BYTES) {
          const len = reader.uint32();
          const end = checkedEnd(reader, len, reader.len);
          this.timeSeries(reader, end, out);
        } else if (tag >>> 3 === 3 && (tag & 7) === WIRE_BYTES) {
          out.ignored.metadata++;
          skip(reader, tag & 7, reader.len);
        } else {
          skip(reader, tag & 7, reader.len);
        }
      }
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw new HttpError('INVALID_REQUEST', `the body is not a valid remote write request (protobuf prometheus.WriteRequest): ${(e as Error).message} near byte ${reader.pos}`);
    }
    return out;
  }

  /** One TimeSeries ending at `end`. Labels normally come first; if not, the series is read twice. */
  private timeSeries(reader: Reader, end: number, out: DecodedRemoteWrite): void {
    const start = reader.pos;
    const mark = out.builder.size;
    let labelsEnd = start;
    let series: CachedSeries | undefined;
    let samples = 0;
    while (reader.pos < end) {
      const fieldStart = reader.pos;
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 1 && wire === WIRE_BYTES) {
        skip(reader, wire, end);
        if (fieldStart !== labelsEnd) {
          out.builder.rollback(mark);
          reader.pos = start;
          return this.scatteredTimeSeries(reader, end, out);
        }
        labelsEnd = reader.pos;
      } else if (field === 2 && wire === WIRE_BYTES) {
        series ??= this.seriesOf([start, labelsEnd], out);
        const len = reader.uint32();
        const sampleEnd = checkedEnd(reader, len, end);
        if (series.error === undefined) readSample(reader, sampleEnd, series, out.builder);
        else reader.pos = sampleEnd;
        samples++;
      } else if (field === 3 && wire === WIRE_BYTES) {
        out.ignored.exemplar++;
        skip(reader, wire, end);
      } else if (field === 4 && wire === WIRE_BYTES) {
        out.rejectedHistograms++;
        skip(reader, wire, end);
      } else {
        skip(reader, wire, end);
      }
    }
    if (series?.error !== undefined) out.rejectedSamples += samples;
  }

  /** The rare layout with label fields after other fields: collect every label range, then samples. */
  private scatteredTimeSeries(reader: Reader, end: number, out: DecodedRemoteWrite): void {
    const start = reader.pos;
    const ranges: number[] = [];
    while (reader.pos < end) {
      const fieldStart = reader.pos;
      const tag = reader.uint32();
      skip(reader, tag & 7, end);
      if (tag === ((1 << 3) | WIRE_BYTES)) ranges.push(fieldStart, reader.pos);
    }
    const series = this.seriesOf(ranges, out);
    reader.pos = start;
    let samples = 0;
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag === ((2 << 3) | WIRE_BYTES)) {
        const sampleEnd = checkedEnd(reader, reader.uint32(), end);
        if (series.error === undefined) readSample(reader, sampleEnd, series, out.builder);
        else reader.pos = sampleEnd;
        samples++;
      } else {
        if (tag === ((3 << 3) | WIRE_BYTES)) out.ignored.exemplar++;
        if (tag === ((4 << 3) | WIRE_BYTES)) out.rejectedHistograms++;
        skip(reader, tag & 7, end);
      }
    }
    if (series.error !== undefined) out.rejectedSamples += samples;
  }

  /** The cached series whose label fields are the byte ranges [s0, e0, s1, e1, ...]. */
  private seriesOf(ranges: number[], out: DecodedRemoteWrite): CachedSeries {
    let bytes = this.bytes;
    let view = this.view;
    let start = ranges[0];
    let end = ranges[1];
    if (ranges.length !== 2) {
      // Scattered label fields: their concatenation is the key.
      const parts: Buffer[] = [];
      for (let k = 0; k < ranges.length; k += 2) parts.push(bytes.subarray(ranges[k], ranges[k + 1]));
      bytes = Buffer.concat(parts);
      start = 0;
      end = bytes.length;
      ranges = [0, end];
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const hash = hashRange(view, start, end);
    let series = this.cache.get(view, start, end, hash);
    if (!series) {
      series = decodeLabels(bytes, ranges);
      this.cache.set(bytes, start, end, hash, series);
    }
    if (series.error !== undefined && out.errors.length < MAX_SERIES_ERRORS) {
      out.errors.push({ series: describeSeries(series.labels), message: series.error });
    }
    return series;
  }
}

function readSample(reader: Reader, end: number, series: CachedSeries, builder: BatchBuilder): void {
  let value = 0;
  let t = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | WIRE_FIXED64)) {
      if (reader.pos + 8 > end) throw new MalformedError('truncated sample value');
      value = reader.double();
    } else if (tag === ((2 << 3) | WIRE_VARINT)) {
      t = readInt64(reader, end);
    } else {
      skip(reader, tag & 7, end);
    }
  }
  if (reader.pos !== end) throw new MalformedError('a sample overruns its message');
  builder.add(series, t, value);
}

/** An int64 varint as a number; timestamps in ms stay far below 2^53, so this is exact for them. */
function readInt64(reader: Reader, end: number): number {
  const buf = reader.buf;
  let pos = reader.pos;
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    if (pos >= end) throw new MalformedError('truncated varint');
    const b = buf[pos++];
    if (k === 9 || (b >= 0x80 && k === 8)) return readInt64Slow(reader, end);
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      reader.pos = pos;
      return value;
    }
    scale *= 128;
  }
  throw new MalformedError('varint longer than 10 bytes');
}

/** Negative (10-byte) and very large varints, through BigInt. */
function readInt64Slow(reader: Reader, end: number): number {
  const buf = reader.buf;
  let value = 0n;
  for (let k = 0; k < 10; k++) {
    if (reader.pos >= end) throw new MalformedError('truncated varint');
    const b = buf[reader.pos++];
    value |= BigInt(b & 0x7f) << BigInt(7 * k);
    if (b < 0x80) return Number(BigInt.asIntN(64, value));
  }
  throw new MalformedError('varint longer than 10 bytes');
}

/** The labels of the Label fields within the byte ranges [s0, e0, s1, e1, ...]. */
function decodeLabels(buf: Buffer, ranges: number[]): CachedSeries {
  const labels: Record<string, string> = {};
  const reader = Reader.create(buf);
  let duplicate: string | undefined;
  let badUtf8 = false;
  for (let k = 0; k < ranges.length; k += 2) {
    reader.pos = ranges[k];
    while (reader.pos < ranges[k + 1]) {
      const tag = reader.uint32();
      if (tag !== ((1 << 3) | WIRE_BYTES)) {
        skip(reader, tag & 7, ranges[k + 1]);
        continue;
      }
      const end = checkedEnd(reader, reader.uint32(), ranges[k + 1]);
      let name = '';
      let value = '';
      while (reader.pos < end) {
        const field = reader.uint32();
        if (field !== ((1 << 3) | WIRE_BYTES) && field !== ((2 << 3) | WIRE_BYTES)) {
          skip(reader, field & 7, end);
          continue;
        }
        const stop = checkedEnd(reader, reader.uint32(), end);
        let text: string;
        try {
          text = utf8.decode(buf.subarray(reader.pos, stop));
        } catch {
          badUtf8 = true;
          text = buf.toString('utf8', reader.pos, stop);
        }
        reader.pos = stop;
        if (field >>> 3 === 1) name = text;
        else value = text;
      }
      if (Object.prototype.hasOwnProperty.call(labels, name)) duplicate = name;
      labels[name] = value;
    }
  }
  if (badUtf8) return new CachedSeries(labels, 'a label name or value is not valid UTF-8');
  if (duplicate !== undefined) return new CachedSeries(labels, `label ${JSON.stringify(duplicate)} appears twice`);
  try {
    return new CachedSeries(normalizeLabels(labels as LabelSet));
  } catch (e) {
    if (e instanceof InvalidSeriesError) return new CachedSeries(labels, e.message);
    throw e;
  }
}

/** The end of a length-delimited field of `len` bytes at reader.pos, checked against its parent. */
function checkedEnd(reader: Reader, len: number, parentEnd: number): number {
  const end = reader.pos + len;
  if (end > parentEnd) throw new MalformedError(`a field of ${len} bytes overruns its message`);
  return end;
}

function skip(reader: Reader, wire: number, end: number): void {
  if (wire === WIRE_BYTES) {
    reader.pos = checkedEnd(reader, reader.uint32(), end);
    return;
  }
  if (wire !== WIRE_VARINT && wire !== WIRE_FIXED64 && wire !== 5) throw new MalformedError(`unsupported wire type ${wire}`);
  reader.skipType(wire);
  if (reader.pos > end) throw new MalformedError('a field overruns its message');
}
