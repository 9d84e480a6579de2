// The servers under test as processes: start one with its output in a log file, read its CPU time
// and peak RSS from /proc, stop it by PID with a chosen signal, and measure its data directory.
import { spawn, ChildProcess, execFileSync } from 'child_process';
import { closeSync, openSync, readdirSync, readFileSync, lstatSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';
import { BenchError } from './errors';

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    const out = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    clockTicksPerSecond = Number.isFinite(out) && out > 0 ? out : 100;
  }
  return clockTicksPerSecond;
}

/** User + system CPU seconds the process has used so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** CPU seconds every process on the machine has used since boot (user, nice, system, irq, softirq, steal). */
export function machineCpuSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + (steal || 0)) / ticksPerSecond();
}

/** CPU seconds this process (the benchmark client) has used so far. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Peak resident set size of the process so far (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Bytes the files under dir occupy on disk (allocated blocks, as du counts them). */
export function dirSizeBytes(dir: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0; // a directory removed while we walk (compaction output) holds nothing any more
  }
  for (const name of entries) {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isDirectory()) total += dirSizeBytes(path);
      else if (st.isFile()) total += st.blocks * 512;
    } catch {
      // removed between readdir and lstat: it no longer takes room
    }
  }
  return total;
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released for the server to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Every server this process started and has not yet seen exit, so they can be stopped on the way out. */
const running = new Set<ServerProcess>();

/** Sends SIGKILL to every server still running (used when the benchmark itself is interrupted). */
export function killAllStarted(): void {
  for (const server of running) server.signal('SIGKILL');
}

export class ServerProcess {
  readonly pid: number;
  readonly startedAtMs: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    readonly logFile: string,
  ) {
    const log = openSync(logFile, 'a');
    this.startedAtMs = performance.now();
    this.child = spawn(command, args, { stdio: ['ignore', log, log], detached: false });
    closeSync(log);
    if (this.child.pid === undefined) throw new BenchError('SERVER_EXITED', name, `could not start ${command}`);
    this.pid = this.child.pid;
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        resolve({ code, signal });
      });
      this.child.on('error', () => {
        this.exitInfo = { code: null, signal: null };
        running.delete(this);
        resolve(this.exitInfo);
      });
    });
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Throws SERVER_EXITED (with the end of the log) if the process is gone. */
  assertAlive(phase: string): void {
    if (!this.alive) {
      throw new BenchError('SERVER_EXITED', `${this.name} / ${phase}`, `exited (${JSON.stringify(this.exitInfo)}); log tail:\n${this.logTail()}`);
    }
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  peakRssBytes(): number {
    return peakRssBytes(this.pid);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** Sends `sig` and resolves with the milliseconds until the process exited. */
  async stop(sig: NodeJS.Signals, timeoutMs = 60_000): Promise<number> {
    const t0 = performance.now();
    this.signal(sig);
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return performance.now() - t0;
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
