// One simulated sensor device: temperature, humidity, pressure and battery as mean-reverting random
// walks with a daily cycle outdoors; some devices report a value only when it changed; every device
// now and then goes offline, keeps its readings, and uploads the backlog when it is back.

import { Random } from './random';

export const METRICS = ['temperature', 'humidity', 'pressure', 'battery'] as const;
export type Metric = (typeof METRICS)[number];

export const SITES = ['berlin', 'paris', 'madrid', 'rome', 'oslo', 'vienna', 'lisbon', 'prague'] as const;
export const KINDS = ['indoor', 'outdoor', 'freezer'] as const;
export type Kind = (typeof KINDS)[number];

export interface Reading {
  t: number;
  metric: Metric;
  value: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Per kind: the level temperature and humidity return to. */
const CLIMATE: Record<Kind, { temperature: number; humidity: number; dailySwingC: number }> = {
  indoor: { temperature: 21, humidity: 45, dailySwingC: 1 },
  outdoor: { temperature: 12, humidity: 70, dailySwingC: 7 },
  freezer: { temperature: -18, humidity: 85, dailySwingC: 0 },
};

/** Smallest change a report-on-change device sends. */
const CHANGE_THRESHOLD: Record<Metric, number> = { temperature: 0.2, humidity: 1, pressure: 0.5, battery: 1 };
const DECIMALS: Record<Metric, number> = { temperature: 2, humidity: 1, pressure: 1, battery: 1 };

/** On average a device drops off the network this often, for 2 to 30 minutes. */
const MEAN_TIME_BETWEEN_OUTAGES_MS = 6 * 3_600_000;

export class Device {
  readonly labels: { device: string; kind: Kind; site: string };
  readonly reportsOnChange: boolean;
  private readonly values: Record<Metric, number>;
  private readonly lastReported: Partial<Record<Metric, number>> = {};
  private offlineUntilMs = 0;
  private backlog: Reading[] = [];

  constructor(
    index: number,
    private readonly random: Random,
  ) {
    const kind = KINDS[index % KINDS.length];
    this.labels = { device: `dev-${String(index + 1).padStart(4, '0')}`, kind, site: SITES[index % SITES.length] };
    this.reportsOnChange = random.chance(0.25);
    this.values = {
      temperature: CLIMATE[kind].temperature + random.gaussian(),
      humidity: CLIMATE[kind].humidity + 5 * random.gaussian(),
      pressure: 1013 + 5 * random.gaussian(),
      battery: random.between(40, 100),
    };
  }

  get offline(): boolean {
    return this.offlineUntilMs > 0;
  }

  /**
   * Advances the sensors by `stepMs` to time `t` and returns what reaches the network now: nothing
   * while offline, the backlog and the current readings when back.
   */
  step(t: number, stepMs: number): Reading[] {
    this.walk(t, stepMs);
    const readings = this.readings(t);
    if (this.offlineUntilMs > 0 && t < this.offlineUntilMs) {
      this.backlog.push(...readings);
      return [];
    }
    if (this.offlineUntilMs > 0) {
      this.offlineUntilMs = 0;
      const backlog = this.backlog;
      this.backlog = [];
      return [...backlog, ...readings];
    }
    if (this.random.chance(stepMs / MEAN_TIME_BETWEEN_OUTAGES_MS)) {
      this.offlineUntilMs = t + this.random.between(2, 30) * MINUTE_MS;
    }
    return readings;
  }

  private walk(t: number, stepMs: number): void {
    const minutes = stepMs / MINUTE_MS;
    const noise = Math.sqrt(minutes);
    const climate = CLIMATE[this.labels.kind];
    const hourOfDay = ((t % DAY_MS) / DAY_MS) * 24;
    const dailyTarget = climate.temperature + climate.dailySwingC * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
    const v = this.values;
    v.temperature += 0.05 * (dailyTarget - v.temperature) * minutes + 0.15 * noise * this.random.gaussian();
    v.humidity = clamp(v.humidity + 0.03 * (climate.humidity - v.humidity) * minutes + 0.5 * noise * this.random.gaussian(), 0, 100);
    v.pressure += 0.002 * (1013 - v.pressure) * minutes + 0.1 * noise * this.random.gaussian();
    v.battery -= (0.002 + 0.002 * this.random.next()) * minutes;
    if (v.battery < 5) v.battery = 100; // the battery was replaced
  }

  private readings(t: number): Reading[] {
    const out: Reading[] = [];
    for (const metric of METRICS) {
      const value = round(this.values[metric], DECIMALS[metric]);
      const last = this.lastReported[metric];
      if (this.reportsOnChange && last !== undefined && Math.abs(value - last) < CHANGE_THRESHOLD[metric]) continue;
      this.lastReported[metric] = value;
      out.push({ t, metric, value });
    }
    return out;
  }
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

function round(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}
