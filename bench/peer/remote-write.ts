// Prometheus remote write 1.0 bodies: the WriteRequest protobuf (prompb/remote.proto, types.proto)
// built with protobufjs and compressed with block-format Snappy, as Prometheus itself sends them.
import * as protobuf from 'protobufjs';

// snappyjs (block-format Snappy in plain JavaScript) ships no types: these are the two calls used.
const snappy = require('snappyjs') as { compress(input: Uint8Array): Uint8Array; uncompress(input: Uint8Array): Uint8Array };

/** Headers of a remote write 1.0 request. */
export const REMOTE_WRITE_HEADERS: Record<string, string> = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface RemoteLabel {
  name: string;
  value: string;
}

export interface RemoteSeries {
  /** Sorted by name, `__name__` first, as the remote write spec requires. */
  labels: RemoteLabel[];
  samples: { value: number; timestamp: number }[];
}

/** The snappy-compressed protobuf body of one remote write request. */
export function encodeWriteRequest(timeseries: RemoteSeries[]): Buffer {
  const raw = WriteRequest.encode({ timeseries }).finish();
  return Buffer.from(snappy.compress(raw));
}

/** The inverse of encodeWriteRequest (used to check bodies). */
export function decodeWriteRequest(body: Uint8Array): RemoteSeries[] {
  const raw = snappy.uncompress(new Uint8Array(body));
  const message = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true });
  return message.timeseries as RemoteSeries[];
}
