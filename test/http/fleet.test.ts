// The demo fleet against the real process: inside the sidecar (--demo-fleet --demo-devices 3) and
// as its own command (sidecar/dist/fleet/cli.js, as `npm run fleet` runs it) writing into a sidecar.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, SidecarProcess, postJson, removeDir, startSidecar } from './sidecar';

/** The command `npm run fleet` runs after building: the test runs it without the build. */
const FLEET_SCRIPT = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.fleet;
const FLEET_CLI = join(REPO_ROOT, /node (\S+)$/.exec(FLEET_SCRIPT)?.[1] ?? 'the fleet script names no command');
const METRICS = ['battery', 'humidity', 'pressure', 'temperature'];

/** Polls the series count until it reaches `series`; the fleet backfills in the background. */
async function untilSeries(sidecar: SidecarProcess, series: number, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    const res = await postJson(`${sidecar.url}/api/native/series/count`, {}, headers);
    if (res.status === 200) count = (res.body.data as { series: number }).series;
    if (count >= series) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the fleet wrote ${count} series, not ${series}, within ${timeoutMs} ms:\n${sidecar.output()}`);
}

async function values(sidecar: SidecarProcess, label: string, headers: Record<string, string> = {}): Promise<unknown> {
  return (await postJson(`${sidecar.url}/api/native/label/${label}/values`, {}, headers)).body.data;
}

it('--demo-fleet --demo-devices 3 writes the series of 3 devices into the sidecar', async () => {
  const sidecar = await startSidecar({ args: ['--demo-fleet', '--demo-devices', '3'] });
  try {
    await untilSeries(sidecar, 3 * METRICS.length);
    expect(await values(sidecar, 'device')).toEqual(['dev-0001', 'dev-0002', 'dev-0003']);
    expect(await values(sidecar, '__name__')).toEqual(METRICS);
    const latest = (await postJson(`${sidecar.url}/api/native/latest`, { metric: 'battery' })).body.series as Array<{ labels: { device: string }; value: number }>;
    expect(latest.map((s) => s.labels.device)).toEqual(['dev-0001', 'dev-0002', 'dev-0003']);
    for (const s of latest) expect(s.value >= 0 && s.value <= 100).toBe(true);
  } finally {
    expect(await sidecar.stop()).toBe(0);
    removeDir(sidecar.dataDir);
  }
  expect(sidecar.output()).toContain('demo fleet starting');
});

it('the fleet command writes into a sidecar with its write token and stops cleanly on SIGTERM', async () => {
  const sidecar = await startSidecar({ args: ['--token-write', 'w-token'] });
  const auth = { Authorization: 'Bearer w-token' };
  const fleet = spawn(process.execPath, [FLEET_CLI, '--url', `${sidecar.url}/`, '--devices', '2', '--interval', '30s', '--backfill', '1h', '--seed', '7'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SENSORSTORE_TOKEN_WRITE: 'w-token' },
  });
  let printed = '';
  fleet.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  fleet.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => fleet.once('exit', (code) => resolve(code)));
  try {
    await untilSeries(sidecar, 2 * METRICS.length, auth);
    expect(await values(sidecar, 'device', auth)).toEqual(['dev-0001', 'dev-0002']);
    expect(fleet.exitCode).toBeNull();
  } finally {
    if (fleet.exitCode === null) fleet.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await sidecar.stop()).toBe(0);
    removeDir(sidecar.dataDir);
  }
  expect(printed).toContain('demo fleet stopped');
  expect(printed).not.toContain('the sidecar rejected readings');
});

it('the fleet command refuses to start without --url', async () => {
  const env = { ...process.env };
  delete env.SENSORSTORE_FLEET_URL;
  const fleet = spawn(process.execPath, [FLEET_CLI], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  fleet.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  expect(await new Promise((resolve) => fleet.once('exit', resolve))).not.toBe(0);
  expect(stderr).toContain("required option '--url <url>' not specified");
});
