// Step selection: nice steps, user minimums, and never more points than the panel can show.
import { seededRandom, testSeed, withSeed } from '../testing/seed';
import { chooseStepMs, formatStep, maxBucketCount, parseIntervalMs, roundUpToNiceStep } from './step';

const HOUR_MS = 3_600_000;

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
    expect(maxBucketCount(0, 24 * HOUR_MS, stepMs)).toBeLessThanOrEqual(100);
  });

  it('never gives more buckets than maxDataPoints, for any range, interval and minimum', () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    withSeed(seed, () => {
      for (let i = 0; i < 2000; i++) {
        const startMs = Math.floor(random() * 2e12);
        const endMs = startMs + 1 + Math.floor(random() ** 3 * 400 * 86_400_000);
        const maxDataPoints = 2 + Math.floor(random() * 3000);
        const intervalMs = Math.floor(random() * 600_000);
        const minIntervalMs = random() < 0.5 ? 0 : Math.floor(random() * 3_600_000);
        const stepMs = chooseStepMs({ startMs, endMs, intervalMs, maxDataPoints, minIntervalMs });
        expect(maxBucketCount(startMs, endMs, stepMs)).toBeLessThanOrEqual(maxDataPoints);
        expect(stepMs).toBeGreaterThanOrEqual(minIntervalMs);
        expect(stepMs).toBeGreaterThanOrEqual(Math.max(1, intervalMs));
        expect(Number.isInteger(stepMs)).toBe(true);
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
