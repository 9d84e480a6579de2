// Sends line-protocol batches to a sidecar, one request at a time, in order. A batch that could not
// be delivered (sidecar down, overloaded, not ready) stays queued and is retried with backoff, as a
// real gateway would; a batch the sidecar rejects as invalid is logged, never retried forever.

export interface SenderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SenderOptions {
  url: string;
  token?: string;
  logger: SenderLogger;
  /** Lines kept while the sidecar is unreachable; beyond, the oldest batches are dropped (and logged). */
  maxQueuedLines?: number;
  /** Waits between retries grow from this to 30 s. */
  retryMs?: number;
}

export class LineSender {
  private readonly queue: string[][] = [];
  private queuedLines = 0;
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;
  sentLines = 0;
  rejectedBatches = 0;
  /** Requests that did not get through (unreachable, 429, 5xx) and were retried. */
  failedAttempts = 0;

  constructor(private readonly options: SenderOptions) {}

  send(lines: string[]): void {
    if (lines.length === 0) return;
    this.queue.push(lines);
    this.queuedLines += lines.length;
    const max = this.options.maxQueuedLines ?? 1_000_000;
    while (this.queuedLines > max && this.queue.length > 1) {
      const dropped = this.queue.shift()!;
      this.queuedLines -= dropped.length;
      this.options.logger.warn({ lines: dropped.length }, 'the sidecar has been unreachable too long: dropped the oldest queued readings');
    }
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves once everything queued was sent (or rejected). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops retrying; what is in flight finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async drain(): Promise<void> {
    let waitMs = this.options.retryMs ?? 500;
    while (this.queue.length > 0 && !this.stopped) {
      const lines = this.queue[0];
      const outcome = await this.post(lines);
      if (outcome === 'retry') {
        this.failedAttempts++;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, waitMs).unref();
        });
        waitMs = Math.min(30_000, waitMs * 2);
        continue;
      }
      waitMs = this.options.retryMs ?? 500;
      this.queue.shift();
      this.queuedLines -= lines.length;
      if (outcome === 'sent') this.sentLines += lines.length;
      else this.rejectedBatches++;
    }
  }

  private async post(lines: string[]): Promise<'sent' | 'rejected' | 'retry'> {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.options.url}/write?precision=ms`, { method: 'POST', headers, body: lines.join('\n') + '\n' });
    } catch (e) {
      this.options.logger.warn({ err: (e as Error).message }, 'could not reach the sidecar; retrying');
      return 'retry';
    }
    const text = await response.text();
    if (response.status < 300) return 'sent';
    if (response.status === 429 || response.status >= 500) {
      this.options.logger.warn({ status: response.status, body: text.slice(0, 300) }, 'the sidecar could not take the readings now; retrying');
      return 'retry';
    }
    this.options.logger.error({ status: response.status, body: text.slice(0, 500) }, 'the sidecar rejected readings');
    return 'rejected';
  }
}
