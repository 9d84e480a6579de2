// PromQL literals read exactly as Prometheus (Go) reads them: durations (`1h30m`), numbers (`0x1F`,
// `010` is octal, `1e3`, `Inf`, `NaN`) and strings (Go escapes in "..." and '...', raw `...`).
// Each reader returns the value or a message saying what is wrong; the parser adds the position.

const DURATION_RE = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const DURATION_UNITS_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
// time.Duration is int64 nanoseconds: Prometheus refuses durations beyond it.
const MAX_DURATION_MS = 9_223_372_036_854;

/**
 * A Prometheus duration in ms (units y w d h m s ms, each at most once, in that order; "0" alone).
 * @example parseDuration('1h30m') // { ok: true, ms: 5400000 }
 */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  if (text === '0') return { ok: true, ms: 0 };
  if (text === '') return { ok: false, message: 'empty duration string' };
  const m = DURATION_RE.exec(text);
  if (!m) return { ok: false, message: `not a valid duration string: ${JSON.stringify(text)}` };
  let ms = 0;
  for (let i = 0; i < DURATION_UNITS_MS.length; i++) {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * DURATION_UNITS_MS[i];
  }
  if (ms > MAX_DURATION_MS) return { ok: false, message: `duration out of range: ${JSON.stringify(text)}` };
  return { ok: true, ms };
}

/** True when the text is a duration with a unit (not a plain number). */
export function isDurationText(text: string): boolean {
  return /[a-z]$/.test(text) && DURATION_RE.test(text);
}

/**
 * A number literal as Go's strconv reads it in PromQL: integers with base prefixes (a leading 0 is
 * octal), then decimal and exponent floats; `Inf` and `NaN` in any case. Underscores separate digits.
 */
export function parseNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return NaN;
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[+-]/, '');
  if (/^_|_$|__/.test(body)) return undefined;
  const digits = body.replace(/_/g, '');
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(digits)) value = Number(digits);
  else if (/^0[0-7]+$/.test(digits)) value = parseInt(digits.slice(1), 8);
  else if (/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(digits)) value = Number(digits);
  else return undefined;
  return sign * value;
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/**
 * The value of a quoted string literal (with its quotes), as Go's strconv.Unquote reads it, except
 * that single-quoted strings may hold any number of characters (as in Prometheus).
 * @example parseStringLiteral('"a\\tb"') // { ok: true, value: 'a\tb' }
 */
export function parseStringLiteral(text: string): { ok: true; value: string } | { ok: false; message: string } {
  const quote = text[0];
  if (text.length < 2 || text[text.length - 1] !== quote) return { ok: false, message: 'unterminated quoted string' };
  const inner = text.slice(1, -1);
  if (quote === '`') {
    if (inner.includes('`')) return { ok: false, message: 'invalid syntax' };
    return { ok: true, value: inner.replace(/\r/g, '') };
  }
  if (quote !== '"' && quote !== "'") return { ok: false, message: 'invalid syntax' };
  const bytes: number[] = [];
  const pushText = (s: string) => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  let i = 0;
  while (i < inner.length) {
    const c = inner[i];
    if (c === quote || c === '\n') return { ok: false, message: 'invalid syntax' };
    if (c !== '\\') {
      const cp = inner.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = inner[i + 1];
    if (e === undefined) return { ok: false, message: 'invalid syntax' };
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e === quote) {
      pushText(e);
      i += 2;
    } else if (e === 'x') {
      const hex = inner.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { ok: false, message: `invalid escape sequence \\x${hex}` };
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else if (e >= '0' && e <= '7') {
      const oct = inner.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return { ok: false, message: `invalid escape sequence \\${oct}` };
      bytes.push(parseInt(oct, 8));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = inner.slice(i + 2, i + 2 + n);
      const cp = parseInt(hex, 16);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return { ok: false, message: `invalid escape sequence \\${e}${hex}` };
      }
      pushText(String.fromCodePoint(cp));
      i += 2 + n;
    } else {
      return { ok: false, message: `unknown escape sequence \\${e}` };
    }
  }
  return { ok: true, value: Buffer.from(bytes).toString('utf8') };
}
