// Step selection: nice steps, user minimums, and never more points than the panel can show.
import { seededRandom, testSeed, withSeed } from '../testing/seed';
import { bucketCount, chooseStepMs, formatStep, parseIntervalMs, roundUpToNiceStep, singleBucketStepMs } from './step';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Zones with DST changes, one that skipped a whole day (Apia, 2011-12-30) and unusual offsets. */
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Pacific/Apia', 'Australia/Lord_Howe', 'Asia/Kolkata'];

describe('roundUpToNiceStep', () => {
  it.each([
    [1, 1],
    [3, 5],
    [999, 1000],
    [1001, 2000],
    [11_000, 15_000],
    [61_000, 120_000],
    [HOUR_MS + 1, 2 * HOUR_MS],
    [7 * HOUR_MS, 12 * HOUR_MS],
    [40 * 86_400_000, 40 * 86_400_000],
    [40.5 * 86_400_000, 41 * 86_400_000],
  ])('rounds %d ms up to %d ms', (input, expected) => {
    expect(roundUpToNiceStep(input)).toBe(expected);
  });
});

describe('chooseStepMs', () => {
  it("follows Grafana's interval for the panel", () => {
    expect(chooseStepMs({ startMs: 0, endMs: HOUR_MS, intervalMs: 2000, maxDataPoints: 1900, minIntervalMs: 0 })).toBe(2000);
    expect(chooseStepMs({ startMs: 0, endMs: HOUR_MS, intervalMs: 2500, maxDataPoints: 1900, minIntervalMs: 0 })).toBe(5000);
  });

  it('keeps a minimum interval as typed', () => {
    expect(chooseStepMs({ startMs: 0, endMs: HOUR_MS, intervalMs: 1000, maxDataPoints: 1000, minIntervalMs: 7 * 60_000 })).toBe(7 * 60_000);
  });

  it('widens the step when the range would need more points than maxDataPoints', () => {
    const stepMs = chooseStepMs({ startMs: 0, endMs: 24 * HOUR_MS, intervalMs: 1000, maxDataPoints: 100, minIntervalMs: 10_000 });
    expect(stepMs).toBe(15 * 60_000);
    expect(bucketCount(0, 24 * HOUR_MS, stepMs)).toBeLessThanOrEqual(100);
  });

  it('widens a day step once more where a short DST day would add a bucket', () => {
    // 2026-03-28 22:59Z to 03-30 22:01Z touches three Berlin days (the 29th has 23 hours), fewer than 48 hours.
    const startMs = Date.UTC(2026, 2, 27, 22, 59);
    const endMs = Date.UTC(2026, 2, 29, 22, 1);
    const stepMs = chooseStepMs({ startMs, endMs, intervalMs: 1000, maxDataPoints: 3, minIntervalMs: DAY_MS, timeZone: 'Europe/Berlin' });
    expect(bucketCount(startMs, endMs, DAY_MS, 'Europe/Berlin')).toBe(4);
    expect(bucketCount(startMs, endMs, stepMs, 'Europe/Berlin')).toBeLessThanOrEqual(3);
    expect(stepMs).toBe(2 * DAY_MS);
  });

  it('gives one bucket for maxDataPoints 1: a nice step where one holds the range, else a step just long enough', () => {
    // "Today so far" in Berlin: one local day, from its midnight.
    const midnightMs = Date.UTC(2026, 2, 10, 23);
    expect(chooseStepMs({ startMs: midnightMs, endMs: midnightMs + 14 * HOUR_MS, intervalMs: 60_000, maxDataPoints: 1, minIntervalMs: 0, timeZone: 'Europe/Berlin' })).toBe(DAY_MS);
    // 400 days: every n-day step from 400 days on has a boundary inside, so no day step holds it.
    const startMs = Date.UTC(2025, 0, 1);
    const endMs = startMs + 400 * DAY_MS;
    const stepMs = chooseStepMs({ startMs, endMs, intervalMs: HOUR_MS, maxDataPoints: 1, minIntervalMs: 0 });
    expect(bucketCount(startMs, endMs, stepMs)).toBe(1);
    expect(stepMs % DAY_MS).not.toBe(0);
    expect(stepMs).toBeGreaterThanOrEqual(400 * DAY_MS);
    expect(stepMs).toBeLessThan(410 * DAY_MS);
  });

  it('never gives more buckets than maxDataPoints, for any range, interval, minimum and time zone', () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    withSeed(seed, () => {
      for (let i = 0; i < 2000; i++) {
        const startMs = Math.floor(random() * 2e12);
        const endMs = startMs + 1 + Math.floor(random() ** 3 * 400 * DAY_MS);
        // maxDataPoints 1 and 2 are the hardest cases; they get a fair share.
        const maxDataPoints = random() < 0.25 ? 1 + Math.floor(random() * 2) : 1 + Math.floor(random() * 3000);
        const intervalMs = Math.floor(random() * 600_000);
        const minIntervalMs = random() < 0.5 ? 0 : random() < 0.2 ? DAY_MS * (1 + Math.floor(random() * 14)) : Math.floor(random() * 3_600_000);
        const timeZone = ZONES[Math.floor(random() * ZONES.length)];
        const stepMs = chooseStepMs({ startMs, endMs, intervalMs, maxDataPoints, minIntervalMs, timeZone });
        const input = JSON.stringify({ startMs, endMs, intervalMs, maxDataPoints, minIntervalMs, timeZone, stepMs });
        expect([input, bucketCount(startMs, endMs, stepMs, timeZone) <= maxDataPoints]).toEqual([input, true]);
        expect(stepMs).toBeGreaterThanOrEqual(minIntervalMs);
        expect(stepMs).toBeGreaterThanOrEqual(Math.max(1, intervalMs));
        expect(Number.isSafeInteger(stepMs)).toBe(true);
      }
    });
  });

  it('ignores a maxDataPoints of 0, which means no limit', () => {
    expect(chooseStepMs({ startMs: 0, endMs: DAY_MS, intervalMs: 1000, maxDataPoints: 0, minIntervalMs: 0 })).toBe(1000);
  });

  it('names a time zone it does not know', () => {
    expect(() => chooseStepMs({ startMs: 0, endMs: 40 * DAY_MS, intervalMs: DAY_MS, maxDataPoints: 10, minIntervalMs: 0, timeZone: 'Mars/Olympus' })).toThrow(
      expect.objectContaining({ code: 'BAD_TIME_ZONE', message: expect.stringContaining('"Mars/Olympus"') }),
    );
  });
});

describe('bucketCount', () => {
  it('counts epoch-aligned buckets from the one holding start to the one holding end - 1', () => {
    expect(bucketCount(0, 60_000, 60_000)).toBe(1);
    expect(bucketCount(0, 60_001, 60_000)).toBe(2);
    expect(bucketCount(59_999, 60_001, 60_000)).toBe(2);
    expect(bucketCount(-1, 1, 1000)).toBe(2);
    expect(bucketCount(5, 5, 1000)).toBe(0);
  });

  it('counts local days, which DST makes 23 or 25 hours long', () => {
    // Berlin's 2026-03-29 has 23 hours: 23:59 the day before to 00:01 the day after touches 3 days
    // in less than 24 hours.
    const startMs = Date.UTC(2026, 2, 28, 22, 59);
    const endMs = Date.UTC(2026, 2, 29, 22, 1);
    expect(endMs - startMs).toBeLessThan(DAY_MS);
    expect(bucketCount(startMs, endMs, DAY_MS, 'Europe/Berlin')).toBe(3);
    expect(bucketCount(startMs, endMs, DAY_MS, 'UTC')).toBe(2);
  });

  it('starts weeks on Mondays and n-day buckets on days divisible by n', () => {
    // 2026-03-08 is a Sunday, 2026-03-09 a Monday.
    expect(bucketCount(Date.UTC(2026, 2, 8), Date.UTC(2026, 2, 9, 1), 7 * DAY_MS)).toBe(2);
    expect(bucketCount(Date.UTC(2026, 2, 9), Date.UTC(2026, 2, 15, 23), 7 * DAY_MS)).toBe(1);
    const day = Date.UTC(2026, 2, 9) / DAY_MS;
    const evenDayMs = (day % 2 === 0 ? day : day + 1) * DAY_MS;
    expect(bucketCount(evenDayMs, evenDayMs + 2 * DAY_MS, 2 * DAY_MS)).toBe(1);
    expect(bucketCount(evenDayMs - DAY_MS, evenDayMs + DAY_MS, 2 * DAY_MS)).toBe(2);
  });
});

describe('singleBucketStepMs', () => {
  it('finds a step that keeps the whole range in one bucket, never a whole number of days', () => {
    expect(singleBucketStepMs(100, 110, 1)).toBe(14);
    expect(singleBucketStepMs(5, 15, 1)).toBe(15);
    expect(singleBucketStepMs(0, DAY_MS, 1)).toBe(DAY_MS + 1);
    expect(singleBucketStepMs(100, 110, 50)).toBe(50);
  });

  it('works before 1970 and refuses a range that holds its first instant', () => {
    const stepMs = singleBucketStepMs(-110, -100, 1)!;
    expect(bucketCount(-110, -100, stepMs)).toBe(1);
    expect(singleBucketStepMs(-1, 1, 1)).toBeUndefined();
  });

  it('keeps any range in one bucket, with a step no shorter than asked and not much longer than needed', () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    withSeed(seed, () => {
      for (let i = 0; i < 2000; i++) {
        const startMs = Math.floor(random() * 2e12) * (random() < 0.1 ? -1 : 1);
        const endMs = startMs + 1 + Math.floor(random() ** 4 * 400 * DAY_MS);
        const lowerMs = random() < 0.5 ? 1 : Math.floor(random() * 10 * DAY_MS);
        const stepMs = singleBucketStepMs(startMs, endMs, lowerMs);
        const input = JSON.stringify({ startMs, endMs, lowerMs, stepMs });
        if (startMs < 0 && endMs > 0) {
          expect([input, stepMs]).toEqual([input, undefined]);
          continue;
        }
        expect([input, stepMs !== undefined && bucketCount(startMs, endMs, stepMs) === 1]).toEqual([input, true]);
        expect(stepMs! % DAY_MS).not.toBe(0);
        expect(stepMs).toBeGreaterThanOrEqual(lowerMs);
        // As long as the range or the lower bound, plus what aligning to multiples since the epoch costs.
        const neededMs = Math.max(lowerMs, endMs - startMs);
        const fromEpochMs = startMs >= 0 ? startMs : -endMs;
        const alignmentMs = fromEpochMs === 0 ? 1 : (neededMs * (neededMs + 1)) / fromEpochMs + 2 * Math.sqrt(fromEpochMs) + 3;
        expect([input, stepMs! <= neededMs + alignmentMs]).toEqual([input, true]);
      }
    });
  });
});

describe('parseIntervalMs', () => {
  it('reads the units users type', () => {
    expect(parseIntervalMs('500ms', 'x')).toBe(500);
    expect(parseIntervalMs('10s', 'x')).toBe(10_000);
    expect(parseIntervalMs(' 1m ', 'x')).toBe(60_000);
    expect(parseIntervalMs('2h', 'x')).toBe(2 * HOUR_MS);
    expect(parseIntervalMs('1d', 'x')).toBe(24 * HOUR_MS);
    expect(parseIntervalMs('', 'x')).toBe(0);
    expect(parseIntervalMs(undefined, 'x')).toBe(0);
  });

  it('says which field holds a bad interval', () => {
    expect(() => parseIntervalMs('ten seconds', 'Query A min interval')).toThrow(
      expect.objectContaining({ code: 'BAD_INTERVAL', message: expect.stringContaining('Query A min interval: "ten seconds"') }),
    );
  });
});

describe('formatStep', () => {
  it.each([
    [250, '250ms'],
    [15_000, '15s'],
    [60_000, '1m'],
    [90_000, '90s'],
    [2 * HOUR_MS, '2h'],
    [86_400_000, '1d'],
  ])('formats %d ms as %s', (stepMs, text) => {
    expect(formatStep(stepMs)).toBe(text);
  });
});
