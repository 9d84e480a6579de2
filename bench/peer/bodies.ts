// Request bodies generated before the timed part, so the client does not compete with the server
// for CPU while it is measured: InfluxDB line protocol and Prometheus remote write, one queue per
// client. Each client owns the series of every shards-th device, so a series' samples always
// travel in time order over one connection (what Prometheus' own sharded remote write does).
import { closeSync, openSync, readSync, rmSync, writeSync } from 'fs';
import { join } from 'path';
import { Fleet, FleetSeries, SampleChunk } from '../workload/fleet';
import { encodeWriteRequest, RemoteLabel, RemoteSeries } from './remote-write';

export type IngestFormat = 'lp' | 'rw';

/**
 * Bodies of one format, a queue per client. Bodies live in memory, or in one file per client when
 * they would take more than the memory budget (the 10,000-device fleet); page-cached reads of a file
 * cost the client far less than the server spends on the same bytes.
 */
export class BodySet {
  private readonly memory: Buffer[][];
  private readonly spans: { offset: number; length: number }[][];
  private readonly fds: number[] = [];
  private readonly files: string[] = [];
  sampleCount = 0;
  bytes = 0;

  constructor(
    readonly format: IngestFormat,
    readonly clients: number,
    spillDir?: string,
  ) {
    this.memory = Array.from({ length: clients }, () => []);
    this.spans = Array.from({ length: clients }, () => []);
    if (spillDir) {
      for (let c = 0; c < clients; c++) {
        const file = join(spillDir, `bodies-${format}-${c}.bin`);
        this.files.push(file);
        this.fds.push(openSync(file, 'w+'));
      }
    }
  }

  get spilled(): boolean {
    return this.fds.length > 0;
  }

  requests(client: number): number {
    return this.spilled ? this.spans[client].length : this.memory[client].length;
  }

  add(client: number, body: Buffer, samples: number): void {
    this.sampleCount += samples;
    this.bytes += body.length;
    if (!this.spilled) {
      this.memory[client].push(body);
      return;
    }
    const spans = this.spans[client];
    const last = spans[spans.length - 1];
    const offset = last ? last.offset + last.length : 0;
    writeSync(this.fds[client], body, 0, body.length, offset);
    spans.push({ offset, length: body.length });
  }

  body(client: number, index: number): Buffer {
    if (!this.spilled) return this.memory[client][index];
    const { offset, length } = this.spans[client][index];
    const out = Buffer.allocUnsafe(length);
    readSync(this.fds[client], out, 0, length, offset);
    return out;
  }

  /** Releases the memory or the files. */
  dispose(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
    for (const file of this.files.splice(0)) rmSync(file, { force: true });
    for (const queue of this.memory) queue.length = 0;
  }
}

/** Bytes each format takes per sample, to decide up front whether bodies fit the memory budget. */
const ESTIMATED_BYTES_PER_SAMPLE: Record<IngestFormat, number> = { lp: 80, rw: 10 };

export interface BuildOptions {
  samplesPerRequest: number;
  clients: number;
  /** Spill to files in spillDir when the bodies would need more memory than this. */
  memoryBudgetBytes: number;
  spillDir: string;
}

/** Generates every body of one format for the whole fleet. */
export function buildBodies(fleet: Fleet, format: IngestFormat, options: BuildOptions): BodySet {
  const spill = fleet.sampleCount * ESTIMATED_BYTES_PER_SAMPLE[format] > options.memoryBudgetBytes;
  const set = new BodySet(format, options.clients, spill ? options.spillDir : undefined);
  const encode = format === 'lp' ? lineProtocolEncoder(fleet) : remoteWriteEncoder(fleet);
  for (let client = 0; client < options.clients; client++) {
    for (const chunk of fleet.chunks(options.samplesPerRequest, { shard: client, shards: options.clients })) {
      set.add(client, encode(chunk), chunk.length);
    }
  }
  return set;
}

/**
 * `temperature,device=dev-0001,kind=k1,site=site-01 value=21.37 1700000000000000000`: a field named
 * value maps to the metric itself; tags sorted as InfluxDB recommends; nanosecond timestamps.
 * Values are printed in their shortest exact form, which for 2-decimal values is at most 2 decimals.
 */
export function lineProtocolEncoder(fleet: Fleet): (chunk: SampleChunk) => Buffer {
  const prefixes = fleet.series.map((s) => `${s.metric},device=${s.labels.device},kind=${s.labels.kind},site=${s.labels.site} value=`);
  return (chunk) => {
    const lines = new Array<string>(chunk.length);
    for (let i = 0; i < chunk.length; i++) {
      lines[i] = `${prefixes[chunk.series[i]]}${chunk.values[i]} ${chunk.timestampsMs[i]}000000`;
    }
    return Buffer.from(lines.join('\n') + '\n');
  };
}

export function remoteLabels(s: FleetSeries): RemoteLabel[] {
  return [
    { name: '__name__', value: s.metric },
    { name: 'device', value: s.labels.device },
    { name: 'kind', value: s.labels.kind },
    { name: 'site', value: s.labels.site },
  ];
}

/** One TimeSeries per series in the chunk, its samples in time order. */
export function remoteWriteEncoder(fleet: Fleet): (chunk: SampleChunk) => Buffer {
  const labels = fleet.series.map(remoteLabels);
  const slotOf = new Int32Array(fleet.series.length).fill(-1);
  return (chunk) => {
    const timeseries: RemoteSeries[] = [];
    const used: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const s = chunk.series[i];
      if (slotOf[s] < 0) {
        slotOf[s] = timeseries.length;
        timeseries.push({ labels: labels[s], samples: [] });
        used.push(s);
      }
      timeseries[slotOf[s]].samples.push({ value: chunk.values[i], timestamp: chunk.timestampsMs[i] });
    }
    for (const s of used) slotOf[s] = -1;
    return encodeWriteRequest(timeseries);
  };
}
