// A minimal Prometheus remote write 1.0 encoder (WriteRequest protobuf + block snappy) that copies
// every value's 8 bytes as they are, so staleness markers (NaN 0x7ff0000000000002) arrive intact.

// snappyjs ships no types: this is the one call used.
const snappy = require('snappyjs') as { compress(input: Uint8Array): Uint8Array };

export const REMOTE_WRITE_HEADERS: Record<string, string> = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

export interface WriteSeries {
  labels: Record<string, string>;
  timestamps: number[];
  /** Written bit for bit. */
  values: Float64Array;
}

class Writer {
  private readonly chunks: Buffer[] = [];

  varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, data: Buffer): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.chunks.push(data);
  }

  string(field: number, s: string): void {
    this.bytes(field, Buffer.from(s, 'utf8'));
  }

  /** A double field from the 8 bytes of values[i] (little-endian, as protobuf wants). */
  rawDouble(field: number, values: Float64Array, i: number): void {
    this.tag(field, 1);
    this.chunks.push(Buffer.from(values.buffer, values.byteOffset + i * 8, 8));
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function encodeSeries(s: WriteSeries): Buffer {
  const w = new Writer();
  // The remote write spec wants labels sorted by name (`__name__` sorts first).
  for (const name of Object.keys(s.labels).sort()) {
    const l = new Writer();
    l.string(1, name);
    l.string(2, s.labels[name]);
    w.bytes(1, l.finish());
  }
  for (let i = 0; i < s.timestamps.length; i++) {
    const sample = new Writer();
    sample.rawDouble(1, s.values, i);
    sample.tag(2, 0);
    sample.varint(s.timestamps[i]);
    w.bytes(2, sample.finish());
  }
  return w.finish();
}

/** The snappy-compressed WriteRequest body for these series. */
export function encodeWriteRequest(series: WriteSeries[]): Buffer {
  const w = new Writer();
  for (const s of series) w.bytes(1, encodeSeries(s));
  return Buffer.from(snappy.compress(new Uint8Array(w.finish())));
}

/** POSTs one remote write request; throws with the server's answer unless it is 2xx. */
export async function remoteWrite(baseUrl: string, series: WriteSeries[], headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v1/write`, { method: 'POST', headers: { ...REMOTE_WRITE_HEADERS, ...headers }, body: new Uint8Array(encodeWriteRequest(series)) });
  if (!res.ok) throw new Error(`remote write to ${baseUrl} answered HTTP ${res.status}: ${await res.text()}`);
}
