// Parsing of the human-friendly durations and sizes used in flags, env and config files.

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * A duration such as `30d`, `1h30m`, `500ms` or a bare number of milliseconds, in ms.
 * @example parseDurationMs('1h30m') // 5_400_000
 * @throws Error naming what could not be read
 */
export function parseDurationMs(text: string): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]];
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) {
    throw new Error(`${JSON.stringify(text)} is not a duration (use e.g. 500ms, 30s, 15m, 12h, 30d, 2w, 1y or 1h30m)`);
  }
  return Math.round(total);
}

/**
 * A size such as `32MiB`, `10GB` or a bare number of bytes, in bytes.
 * @example parseSizeBytes('32MiB') // 33_554_432
 */
export function parseSizeBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`${JSON.stringify(text)} is not a size (use e.g. 1048576, 512KiB, 32MiB, 10GB)`);
  return Math.round(Number(m[1]) * unit);
}
