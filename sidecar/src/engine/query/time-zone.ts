// Local days in an IANA time zone: which local day an instant falls on, and the instant a local day
// starts, for day and week buckets (model/types.ts, AggregateRequest).
//
// Offsets come from Intl, which costs microseconds per call, so a day's start is found with three
// offset look-ups when no offset change lies within 27 hours of it, and by bisection (as the
// specification's model does) only next to a change. Day starts are cached per zone.

import { InvalidQueryError } from '../model/errors';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Local offsets stay within ±26 hours of UTC; the search window around a day is a little wider. */
export const DAY_WINDOW_MS = 27 * HOUR_MS;
/**
 * The instants local days are computed for: from 0100-01-01 (Date.UTC reads years 0-99 as 1900-1999)
 * to the last instant a Date can represent.
 */
export const MIN_LOCAL_MS = -59_011_459_200_000;
export const MAX_LOCAL_MS = 8.64e15;
/** Spellings of zone names remembered before that cache is emptied (case variants are endless). */
const MAX_ZONE_NAMES = 1000;
/** Day starts kept per zone before the cache is emptied (a few years of days, some bytes each). */
const MAX_CACHED_DAYS = 100_000;

/** 'M/D/YYYY, HH:MM:SS' as en-US formats it with the options below. */
const FORMAT_RE = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/** The local calendar of one zone. Get one with `ZoneClock.of`, which validates the zone. */
export class ZoneClock {
  /** Clocks by the zone name as asked for (any spelling Intl accepts), a few hundred at most. */
  private static readonly byName = new Map<string, ZoneClock>();
  /**
   * UTC, the default zone, needs no Intl at all: the process's first DateTimeFormat costs tens of
   * milliseconds, which the first query after start-up would otherwise pay.
   */
  private static readonly utc = new ZoneClock('UTC', undefined);
  /** Clocks by canonical zone name, so that every spelling of a zone shares one day cache. */
  private static readonly byZone = new Map<string, ZoneClock>([['UTC', ZoneClock.utc]]);
  private readonly dayStarts = new Map<number, number>();

  private constructor(
    readonly zone: string,
    private readonly format: Intl.DateTimeFormat | undefined,
  ) {}

  /** The clock of `zone`; an unknown zone is an InvalidQueryError. */
  static of(zone: string): ZoneClock {
    if (zone === 'UTC') return ZoneClock.utc;
    let clock = ZoneClock.byName.get(zone);
    if (clock) return clock;
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new InvalidQueryError(`unknown time zone ${JSON.stringify(zone)}`);
    }
    const canonical = format.resolvedOptions().timeZone;
    clock = ZoneClock.byZone.get(canonical);
    if (!clock) {
      // UTC needs no look-ups at all; every other zone asks Intl.
      clock = new ZoneClock(canonical, canonical === 'UTC' ? undefined : format);
      ZoneClock.byZone.set(canonical, clock);
    }
    if (ZoneClock.byName.size >= MAX_ZONE_NAMES) ZoneClock.byName.clear();
    ZoneClock.byName.set(zone, clock);
    return clock;
  }

  /** Local time minus UTC at instant t, in ms (whole seconds). */
  offsetMs(t: number): number {
    if (!this.format) return 0;
    const wholeSecond = Math.floor(t / 1000) * 1000;
    const formatted = this.format.format(new Date(t));
    const m = FORMAT_RE.exec(formatted);
    if (!m) throw new Error(`unexpected local time ${JSON.stringify(formatted)} from Intl for ${this.zone}`);
    return Date.UTC(+m[3], +m[1] - 1, +m[2], +m[4], +m[5], +m[6]) - wholeSecond;
  }

  /** Local day number (days since 1970-01-01 in this zone) of instant t. */
  localDay(t: number): number {
    return Math.floor((t + this.offsetMs(t)) / DAY_MS);
  }

  /**
   * The first instant whose local day is `day` or later: local midnight, or the first instant of the
   * day when a DST change skipped midnight.
   */
  startOfDay(day: number): number {
    const cached = this.dayStarts.get(day);
    if (cached !== undefined) return cached;
    const lo = day * DAY_MS - DAY_WINDOW_MS;
    const hi = day * DAY_MS + DAY_WINDOW_MS;
    const offset = this.offsetMs(lo);
    // With one offset over the whole window (probed at both ends and the middle) the local day grows
    // with t, and midnight is where t + offset reaches the day; otherwise bisect, which finds the
    // same instant the model finds.
    const steady = offset === this.offsetMs(day * DAY_MS) && offset === this.offsetMs(hi);
    const start = steady ? day * DAY_MS - offset : this.bisectDayStart(day, lo, hi);
    if (this.dayStarts.size >= MAX_CACHED_DAYS) this.dayStarts.clear();
    this.dayStarts.set(day, start);
    return start;
  }

  private bisectDayStart(day: number, lo: number, hi: number): number {
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.localDay(mid) >= day) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}
