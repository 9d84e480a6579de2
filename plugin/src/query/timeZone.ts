// Resolves the dashboard's time zone setting to the IANA name the sidecar aligns day buckets with.

/** Grafana's `timezone` is `browser`, `utc`, an IANA name or empty (which means the browser's). */
export function resolveTimeZone(dashboardTimeZone: string | undefined, browserTimeZone = defaultBrowserTimeZone()): string {
  const zone = (dashboardTimeZone ?? '').trim();
  if (zone === '' || zone === 'browser') {
    return browserTimeZone;
  }
  if (zone.toLowerCase() === 'utc') {
    return 'UTC';
  }
  return zone;
}

function defaultBrowserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
