// Graceful shutdown of the real process: SIGTERM while clients keep writing. The process exits 0,
// every write answered 204 is there after a restart, and writes refused during shutdown are not.

import { Agent, request } from 'node:http';

import { rawSeries, removeDir, startSidecar, tempDir } from './sidecar';

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
