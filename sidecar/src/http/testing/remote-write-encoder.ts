// Encodes Prometheus remote write requests with protobufjs from the upstream .proto definitions,
// independently of the hand-walked decoder under test.

import { parse } from 'protobufjs';
import snappy from 'snappyjs';

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message Histogram { uint64 count_int = 1; double sum = 3; int64 timestamp = 15; }
`;

const root = parse(PROTO).root;
export const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface RemoteSeries {
  labels: Array<{ name: string; value: string }>;
  samples: Array<{ value: number; timestamp: number }>;
  exemplars?: Array<{ labels: Array<{ name: string; value: string }>; value: number; timestamp: number }>;
  histograms?: Array<{ countInt: number; sum: number; timestamp: number }>;
}

/** The protobuf bytes of a WriteRequest (not compressed). */
export function encodeWriteRequestProto(timeseries: RemoteSeries[], metadata: Array<{ metricFamilyName: string; help: string }> = []): Buffer {
  return Buffer.from(WriteRequest.encode(WriteRequest.fromObject({ timeseries, metadata })).finish());
}

/** A remote write body: snappy-compressed WriteRequest. */
export function encodeWriteRequest(timeseries: RemoteSeries[], metadata: Array<{ metricFamilyName: string; help: string }> = []): Buffer {
  return Buffer.from(snappy.compress(encodeWriteRequestProto(timeseries, metadata)));
}

export const REMOTE_WRITE_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};
