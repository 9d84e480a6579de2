// The remote write decoder: series and samples, label checks, unsupported parts and malformed bytes.

import snappy from 'snappyjs';

import { RemoteWriteDecoder, uncompressSnappy } from './remote-write';
import { HttpError } from '../errors';
import { RemoteSeries, encodeWriteRequestProto } from '../testing/remote-write-encoder';

function labels(name: string, extra: Record<string, string> = {}) {
  return [{ name: '__name__', value: name }, ...Object.entries(extra).map(([n, v]) => ({ name: n, value: v }))];
}

function decode(series: RemoteSeries[], decoder = new RemoteWriteDecoder(), maxSamples = 1000) {
  const out = decoder.decode(encodeWriteRequestProto(series), maxSamples);
  return { ...out, built: out.builder.build() };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e.code;
    throw e;
  }
  return undefined;
}

describe('remote write decoder', () => {
  it('decodes series with their labels and samples, exactly', () => {
    const { built, errors } = decode([
      { labels: labels('up', { job: 'node', instance: 'a:9100' }), samples: [{ value: 1, timestamp: 1700000000123 }, { value: 0.1 + 0.2, timestamp: 1700000015123 }] },
      { labels: labels('temp'), samples: [{ value: -273.15, timestamp: -5 }] },
    ]);
    expect(errors).toEqual([]);
    expect(built.batch.map((e) => ({ labels: e.labels, t: Array.from(e.timestamps), v: Array.from(e.values) }))).toEqual([
      { labels: { __name__: 'up', job: 'node', instance: 'a:9100' }, t: [1700000000123, 1700000015123], v: [1, 0.1 + 0.2] },
      { labels: { __name__: 'temp' }, t: [-5], v: [-273.15] },
    ]);
  });

  it('keeps NaN values (Prometheus staleness markers) and infinities as stored', () => {
    const stale = Buffer.from('7ff0000000000002', 'hex').readDoubleBE(0);
    const { built } = decode([{ labels: labels('m'), samples: [{ value: stale, timestamp: 1 }, { value: Infinity, timestamp: 2 }] }]);
    expect(Number.isNaN(built.batch[0].values[0])).toBe(true);
    expect(built.batch[0].values[1]).toBe(Infinity);
  });

  it('merges a series sent twice in one request', () => {
    const { built } = decode([
      { labels: labels('m'), samples: [{ value: 1, timestamp: 1 }] },
      { labels: labels('n'), samples: [{ value: 2, timestamp: 1 }] },
      { labels: labels('m'), samples: [{ value: 3, timestamp: 2 }] },
    ]);
    expect(built.batch.map((e) => [e.labels.__name__, Array.from(e.values)])).toEqual([
      ['m', [1, 3]],
      ['n', [2]],
    ]);
  });

  it('reuses cached series and refs across requests', () => {
    const decoder = new RemoteWriteDecoder();
    const first = decode([{ labels: labels('m', { a: '1' }), samples: [{ value: 1, timestamp: 1 }] }], decoder);
    first.built.series[0].ref = 42;
    const second = decode([{ labels: labels('m', { a: '1' }), samples: [{ value: 2, timestamp: 2 }] }], decoder);
    expect(second.built.batch[0].ref).toBe(42);
  });

  it.each([
    [[{ name: 'job', value: 'x' }], 'missing metric name'],
    [[...labels('m'), { name: 'a', value: '1' }, { name: 'a', value: '2' }], 'label "a" appears twice'],
    [[...labels('m'), { name: 'bad-name', value: '1' }], 'label name "bad-name" must match'],
    [labels('1bad'), 'metric name "1bad" must match'],
  ])('rejects the samples of series with bad labels %#', (badLabels, message) => {
    const { built, rejectedSamples, errors } = decode([
      { labels: badLabels, samples: [{ value: 1, timestamp: 1 }, { value: 2, timestamp: 2 }] },
      { labels: labels('good'), samples: [{ value: 3, timestamp: 3 }] },
    ]);
    expect(rejectedSamples).toBe(2);
    expect(errors[0].message).toContain(message);
    expect(built.batch.map((e) => e.labels.__name__)).toEqual(['good']);
  });

  it('rejects labels that are not valid UTF-8', () => {
    const proto = encodeWriteRequestProto([{ labels: labels('m', { a: 'xy' }), samples: [{ value: 1, timestamp: 1 }] }]);
    const at = proto.indexOf(Buffer.from('xy'));
    proto[at] = 0xff;
    const out = new RemoteWriteDecoder().decode(proto, 10);
    expect(out.errors[0].message).toContain('not valid UTF-8');
    expect(out.rejectedSamples).toBe(1);
  });

  it('counts exemplars as ignored and native histograms as rejected, storing the floats', () => {
    const out = decode([
      {
        labels: labels('m'),
        samples: [{ value: 1, timestamp: 1 }],
        exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 1, timestamp: 1 }],
        histograms: [{ countInt: 3, sum: 1.5, timestamp: 1 }],
      },
    ]);
    expect(out.ignored).toEqual({ exemplar: 1, metadata: 0 });
    expect(out.rejectedHistograms).toBe(1);
    expect(out.built.samples).toBe(1);
  });

  it('reads label fields that come after samples', () => {
    // Hand-built TimeSeries: sample first, then the __name__ label.
    const sample = Buffer.from([0x09, ...Buffer.from('000000000000f03f', 'hex'), 0x10, 0x05]); // value 1, timestamp 5
    const label = Buffer.concat([Buffer.from([0x0a, 8]), Buffer.from('__name__'), Buffer.from([0x12, 1]), Buffer.from('m')]);
    const series = Buffer.concat([Buffer.from([0x12, sample.length]), sample, Buffer.from([0x0a, label.length]), label]);
    const request = Buffer.concat([Buffer.from([0x0a, series.length]), series]);
    const out = new RemoteWriteDecoder().decode(request, 10);
    const built = out.builder.build();
    expect(built.batch).toHaveLength(1);
    expect(built.batch[0].labels).toEqual({ __name__: 'm' });
    expect(Array.from(built.batch[0].timestamps)).toEqual([5]);
  });

  it('refuses more samples than the limit', () => {
    expect(code(() => decode([{ labels: labels('m'), samples: [1, 2, 3].map((t) => ({ value: t, timestamp: t })) }], undefined, 2))).toBe('TOO_MANY_SAMPLES');
  });

  it('refuses malformed protobuf with INVALID_REQUEST', () => {
    const proto = encodeWriteRequestProto([{ labels: labels('m'), samples: [{ value: 1, timestamp: 1 }] }]);
    for (let cut = 1; cut < proto.length; cut++) {
      expect(code(() => new RemoteWriteDecoder().decode(proto.subarray(0, cut), 10))).toBe('INVALID_REQUEST');
    }
    expect(code(() => new RemoteWriteDecoder().decode(Buffer.from([0x0f]), 10))).toBe('INVALID_REQUEST');
  });

  it('uncompresses snappy under the size limit', () => {
    const raw = Buffer.alloc(1000, 7);
    const compressed = Buffer.from(snappy.compress(raw));
    expect(uncompressSnappy(compressed, 1000).equals(raw)).toBe(true);
    expect(code(() => uncompressSnappy(compressed, 999))).toBe('BODY_TOO_LARGE');
    expect(code(() => uncompressSnappy(Buffer.from('not snappy at all'), 1000))).toBe('INVALID_REQUEST');
  });
});
