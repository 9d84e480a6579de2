#!/usr/bin/env node
// The demo fleet as its own command (`npm run fleet -- <options>` builds and runs it):
//   node sidecar/dist/fleet/cli.js --url http://127.0.0.1:8428 --devices 200 [--token <write token>]

import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';

import { startFleet } from './simulator';
import { parseDurationMs } from '../config/units';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function duration(value: string): number {
  try {
    return parseDurationMs(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

const program = new Command('sensorstore-fleet')
  .description('Simulate a fleet of sensor devices writing into a Sensorstore sidecar')
  .requiredOption('--url <url>', 'the sidecar, e.g. http://127.0.0.1:8428 [env SENSORSTORE_FLEET_URL]', process.env.SENSORSTORE_FLEET_URL)
  .option('--devices <n>', 'number of devices', positiveInt, 200)
  .option('--token <token>', 'write token of the sidecar [env SENSORSTORE_TOKEN_WRITE]', process.env.SENSORSTORE_TOKEN_WRITE)
  .addOption(new Option('--interval <duration>', 'time between two readings of a device').argParser(duration).default(10_000, '10s'))
  .addOption(new Option('--backfill <duration>', 'history to generate at start').argParser(duration).default(3_600_000, '1h'))
  .option('--seed <n>', 'random seed (same seed, same fleet)', positiveInt, 1)
  .parse();

const opts = program.opts<{ url: string; devices: number; token?: string; interval: number; backfill: number; seed: number }>();
const logger = pino({ base: { service: 'sensorstore-fleet' } });
const fleet = startFleet({
  url: opts.url.replace(/\/+$/, ''),
  token: opts.token,
  devices: opts.devices,
  intervalMs: opts.interval,
  backfillMs: opts.backfill,
  seed: opts.seed,
  logger,
});

const stop = () => {
  void fleet.stop().then(() => {
    logger.info({ sentLines: fleet.sender.sentLines }, 'demo fleet stopped');
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
