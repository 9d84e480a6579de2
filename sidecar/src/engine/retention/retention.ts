// Retention: how old a metric's samples may get before they disappear from reads and from disk.
//
// The watermark of a metric is now - maxAge of the first rule whose glob matches its name, or of the
// global maximum age. Reads never return samples below it and writes below it are rejected, so
// expired data disappears at once; the disk is reclaimed later by dropping whole segments and by
// compaction rewriting partly expired ones. Its options are checked by validateOptions.

import { RetentionOptions } from '../model/options';

export class Retention {
  private readonly rules: Array<{ re: RegExp; maxAgeMs: number }>;
  private readonly maxAgeByMetric = new Map<string, number>();

  constructor(
    private readonly options: RetentionOptions,
    private readonly now: () => number,
  ) {
    this.rules = (options.rules ?? []).map((r) => ({ re: globToRegExp(r.metric), maxAgeMs: r.maxAgeMs }));
  }

  get maxBytes(): number | undefined {
    return this.options.maxBytes;
  }

  /** Whether any age limit applies at all (otherwise watermarks are -Infinity). */
  get limitsAge(): boolean {
    return this.options.maxAgeMs !== undefined || this.rules.length > 0;
  }

  /** Max age of a metric in ms (Infinity when nothing limits it). */
  maxAgeMs(metric: string): number {
    let age = this.maxAgeByMetric.get(metric);
    if (age === undefined) {
      age = this.rules.find((r) => r.re.test(metric))?.maxAgeMs ?? this.options.maxAgeMs ?? Infinity;
      this.maxAgeByMetric.set(metric, age);
    }
    return age;
  }

  /** The oldest timestamp of `metric` that is still kept, at time `nowMs` (default: the clock). */
  watermark(metric: string, nowMs = this.now()): number {
    const age = this.maxAgeMs(metric);
    return age === Infinity ? -Infinity : nowMs - age;
  }
}

/** `*` matches any run of characters, `?` one; everything else literally; the whole name must match. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
