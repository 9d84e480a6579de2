// Flags, environment and config file, their precedence, and the errors for bad values.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, OPTIONS, defaultConfig, engineOptions, envName, fileKey, loadConfig } from './config';
import { parseDurationMs, parseSizeBytes } from './units';

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sensorstore-config-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function loadError(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has documented defaults', () => {
    const config = loadConfig([], {});
    expect(config).toEqual(defaultConfig());
    expect(config).toMatchObject({
      dataDir: './data',
      host: '127.0.0.1',
      port: 8428,
      demoFleet: false,
      durability: { mode: 'fsync' },
      retentionRules: [],
      maxSeries: 1_000_000,
      maxBodyBytes: 32 * 1024 * 1024,
      maxQueryBodyBytes: 1024 * 1024,
      queryTimeoutMs: 30_000,
      logLevel: 'info',
    });
    expect(config.tokenRead).toBeUndefined();
    expect(config.retentionMs).toBeUndefined();
  });

  it('reads every kind of flag', () => {
    const config = loadConfig([
      '--data-dir', '/tmp/x', '--host', '0.0.0.0', '--port', '9000', '--demo-fleet', '--token-read', 'r', '--token-write', 'w',
      '--durability', 'interval:50', '--retention', '30d', '--retention-rule', 'battery*=7d', '--retention-rule', 'temp?=1h30m',
      '--max-series', '500', '--repair', '--max-body-bytes', '1MiB', '--max-query-body-bytes', '64KiB', '--query-timeout', '2s',
    ], {});
    expect(config).toMatchObject({
      dataDir: '/tmp/x',
      host: '0.0.0.0',
      port: 9000,
      demoFleet: true,
      tokenRead: 'r',
      tokenWrite: 'w',
      durability: { mode: 'interval', intervalMs: 50 },
      retentionMs: 30 * 86_400_000,
      retentionRules: [
        { metric: 'battery*', maxAgeMs: 7 * 86_400_000 },
        { metric: 'temp?', maxAgeMs: 5_400_000 },
      ],
      maxSeries: 500,
      repair: true,
      maxBodyBytes: 1024 * 1024,
      maxQueryBodyBytes: 64 * 1024,
      queryTimeoutMs: 2000,
    });
  });

  it('takes flags over environment over config file', () => {
    const file = configFile({ port: 1111, host: '10.0.0.1', dataDir: '/from-file', retentionRule: ['a=1d'] });
    const env = { SENSORSTORE_PORT: '2222', SENSORSTORE_HOST: '10.0.0.2', SENSORSTORE_RETENTION_RULE: 'b=2d, c=3d' };
    const config = loadConfig(['--config', file, '--port', '3333'], env);
    expect(config.port).toBe(3333);
    expect(config.host).toBe('10.0.0.2');
    expect(config.dataDir).toBe('/from-file');
    expect(config.retentionRules.map((r) => r.metric)).toEqual(['b', 'c']);
    expect(loadConfig([], { SENSORSTORE_CONFIG: file }).port).toBe(1111);
  });

  it('turns a boolean option off with --no-<flag>, the last of the two winning over env and file', () => {
    expect(loadConfig(['--demo-fleet'], {}).demoFleet).toBe(true);
    expect(loadConfig(['--demo-fleet', '--no-demo-fleet'], {}).demoFleet).toBe(false);
    expect(loadConfig(['--no-demo-fleet', '--demo-fleet'], {}).demoFleet).toBe(true);
    expect(loadConfig(['--no-demo-fleet'], { SENSORSTORE_DEMO_FLEET: 'true' }).demoFleet).toBe(false);
    expect(loadConfig(['--config', configFile({ demoFleet: true }), '--no-demo-fleet'], {}).demoFleet).toBe(false);
    expect(loadConfig(['--no-repair'], { SENSORSTORE_REPAIR: 'yes' }).repair).toBe(false);
    expect(loadConfig([], { SENSORSTORE_DEMO_FLEET: 'false' }).demoFleet).toBe(false);
    expect(loadConfig([], { SENSORSTORE_DEMO_FLEET: 'on' }).demoFleet).toBe(true);
  });

  it('lets `npm start -- --no-demo-fleet` turn off the fleet that `npm start` asks for', () => {
    const start = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const command = start.split('&&').map((part) => part.trim()).find((part) => part.includes('sidecar/dist/main.js'));
    expect(command).toBeDefined();
    const args = command!.split(/\s+/).slice(command!.split(/\s+/).indexOf('sidecar/dist/main.js') + 1);
    expect(loadConfig(args, {}).demoFleet).toBe(true);
    expect(loadConfig([...args, '--no-demo-fleet'], {}).demoFleet).toBe(false);
    expect(loadConfig([...args, '--demo-devices', '3', '--data-dir', '/elsewhere'], {})).toMatchObject({ demoDevices: 3, dataDir: '/elsewhere' });
  });

  it('reads durations and sizes given as strings or numbers in the config file', () => {
    const file = configFile({ retention: '2w', queryTimeout: 1500, maxBodyBytes: '10MB', demoFleet: true, durability: 'none' });
    const config = loadConfig(['--config', file], {});
    expect(config).toMatchObject({ retentionMs: 14 * 86_400_000, queryTimeoutMs: 1500, maxBodyBytes: 10_000_000, demoFleet: true, durability: { mode: 'none' } });
  });

  it.each([
    [['--port', 'abc'], '--port: "abc" is not an integer'],
    [['--port', '70000'], '--port: Number must be less than or equal to 65535'],
    [['--durability', 'sometimes'], '--durability: "sometimes" must be fsync, interval:<ms>'],
    [['--retention', '30 days'], '--retention: "30 days" is not a duration'],
    [['--retention-rule', 'nodays'], '--retention-rule (item 0): "nodays" must be <metric glob>=<duration>'],
    [['--max-body-bytes', 'lots'], '--max-body-bytes: "lots" is not a size'],
    [['--log-level', 'loud'], '--log-level: Invalid enum value'],
    [['--bogus'], "unknown option '--bogus'"],
  ])('rejects %j with a message naming the option', (argv, message) => {
    const error = loadError(argv);
    expect(error.message).toContain(message);
    expect(error.exitCode).toBe(2);
  });

  it('names the environment variable and config file key in errors', () => {
    expect(loadError([], { SENSORSTORE_MAX_SERIES: '-5' }).message).toContain('environment variable SENSORSTORE_MAX_SERIES');
    const file = configFile({ maxSeries: 'many' });
    expect(loadError(['--config', file]).message).toContain(`config file ${file}, key "maxSeries": "many" is not an integer`);
    expect(loadError(['--config', configFile({ dataDirectory: 'x' })]).message).toContain('unknown key "dataDirectory"');
    expect(loadError(['--config', configFile('{not json')]).message).toContain('is not valid JSON');
    expect(loadError(['--config', '/nonexistent/config.json']).message).toContain('can not read config file');
  });

  it('exits 0 for --help and --version', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(loadError(['--version']).exitCode).toBe(0);
      expect(loadError(['--help']).exitCode).toBe(0);
      const help = write.mock.calls.map((c) => String(c[0])).join('');
      for (const spec of OPTIONS) expect(help).toContain(`--${spec.flag}`);
      expect(help).toContain('--no-demo-fleet');
      expect(help).toContain('SENSORSTORE_TOKEN_READ');
    } finally {
      write.mockRestore();
    }
  });

  it('names env vars and file keys after the flag', () => {
    const spec = OPTIONS.find((o) => o.flag === 'retention-rule')!;
    expect(envName(spec)).toBe('SENSORSTORE_RETENTION_RULE');
    expect(fileKey(spec)).toBe('retentionRule');
  });

  it('maps to engine options', () => {
    const config = loadConfig(['--retention', '1d', '--retention-rule', 'x=1h', '--max-series', '7', '--durability', 'none'], {});
    expect(engineOptions(config)).toMatchObject({
      dataDir: './data',
      durability: { mode: 'none' },
      maxSeries: 7,
      retention: { maxAgeMs: 86_400_000, rules: [{ metric: 'x', maxAgeMs: 3_600_000 }] },
    });
  });

  it('passes the storage knobs to the engine, with their defaults', () => {
    expect(engineOptions(loadConfig([], {}))).toMatchObject({
      walSegmentBytes: 16 * 1024 * 1024,
      headMaxSamples: 1_000_000,
      compactionIntervalMs: 60_000,
      idleFlushMs: 30_000,
      partitionMs: 86_400_000,
      blockCacheBytes: 64 * 1024 * 1024,
    });
    const config = loadConfig(['--wal-segment-size', '1MiB', '--head-max-samples', '5000', '--compaction-interval', '0', '--idle-flush', '2m', '--partition', '6h'], {
      SENSORSTORE_BLOCK_CACHE_SIZE: '8MiB',
    });
    expect(engineOptions(config)).toMatchObject({
      walSegmentBytes: 1024 * 1024,
      headMaxSamples: 5000,
      compactionIntervalMs: 0,
      idleFlushMs: 120_000,
      partitionMs: 6 * 3_600_000,
      blockCacheBytes: 8 * 1024 * 1024,
    });
    expect(loadError(['--partition', '10s']).message).toMatch(/partition/);
  });
});

describe('units', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['2w', 14 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['1500', 1500],
  ])('duration %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '5x', 'h', '1h 30m'])('rejects duration %j', (text) => expect(() => parseDurationMs(text)).toThrow('is not a duration'));

  it.each([
    ['1024', 1024],
    ['512KiB', 512 * 1024],
    ['32MiB', 32 * 1024 * 1024],
    ['10GB', 1e10],
  ])('size %s', (text, bytes) => expect(parseSizeBytes(text)).toBe(bytes));

  it('rejects unknown size units', () => expect(() => parseSizeBytes('10 parsecs')).toThrow('is not a size'));
});
