// Reading one figure from a server's Prometheus text-format /metrics page.

/** The first sample of a gauge (any labels); undefined when the page does not have it. */
export function gaugeValue(metricsText: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([-+0-9.eE]+|NaN)$`, 'm').exec(metricsText);
  return match ? Number(match[1]) : undefined;
}
