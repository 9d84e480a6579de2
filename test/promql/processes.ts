// Processes the PromQL tests run against: real Prometheus (Debian's 2.42) with the remote write
// receiver and an out-of-order window for late samples, on 127.0.0.1 with its TSDB in a temp dir.
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; fails with the process' output if it exits or times out. */
async function waitReady(url: string, proc: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before it was ready:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms:\n${output()}`);
}

export interface RunningProcess {
  baseUrl: string;
  stop(): Promise<void>;
}

/** Starts a process and stops it (by its PID) and removes `dir` on stop(). */
export async function startProcess(command: string, args: string[], baseUrl: string, readyPath: string, dir: string): Promise<RunningProcess> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const stop = async () => {
    if (proc.exitCode === null && proc.pid !== undefined) {
      const exited = new Promise((r) => proc.once('exit', r));
      process.kill(proc.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${baseUrl}${readyPath}`, proc, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, stop };
}

/** Real Prometheus: no scrapes, remote write on, out-of-order samples accepted within a day. */
export async function startPrometheus(): Promise<RunningProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'promql-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  evaluation_interval: 1m\nstorage:\n  tsdb:\n    out_of_order_time_window: 1d\n');
  const port = await freePort();
  const args = [
    '--web.enable-remote-write-receiver',
    '--storage.tsdb.path',
    join(dir, 'data'),
    '--web.listen-address',
    `127.0.0.1:${port}`,
    '--config.file',
    config,
    '--log.level',
    'warn',
  ];
  return startProcess(PROMETHEUS_BINARY, args, `http://127.0.0.1:${port}`, '/-/ready', dir);
}
