// Load limits: how many requests of a kind run at once (429 beyond), and how long a query may run.

import { HttpError } from './errors';

/** Counts requests in flight of one kind and refuses (OVERLOADED) those beyond `max`. */
export class ConcurrencyGate {
  private inFlight = 0;

  constructor(
    private readonly max: number,
    private readonly what: string,
  ) {}

  get active(): number {
    return this.inFlight;
  }

  /**
   * Runs `work` in a slot. The slot is held until `work` settles, even when the caller stopped
   * waiting (a timed-out query still uses the engine until it ends).
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.max) {
      throw new HttpError('OVERLOADED', `${this.inFlight} ${this.what} are already being processed, the limit; retry shortly`, { limit: this.max }, { 'Retry-After': '1' });
    }
    this.inFlight++;
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (e) {
      this.inFlight--;
      throw e;
    }
    return promise.finally(() => {
      this.inFlight--;
    });
  }
}

/** `promise`, or QUERY_TIMEOUT once `timeoutMs` has passed. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError('QUERY_TIMEOUT', `the query ran longer than the query time limit of ${timeoutMs} ms`, { limitMs: timeoutMs })), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
