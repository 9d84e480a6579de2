// Text variable queries.
import { parseVariableQuery } from './parse';

describe('parseVariableQuery', () => {
  it('reads every form', () => {
    expect(parseVariableQuery('metrics()')).toEqual({ refId: 'variable', kind: 'metrics', matchers: [] });
    expect(parseVariableQuery('label_names()')).toEqual({ refId: 'variable', kind: 'labelNames', metric: undefined, matchers: [] });
    expect(parseVariableQuery('label_names(temperature)')).toEqual({ refId: 'variable', kind: 'labelNames', metric: 'temperature', matchers: [] });
    expect(parseVariableQuery(' label_values( site ) ')).toEqual({ refId: 'variable', kind: 'labelValues', label: 'site', matchers: [] });
    expect(parseVariableQuery('label_values(temperature{site=~"$site", kind!="a,b\\"c"}, device)')).toEqual({
      refId: 'variable',
      kind: 'labelValues',
      label: 'device',
      metric: 'temperature',
      matchers: [
        { name: 'site', op: '=~', value: '$site' },
        { name: 'kind', op: '!=', value: 'a,b"c' },
      ],
    });
    expect(parseVariableQuery('label_values({site="berlin"}, device)')).toMatchObject({ metric: undefined, matchers: [{ name: 'site', op: '=', value: 'berlin' }] });
  });

  it('explains what is wrong', () => {
    expect(() => parseVariableQuery('values(site)')).toThrow(expect.objectContaining({ code: 'BAD_VARIABLE_QUERY', message: expect.stringContaining('unknown function') }));
    expect(() => parseVariableQuery('label_values(m{site=berlin}, device)')).toThrow(/"site=berlin" is not a label filter/);
    expect(() => parseVariableQuery('label_values(a, b, c)')).toThrow(/takes a label, or a metric selector and a label/);
  });
});
