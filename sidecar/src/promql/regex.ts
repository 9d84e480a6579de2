// Prometheus regular expressions (Go RE2 syntax, fully anchored) as JavaScript RegExps. The common
// RE2 spellings JavaScript lacks are translated: named groups `(?P<name>...)` and a leading `(?i)`.

const cache = new Map<string, AnchoredRegex>();

export type AnchoredRegex = { ok: true; regex: RegExp } | { ok: false; message: string };

/**
 * `^(?:pattern)$` compiled once per pattern; `.` matches newlines as in the engine's matchers.
 * @example anchoredRegex('berlin|paris') // { ok: true, regex: /^(?:berlin|paris)$/su }
 */
export function anchoredRegex(pattern: string): AnchoredRegex {
  let hit = cache.get(pattern);
  if (!hit) {
    hit = compile(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, hit);
  }
  return hit;
}

function compile(pattern: string): AnchoredRegex {
  let source = pattern.replace(/\(\?P</g, '(?<');
  let flags = 's';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  try {
    return { ok: true, regex: new RegExp(`^(?:${source})$`, flags + 'u') };
  } catch {
    // Without the u flag JavaScript accepts escapes of punctuation (`\-`) that RE2 accepts too.
    try {
      return { ok: true, regex: new RegExp(`^(?:${source})$`, flags) };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }
}
