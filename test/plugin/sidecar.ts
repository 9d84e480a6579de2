// Starts a real sidecar (the built sidecar/dist/main.js) on 127.0.0.1 with data in a temp dir, for
// the plugin's tests, seeds it through its own ingest API, and stops it by PID.
import { ChildProcess, spawn } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { request as httpRequest } from 'http';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

const repoRoot = join(__dirname, '..', '..');
export const SIDECAR_MAIN = join(repoRoot, 'sidecar', 'dist', 'main.js');

export const READ_TOKEN = 'plugin-test-read';
export const WRITE_TOKEN = 'plugin-test-write';

export interface RunningSidecar {
  url: string;
  pid: number;
  /** Everything the process printed, for failure messages. */
  output(): string;
  write(body: NativeWriteBody): Promise<void>;
  stop(): Promise<void>;
}

export interface NativeWriteBody {
  series: Array<{ metric: string; labels: Record<string, string>; samples: Array<[number, number]> }>;
}

/** A plain HTTP call; the plugin's tests run in jsdom, which has no fetch. */
function call(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function freePort(): Promise<number> {
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

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the sidecar exited with ${child.exitCode} before it was ready:\n${output()}`);
    }
    try {
      const response = await call(`${url}/ready`, 'GET');
      if (response.status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the sidecar was not ready within ${timeoutMs} ms:\n${output()}`);
}

export async function startSidecar(options: { withTokens: boolean }): Promise<RunningSidecar> {
  if (!existsSync(SIDECAR_MAIN)) {
    throw new Error(`${SIDECAR_MAIN} is missing: build the sidecar first (npm run build -w sidecar)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'sensorstore-plugin-'));
  const port = await freePort();
  const args = [SIDECAR_MAIN, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)];
  if (options.withTokens) {
    args.push('--token-read', READ_TOKEN, '--token-write', WRITE_TOKEN);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const output = () => printed.slice(-4000);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, output, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid: child.pid!,
    output,
    stop,
    async write(body: NativeWriteBody) {
      const headers = { 'Content-Type': 'application/json', ...(options.withTokens ? { Authorization: `Bearer ${WRITE_TOKEN}` } : {}) };
      const response = await call(`${url}/api/native/write`, 'POST', headers, JSON.stringify(body));
      if (response.status >= 300) {
        throw new Error(`seeding the sidecar failed: ${response.status} ${response.text}`);
      }
    },
  };
}

export const SEED_START_MS = Date.UTC(2026, 0, 15, 0, 0, 0);
export const SEED_STEP_MS = 60_000;
export const SEED_POINTS = 120;

/**
 * A small fleet like the demo fleet: 4 devices at 2 sites reporting temperature, humidity, pressure
 * and battery every minute for two hours (16 series).
 * Values are simple functions of the index, so tests can state exact expectations.
 */
export function fleetSeed(): NativeWriteBody {
  const devices = [
    { device: 'd1', site: 'berlin', kind: 'indoor' },
    { device: 'd2', site: 'berlin', kind: 'outdoor' },
    { device: 'd3', site: 'paris', kind: 'indoor' },
    { device: 'd4', site: 'paris', kind: 'outdoor' },
  ];
  const times = Array.from({ length: SEED_POINTS }, (_v, i) => SEED_START_MS + i * SEED_STEP_MS);
  const series: NativeWriteBody['series'] = [];
  devices.forEach((labels, d) => {
    series.push({ metric: 'temperature', labels, samples: times.map((t, i) => [t, 20 + d + (i % 10) / 10]) });
    series.push({ metric: 'humidity', labels, samples: times.map((t, i) => [t, 40 + d * 5 + (i % 2)]) });
    series.push({ metric: 'pressure', labels, samples: times.map((t, i) => [t, 1000 + d + (i % 3)]) });
    // d2's battery runs down below 20 % during the second hour.
    series.push({ metric: 'battery', labels, samples: times.map((t, i) => [t, d === 1 ? Math.max(5, 90 - i) : 90 - d]) });
  });
  return { series };
}
