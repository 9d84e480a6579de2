// The sidecar side of the PromQL tests: the real process (the built sidecar/dist/main.js on
// 127.0.0.1, data in a temp dir, fed by remote write like Prometheus), or the Prometheus-compatible
// router over the in-memory oracle engine in an express app on port 0, fed through engine.write.
import express from 'express';
import { existsSync, mkdtempSync } from 'fs';
import { Server } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { MemoryEngine } from '../../sidecar/src/engine/testing/memory-engine';
import { prometheusApiRouter } from '../../sidecar/src/http/prometheus/router';
import { freePort, startProcess } from './processes';
import { remoteWrite, WriteSeries } from './remote-write';

export const SIDECAR_MAIN = join(__dirname, '..', '..', 'sidecar', 'dist', 'main.js');

export interface SidecarTarget {
  baseUrl: string;
  write(series: WriteSeries[]): Promise<void>;
  stop(): Promise<void>;
}

/** The sidecar process with read and write tokens (`headers` carries the read token). */
export async function startSidecarProcess(tokens: { read: string; write: string }): Promise<SidecarTarget> {
  if (!existsSync(SIDECAR_MAIN)) throw new Error(`${SIDECAR_MAIN} is missing: build the sidecar first (npm run build -w sidecar)`);
  const dir = mkdtempSync(join(tmpdir(), 'promql-sidecar-'));
  const port = await freePort();
  const args = [SIDECAR_MAIN, '--data-dir', dir, '--host', '127.0.0.1', '--port', String(port), '--token-read', tokens.read, '--token-write', tokens.write, '--log-level', 'warn'];
  const proc = await startProcess(process.execPath, args, `http://127.0.0.1:${port}`, '/ready', dir);
  return {
    baseUrl: proc.baseUrl,
    write: (series) => remoteWrite(proc.baseUrl, series, { Authorization: `Bearer ${tokens.write}` }),
    stop: proc.stop,
  };
}

export async function startInProcessSidecar(): Promise<SidecarTarget> {
  const engine = new MemoryEngine();
  const app = express();
  app.use('/api/v1', prometheusApiRouter({ engine, version: 'test' }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async write(series) {
      const result = await engine.write(series.map((s) => ({ labels: s.labels, timestamps: s.timestamps, values: s.values })));
      if (result.rejected > 0) throw new Error(`the engine rejected ${result.rejected} samples: ${JSON.stringify(result.rejections.slice(0, 3))}`);
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
