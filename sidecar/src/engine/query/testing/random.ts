// Seeded randomness for the randomised tests of index/ and query/: replay a failure with SEED=<n>.

/** The seed of this run: env SEED, or a fresh one (tests put it in their names so failures show it). */
export function testSeed(): number {
  const fromEnv = process.env.SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: small, fast, and good enough to draw test cases. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const s = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A random subset, in random order. */
  some<T>(items: readonly T[], max = items.length): T[] {
    const pool = [...items];
    const out: T[] = [];
    const n = this.int(0, Math.min(max, pool.length));
    while (out.length < n) out.push(pool.splice(this.int(0, pool.length - 1), 1)[0]);
    return out;
  }
}
