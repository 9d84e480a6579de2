// Starts a real sidecar (the built sidecar/dist/main.js) on 127.0.0.1 with data in a temp dir, for
// the plugin's tests, seeds it through its own ingest API, and stops it by PID. It can also be killed
// and restarted on the same data with its recovery held, to see what Grafana sees meanwhile.
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

/** Preloaded to hold recovery at its first WAL read until SIGUSR2 (see the file). */
const HOLD_RECOVERY = join(repoRoot, 'test', 'http', 'hold-recovery.js');

export interface SidecarOptions {
  withTokens: boolean;
  /** The data of an earlier sidecar (see `crash`); a fresh temp dir when absent. */
  dataDir?: string;
  /** Resolve once recovery is under way and held there, until `releaseRecovery`. */
  holdRecovery?: boolean;
}

export interface RunningSidecar {
  url: string;
  pid: number;
  dataDir: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  write(body: NativeWriteBody): Promise<void>;
  /** Ends the process and deletes its data directory. */
  stop(): Promise<void>;
  /** kill -9, keeping the data directory, so the next start replays the WAL. */
  crash(): Promise<void>;
  /** Lets a held recovery go on, and resolves once the sidecar is ready. */
  releaseRecovery(): Promise<void>;
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

/** Polls `path` (`/ready`, or `/health`, which answers while recovery runs) until it answers 200. */
async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number, path = '/ready'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the sidecar exited with ${child.exitCode} before it was ready:\n${output()}`);
    }
    try {
      const response = await call(`${url}${path}`, 'GET');
      if (response.status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the sidecar did not answer ${path} within ${timeoutMs} ms:\n${output()}`);
}

async function waitForOutput(output: () => string, text: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output().includes(text)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the sidecar never printed "${text}":\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startSidecar(options: SidecarOptions): Promise<RunningSidecar> {
  if (!existsSync(SIDECAR_MAIN)) {
    throw new Error(`${SIDECAR_MAIN} is missing: build the sidecar first (npm run build -w sidecar)`);
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sensorstore-plugin-'));
  const port = await freePort();
  const nodeArgs = options.holdRecovery ? ['-r', HOLD_RECOVERY] : [];
  const args = [...nodeArgs, SIDECAR_MAIN, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)];
  if (options.withTokens) {
    args.push('--token-read', READ_TOKEN, '--token-write', WRITE_TOKEN);
  }
  const env = options.holdRecovery ? { ...process.env, SENSORSTORE_TEST_HOLD_DIR: join(dataDir, 'wal') } : process.env;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const output = () => printed.slice(-4000);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (options.holdRecovery) {
      await waitForOutput(() => printed, 'recovery held at', child, 30_000);
      await waitUntilReady(url, child, output, 30_000, '/health');
    } else {
      await waitUntilReady(url, child, output, 30_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid: child.pid!,
    dataDir,
    output,
    stop,
    async crash() {
      if (running()) {
        process.kill(child.pid!, 'SIGKILL');
        await exited;
      }
    },
    async releaseRecovery() {
      process.kill(child.pid!, 'SIGUSR2');
      await waitUntilReady(url, child, output, 30_000);
    },
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
