// The sidecar's configuration: every option once, with its flag, environment variable, config-file
// key, default and validation. Precedence: command-line flag > environment > config file > default.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';

import { parseDurationMs, parseSizeBytes } from './units';
import { Durability, EngineOptions, RetentionRule } from '../engine/model/options';

export interface SidecarConfig {
  configFile?: string;
  dataDir: string;
  host: string;
  port: number;
  demoFleet: boolean;
  demoDevices: number;
  tokenRead?: string;
  tokenWrite?: string;
  durability: Durability;
  retentionMs?: number;
  retentionRules: RetentionRule[];
  retentionMaxBytes?: number;
  maxSeries: number;
  repair: boolean;
  snapshotIntervalMs: number;
  walSegmentBytes: number;
  headMaxSamples: number;
  compactionIntervalMs: number;
  idleFlushMs: number;
  partitionMs: number;
  blockCacheBytes: number;
  maxBodyBytes: number;
  maxQueryBodyBytes: number;
  maxSamplesPerRequest: number;
  maxSeriesPerQuery: number;
  maxPointsPerQuery: number;
  queryTimeoutMs: number;
  maxConcurrentWrites: number;
  maxConcurrentQueries: number;
  ingestWorkers: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}

/** Bad configuration; also carries commander's help and version exits (exitCode 0, empty message). */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';

  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'int' | 'bool' | 'duration' | 'size' | 'list';

interface OptionSpec {
  /** The key in SidecarConfig and in the JSON config file. */
  key: keyof SidecarConfig;
  flag: string;
  kind: Kind;
  description: string;
  /** As shown in --help and the README; undefined means unset. */
  defaultText?: string;
}

/** Every option, in the order --help lists them. The README's table is written from this list. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'configFile', flag: 'config', kind: 'string', description: 'JSON file with any of these options, keyed by the camel-cased flag, e.g. {"dataDir": "/var/lib/sensorstore"}' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', description: 'directory of the WAL, snapshots and segments', defaultText: './data' },
  { key: 'host', flag: 'host', kind: 'string', description: 'address to listen on (0.0.0.0 for every interface)', defaultText: '127.0.0.1' },
  { key: 'port', flag: 'port', kind: 'int', description: 'TCP port to listen on (0 picks a free one)', defaultText: '8428' },
  { key: 'demoFleet', flag: 'demo-fleet', kind: 'bool', description: 'also run the demo fleet simulator, writing into this sidecar', defaultText: 'false' },
  { key: 'demoDevices', flag: 'demo-devices', kind: 'int', description: 'devices the demo fleet simulates', defaultText: '50' },
  { key: 'tokenRead', flag: 'token-read', kind: 'string', description: 'bearer token for reading (queries, metadata, /metrics); unset: reads are open' },
  { key: 'tokenWrite', flag: 'token-write', kind: 'string', description: 'bearer token for writing (also reads); unset: writes are open' },
  { key: 'durability', flag: 'durability', kind: 'string', description: 'when a write is acknowledged: fsync, interval:<ms> or none', defaultText: 'fsync' },
  { key: 'retentionMs', flag: 'retention', kind: 'duration', description: 'keep samples this long, e.g. 30d; unset: forever' },
  { key: 'retentionRules', flag: 'retention-rule', kind: 'list', description: 'per-metric retention <glob>=<duration>, e.g. "battery*=7d"; repeatable (env: comma-separated)' },
  { key: 'retentionMaxBytes', flag: 'retention-max-bytes', kind: 'size', description: 'drop the oldest segments when the data directory (segments, WAL, snapshots) exceeds this size, e.g. 10GB; unset: no bound' },
  { key: 'maxSeries', flag: 'max-series', kind: 'int', description: 'cardinality limit: writes creating more series are rejected (422)', defaultText: '1000000' },
  { key: 'repair', flag: 'repair', kind: 'bool', description: 'move damaged WAL and snapshot parts aside instead of refusing to start', defaultText: 'false' },
  { key: 'snapshotIntervalMs', flag: 'snapshot-interval', kind: 'duration', description: 'how often the head is snapshotted (also on shutdown); 0 only on shutdown', defaultText: '5m' },
  { key: 'walSegmentBytes', flag: 'wal-segment-size', kind: 'size', description: 'the WAL moves to a new file past this size', defaultText: '16MiB' },
  { key: 'headMaxSamples', flag: 'head-max-samples', kind: 'int', description: 'the in-memory head is flushed to a segment once it holds this many samples', defaultText: '1000000' },
  { key: 'compactionIntervalMs', flag: 'compaction-interval', kind: 'duration', description: 'how often flushed segments are merged into day partitions (also after every fourth flush); 0 only then', defaultText: '1m' },
  { key: 'idleFlushMs', flag: 'idle-flush', kind: 'duration', description: 'after this long without writes the head is flushed, segments merged and WAL space given back; 0 never', defaultText: '30s' },
  { key: 'partitionMs', flag: 'partition', kind: 'duration', description: 'time span of the partitions compaction writes', defaultText: '1d' },
  { key: 'blockCacheBytes', flag: 'block-cache-size', kind: 'size', description: 'memory for decoded-block reads shared by queries', defaultText: '64MiB' },
  { key: 'maxBodyBytes', flag: 'max-body-bytes', kind: 'size', description: 'largest request body, compressed and decompressed (413 beyond)', defaultText: '32MiB' },
  {
    key: 'maxQueryBodyBytes',
    flag: 'max-query-body-bytes',
    kind: 'size',
    description: 'largest query request body (native API, and Prometheus API forms), compressed and decompressed (413 beyond); queries are small, so a big one is a mistake',
    defaultText: '1MiB',
  },
  { key: 'maxSamplesPerRequest', flag: 'max-samples-per-request', kind: 'int', description: 'most samples in one write request (413 beyond)', defaultText: '1000000' },
  { key: 'maxSeriesPerQuery', flag: 'max-series-per-query', kind: 'int', description: 'most series one query may touch (422 beyond)', defaultText: '10000' },
  { key: 'maxPointsPerQuery', flag: 'max-points-per-query', kind: 'int', description: 'most points one query may return (422 beyond)', defaultText: '1000000' },
  { key: 'queryTimeoutMs', flag: 'query-timeout', kind: 'duration', description: 'longest a query may run (503 QUERY_TIMEOUT beyond)', defaultText: '30s' },
  { key: 'maxConcurrentWrites', flag: 'max-concurrent-writes', kind: 'int', description: 'write requests processed at once (429 beyond)', defaultText: '64' },
  { key: 'maxConcurrentQueries', flag: 'max-concurrent-queries', kind: 'int', description: 'queries processed at once (429 beyond)', defaultText: '32' },
  {
    key: 'ingestWorkers',
    flag: 'ingest-workers',
    kind: 'int',
    description: 'threads that parse line protocol and remote write, beside the main thread (0: parse on the main thread)',
    defaultText: 'CPU cores - 1, at least 1',
  },
  { key: 'logLevel', flag: 'log-level', kind: 'string', description: 'trace, debug, info, warn, error, fatal or silent', defaultText: 'info' },
];

/** `data-dir` → `SENSORSTORE_DATA_DIR`. */
export function envName(spec: OptionSpec): string {
  return `SENSORSTORE_${spec.flag.toUpperCase().replace(/-/g, '_')}`;
}

/** `retention-rule` → `retentionRule`, the option's key in a config file. */
export function fileKey(spec: OptionSpec): string {
  return spec.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Every core but the one the main thread needs decodes ingest bodies. */
function defaultIngestWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

const positiveInt = z.number().int().positive();
const durabilitySchema = z.string().transform((s, ctx): Durability => {
  if (s === 'fsync' || s === 'none') return { mode: s };
  const m = /^interval:(\d+)$/.exec(s);
  if (m && Number(m[1]) > 0) return { mode: 'interval', intervalMs: Number(m[1]) };
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(s)} must be fsync, interval:<ms> (e.g. interval:100) or none` });
  return z.NEVER;
});
const ruleSchema = z.string().transform((s, ctx): RetentionRule => {
  const eq = s.lastIndexOf('=');
  const metric = s.slice(0, eq).trim();
  if (eq <= 0 || metric === '' || !/^[a-zA-Z0-9_:*?]+$/.test(metric)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(s)} must be <metric glob>=<duration>, e.g. "battery*=7d"` });
    return z.NEVER;
  }
  try {
    return { metric, maxAgeMs: parseDurationMs(s.slice(eq + 1)) };
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
    return z.NEVER;
  }
});

const schema = z.object({
  configFile: z.string().optional(),
  dataDir: z.string().min(1).default('./data'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8428),
  demoFleet: z.boolean().default(false),
  demoDevices: positiveInt.default(50),
  tokenRead: z.string().min(1).optional(),
  tokenWrite: z.string().min(1).optional(),
  durability: durabilitySchema.default('fsync'),
  retentionMs: positiveInt.optional(),
  retentionRules: z.array(ruleSchema).default([]),
  retentionMaxBytes: positiveInt.optional(),
  maxSeries: positiveInt.default(1_000_000),
  repair: z.boolean().default(false),
  snapshotIntervalMs: z.number().int().min(0).default(300_000),
  walSegmentBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
  headMaxSamples: z.number().int().min(1000).default(1_000_000),
  compactionIntervalMs: z.number().int().min(0).default(60_000),
  idleFlushMs: z.number().int().min(0).default(30_000),
  partitionMs: z.number().int().min(60_000).default(86_400_000),
  blockCacheBytes: z.number().int().min(0).default(64 * 1024 * 1024),
  maxBodyBytes: positiveInt.default(32 * 1024 * 1024),
  maxQueryBodyBytes: positiveInt.default(1024 * 1024),
  maxSamplesPerRequest: positiveInt.default(1_000_000),
  maxSeriesPerQuery: positiveInt.default(10_000),
  maxPointsPerQuery: positiveInt.default(1_000_000),
  queryTimeoutMs: positiveInt.default(30_000),
  maxConcurrentWrites: positiveInt.default(64),
  maxConcurrentQueries: positiveInt.default(32),
  ingestWorkers: z.number().int().min(0).max(64).default(defaultIngestWorkers()),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** The configuration with every default, as tests and embedders start from. */
export function defaultConfig(overrides: Partial<SidecarConfig> = {}): SidecarConfig {
  return { ...(schema.parse({}) as SidecarConfig), ...overrides };
}

/** Turns a raw string (flag or env) or JSON value into the option's type; throws with a reason. */
function coerce(spec: OptionSpec, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  switch (spec.kind) {
    case 'int':
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`${JSON.stringify(raw)} is not an integer`);
      return Number(raw);
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      throw new Error(`${JSON.stringify(raw)} is not a boolean (true/false)`);
    case 'duration':
      return parseDurationMs(raw);
    case 'size':
      return parseSizeBytes(raw);
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return raw;
  }
}

interface Sourced {
  value: unknown;
  source: string;
}

/**
 * Reads the configuration from argv (without node and script), the environment and the optional
 * config file. Help and version output are written by commander, which then exits.
 * @throws ConfigError naming the option, where it came from and what is wrong
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, version = '0.0.0'): SidecarConfig {
  const program = new Command('sensorstore')
    .description('Sensorstore sidecar: stores sensor data and serves it over HTTP')
    .version(version)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  for (const spec of OPTIONS) {
    program.addOption(commanderOption(spec));
    // The negation lets a later flag undo an earlier one (`npm start -- --no-demo-fleet`): flags
    // beat the environment, so without it a scripted --demo-fleet could not be turned off.
    if (spec.kind === 'bool') program.addOption(new Option(`--no-${spec.flag}`, `turn --${spec.flag} off (the last of the two wins)`));
  }
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new ConfigError(e.exitCode === 0 ? '' : e.message.replace(/^error: /, ''), e.exitCode === 0 ? 0 : 2);
    throw e;
  }
  const flags = program.opts<Record<string, unknown>>();

  const chosen = new Map<string, Sourced>();
  const configFile = (flags.config as string | undefined) ?? env.SENSORSTORE_CONFIG;
  if (configFile !== undefined) {
    const fromFile = readConfigFile(configFile);
    for (const spec of OPTIONS) {
      const key = fileKey(spec);
      if (key in fromFile) chosen.set(spec.key, { value: fromFile[key], source: `config file ${configFile}, key "${key}"` });
    }
    chosen.set('configFile', { value: configFile, source: '--config' });
  }
  for (const spec of OPTIONS) {
    const name = envName(spec);
    if (env[name] !== undefined && env[name] !== '') chosen.set(spec.key, { value: env[name], source: `environment variable ${name}` });
  }
  for (const spec of OPTIONS) {
    const value = flags[fileKey(spec)];
    if (value !== undefined) chosen.set(spec.key, { value, source: `--${spec.flag}` });
  }

  const raw: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    const entry = chosen.get(spec.key);
    if (!entry) continue;
    try {
      raw[spec.key] = coerce(spec, entry.value);
    } catch (e) {
      throw new ConfigError(`${entry.source}: ${(e as Error).message}`);
    }
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0]);
    const source = chosen.get(key)?.source ?? key;
    const at = issue.path.length > 1 ? ` (item ${issue.path.slice(1).join('.')})` : '';
    throw new ConfigError(`${source}${at}: ${issue.message}`);
  }
  return result.data as SidecarConfig;
}

function commanderOption(spec: OptionSpec): Option {
  const env = envName(spec);
  const help = `${spec.description} [env ${env}]`;
  if (spec.kind === 'bool') return new Option(`--${spec.flag}`, help);
  const option = new Option(`--${spec.flag} <value>`, help);
  if (spec.defaultText !== undefined) option.default(undefined, spec.defaultText);
  if (spec.kind === 'list') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return option;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`can not read config file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = OPTIONS.filter((o) => o.key !== 'configFile').map(fileKey);
  for (const key of Object.keys(parsed)) {
    if (!known.includes(key)) throw new ConfigError(`config file ${path}: unknown key "${key}" (known: ${known.join(', ')})`);
  }
  return parsed as Record<string, unknown>;
}

/** The engine's options from the configuration. */
export function engineOptions(config: SidecarConfig): EngineOptions {
  return {
    dataDir: config.dataDir,
    durability: config.durability,
    maxSeries: config.maxSeries,
    repair: config.repair,
    snapshotIntervalMs: config.snapshotIntervalMs,
    walSegmentBytes: config.walSegmentBytes,
    headMaxSamples: config.headMaxSamples,
    compactionIntervalMs: config.compactionIntervalMs,
    idleFlushMs: config.idleFlushMs,
    partitionMs: config.partitionMs,
    blockCacheBytes: config.blockCacheBytes,
    retention: {
      maxAgeMs: config.retentionMs,
      maxBytes: config.retentionMaxBytes,
      rules: config.retentionRules,
    },
  };
}
