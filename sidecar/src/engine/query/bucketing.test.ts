// Bucket boundaries, counts and look-ups with hand-computed answers: epoch-aligned steps, local
// days across DST changes in Europe/Berlin and America/New_York, weeks, and zones where a change
// skips midnight or a whole day.
import { InvalidQueryError, QueryLimitError } from '../model/errors';
import { MemoryEngine } from '../testing/memory-engine';
import { Bucketing } from './bucketing';
import { ZoneClock } from './time-zone';

const MIN = 60_000;
const H = 3_600_000;
const DAY = 24 * H;

const times = (b: Bucketing) => Array.from(b.timestamps());

describe('Bucketing with steps shorter than a day', () => {
  it('aligns to multiples of the step since the epoch and runs to the bucket holding end - 1', () => {
    const b = Bucketing.create({ start: 125_000, end: 240_001, step: MIN });
    expect(b.count).toBe(3);
    expect(times(b)).toEqual([120_000, 180_000, 240_000]);
    expect(Array.from(b.bounds())).toEqual([120_000, 180_000, 240_000, 300_000]);
  });

  it('ignores the time zone: 1-hour buckets in Asia/Kolkata start at half past local hours', () => {
    const start = Date.UTC(2024, 0, 1, 0, 10);
    const b = Bucketing.create({ start, end: start + 2 * H, step: H, timeZone: 'Asia/Kolkata' });
    expect(times(b)).toEqual([Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 0, 1, 1), Date.UTC(2024, 0, 1, 2)]);
  });

  it('aligns steps of a fraction of days (36 h) to the epoch too', () => {
    const b = Bucketing.create({ start: 0, end: 4 * DAY, step: 36 * H, timeZone: 'Europe/Berlin' });
    expect(times(b)).toEqual([0, 36 * H, 72 * H]);
  });

  it('handles times before the epoch', () => {
    const b = Bucketing.create({ start: -150, end: -49, step: 100 });
    expect(times(b)).toEqual([-200, -100]);
    expect(b.indexOf(-150)).toBe(0);
    expect(b.indexOf(-100)).toBe(1);
  });

  it('finds the bucket of a timestamp, and -1 outside [start, end)', () => {
    const b = Bucketing.create({ start: 125_000, end: 240_001, step: MIN });
    expect([124_999, 125_000, 179_999, 180_000, 240_000, 240_001].map((t) => b.indexOf(t))).toEqual([-1, 0, 0, 1, 2, -1]);
  });

  it('says whether a block lies in one bucket inside the range', () => {
    const b = Bucketing.create({ start: 125_000, end: 240_001, step: MIN });
    expect(b.spanIndex(180_000, 239_999)).toBe(1);
    expect(b.spanIndex(179_999, 180_000)).toBe(-1); // crosses a boundary
    expect(b.spanIndex(120_000, 130_000)).toBe(-1); // starts before start
    expect(b.spanIndex(240_000, 240_001)).toBe(-1); // reaches end
    expect(b.spanIndex(240_000, 240_000)).toBe(2);
  });
});

describe('Bucketing by local days', () => {
  it('gives 2024-03-31 in Europe/Berlin 23 hours (summer time begins)', () => {
    const march30 = Date.UTC(2024, 2, 29, 23); // local midnight, CET = UTC+1
    // end is local midnight of 04-02, so the buckets are those of 03-30, 03-31 and 04-01.
    const b = Bucketing.create({ start: march30, end: Date.UTC(2024, 3, 1, 22), step: DAY, timeZone: 'Europe/Berlin' });
    expect(times(b)).toEqual([march30, Date.UTC(2024, 2, 30, 23), Date.UTC(2024, 2, 31, 22)]);
    expect(b.bounds()[3]).toBe(Date.UTC(2024, 3, 1, 22));
    expect(b.indexOf(Date.UTC(2024, 2, 31, 21, 59, 59, 999))).toBe(1);
    expect(b.indexOf(Date.UTC(2024, 2, 31, 22))).toBe(2);
  });

  it('gives 2024-10-27 in Europe/Berlin 25 hours (summer time ends)', () => {
    const b = Bucketing.create({ start: Date.UTC(2024, 9, 27, 12), end: Date.UTC(2024, 9, 28, 1), step: DAY, timeZone: 'Europe/Berlin' });
    expect(times(b)).toEqual([Date.UTC(2024, 9, 26, 22), Date.UTC(2024, 9, 27, 23)]);
  });

  it('follows America/New_York through both changes of 2024', () => {
    const spring = Bucketing.create({ start: Date.UTC(2024, 2, 10, 12), end: Date.UTC(2024, 2, 11, 12), step: DAY, timeZone: 'America/New_York' });
    expect(times(spring)).toEqual([Date.UTC(2024, 2, 10, 5), Date.UTC(2024, 2, 11, 4)]);
    const fall = Bucketing.create({ start: Date.UTC(2024, 10, 3, 12), end: Date.UTC(2024, 10, 4, 12), step: DAY, timeZone: 'America/New_York' });
    expect(times(fall)).toEqual([Date.UTC(2024, 10, 3, 4), Date.UTC(2024, 10, 4, 5)]);
  });

  it('starts n-day buckets on days divisible by n since 1970-01-01', () => {
    // 2024-03-30 is day 19812 (even), so 2-day buckets start on 03-30 and 04-01 (Berlin midnights).
    const b = Bucketing.create({ start: Date.UTC(2024, 2, 31, 12), end: Date.UTC(2024, 3, 1, 12), step: 2 * DAY, timeZone: 'Europe/Berlin' });
    expect(times(b)).toEqual([Date.UTC(2024, 2, 29, 23), Date.UTC(2024, 2, 31, 22)]);
  });

  it('starts weeks on Mondays at local midnight, 167 hours long across a change', () => {
    const b = Bucketing.create({ start: Date.UTC(2024, 2, 27), end: Date.UTC(2024, 3, 2), step: 7 * DAY, timeZone: 'Europe/Berlin' });
    expect(times(b)).toEqual([Date.UTC(2024, 2, 24, 23), Date.UTC(2024, 2, 31, 22)]);
    const twoWeeks = Bucketing.create({ start: Date.UTC(2024, 0, 3), end: Date.UTC(2024, 0, 4), step: 14 * DAY });
    // Fortnights count from Monday 1970-01-05: 2024-01-01 is 19719 days later, 19719 / 14 = 1408.5.
    expect(times(twoWeeks)).toEqual([Date.UTC(2023, 11, 25)]);
  });

  it('starts a day whose midnight was skipped at its first instant (America/Havana, 2024-03-10)', () => {
    const b = Bucketing.create({ start: Date.UTC(2024, 2, 9, 12), end: Date.UTC(2024, 2, 10, 12), step: DAY, timeZone: 'America/Havana' });
    expect(times(b)).toEqual([Date.UTC(2024, 2, 9, 5), Date.UTC(2024, 2, 10, 5)]);
  });

  it('gives a skipped day (Pacific/Apia, 2011-12-30) no instants and the timestamp of the next', () => {
    // Samoa went from UTC-10 to UTC+14 at the end of 12-29; end is 23:00 local on 12-31.
    const b = Bucketing.create({ start: Date.UTC(2011, 11, 29, 12), end: Date.UTC(2011, 11, 31, 9), step: DAY, timeZone: 'Pacific/Apia' });
    expect(times(b)).toEqual([Date.UTC(2011, 11, 29, 10), Date.UTC(2011, 11, 30, 10), Date.UTC(2011, 11, 30, 10)]);
    expect(b.hasZeroLengthBuckets()).toBe(true);
    expect(b.indexOf(Date.UTC(2011, 11, 30, 10))).toBe(2);
  });

  it('keeps n-day buckets aligned when the first day of one was skipped (Pacific/Apia, 2 days)', () => {
    // Days 15338-15339 (12-30, skipped, and 12-31) form one bucket, which starts at 12-31 00:00 local
    // (UTC+14); the next ones start on local 2012-01-01 and 2012-01-03.
    const b = Bucketing.create({ start: Date.UTC(2011, 11, 30, 11), end: Date.UTC(2012, 0, 3), step: 2 * DAY, timeZone: 'Pacific/Apia' });
    expect(times(b)).toEqual([Date.UTC(2011, 11, 30, 10), Date.UTC(2011, 11, 31, 10), Date.UTC(2012, 0, 2, 10)]);
    expect(b.hasZeroLengthBuckets()).toBe(false);
  });

  it('finds local days the way the specification model does in zones with odd changes', async () => {
    const cases: Array<[string, number]> = [
      ['Asia/Beirut', Date.UTC(2024, 9, 24)],
      ['Australia/Lord_Howe', Date.UTC(2024, 3, 4)],
      ['America/Havana', Date.UTC(2024, 10, 1)],
      ['Pacific/Apia', Date.UTC(2011, 11, 27)],
      ['America/Sao_Paulo', Date.UTC(2018, 10, 1)],
      ['Europe/Dublin', Date.UTC(2024, 2, 28)],
    ];
    for (const [timeZone, from] of cases) {
      const start = from + 5 * H;
      const end = from + 8 * DAY;
      const model = new MemoryEngine();
      await model.write([{ labels: { __name__: 't' }, timestamps: [start], values: [1] }]);
      for (const step of [DAY, 2 * DAY, 7 * DAY]) {
        const [answer] = await model.aggregate({ matchers: [], start, end, step, agg: 'count', fill: 'null', timeZone });
        expect({ timeZone, step, times: times(Bucketing.create({ start, end, step, timeZone })) }).toEqual({ timeZone, step, times: Array.from(answer.timestamps) });
      }
    }
  });
});

describe('Bucketing limits and validation', () => {
  it('counts buckets without listing them, so a huge range is refused before any work', () => {
    const b = Bucketing.create({ start: 0, end: 1e15, step: 1 });
    expect(b.count).toBe(1e15);
    expect(() => b.assertWithin(11_000)).toThrow(QueryLimitError);
    expect(() => b.assertWithin(11_000)).toThrow('the range holds 1000000000000000 buckets of 1 ms, more than the limit of 11000 points');
    expect(() => b.bounds()).toThrow(QueryLimitError);
    expect(() => Bucketing.create({ start: 0, end: 10, step: 5 }).assertWithin(2)).not.toThrow();
  });

  it.each([
    [{ start: 0, end: 0, step: 1 }, 'end (0) must be after start (0)'],
    [{ start: 0.5, end: 10, step: 1 }, 'start and end must be integers of ms'],
    [{ start: 0, end: 10, step: 0 }, 'step must be a positive integer of ms, got 0'],
    [{ start: 0, end: 10, step: 1.5 }, 'step must be a positive integer of ms, got 1.5'],
    [{ start: 0, end: 10, step: 1, timeZone: 'Mars/Olympus' }, 'unknown time zone "Mars/Olympus"'],
    [{ start: 0, end: 8.7e15, step: DAY }, 'day and week buckets need times from'],
    [{ start: 8.64e15 - 3 * DAY, end: 8.64e15 - 2 * DAY, step: 7 * DAY }, 'day and week buckets need times from'],
    [{ start: Date.UTC(2000, 0, 1) - 2000 * 365 * DAY, end: Date.UTC(2000, 0, 1), step: DAY }, 'day and week buckets need times from'],
  ])('refuses %j', (spec, message) => {
    expect(() => Bucketing.create(spec)).toThrow(InvalidQueryError);
    expect(() => Bucketing.create(spec)).toThrow(message);
  });
});

describe('ZoneClock', () => {
  it('knows offsets and local days, and UTC without asking Intl', () => {
    const berlin = ZoneClock.of('Europe/Berlin');
    expect(berlin.offsetMs(Date.UTC(2024, 0, 1))).toBe(H);
    expect(berlin.offsetMs(Date.UTC(2024, 6, 1))).toBe(2 * H);
    expect(berlin.localDay(Date.UTC(2024, 0, 1, 23))).toBe(Date.UTC(2024, 0, 2) / DAY);
    expect(ZoneClock.of('Asia/Kolkata').offsetMs(0)).toBe(5.5 * H);
    expect(ZoneClock.of('UTC').startOfDay(19_000)).toBe(19_000 * DAY);
    expect(ZoneClock.of('Europe/Berlin')).toBe(berlin);
    expect(ZoneClock.of('europe/berlin')).toBe(berlin);
    expect(berlin.zone).toBe('Europe/Berlin');
  });
});
