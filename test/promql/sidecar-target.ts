// The sidecar side of the PromQL tests: the Prometheus-compatible router over the in-memory oracle
// engine in an express app on 127.0.0.1, port 0, fed through engine.write.
import express from 'express';
import { Server } from 'http';
import { AddressInfo } from 'net';
import { MemoryEngine } from '../../sidecar/src/engine/testing/memory-engine';
import { StorageEngine } from '../../sidecar/src/engine/model/types';
import { prometheusApiRouter } from '../../sidecar/src/http/prometheus/router';
import { WriteSeries } from './remote-write';

export interface SidecarTarget {
  baseUrl: string;
  engine: StorageEngine;
  write(series: WriteSeries[]): Promise<void>;
  stop(): Promise<void>;
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
    engine,
    async write(series) {
      const result = await engine.write(series.map((s) => ({ labels: s.labels, timestamps: s.timestamps, values: s.values })));
      if (result.rejected > 0) throw new Error(`the engine rejected ${result.rejected} samples: ${JSON.stringify(result.rejections.slice(0, 3))}`);
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
