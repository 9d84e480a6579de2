// The demo fleet: N devices reporting every interval to a sidecar over line protocol, after first
// backfilling the recent past so charts have history from the start.

import { Device, Reading } from './device';
import { LineSender, SenderLogger } from './sender';
import { Random } from './random';

export interface FleetOptions {
  url: string;
  token?: string;
  devices: number;
  logger: SenderLogger;
  /** Time between two readings of a device. Default 10 s. */
  intervalMs?: number;
  seed?: number;
  /** History generated at start. Default 1 h. */
  backfillMs?: number;
  /** Lines per request. Default 5,000. */
  batchLines?: number;
  /** First wait before retrying a failed request (it doubles up to 30 s). Default 500 ms. */
  retryMs?: number;
  now?: () => number;
}

/** `temperature,device=dev-0001,kind=indoor,site=berlin value=21.37 1700000000000` (ms precision). */
export function formatReading(device: Device, r: Reading): string {
  const l = device.labels;
  return `${r.metric},device=${l.device},kind=${l.kind},site=${l.site} value=${r.value} ${r.t}`;
}

export class FleetSimulator {
  readonly devices: Device[];
  readonly sender: LineSender;
  readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private lastTickMs = 0;
  private starting?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: FleetOptions) {
    const random = new Random(options.seed ?? 1);
    this.intervalMs = options.intervalMs ?? 10_000;
    this.devices = Array.from({ length: options.devices }, (_, i) => new Device(i, random));
    this.sender = new LineSender({ url: options.url, token: options.token, logger: options.logger, retryMs: options.retryMs });
  }

  /** What the fleet reports at time t, as line-protocol lines. */
  tick(t: number): string[] {
    const lines: string[] = [];
    for (const device of this.devices) for (const reading of device.step(t, this.intervalMs)) lines.push(formatReading(device, reading));
    this.lastTickMs = t;
    return lines;
  }

  /** Simulates every interval in [fromMs, toMs), sending in batches. */
  async backfill(fromMs: number, toMs: number): Promise<void> {
    const batch = this.options.batchLines ?? 5000;
    let pending: string[] = [];
    for (let t = this.align(fromMs); t < toMs && !this.stopped; t += this.intervalMs) {
      pending.push(...this.tick(t));
      if (pending.length >= batch) {
        this.sender.send(pending);
        pending = [];
        await this.sender.flush();
      }
    }
    this.sender.send(pending);
    await this.sender.flush();
  }

  /** Backfills the recent past, then reports live every interval. */
  start(): void {
    const now = this.now();
    const backfillMs = this.options.backfillMs ?? 3_600_000;
    this.options.logger.info({ devices: this.devices.length, intervalMs: this.intervalMs, backfillMs }, 'demo fleet starting');
    this.starting = this.backfill(now - backfillMs, now).then(() => {
      if (this.stopped) return;
      this.options.logger.info({ lines: this.sender.sentLines }, 'demo fleet backfilled; reporting live');
      this.timer = setInterval(() => this.live(), Math.min(this.intervalMs, 1000));
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.starting;
    await this.sender.stop();
  }

  /** Catches up to now: one tick per interval boundary passed since the last one. */
  private live(): void {
    const due = this.align(this.now());
    const lines: string[] = [];
    // After a pause (a suspended laptop) catch up at most an hour, not every interval since.
    const from = Math.max(this.lastTickMs + this.intervalMs, due - 360 * this.intervalMs);
    for (let t = from; t <= due; t += this.intervalMs) lines.push(...this.tick(t));
    if (lines.length > 0) this.sender.send(lines);
  }

  private align(t: number): number {
    return Math.floor(t / this.intervalMs) * this.intervalMs;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** Starts a fleet (backfill, then live); stop() ends it. */
export function startFleet(options: FleetOptions): FleetSimulator {
  const fleet = new FleetSimulator(options);
  fleet.start();
  return fleet;
}
