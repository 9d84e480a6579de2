// kill -9 at random moments, and exactly inside head flushes and compactions: every acknowledged
// sample survives with its value, nothing is duplicated, and every batch is all or nothing — also
// batches that overwrite earlier ones. Replay a failure with the printed SEED.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../sidecar/src/engine/engine';
import { NodeFileIO } from '../../sidecar/src/engine/fs/node-io';
import { readManifest } from '../../sidecar/src/engine/manifest/manifest';
import { EngineOptions } from '../../sidecar/src/engine/model/options';

const { batchSamples, BASE_MS } = require('./batches') as {
  batchSamples: (seed: number, k: number, writer?: number) => Array<{ series: number; t: number; v: number }>;
  BASE_MS: number;
};

const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 1e9));
const PLAIN_KILLS = 50;
const FLUSH_CRASHES = 30;
const COMPACTION_CRASHES = 30;
const CHILD = join(__dirname, 'child.js');

type Mode = 'plain' | 'flush' | 'compaction';
type State = 'pending' | 'present' | 'absent';

interface Batch {
  target: number;
  acked: boolean;
  state: State;
}

function rng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ChildRun {
  lines: string[];
  crashed?: string;
}

function runChild(config: object, killAfterReadyMs: number | undefined, timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, CHILD_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    const lines: string[] = [];
    let stderr = '';
    const timers: NodeJS.Timeout[] = [];
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line === 'ready' && killAfterReadyMs !== undefined) timers.push(setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    timers.push(setTimeout(() => child.kill('SIGKILL'), timeoutMs));
    child.on('error', reject);
    child.on('exit', () => {
      timers.forEach(clearTimeout);
      if (buffered) lines.push(buffered);
      const error = lines.find((l) => l.startsWith('error '));
      if (error || stderr.includes('Error')) reject(new Error(`the child failed: ${error ?? stderr}`));
      else resolve({ lines, crashed: lines.find((l) => l.startsWith('crash '))?.slice(6) });
    });
  });
}

describe(`kill -9 (SEED=${SEED})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-kill9-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const batches = new Map<number, Batch>();
  const targeted = new Set<number>();
  let nextBatch = 0;
  const random = rng(SEED);
  const options = (mode: Mode): Omit<EngineOptions, 'dataDir'> => ({
    headMaxSamples: mode === 'plain' ? 2000 : 150,
    compactionIntervalMs: mode === 'compaction' ? 20 : mode === 'flush' ? 0 : 200,
  });

  async function cycle(mode: Mode, crashAt: number): Promise<string | undefined> {
    const overwritable = [...batches.entries()].filter(([k, b]) => b.target < 0 && b.state === 'present' && !targeted.has(k)).map(([k]) => k);
    const config = { dataDir: dir, seed: SEED, firstBatch: nextBatch, overwritable, crashIn: mode === 'plain' ? undefined : mode, crashAt, ...options(mode) };
    const run = await runChild(config, mode === 'plain' ? 10 + Math.floor(random() * 250) : undefined, mode === 'plain' ? 20_000 : 5_000);
    for (const line of run.lines) {
      const [what, k, target] = line.split(' ');
      if (what === 'issued') {
        const t = Number(target);
        batches.set(Number(k), { target: t, acked: false, state: 'pending' });
        if (t >= 0) targeted.add(t);
        nextBatch = Math.max(nextBatch, Number(k) + 1);
      } else if (what === 'ack') {
        batches.get(Number(k))!.acked = true;
      }
    }
    await verify();
    return run.crashed;
  }

  /** Segment files the crashed process left that its manifest does not list: restart must drop them. */
  let straysLeft = 0;

  /** Names in segments/ and those the manifest lists, sorted. */
  async function segmentFiles(): Promise<{ files: string[]; listed: string[] }> {
    const manifest = await readManifest(new NodeFileIO(), dir);
    const listed = (manifest?.segments ?? []).map((s) => s.name).sort();
    return { files: readdirSync(join(dir, 'segments')).sort(), listed };
  }

  /** Opens the engine as a restart would and checks every batch ever issued, and every file kept. */
  async function verify(): Promise<void> {
    const before = await segmentFiles();
    straysLeft += before.files.filter((f) => !before.listed.includes(f)).length;
    const engine = await Engine.open({ dataDir: dir, snapshotIntervalMs: 0, ...options('plain'), compactionIntervalMs: 0 });
    let stored: Map<string, number>;
    try {
      const [all] = await engine.select({ matchers: [{ name: '__name__', op: '=', value: 'crash_metric' }], start: BASE_MS - 1, end: BASE_MS + 1e12 }).then((r) => [r]);
      stored = new Map();
      for (const s of all) {
        for (let i = 0; i < s.timestamps.length; i++) {
          if (i > 0 && !(s.timestamps[i] > s.timestamps[i - 1])) throw new Error(`series ${s.labels.series}: timestamp ${s.timestamps[i]} out of order or duplicated`);
          stored.set(`${s.labels.series}@${s.timestamps[i]}`, s.values[i]);
        }
      }
    } finally {
      await engine.close();
    }
    // No stray file is trusted or kept: segments/ holds exactly what the manifest lists.
    const after = await segmentFiles();
    if (after.files.join() !== after.listed.join()) throw new Error(`segments/ holds [${after.files}] but the manifest lists [${after.listed}]`);
    const overwrittenBy = new Map<number, number>();
    let expectedCount = 0;
    for (const [k, b] of batches) {
      if (b.target >= 0) continue;
      const samples = batchSamples(SEED, k);
      const present = samples.filter((s) => stored.has(`${s.series}@${s.t}`)).length;
      settle(k, b, present, samples.length);
      if (b.state === 'present') expectedCount += samples.length;
    }
    for (const [o, b] of batches) {
      if (b.target < 0) continue;
      const target = batches.get(b.target)!;
      if (target.state !== 'present') throw new Error(`overwrite ${o} targets batch ${b.target}, which is ${target.state}`);
      const mine = batchSamples(SEED, b.target, o);
      const got = mine.filter((s) => stored.get(`${s.series}@${s.t}`) === s.v).length;
      settle(o, b, got, mine.length);
      if (b.state === 'present') overwrittenBy.set(b.target, o);
    }
    for (const [k, b] of batches) {
      if (b.target >= 0 || b.state !== 'present') continue;
      const writer = overwrittenBy.get(k) ?? k;
      for (const s of batchSamples(SEED, k, writer)) {
        const v = stored.get(`${s.series}@${s.t}`);
        if (v !== s.v) throw new Error(`batch ${k} (last written by ${writer}): series ${s.series} at ${s.t} holds ${v}, expected ${s.v}`);
      }
    }
    if (stored.size !== expectedCount) throw new Error(`${stored.size} samples stored, but the present batches hold ${expectedCount}: stray or duplicated samples`);
  }

  /** All-or-nothing, acknowledged means present, and a decided batch never changes its mind. */
  function settle(k: number, b: Batch, found: number, total: number): void {
    const now: State | 'partial' = found === total ? 'present' : found === 0 ? 'absent' : 'partial';
    if (now === 'partial') throw new Error(`batch ${k} is partly present: ${found} of ${total} samples`);
    if (b.acked && now !== 'present') throw new Error(`batch ${k} was acknowledged but is ${now}`);
    if (b.state !== 'pending' && b.state !== now) throw new Error(`batch ${k} was ${b.state} after an earlier restart and is ${now} now`);
    b.state = now;
  }

  it(`keeps every acknowledged batch across ${PLAIN_KILLS} kills at random moments`, async () => {
    for (let i = 0; i < PLAIN_KILLS; i++) await cycle('plain', 0);
    const acked = [...batches.values()].filter((b) => b.acked).length;
    expect(acked).toBeGreaterThan(PLAIN_KILLS);
    expect([...batches.values()].some((b) => b.target >= 0 && b.acked)).toBe(true);
  });

  it(`survives ${FLUSH_CRASHES} crashes at each step of a head flush`, async () => {
    const crashes: string[] = [];
    straysLeft = 0;
    for (let i = 0; i < FLUSH_CRASHES; i++) {
      const where = await cycle('flush', 1 + (i % 15));
      if (where) crashes.push(where);
    }
    expect(crashes.length).toBeGreaterThanOrEqual(FLUSH_CRASHES * 0.9);
    expect(crashes.some((c) => c.includes('MANIFEST'))).toBe(true);
    expect(straysLeft).toBeGreaterThan(0);
  });

  it(`survives ${COMPACTION_CRASHES} crashes at each step of a compaction`, async () => {
    const crashes: string[] = [];
    straysLeft = 0;
    for (let i = 0; i < COMPACTION_CRASHES; i++) {
      const where = await cycle('compaction', 1 + (i % 13));
      if (where) crashes.push(where);
    }
    expect(crashes.length).toBeGreaterThanOrEqual(COMPACTION_CRASHES * 0.9);
    expect(crashes.some((c) => c.startsWith('compaction') && c.includes('MANIFEST'))).toBe(true);
    expect(crashes.some((c) => c.startsWith('compaction unlink'))).toBe(true);
    expect(straysLeft).toBeGreaterThan(0);
  });
});
