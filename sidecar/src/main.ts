#!/usr/bin/env node
// The sidecar process: configuration, structured logs, the engine (recovering while /health and
// /ready already answer), HTTP, the optional demo fleet, and a graceful stop on SIGTERM/SIGINT, also
// while recovery still runs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import pino, { Logger } from 'pino';

import { ConfigError, SidecarConfig, engineOptions, loadConfig } from './config/config';
import { Engine } from './engine/engine';
import { FleetSimulator, startFleet } from './fleet/simulator';
import { createApp } from './http/app';
import { SidecarMetrics } from './http/metrics';
import { listen, shutdown } from './http/server';

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function readConfig(argv: string[], v: string): SidecarConfig {
  try {
    return loadConfig(argv, process.env, v);
  } catch (e) {
    if (e instanceof ConfigError) {
      if (e.message) process.stderr.write(`sensorstore: ${e.message}\n`);
      process.exit(e.exitCode);
    }
    throw e;
  }
}

function warnAboutOpenScopes(logger: Logger, config: SidecarConfig): void {
  if (!config.tokenRead && !config.tokenWrite) {
    logger.warn('no tokens configured: anyone who can reach this address can read and write; set --token-read and --token-write');
  } else if (!config.tokenWrite) {
    logger.warn('no write token configured: anyone who can reach this address can write; set --token-write');
  } else if (!config.tokenRead) {
    logger.warn('no read token configured: anyone who can reach this address can read; set --token-read');
  }
}

async function main(): Promise<void> {
  const v = version();
  const config = readConfig(process.argv.slice(2), v);
  const logger = pino({ level: config.logLevel, base: { service: 'sensorstore' } });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'unexpected error; stopping');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));

  const metrics = new SidecarMetrics(v);
  logger.info({ dataDir: config.dataDir, durability: config.durability }, 'opening the storage engine');
  const opening = Engine.open({ ...engineOptions(config), logger: logger.child({ component: 'engine' }), observer: metrics.observer() });
  opening.catch(() => undefined); // reported below, once the server is up
  const sidecar = createApp({ engine: opening, config, logger, metrics, version: v });
  warnAboutOpenScopes(logger, config);

  const listening = listen(sidecar, config.host, config.port);
  listening.catch(() => undefined); // reported below
  let fleet: FleetSimulator | undefined;
  let stopping = false;
  // Registered before recovery, which can take minutes: a signal then must not kill the process
  // with the engine half-open.
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(1);
    }
    stopping = true;
    const recovering = sidecar.gate.peek() === undefined;
    logger.info({ signal, recovering }, recovering ? 'stopping during recovery' : 'stopping: finishing requests in flight, then closing the engine');
    try {
      await fleet?.stop();
      const server = await listening.then((l) => l.server).catch(() => undefined);
      if (server) await shutdown(sidecar, server);
      if (recovering) logger.info('stopped accepting requests; the engine is closed once recovery has finished');
      // Recovery can not be cut short halfway; once it is done the engine closes whole (idempotent
      // if shutdown already closed it).
      const engine = await opening.catch(() => undefined);
      await engine?.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (e) {
      logger.fatal({ err: e }, `shutdown failed: ${(e as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  let url: string;
  try {
    ({ url } = await listening);
  } catch (e) {
    logger.fatal({ err: e }, `can not listen on ${config.host}:${config.port}: ${(e as Error).message}`);
    process.exit(1);
  }
  logger.info({ url }, `Sensorstore ${v} listening on ${url}`);

  let engine: Engine;
  try {
    engine = await opening;
  } catch (e) {
    logger.fatal({ err: e }, `the storage engine could not open ${config.dataDir}: ${(e as Error).message}`);
    process.exit(1);
  }
  if (stopping) return;
  logger.info({ url, series: engine.stats().head.series }, 'ready');

  if (config.demoFleet) {
    fleet = startFleet({ url, token: config.tokenWrite, devices: config.demoDevices, logger: logger.child({ component: 'fleet' }) });
  }
}

void main();
