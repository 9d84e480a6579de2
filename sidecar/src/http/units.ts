// The unit of a metric, for charts: the demo fleet's sensor names and Prometheus' naming convention
// (`*_celsius`, `*_seconds`, `*_bytes`, ...). Names are the ones the Grafana plugin maps to its units.

const BY_NAME: Record<string, string> = {
  temperature: 'celsius',
  humidity: 'percent',
  pressure: 'hpa',
  battery: 'percent',
};

const BY_SUFFIX: Array<[string, string]> = [
  ['_celsius', 'celsius'],
  ['_fahrenheit', 'fahrenheit'],
  ['_kelvin', 'kelvin'],
  ['_percent', 'percent'],
  ['_hpa', 'hpa'],
  ['_pascals', 'pa'],
  ['_bar', 'bar'],
  ['_volts', 'volt'],
  ['_amperes', 'ampere'],
  ['_watts', 'watt'],
  ['_milliseconds', 'milliseconds'],
  ['_seconds', 'seconds'],
  ['_bytes', 'bytes'],
  ['_lux', 'lux'],
  ['_ppm', 'ppm'],
];

/**
 * @example unitOf('temperature') // 'celsius'
 * @example unitOf('http_request_duration_seconds') // 'seconds'
 * @example unitOf('requests_total') // undefined
 */
export function unitOf(metric: string): string | undefined {
  const known = BY_NAME[metric];
  if (known) return known;
  const bare = metric.replace(/_(total|sum|count|bucket)$/, '');
  for (const [suffix, unit] of BY_SUFFIX) if (bare.endsWith(suffix)) return unit;
  return undefined;
}
