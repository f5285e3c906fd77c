// Loops and typed-array columns in headless Chromium, beside the same
// measurement in Node, in one run (bench/js/browser/loops.js): weft's
// pool.mapColumns over batches of 256 and 10,000 tiny items and pool.for /
// pool.reduce over a Float64Array, against a plain message pool of Web
// Workers (worker_threads in Node) and a sequential loop.
//
//   node bench/js/browser_loops.mjs [--workers N] [--n 10000000] [--reps 7] [--runs 1]
//
// Each run is a fresh page (and a fresh Node pool); the table gives the
// median over runs. Prints a markdown table and one JSON line per row.
import os from 'node:os';
import { createPool } from '../../js/src/index.js';
import { measureLoops } from './browser/loops.js';
import { chromiumSession, chromeVersion, median, parseOptions } from './bench_common.mjs';

const o = parseOptions('browser_loops', { workers: Math.min(2, os.availableParallelism()), n: 1e7, reps: 7, runs: 1 },
  process.argv.slice(2));
const session = await chromiumSession();
const results = [];
let info;
try {
  for (let run = 0; run < o.runs; run++) {
    info = await session.measure('weftLoopsBench', { workers: o.workers, n: o.n, reps: o.reps });
    for (const r of info.rows) results.push({ where: 'chromium', run, ...r });
    for (const r of await measureLoops(createPool, { workers: o.workers, n: o.n, reps: o.reps })) results.push({ where: 'node', run, ...r });
  }
} finally {
  await session.close();
}
console.log(`${o.workers} workers, n = ${o.n}, median of ${o.reps} per figure, median over ${o.runs} runs; ` +
  `chromium ${chromeVersion(info.userAgent)} (${session.sched}), node ${process.versions.node}`);
console.log('| where | bench | implementation | items | median ms | M items/s |');
console.log('| --- | --- | --- | ---: | ---: | ---: |');
const keys = [...new Set(results.map((r) => `${r.where}\t${r.bench}\t${r.name}`))];
const summary = keys.map((k) => {
  const rs = results.filter((r) => `${r.where}\t${r.bench}\t${r.name}` === k);
  const ms = median(rs.map((r) => r.median_ms));
  return { where: rs[0].where, bench: rs[0].bench, name: rs[0].name, workers: o.workers, items: rs[0].items,
    median_ms: +ms.toFixed(3), tasks_per_s: Math.round(rs[0].items / (ms / 1000)),
    ...(rs[0].chunks ? { chunks: rs.map((r) => r.chunks) } : {}) };
});
for (const s of summary) console.log(`| ${s.where} | ${s.bench} | ${s.name} | ${s.items} | ${s.median_ms} | ${(s.tasks_per_s / 1e6).toFixed(1)} |`);
for (const s of summary) console.log(JSON.stringify(s));
