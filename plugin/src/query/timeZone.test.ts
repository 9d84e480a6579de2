// The dashboard's time zone setting as the IANA name the sidecar uses for day buckets.
import { resolveTimeZone } from './timeZone';

describe('resolveTimeZone', () => {
  it.each([
    ['browser', 'Asia/Tokyo'],
    ['', 'Asia/Tokyo'],
    [undefined, 'Asia/Tokyo'],
    ['utc', 'UTC'],
    ['UTC', 'UTC'],
    ['Europe/Berlin', 'Europe/Berlin'],
  ])('resolves %p', (setting, expected) => {
    expect(resolveTimeZone(setting, 'Asia/Tokyo')).toBe(expected);
  });
});
