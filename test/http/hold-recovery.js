// Preloaded into the sidecar (node -r) by the shutdown-during-recovery test: the first read of a file
// under SENSORSTORE_TEST_HOLD_DIR (the WAL directory) — opening it, or reading it whole — waits until
// the process gets SIGUSR2, so the test knows recovery is under way, and stays so, for as long as it
// needs.
'use strict';
const { promises: fsp } = require('node:fs');
const { resolve, sep } = require('node:path');
const { isMainThread } = require('node:worker_threads');

function holdFirstWalRead() {
  const holdDir = resolve(process.env.SENSORSTORE_TEST_HOLD_DIR) + sep;
  let released;
  const release = new Promise((done) => (released = done));
  process.on('SIGUSR2', () => released());
  let held = false;

  const holdOnce = async (path) => {
    if (held || typeof path !== 'string' || !resolve(path).startsWith(holdDir)) return;
    held = true;
    process.stderr.write(`recovery held at ${path}\n`); // a pipe: written before this returns
    // Real file I/O keeps the process alive while it is pending; a held promise alone would not.
    const alive = setInterval(() => undefined, 60_000);
    await release;
    clearInterval(alive);
  };
  for (const name of ['open', 'readFile']) {
    const original = fsp[name];
    fsp[name] = async function held(path, ...rest) {
      await holdOnce(path);
      return original.call(this, path, ...rest);
    };
  }
}

// Decode workers inherit the preload; only the main thread recovers the engine.
if (isMainThread) holdFirstWalRead();
