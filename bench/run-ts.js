#!/usr/bin/env node
// Runs a TypeScript benchmark or helper program: bundles it with esbuild into .tmp/ and runs it
// with node, passing the remaining arguments. Usage: node bench/run-ts.js bench/engine/ingest.ts [args]
const { buildSync } = require('esbuild');
const { spawnSync } = require('node:child_process');
const { basename, join } = require('node:path');
const { mkdirSync } = require('node:fs');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bench/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
const outDir = join(__dirname, '..', '.tmp', 'bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, basename(entry).replace(/\.ts$/, '.js'));
buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', outfile, sourcemap: 'inline', logLevel: 'warning', packages: 'external' });
const run = spawnSync(process.execPath, ['--expose-gc', outfile, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
