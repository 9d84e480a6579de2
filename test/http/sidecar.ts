// Runs the built sidecar (sidecar/dist/main.js) as a child process on 127.0.0.1 with its data in a
// temp dir, for the HTTP end-to-end tests; stops it by PID.

import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const SIDECAR_MAIN = join(REPO_ROOT, 'sidecar', 'dist', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sensorstore-${prefix}-`));
}

export interface SidecarProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything printed so far (JSON log lines). */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  /** Options for node itself, before the script (e.g. `-r` a preload). */
  nodeArgs?: string[];
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  /** Wait for /ready (default) or only for /health. */
  waitFor?: 'ready' | 'health' | 'nothing';
}

export async function startSidecar(options: StartOptions = {}): Promise<SidecarProcess> {
  if (!existsSync(SIDECAR_MAIN)) throw new Error(`${SIDECAR_MAIN} is missing: build it first (npm run build -w sidecar)`);
  const dataDir = options.dataDir ?? tempDir('http');
  const port = options.port ?? (await freePort());
  const args = [...(options.nodeArgs ?? []), SIDECAR_MAIN, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const proc: SidecarProcess = {
    url,
    port,
    dataDir,
    child,
    output: () => printed,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      return exited;
    },
  };
  if (options.waitFor !== 'nothing') await waitFor(proc, options.waitFor === 'health' ? '/health' : '/ready');
  return proc;
}

async function waitFor(proc: SidecarProcess, path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`the sidecar exited with ${proc.child.exitCode}:\n${proc.output()}`);
    try {
      if ((await fetch(`${proc.url}${path}`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the sidecar did not answer ${path} within ${timeoutMs} ms:\n${proc.output()}`);
}

/** Resolves once the process has printed `text`; fails if it exits first or `timeoutMs` passes. */
export async function waitForOutput(proc: SidecarProcess, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`the sidecar ended before printing ${JSON.stringify(text)}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`the sidecar did not print ${JSON.stringify(text)} within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Removes a data dir made by tempDir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A JSON answer, loosely typed for assertions. */
export type Answer = Record<string, unknown> & { code?: string; message?: string; details?: Record<string, unknown>; data?: unknown };

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Answer }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Raw samples of one metric from the native API, as [labels, times, values]. */
export async function rawSeries(url: string, metric: string, start: number, end: number, headers: Record<string, string> = {}) {
  const res = await postJson(`${url}/api/native/query`, { metric, start, end, raw: true }, headers);
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.series as Array<{ metric: string; labels: Record<string, string>; times: number[]; values: Array<number | null> }>;
}
