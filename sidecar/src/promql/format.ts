// Floats printed as Prometheus (Go's strconv) prints them, so answers read the same as Prometheus':
// sample values in the HTTP API, and label values made from numbers (count_values).

/** Shortest round-trip digits and decimal exponent of a finite, non-zero |v|: v = 0.d1d2... × 10^exp. */
function shortestDigits(v: number): { digits: string; exp: number } {
  const [mantissa, e] = Math.abs(v).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), exp: Number(e) + 1 };
}

function specialValue(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read back as v, never an exponent.
 * @example formatFloatFixed(1e21) // '1000000000000000000000'
 */
export function formatFloatFixed(v: number): string {
  const special = specialValue(v);
  if (special !== undefined) return special;
  const { digits, exp } = shortestDigits(v);
  let out: string;
  if (exp <= 0) out = '0.' + '0'.repeat(-exp) + digits;
  else if (exp >= digits.length) out = digits + '0'.repeat(exp - digits.length);
  else out = digits.slice(0, exp) + '.' + digits.slice(exp);
  return (v < 0 ? '-' : '') + out;
}

/** Go's strconv.FormatFloat(v, 'e', -1, 64): shortest digits, exponent with at least two digits. */
function formatFloatExponent(v: number): string {
  const [mantissa, e] = v.toExponential().split('e');
  const sign = e[0];
  const digits = e.slice(1).padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

/**
 * A sample value as Prometheus' HTTP API writes it: fixed notation, exponent below 1e-6 and from 1e21.
 * @example formatSampleValue(0.0000001) // '1e-07'
 */
export function formatSampleValue(v: number): string {
  const special = specialValue(v);
  if (special !== undefined) return special;
  const abs = Math.abs(v);
  return abs < 1e-6 || abs >= 1e21 ? formatFloatExponent(v) : formatFloatFixed(v);
}
