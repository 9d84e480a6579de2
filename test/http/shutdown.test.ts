// Graceful shutdown of the real process: SIGTERM while clients keep writing. The process exits 0,
// every write answered 204 is there after a restart, and writes refused during shutdown are not.
// SIGTERM while recovery runs stops listening at once, lets recovery finish, closes the engine
// and exits 0.

import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

import { rawSeries, removeDir, startSidecar, tempDir, waitForOutput } from './sidecar';

const T0 = Date.UTC(2025, 0, 1);
const WRITERS = 4;
const LINES_PER_REQUEST = 200;

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/write?precision=ms', method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it('finishes requests in flight, refuses new ones, closes the engine and exits 0', async () => {
  const dataDir = tempDir('shutdown');
  const sidecar = await startSidecar({ dataDir });
  const agent = new Agent({ keepAlive: true, maxSockets: WRITERS });
  const acknowledged: number[] = [];
  const refused: number[] = [];
  let batch = 0;
  let terminated = false;

  const writer = async () => {
    for (;;) {
      const id = batch++;
      const body = Array.from({ length: LINES_PER_REQUEST }, (_, i) => `w value=${id} ${T0 + id * LINES_PER_REQUEST + i}`).join('\n');
      let status: number;
      try {
        status = await post(agent, sidecar.port, body);
      } catch {
        return; // the server closed the connection or stopped listening
      }
      if (status === 204) acknowledged.push(id);
      else if (status === 503) refused.push(id);
      else throw new Error(`unexpected status ${status}:\n${sidecar.output()}`);
      if (terminated && status !== 204) return;
    }
  };
  const writers = Array.from({ length: WRITERS }, writer);
  while (acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
  terminated = true;
  process.kill(sidecar.child.pid!, 'SIGTERM');
  expect(await sidecar.exited).toBe(0);
  await Promise.all(writers);
  agent.destroy();
  expect(sidecar.output()).toContain('stopped cleanly');

  const restarted = await startSidecar({ dataDir });
  try {
    const [series] = await rawSeries(restarted.url, 'w', T0, T0 + batch * LINES_PER_REQUEST);
    const stored = new Set(series.values);
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);
    for (const id of refused) expect(stored.has(id)).toBe(false);
    // Every stored batch is whole: the request was one atomic write.
    for (const id of stored) expect(series.values.filter((v) => v === id)).toHaveLength(LINES_PER_REQUEST);
  } finally {
    await restarted.stop();
    removeDir(dataDir);
  }
});

it('stops listening on SIGTERM during recovery, lets recovery finish, closes the engine and exits 0', async () => {
  const dataDir = tempDir('shutdown-recovery');
  const first = await startSidecar({ dataDir });
  const times = Array.from({ length: 3000 }, (_, i) => T0 + i * 1000);
  for (let k = 0; k < 3; k++) {
    const body = times.slice(k * 1000, (k + 1) * 1000).map((t, i) => `r,device=d${i % 10} value=${t - T0} ${t}`).join('\n');
    expect((await fetch(`${first.url}/write?precision=ms`, { method: 'POST', body })).status).toBe(204);
  }
  // Killed, not stopped: the next start has to replay the WAL.
  process.kill(first.child.pid!, 'SIGKILL');
  await first.exited;

  // The preload holds the first WAL read until SIGUSR2, so the signal surely lands mid-recovery.
  const held = await startSidecar({ dataDir, nodeArgs: ['-r', join(__dirname, 'hold-recovery.js')], env: { SENSORSTORE_TEST_HOLD_DIR: join(dataDir, 'wal') }, waitFor: 'health' });
  try {
    await waitForOutput(held, 'recovery held at');
    expect(await (await fetch(`${held.url}/ready`)).json()).toMatchObject({ code: 'NOT_READY' });
    process.kill(held.child.pid!, 'SIGTERM');
    await waitForOutput(held, 'stopped accepting requests');
    await expect(fetch(`${held.url}/health`)).rejects.toThrow();
    expect(held.child.exitCode).toBeNull();
    expect(held.output()).not.toContain('stopped cleanly');
    process.kill(held.child.pid!, 'SIGUSR2');
    expect(await held.exited).toBe(0);
    expect(held.output()).toContain('"msg":"stopping during recovery"');
    expect(held.output()).toContain('stopped cleanly');
    expect(held.output()).not.toContain('"msg":"ready"');
    // The engine was closed, not abandoned: closing gives up its lock on the data directory.
    expect(existsSync(join(dataDir, 'LOCK'))).toBe(false);
  } finally {
    if (held.child.exitCode === null) held.child.kill('SIGKILL');
  }

  const restarted = await startSidecar({ dataDir });
  try {
    const series = await rawSeries(restarted.url, 'r', T0, T0 + times.length * 1000);
    expect(series).toHaveLength(10);
    expect(series.flatMap((s) => s.times).sort((a, b) => a - b)).toEqual(times);
    for (const s of series) expect(s.values).toEqual(s.times.map((t) => t - T0));
  } finally {
    await restarted.stop();
    removeDir(dataDir);
  }
});
