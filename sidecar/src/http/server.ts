// Listening and graceful shutdown: stop accepting, let requests in flight finish, then close the
// engine (which fsyncs and snapshots).

import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

import { SidecarApp } from './app';

export interface Listening {
  server: Server;
  /** e.g. http://127.0.0.1:8428 */
  url: string;
  port: number;
}

export function listen(sidecar: SidecarApp, host: string, port: number): Promise<Listening> {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, sidecar.app);
  // Keep-alive clients (Telegraf, Prometheus) reuse connections for minutes; idle ones cost nothing.
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ server, url: `http://${shownHost}:${address.port}`, port: address.port });
    });
  });
}

/**
 * Stops accepting connections and answers new requests SHUTTING_DOWN (requests in flight already
 * hold the engine), waits up to `drainMs` for those in flight, then closes every connection and the
 * engine.
 */
export async function shutdown(sidecar: SidecarApp, server: Server, drainMs = 30_000): Promise<void> {
  sidecar.gate.stop();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = Date.now() + drainMs;
  while (sidecar.inFlight() > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    server.closeIdleConnections();
  }
  server.closeAllConnections();
  await closed;
  await sidecar.decoder.close();
  const engine = sidecar.gate.peek();
  if (engine) await engine.close();
}
