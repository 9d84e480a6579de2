// The batches of the kill -9 test, a pure function of (seed, batch number), shared by the child that
// writes them and the test that checks them.
//
// Batch k writes 1–8 of 20 series, 1–5 samples each, at timestamps that belong to k alone, so every
// sample names its batch. Some batches instead overwrite every sample of an earlier, settled batch
// with new values: then `batchSamples(seed, target, k)` gives the target's samples with k's values.
'use strict';

const BASE_MS = Date.UTC(2026, 0, 1);

function hash(...xs) {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Samples of batch k; with `writer`, the values that overwrite batch k in batch `writer`. */
function batchSamples(seed, k, writer = k) {
  const out = [];
  const nSeries = 1 + (hash(seed, k, 1) % 8);
  const first = hash(seed, k, 2) % 20;
  for (let i = 0; i < nSeries; i++) {
    const series = (first + i * 7) % 20;
    const n = 1 + (hash(seed, k, 3, i) % 5);
    for (let j = 0; j < n; j++) {
      out.push({ series, t: BASE_MS + k * 100 + i * 10 + j, v: writer * 1000 + i * 10 + j + (writer === k ? 0 : 0.5) });
    }
  }
  return out;
}

/** The batch that batch k overwrites (taken out of `eligible`), or -1 for an ordinary batch. */
function overwriteTarget(seed, k, eligible) {
  if (eligible.length === 0 || hash(seed, k, 4) % 5 !== 0) return -1;
  const at = hash(seed, k, 5) % eligible.length;
  return eligible.splice(at, 1)[0];
}

module.exports = { batchSamples, overwriteTarget, BASE_MS };
