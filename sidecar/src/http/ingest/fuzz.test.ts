// Fuzzing the line-protocol and remote write parsers with random and mutated inputs. Properties:
// - nothing but a 4xx-mapped HttpError ever escapes a parser, and the HTTP layer answers only
//   204 or 4xx and keeps serving;
// - every line (or time series) the generator made and no mutation touched is stored exactly;
// - the long-lived parser, whose series cache has seen every earlier input, answers exactly what a
//   fresh parser answers (a cache bug would store samples under the wrong series);
// - every stored series passes label validation and every timestamp is a safe integer.
// Replay a failure with SEED=<seed printed on failure>.

import { LineProtocolParser } from './line-protocol';
import { RemoteWriteDecoder } from './remote-write';
import { normalizeLabels } from '../../engine/model/labels';
import { SeriesWrite } from '../../engine/model/types';
import { Random } from '../../fleet/random';
import { HttpError } from '../errors';
import { REMOTE_WRITE_HEADERS, RemoteSeries, encodeWriteRequest, encodeWriteRequestProto } from '../testing/remote-write-encoder';
import { startTestServer } from '../testing/serve';

const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));

function withSeed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    (e as Error).message = `${(e as Error).message}\n(replay with SEED=${SEED})`;
    throw e;
  }
}

// ---- generation -----------------------------------------------------------------------------

const NAME_CHARS = 'abcxyz_ABC019.-';
const VALUE_CHARS = 'abc xyz,=\\"é日0-9';

function word(r: Random, chars: string, min: number, max: number): string {
  const n = min + Math.floor(r.next() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(r.next() * chars.length)];
  // Line protocol can not say "a backslash, then an escaped separator" (`\\,` reads as `\` `\,`),
  // nor end a value with a backslash before the separator that follows it.
  return s.replace(/\\(?=[, =]|$)/g, '/');
}

const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const escapeTag = (s: string) => s.replace(/[, =]/g, (c) => `\\${c}`);

interface GeneratedLine {
  text: string;
  /** "metric{tags} t v" per sample, as the parser must store them. */
  expected: string[];
}

function sanitize(name: string, metric: boolean): string {
  const replaced = name.replace(metric ? /[^a-zA-Z0-9_:]/g : /[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

function describeSample(labels: Record<string, string>, t: number, v: number): string {
  const { __name__: name, ...rest } = labels;
  const tags = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(',');
  return `${name}{${tags}} ${t} ${Object.is(v, -0) ? 0 : v}`;
}

/** A valid line with 0–3 tags and 1–3 fields of every value type, and the samples it must give. */
function validLine(r: Random): GeneratedLine {
  const measurement = `m${word(r, NAME_CHARS, 0, 6)}`;
  const tags = new Map<string, string>();
  for (let k = r.next() * 4; k >= 1; k--) {
    const key = `t${word(r, NAME_CHARS, 0, 4)}`;
    if ([...tags.keys()].some((existing) => sanitize(existing, false) === sanitize(key, false))) continue;
    tags.set(key, `v${word(r, VALUE_CHARS, 0, 6)}`);
  }
  const fields = new Map<string, [string, number]>();
  for (let k = 1 + r.next() * 3; k >= 1; k--) {
    const key = r.chance(0.2) ? 'value' : `f${word(r, NAME_CHARS, 0, 4)}`;
    const kind = Math.floor(r.next() * 5);
    const n = Math.round(r.between(-1e6, 1e6) * 1000) / 1000;
    const pairs: Array<[string, number]> = [
      [String(n), n],
      [`${Math.trunc(n)}i`, Math.trunc(n)],
      [`${Math.abs(Math.trunc(n))}u`, Math.abs(Math.trunc(n))],
      [r.pick(['t', 'true', 'TRUE', 'True', 'T']), 1],
      [r.pick(['f', 'false', 'FALSE', 'False', 'F']), 0],
    ];
    fields.set(key, pairs[kind]);
  }
  const t = Math.floor(r.between(-1e12, 2e12));
  const text =
    escapeMeasurement(measurement) +
    [...tags].map(([k, v]) => `,${escapeTag(k)}=${escapeTag(v)}`).join('') +
    ' ' +
    [...fields].map(([k, [text]]) => `${escapeTag(k)}=${text}`).join(',') +
    ` ${t}`;
  const labels: Record<string, string> = {};
  for (const [k, v] of tags) labels[sanitize(k, false)] = v;
  // The last of repeated fields wins within a line (same series, same timestamp).
  const expected = new Map<string, string>();
  for (const [k, [, v]] of fields) {
    const metric = sanitize(k === 'value' ? measurement : `${measurement}_${k}`, true);
    expected.set(metric, describeSample({ ...labels, __name__: metric }, t, v));
  }
  return { text, expected: [...expected.values()] };
}

const MUTATION_BYTES = [' ', ',', '=', '\\', '"', '\n', '#', 'i', 'u', '.', '-', 'e', '\r', '\t', '\0', 'ÿ'];

/** Flips, inserts, deletes or duplicates a few characters. */
function mutate(r: Random, text: string): string {
  let s = text;
  for (let k = 1 + Math.floor(r.next() * 3); k > 0; k--) {
    const at = Math.floor(r.next() * (s.length + 1));
    switch (Math.floor(r.next() * 4)) {
      case 0:
        s = s.slice(0, at) + r.pick(MUTATION_BYTES) + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + r.pick(MUTATION_BYTES) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r.next() * 5));
        break;
      default:
        s = s.slice(0, at) + s.slice(Math.max(0, at - 5), at) + s.slice(at);
    }
  }
  return s;
}

/**
 * "metric{tags} t v" for every sample of a batch, sorted. Labels are always valid; timestamps are
 * checked here for line protocol, while remote write leaves that to the engine (invalid_sample).
 */
function samplesOf(batch: readonly SeriesWrite[], safeTimes = true): string[] {
  const out: string[] = [];
  for (const entry of batch) {
    expect(() => normalizeLabels(entry.labels)).not.toThrow();
    for (let i = 0; i < entry.timestamps.length; i++) {
      if (safeTimes) expect(Number.isSafeInteger(entry.timestamps[i])).toBe(true);
      out.push(describeSample(entry.labels, entry.timestamps[i], entry.values[i]));
    }
  }
  return out.sort();
}

function parseLines(parser: LineProtocolParser, text: string) {
  const parsed = parser.parse(Buffer.from(text), { precision: 'ms', nowMs: 5, maxSamples: 1e6 });
  return { samples: samplesOf(parsed.builder.build().batch), rejectedLines: parsed.rejectedLines, errors: parsed.errors };
}

// ---- tests ----------------------------------------------------------------------------------

describe(`line protocol fuzz (SEED=${SEED})`, () => {
  it('stores untouched lines exactly, and the cached parser agrees with a fresh one', () =>
    withSeed(() => {
      const r = new Random(SEED);
      const cached = new LineProtocolParser();
      for (let round = 0; round < 300; round++) {
        const lines = Array.from({ length: 1 + Math.floor(r.next() * 8) }, () => validLine(r));
        const texts = lines.map((l) => (r.chance(0.3) ? mutate(r, l.text) : l.text));
        const body = texts.join(r.chance(0.2) ? '\r\n' : '\n');
        const got = parseLines(cached, body);
        expect(got).toEqual(parseLines(new LineProtocolParser(), body));
        // Untouched lines are independent of their neighbours unless a mutation opened a string
        // (a quote) or split a line.
        if (texts.some((t, i) => t !== lines[i].text && /["\n\r]/.test(t))) continue;
        for (let i = 0; i < lines.length; i++) {
          if (texts[i] !== lines[i].text) continue;
          for (const sample of lines[i].expected) expect(got.samples).toContain(sample);
        }
      }
    }));

  it('parses random bytes without storing anything invalid', () =>
    withSeed(() => {
      const r = new Random(SEED + 1);
      const cached = new LineProtocolParser();
      for (let round = 0; round < 300; round++) {
        const body = word(r, 'mfv=, \\"\n#it0123456789.e-', 1, 200);
        expect(parseLines(cached, body)).toEqual(parseLines(new LineProtocolParser(), body));
      }
    }));
});

function randomSeries(r: Random): RemoteSeries[] {
  return Array.from({ length: 1 + Math.floor(r.next() * 5) }, () => ({
    labels: [
      { name: '__name__', value: `m${word(r, 'abc_:', 0, 4)}` },
      ...Array.from({ length: Math.floor(r.next() * 3) }, (_, i) => ({ name: `l${i}`, value: word(r, VALUE_CHARS, 1, 5) })),
    ],
    samples: Array.from({ length: Math.floor(r.next() * 4) }, () => ({ value: r.between(-1e9, 1e9), timestamp: Math.floor(r.between(-1e12, 2e12)) })),
  }));
}

function decodeRemote(decoder: RemoteWriteDecoder, proto: Buffer): { samples: string[]; rejected: number } | string {
  let out: ReturnType<RemoteWriteDecoder['decode']>;
  try {
    out = decoder.decode(proto, 1e6);
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBeLessThan(500);
    return (e as HttpError).code;
  }
  return { samples: samplesOf(out.builder.build().batch, false), rejected: out.rejectedSamples };
}

describe(`remote write fuzz (SEED=${SEED})`, () => {
  it('decodes valid requests exactly and mutated ones without crashing or disagreeing with a fresh decoder', () =>
    withSeed(() => {
      const r = new Random(SEED + 2);
      const cached = new RemoteWriteDecoder();
      for (let round = 0; round < 300; round++) {
        const series = randomSeries(r);
        const proto = encodeWriteRequestProto(series);
        const expected = series.flatMap((s) => {
          const labels = Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
          return s.samples.map((x) => describeSample(labels, x.timestamp, x.value));
        });
        expect(decodeRemote(cached, proto)).toEqual({ samples: expected.sort(), rejected: 0 });
        const mutated = Buffer.from(proto);
        for (let k = 1 + Math.floor(r.next() * 3); k > 0 && mutated.length > 0; k--) mutated[Math.floor(r.next() * mutated.length)] = Math.floor(r.next() * 256);
        const cut = r.chance(0.3) ? mutated.subarray(0, Math.floor(r.next() * mutated.length)) : mutated;
        expect(decodeRemote(cached, cut)).toEqual(decodeRemote(new RemoteWriteDecoder(), cut));
      }
    }));
});

describe(`ingest over HTTP fuzz (SEED=${SEED})`, () => {
  it('answers only 204 or 4xx to mutated bodies and keeps serving', async () => {
    const server = await startTestServer({ config: { maxSeries: 10_000 } });
    try {
      const r = new Random(SEED + 3);
      for (let round = 0; round < 60; round++) {
        const lines = Array.from({ length: 5 }, () => mutate(r, validLine(r).text)).join('\n');
        const lp = await fetch(`${server.url}/write?precision=ms`, { method: 'POST', body: lines });
        expect([204, 400, 413, 422]).toContain(lp.status);
        const body = Buffer.from(encodeWriteRequest(randomSeries(r)));
        for (let k = 0; k < 3; k++) body[Math.floor(r.next() * body.length)] = Math.floor(r.next() * 256);
        const rw = await fetch(`${server.url}/api/v1/write`, { method: 'POST', body, headers: REMOTE_WRITE_HEADERS });
        expect([204, 400, 413, 415, 422]).toContain(rw.status);
      }
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } catch (e) {
      (e as Error).message += `\n(replay with SEED=${SEED})`;
      throw e;
    } finally {
      await server.close();
    }
  });
});
