// Postings lists and the stamp-based set operations.
import { IdMarks, Postings, filterByLists, lowerBound, unionOf } from './postings';

describe('Postings', () => {
  it('appends ascending ids and inserts a lower one in place, once', () => {
    const p = new Postings();
    for (const id of [1, 5, 9, 3, 3, 0]) p.add(id);
    expect(p.ids).toEqual([0, 1, 3, 5, 9]);
    expect(p.length).toBe(5);
    expect(lowerBound(p.ids, 4)).toBe(3);
  });
});

describe('set operations', () => {
  const marks = new IdMarks();

  it('intersect with and subtract lists from candidates', () => {
    const candidates = Int32Array.of(1, 2, 3, 4, 5, 6);
    expect(Array.from(filterByLists(candidates, [[2, 4], [6, 9]], true, marks, 10))).toEqual([2, 4, 6]);
    expect(Array.from(filterByLists(candidates, [[2, 4], [6, 9]], false, marks, 10))).toEqual([1, 3, 5]);
    expect(Array.from(filterByLists(candidates, [], true, marks, 10))).toEqual([]);
  });

  it('unite lists by sorting when they are few and by sweeping when they cover much of the range', () => {
    expect(Array.from(unionOf([[5, 7], [1, 7, 9]], marks, 1000))).toEqual([1, 5, 7, 9]);
    expect(Array.from(unionOf([[5, 7], [1, 7, 9]], marks, 10))).toEqual([1, 5, 7, 9]);
    expect(Array.from(unionOf([[3, 4]], marks, 10))).toEqual([3, 4]);
  });

  it('grow their marks for larger ids and never confuse one set with the last', () => {
    const m = new IdMarks();
    const first = m.next(5000);
    m.mark(4999, first);
    expect(m.has(4999, first)).toBe(true);
    const second = m.next(5000);
    expect(m.has(4999, second)).toBe(false);
  });
});
