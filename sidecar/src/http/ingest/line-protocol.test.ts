// The line-protocol parser: mapping to series, escaping, value types, precision and line errors.

import { LineProtocolParser, LineProtocolRequest, MAX_LINE_ERRORS, parseTimestamp } from './line-protocol';
import { HttpError } from '../errors';

interface Sample {
  series: string;
  t: number;
  v: number;
}

function parse(text: string | Buffer, options: Partial<LineProtocolRequest> = {}, parser = new LineProtocolParser()) {
  const parsed = parser.parse(Buffer.isBuffer(text) ? text : Buffer.from(text), { precision: 'ms', nowMs: 999, maxSamples: 1000, ...options });
  const built = parsed.builder.build();
  const samples: Sample[] = [];
  built.batch.forEach((entry) => {
    const { __name__: name, ...tags } = entry.labels;
    const tagText = Object.keys(tags)
      .sort()
      .map((k) => `${k}=${tags[k]}`)
      .join(',');
    for (let i = 0; i < entry.timestamps.length; i++) samples.push({ series: `${name}{${tagText}}`, t: entry.timestamps[i], v: entry.values[i] });
  });
  return { ...parsed, samples, built };
}

describe('line protocol', () => {
  it('maps fields to series, "value" to the measurement itself', () => {
    const { samples, errors } = parse('weather,site=berlin,kind=out temp=21.5,hum=40i,value=3 1000\n');
    expect(errors).toEqual([]);
    expect(samples).toEqual([
      { series: 'weather_temp{kind=out,site=berlin}', t: 1000, v: 21.5 },
      { series: 'weather_hum{kind=out,site=berlin}', t: 1000, v: 40 },
      { series: 'weather{kind=out,site=berlin}', t: 1000, v: 3 },
    ]);
  });

  it('groups the samples of one series into one entry, columnar, in arrival order', () => {
    const { built } = parse('m,a=1 v=1 3000\nm,a=2 v=5 1000\nm,a=1 v=2 1000\nm,a=1 v=3 2000\n');
    expect(built.batch).toHaveLength(2);
    expect(Array.from(built.batch[0].timestamps)).toEqual([3000, 1000, 2000]);
    expect(Array.from(built.batch[0].values)).toEqual([1, 2, 3]);
    expect(built.batch[0].timestamps).toBeInstanceOf(Float64Array);
  });

  it.each([
    ['1.5', 1.5],
    ['-0.25', -0.25],
    ['1e3', 1000],
    ['1.5E-3', 0.0015],
    ['.5', 0.5],
    ['7.', 7],
    ['42i', 42],
    ['-42i', -42],
    ['42u', 42],
    ['9007199254740993i', 9007199254740992],
    // The largest integers are stored as the nearest double (2^63, 2^64).
    ['9223372036854775807i', 2 ** 63],
    ['-9223372036854775808i', -(2 ** 63)],
    ['0009223372036854775807i', 2 ** 63],
    ['18446744073709551615u', 2 ** 64],
    ['0u', 0],
    ['-0i', 0],
    ['0.1', 0.1],
    ['123456789012345.6789', Number('123456789012345.6789')],
    ['3.14159265358979323846', 3.141592653589793],
    ['t', 1],
    ['T', 1],
    ['true', 1],
    ['True', 1],
    ['TRUE', 1],
    ['f', 0],
    ['F', 0],
    ['false', 0],
    ['False', 0],
    ['FALSE', 0],
  ])('reads the value %s as %d', (text, value) => {
    const { samples, errors } = parse(`m v=${text} 1`);
    expect(errors).toEqual([]);
    expect(samples[0].v).toBe(value);
  });

  it('parses every decimal with up to 15 digits exactly as Number() does', () => {
    const parser = new LineProtocolParser();
    for (let k = 0; k < 2000; k++) {
      const digits = String(Math.floor(Math.random() * 1e15));
      const at = Math.floor(Math.random() * digits.length);
      const text = `${k % 2 ? '-' : ''}${digits.slice(0, at)}.${digits.slice(at)}`;
      const { samples } = parse(`m v=${text} 1`, {}, parser);
      expect(samples[0].v).toBe(Number(text));
    }
  });

  it.each([
    ['abc', 'invalid value "abc" of field "v"'],
    ['1.2.3', 'invalid value "1.2.3"'],
    ['1e', 'invalid value "1e"'],
    ['1e999', 'invalid value "1e999"'],
    ['NaN', 'invalid value "NaN"'],
    ['-inf', 'invalid value "-inf"'],
    ['1.5i', 'invalid value "1.5i"'],
    ['-1u', 'invalid value "-1u"'],
    ['9223372036854775808i', 'invalid value "9223372036854775808i"'],
    ['-9223372036854775809i', 'invalid value "-9223372036854775809i"'],
    ['99999999999999999999i', 'invalid value'],
    ['18446744073709551616u', 'invalid value "18446744073709551616u"'],
    ['-18446744073709551615u', 'invalid value'],
    ['1_000i', 'invalid value'],
    ['+5i', 'invalid value'],
    ['i', 'invalid value'],
    ['-i', 'invalid value'],
    ['yes', 'invalid value "yes"'],
    ['"text"', 'field "v" has a string value'],
    ['', 'missing value of field "v"'],
  ])('rejects the value %j', (text, message) => {
    const { samples, errors, rejectedLines } = parse(`m v=${text} 1\nm w=1 2\n`);
    expect(rejectedLines).toBe(1);
    expect(errors[0].line).toBe(1);
    expect(errors[0].message).toContain(message);
    expect(samples).toEqual([{ series: 'm_w{}', t: 2, v: 1 }]);
  });

  it('follows the escaping rules of measurements, tag keys and values, and field keys', () => {
    const { samples, errors } = parse('my\\ meas\\,ure,tag\\ key=tag\\,va\\=lue\\ x,b=c\\d f\\=ield\\ k=1 5\n');
    expect(errors).toEqual([]);
    // Names are sanitised to [a-zA-Z0-9_:]; the tag value keeps every unescaped character.
    expect(samples).toEqual([{ series: 'my_meas_ure_f_ield_k{b=c\\d,tag_key=tag,va=lue x}', t: 5, v: 1 }]);
  });

  it('sanitises names the way influxdb_exporter does', () => {
    const { samples } = parse('disk.io,host-name=a 1m-load=2,9lives=3 1\n');
    expect(samples.map((s) => s.series)).toEqual(['disk_io_1m_load{host_name=a}', 'disk_io_9lives{host_name=a}']);
    expect(parse('9m v=1 1').samples[0].series).toBe('_9m_v{}');
  });

  it('skips blank lines, comments, CRLF and surrounding spaces; counts line numbers through them', () => {
    const { samples, errors, lines } = parse('# comment\r\n\r\n   m value=1 1   \r\n\n  # another\nm value=2\r\nbad\n');
    expect(samples).toEqual([
      { series: 'm{}', t: 1, v: 1 },
      { series: 'm{}', t: 999, v: 2 },
    ]);
    expect(lines).toBe(3);
    expect(errors).toEqual([{ line: 7, message: 'missing fields: bad' }]);
  });

  it('accepts a last line without a newline', () => {
    expect(parse('m v=1 1\nm v=2 2').samples).toHaveLength(2);
  });

  it('uses the arrival time for lines without a timestamp', () => {
    expect(parse('m v=1', { nowMs: 123 }).samples[0].t).toBe(123);
  });

  it.each([
    ['ns', '1700000000123999999', 1700000000123],
    ['ns', '-1', -1],
    ['ns', '999999', 0],
    ['ns', '-1000000', -1],
    ['ns', '-1000001', -2],
    ['us', '1700000000123999', 1700000000123],
    ['ms', '1700000000123', 1700000000123],
    ['s', '1700000000', 1700000000000],
    ['m', '28333333', 1699999980000],
    ['h', '472222', 1699999200000],
  ] as const)('reads %s timestamps: %s → %d ms', (precision, text, ms) => {
    expect(parseTimestamp(Buffer.from(text), 0, text.length, precision)).toBe(ms);
    expect(parse(`m v=1 ${text}`, { precision }).samples[0].t).toBe(ms);
  });

  it.each([
    ['12a', 'ms'],
    ['1.5', 'ms'],
    ['99999999999999999999', 'ns'],
    ['9007199254740993', 'ms'],
    ['9999999999999', 's'],
    ['-', 'ms'],
  ] as const)('rejects the timestamp %s (%s)', (text, precision) => {
    const { errors } = parse(`m v=1 ${text}`, { precision });
    expect(errors[0].message).toContain(`invalid timestamp "${text}"`);
  });

  it.each([
    ['m', 'missing fields'],
    ['m ', 'missing field key'],
    ['m v', 'missing "=" after field key "v"'],
    ['m =1', 'missing field key'],
    ['m v=1,', 'missing field key'],
    [',t=1 v=1', 'missing measurement'],
    ['m,t v=1', 'tag "t" has no "=" value'],
    ['m,t= v=1', 'tag "t" has no value'],
    ['m,=v v=1', 'has no key'],
    ['m,t=a=b v=1', 'has an unescaped "="'],
    ['m,t=a,t=b v=1', 'tag "t" appears twice'],
    ['m,t-1=a,t_1=b v=1', 'appears twice or clashes'],
    ['m,__x=a v=1', 'label name __x is reserved'],
    ['m v=1 1 extra', 'unexpected text "extra"'],
  ])('rejects %j', (line, message) => {
    const { errors, samples } = parse(`${line}\n`);
    expect(samples).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain(message);
  });

  it('rejects a whole line when one field is bad, and keeps the others lines', () => {
    const { samples, errors } = parse('m a=1,b=x,c=3 1\nm a=4 2\n');
    expect(samples).toEqual([{ series: 'm_a{}', t: 2, v: 4 }]);
    expect(errors[0]).toEqual({ line: 1, message: 'invalid value "x" of field "b": m a=1,b=x,c=3 1' });
  });

  it('skips string values holding newlines without reading their contents as lines', () => {
    const { samples, errors } = parse('m s="line one\nfoo value=1 1\nstill \\" inside",value=2 1\nm value=3 3\n');
    expect(samples).toEqual([{ series: 'm{}', t: 3, v: 3 }]);
    expect(errors).toHaveLength(1);
    expect(errors[0].line).toBe(1);
  });

  it('keeps only the first errors but counts every rejected line', () => {
    const { errors, rejectedLines } = parse('x\n'.repeat(50));
    expect(rejectedLines).toBe(50);
    expect(errors).toHaveLength(MAX_LINE_ERRORS);
    expect(errors[9].line).toBe(10);
  });

  it('adds db as a label unless a tag of that name exists', () => {
    const { samples } = parse('m value=1 1\nm,db=own value=2 1\n', { db: 'telegraf' });
    expect(samples.map((s) => s.series)).toEqual(['m{db=telegraf}', 'm{db=own}']);
  });

  it('keeps caches for different db values apart', () => {
    const parser = new LineProtocolParser();
    expect(parse('m value=1 1', { db: 'a' }, parser).samples[0].series).toBe('m{db=a}');
    expect(parse('m value=1 1', { db: 'b' }, parser).samples[0].series).toBe('m{db=b}');
    expect(parse('m value=1 1', {}, parser).samples[0].series).toBe('m{}');
  });

  it('reuses cached series and their refs across requests, and fields in any order', () => {
    const parser = new LineProtocolParser();
    const first = parse('m,a=1 x=1,y=2 1', {}, parser);
    first.built.series.forEach((s, i) => (s.ref = 100 + i));
    const second = parse('m,a=1 y=3,x=4 2', {}, parser);
    expect(second.built.batch.map((e) => [e.labels.__name__, e.ref])).toEqual([
      ['m_y', 101],
      ['m_x', 100],
    ]);
  });

  it('refuses a body with more samples than the limit, storing nothing', () => {
    expect(() => parse('m a=1,b=2,c=3 1\n', { maxSamples: 2 })).toThrow(HttpError);
    expect(() => parse('m a=1,b=2 1\n', { maxSamples: 2 })).not.toThrow();
  });

  it('reads UTF-8 in tag values and names', () => {
    const { samples } = parse('température,ville=Zürich v=1 1');
    expect(samples[0].series).toBe('temp_rature_v{ville=Zürich}');
  });
});
