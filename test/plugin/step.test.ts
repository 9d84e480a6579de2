/**
 * @jest-environment jsdom
 */
// The plugin counts buckets as the sidecar makes them: its step choice, checked against the engine's
// own Bucketing, never gives a panel more points than maxDataPoints, in any time zone.
import '../../plugin/jest.setup.js';

import { Bucketing } from '../../sidecar/src/engine/query/bucketing';
import { bucketCount, chooseStepMs } from '../../plugin/src/query/step';
import { seededRandom, testSeed, withSeed } from '../../plugin/src/testing/seed';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const ZONES = ['UTC', 'Europe/Berlin', 'America/Sao_Paulo', 'Pacific/Apia', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
/** Day and week steps are where the zone matters; the others are aligned to the epoch. */
const STEPS_MS = [1000, 15_000, 7 * 60_000, HOUR_MS, 5 * HOUR_MS, DAY_MS, 2 * DAY_MS, 3 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 30 * DAY_MS];

describe("the plugin's bucket count and step choice against the sidecar's Bucketing", () => {
  it('counts exactly the buckets the sidecar makes', () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    withSeed(seed, () => {
      for (let i = 0; i < 3000; i++) {
        const startMs = Math.floor(random() * 2e12);
        const endMs = startMs + 1 + Math.floor(random() ** 3 * 200 * DAY_MS);
        const stepMs = STEPS_MS[Math.floor(random() * STEPS_MS.length)];
        const timeZone = ZONES[Math.floor(random() * ZONES.length)];
        if ((endMs - startMs) / stepMs > 100_000) {
          continue;
        }
        const input = JSON.stringify({ startMs, endMs, stepMs, timeZone });
        expect([input, bucketCount(startMs, endMs, stepMs, timeZone)]).toEqual([input, Bucketing.create({ start: startMs, end: endMs, step: stepMs, timeZone }).count]);
      }
    });
  });

  it('chooses steps for which the sidecar makes at most maxDataPoints buckets, 1 included', () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    withSeed(seed, () => {
      for (let i = 0; i < 3000; i++) {
        const startMs = Math.floor(random() * 2e12);
        const endMs = startMs + 1 + Math.floor(random() ** 3 * 400 * DAY_MS);
        const maxDataPoints = random() < 0.3 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * 2000);
        const intervalMs = Math.floor(random() * 600_000);
        const minIntervalMs = random() < 0.5 ? 0 : DAY_MS * (1 + Math.floor(random() * 7));
        const timeZone = ZONES[Math.floor(random() * ZONES.length)];
        const stepMs = chooseStepMs({ startMs, endMs, intervalMs, maxDataPoints, minIntervalMs, timeZone });
        const count = Bucketing.create({ start: startMs, end: endMs, step: stepMs, timeZone }).count;
        const input = JSON.stringify({ startMs, endMs, intervalMs, maxDataPoints, minIntervalMs, timeZone, stepMs });
        expect([input, count <= maxDataPoints]).toEqual([input, true]);
      }
    });
  });
});
