// Runs the HTTP app in-process on 127.0.0.1, port 0, over the in-memory engine, for HTTP tests.

import pino from 'pino';

import { SidecarConfig, defaultConfig } from '../../config/config';
import { StorageEngine } from '../../engine/model/types';
import { MemoryEngine } from '../../engine/testing/memory-engine';
import { SidecarApp, createApp } from '../app';
import { listen, shutdown } from '../server';

export interface TestServer {
  url: string;
  sidecar: SidecarApp;
  /** The engine, unless a promise of one was given. */
  engine?: StorageEngine;
  close(): Promise<void>;
}

export async function startTestServer(options: { config?: Partial<SidecarConfig>; engine?: StorageEngine | Promise<StorageEngine>; port?: number } = {}): Promise<TestServer> {
  const engine = options.engine ?? new MemoryEngine({ maxSeries: options.config?.maxSeries });
  const config = defaultConfig({ dataDir: '/nonexistent', ...options.config });
  const sidecar = createApp({ engine, config, logger: pino({ level: 'silent' }), version: '0.0.0-test' });
  const { server, url } = await listen(sidecar, '127.0.0.1', options.port ?? 0);
  let closed = false;
  return {
    url,
    sidecar,
    engine: engine instanceof Promise ? undefined : engine,
    close: async () => {
      if (closed) return;
      closed = true;
      await shutdown(sidecar, server, 1000);
    },
  };
}
