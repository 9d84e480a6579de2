// The limit errors carry the code, the kind of limit and the figures.
import { QueryLimitError } from '../model/errors';
import { assertPointsWithin, assertSeriesWithin } from './limits';

describe('query limits', () => {
  it('refuse only above the limit, and say by how much', () => {
    expect(() => assertSeriesWithin(5, 5)).not.toThrow();
    expect(() => assertSeriesWithin(5, undefined)).not.toThrow();
    expect(() => assertSeriesWithin(6, 5)).toThrow('the query matches 6 series, more than the limit of 5');
    expect(() => assertPointsWithin(11, 10)).toThrow(expect.objectContaining({ code: 'QUERY_LIMIT', limit: 'points', max: 10 }));
    expect(() => assertPointsWithin(11, 10)).toThrow(QueryLimitError);
  });
});
