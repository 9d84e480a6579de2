// The process the kill -9 test kills: opens the engine (built JavaScript) on a data directory and
// writes deterministic batches from 4 concurrent writers, printing each batch before it is written
// ("issued") and once its write resolved ("ack"). With CRASH_AT it SIGKILLs itself just before the
// n-th file operation of a head flush or a compaction, so a crash lands on each durable step.
'use strict';
const { Engine } = require('../../sidecar/dist/engine/engine');
const { FaultFileIO } = require('../../sidecar/dist/engine/fs/fault-io');
const { NodeFileIO } = require('../../sidecar/dist/engine/fs/node-io');
const { batchSamples, overwriteTarget } = require('./batches');

const cfg = JSON.parse(process.env.CHILD_CONFIG);
const out = (line) => process.stdout.write(line + '\n'); // a pipe: synchronous on Linux, so a line printed is a line received

const CRASH_MATCH = {
  flush: () => (op, path) => (/-L0\.seg/.test(path) && op !== 'read') || /MANIFEST/.test(path) || (op === 'unlink' && /\.wal$/.test(path)),
  // Writing the merged segment, installing the manifest that lists it (only that install, not a
  // flush's: background work runs one task at a time, so the next install after an output is
  // renamed into place is the compaction's), and deleting the merged inputs.
  compaction: () => {
    let installing = false;
    return (op, path) => {
      if (op === 'rename' && /-L1\.seg$/.test(path)) installing = true;
      const hit = (/-L1\.seg/.test(path) && op !== 'read') || (installing && /MANIFEST/.test(path)) || (op === 'unlink' && /-L0\.seg$/.test(path));
      if (op === 'rename' && /MANIFEST$/.test(path)) installing = false;
      return hit;
    };
  },
};

async function main() {
  const io = new FaultFileIO(new NodeFileIO());
  const engine = await Engine.open({
    dataDir: cfg.dataDir,
    io,
    walSegmentBytes: 4096,
    snapshotIntervalMs: 50,
    headMaxSamples: cfg.headMaxSamples,
    compactionIntervalMs: cfg.compactionIntervalMs,
    partitionMs: 3_600_000,
  });
  if (cfg.crashIn) {
    io.crashAt(
      cfg.crashAt,
      (op, path) => {
        out(`crash ${cfg.crashIn} ${op} ${path}`);
        process.kill(process.pid, 'SIGKILL');
      },
      CRASH_MATCH[cfg.crashIn](),
    );
  }
  out('ready');
  let next = cfg.firstBatch;
  const eligible = [...cfg.overwritable];
  async function writer() {
    for (;;) {
      const k = next++;
      const target = overwriteTarget(cfg.seed, k, eligible);
      const samples = target >= 0 ? batchSamples(cfg.seed, target, k) : batchSamples(cfg.seed, k);
      out(`issued ${k} ${target}`);
      const bySeries = new Map();
      for (const s of samples) {
        if (!bySeries.has(s.series)) bySeries.set(s.series, { labels: { __name__: 'crash_metric', series: String(s.series) }, timestamps: [], values: [] });
        bySeries.get(s.series).timestamps.push(s.t);
        bySeries.get(s.series).values.push(s.v);
      }
      await engine.write([...bySeries.values()]);
      out(`ack ${k}`);
    }
  }
  await Promise.all([writer(), writer(), writer(), writer()]);
}

main().catch((e) => {
  out(`error ${e && e.stack ? e.stack.replace(/\n/g, ' | ') : e}`);
  process.exit(1);
});
