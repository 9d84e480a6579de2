// `npm run bench`: the sidecar against InfluxDB 1.6.7 and Prometheus 2.42 on the fleet workload,
// one target at a time on this machine, printing a Markdown table of every figure and ratio.
// Every server runs on 127.0.0.1 with data in a temp directory and is stopped before the end.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join, resolve } from 'path';
import { parseArgs } from 'util';
import { BenchError } from './errors';
import { describeMachine } from './machine';
import { killAllStarted } from './proc';
import { renderReport } from './report';
import { assertOptions, BenchOptions, runBenchmark, RunResult } from './run';
import { influxdbTarget } from './targets/influxdb';
import { prometheusTarget } from './targets/prometheus';
import { sidecarTarget } from './targets/sidecar';
import { Target, TargetId } from './targets/target';

const USAGE = `usage: npm run bench -- [options]

  --devices N        fleet size (default 1000)
  --hours H          hours of data, one sample per series every 10 s (default 6)
  --seed N           workload seed (default 1)
  --repeat N         whole runs; the table shows median and range (default 1)
  --scale LIST       fleet sizes for the scale table (default 100,1000; add 10000 on request)
  --targets LIST     any of sidecar,influxdb,prometheus (default all three)
  --latency-runs N   timed runs per query after warm-up (default 20)
  --warmups N        warm-up runs per query (default 3)
  --no-restarts      skip the SIGKILL / SIGTERM restart figures
  --out FILE         also write the Markdown report to FILE
  --json FILE        also write every figure of every run as JSON
  --keep             keep the temp directory with every server's data and log
  --help             this text`;

const PEERS = {
  influxdb: { binary: '/usr/bin/influxd', expect: 'v1.6.7', package: 'influxdb' },
  prometheus: { binary: '/usr/bin/prometheus', expect: '2.42.', package: 'prometheus' },
};

/** The checkout's root: the nearest folder up from here whose package.json is the project's. */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sensorstore') return dir;
  }
  return process.cwd();
}

function intList(text: string, name: string): number[] {
  const list = text.split(',').filter(Boolean).map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new BenchError('BAD_OPTION', 'options', `--${name} takes positive integers separated by commas, got "${text}"`);
  return list;
}

function number(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new BenchError('BAD_OPTION', 'options', `--${name} takes a positive number, got "${text}"`);
  return n;
}

/** Checks every peer binary is installed and says how to install a missing one. */
function peerTargets(ids: TargetId[], log: (line: string) => void): Target[] {
  const missing = ids.filter((id): id is keyof typeof PEERS => id !== 'sidecar' && !existsSync(PEERS[id].binary));
  if (missing.length > 0) {
    throw new BenchError('PEER_MISSING', 'preflight', `${missing.map((m) => PEERS[m].binary).join(' and ')} not found; install with: sudo apt-get install -y ${missing.map((m) => PEERS[m].package).join(' ')} (or leave them out with --targets)`);
  }
  const targets = ids.map((id) => (id === 'sidecar' ? sidecarTarget(repoRoot()) : id === 'influxdb' ? influxdbTarget(PEERS.influxdb.binary) : prometheusTarget(PEERS.prometheus.binary)));
  for (const t of targets) {
    if (t.id !== 'sidecar' && !t.version().includes(PEERS[t.id].expect)) log(`note: ${t.version()} is not the ${PEERS[t.id].expect} the issue compares against; its figures are reported as measured`);
  }
  return targets;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '1000' },
      hours: { type: 'string', default: '6' },
      seed: { type: 'string', default: '1' },
      repeat: { type: 'string', default: '1' },
      scale: { type: 'string', default: '100,1000' },
      targets: { type: 'string', default: 'sidecar,influxdb,prometheus' },
      'latency-runs': { type: 'string', default: '20' },
      warmups: { type: 'string', default: '3' },
      'no-restarts': { type: 'boolean', default: false },
      out: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const log = (line: string) => console.error(line);
  const ids = values.targets.split(',').filter(Boolean) as TargetId[];
  const unknown = ids.filter((id) => !['sidecar', 'influxdb', 'prometheus'].includes(id));
  if (unknown.length > 0) throw new BenchError('BAD_OPTION', 'options', `unknown target ${unknown.join(', ')}; choose from sidecar, influxdb, prometheus`);
  const workDir = mkdtempSync(join(tmpdir(), 'sensorstore-bench-'));
  const options: BenchOptions = {
    devices: number(values.devices, 'devices'),
    hours: number(values.hours, 'hours'),
    seed: Math.floor(Number(values.seed)),
    clients: 4,
    samplesPerRequest: 5000,
    maxSkewMs: 600_000,
    warmups: Math.floor(Number(values.warmups)),
    runs: Math.floor(number(values['latency-runs'], 'latency-runs')),
    settleQuietMs: 10_000,
    settleTimeoutMs: 300_000,
    readyTimeoutMs: 120_000,
    queryableTimeoutMs: 300_000,
    scale: intList(values.scale, 'scale'),
    restarts: !values['no-restarts'],
    targets: peerTargets(ids, log),
    workDir,
    keepData: values.keep,
    memoryBudgetBytes: 3 * 2 ** 30,
    log,
  };
  assertOptions(options);
  const repeat = Math.floor(number(values.repeat, 'repeat'));
  const stopAll = () => {
    killAllStarted();
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  const machine = describeMachine();
  const runs: RunResult[] = [];
  try {
    for (let r = 0; r < repeat; r++) {
      if (repeat > 1) log(`run ${r + 1} of ${repeat}`);
      runs.push(await runBenchmark(options));
    }
  } finally {
    stopAll();
    if (values.keep) log(`data and logs kept in ${workDir}`);
  }
  const versions = Object.fromEntries(options.targets.map((t) => [t.id, t.version()]));
  const report = renderReport(
    {
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      machine,
      versions,
      workload: `${options.devices.toLocaleString('en-US')} devices × 4 metrics every 10 s for ${options.hours} h (seed ${options.seed}); ${options.clients} keep-alive clients, ${options.samplesPerRequest.toLocaleString('en-US')} samples per request; ${options.warmups} warm-up + ${options.runs} timed runs per query`,
      runs: repeat,
    },
    runs,
    options.scale,
  );
  console.log(report);
  if (values.out) writeFileSync(resolve(values.out), report);
  if (values.json) writeFileSync(resolve(values.json), JSON.stringify({ options: { ...options, targets: ids, log: undefined }, versions, runs }, null, 2));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killAllStarted();
    console.error(err instanceof BenchError ? err.message : err);
    process.exit(1);
  },
);
