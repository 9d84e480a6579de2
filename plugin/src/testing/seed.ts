// Seeded randomness for tests: SEED from the environment or a fresh one, printed when a test fails.

export function testSeed(): number {
  const fromEnv = process.env.SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: small, fast and good enough to pick test inputs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `body`; on failure rethrows with the seed that replays it. */
export function withSeed(seed: number, body: () => void): void {
  try {
    body();
  } catch (err) {
    (err as Error).message = `${(err as Error).message}\n(replay with SEED=${seed})`;
    throw err;
  }
}
