// fib fork-join in headless Chromium: per-spawn cost and wall time of the
// wasm build at 1 and N workers, beside the same measurement in Node and
// (when built) the native bench_weft, in one run. Starts the static server
// (js/tools/serve.mjs) and Debian's chromium (playwright-core from
// js/test/browser; scripts/setup.sh installs both).
//
//   node bench/js/browser_fj.mjs [--n 30] [--workers N] [--reps 9] [--runs 3]
//                                [--native build-jsbench/bench/bench_weft]
//
// Each run is a fresh page (and a fresh Node pool); a run's figure is the
// median of `reps` timed runs after warm-up (browser/stats.js warmUp); the table gives the median
// over runs. Prints a markdown table and one JSON line per row.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createPool } from '../../js/src/index.js';
import { measureFib } from './browser/fib.js';
import { chromiumSession, chromeVersion, median, nativeFib, parseOptions } from './bench_common.mjs';

function parse(argv) {
  const o = parseOptions('browser_fj', { n: 30, workers: os.availableParallelism(), reps: 9, runs: 3,
    native: fileURLToPath(new URL('../../build-jsbench/bench/bench_weft', import.meta.url)) }, argv);
  if (o.n > 40) throw new RangeError('browser_fj: --n at most 40');
  return o;
}

const o = parse(process.argv.slice(2));
const counts = [...new Set([1, o.workers])];
const session = await chromiumSession();
const results = []; // { where, workers, run, ...measure }
let info;
try {
  for (let run = 0; run < o.runs; run++) {
    info = await session.measure('weftBench', { workers: counts, n: o.n, reps: o.reps });
    for (const row of info.rows) results.push({ where: 'chromium', run, ...row });
    for (const w of counts) results.push({ where: 'node', run, ...(await measureFib(createPool, { workers: w, n: o.n, reps: o.reps })) });
    if (fs.existsSync(o.native))
      for (const w of counts) results.push({ where: 'native', run, workers: w, n: o.n, ...nativeFib(o.native, o.n, w, o.reps) });
  }
} finally {
  await session.close();
}

console.log(`fib(${o.n}), ${o.reps} timed runs per figure (median), median over ${o.runs} runs; ` +
  `chromium ${chromeVersion(info.userAgent)} (${session.sched}), node ${process.versions.node}, ${info.cores} cores reported`);
console.log('| where | workers | spawns | median ms | ns/spawn | vs native |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const summary = [];
for (const where of ['chromium', 'node', 'native']) {
  for (const w of counts) {
    const rs = results.filter((r) => r.where === where && r.workers === w);
    if (!rs.length) continue;
    summary.push({ where, workers: w, n: o.n, runs: rs.length, spawns: rs[0].spawns,
      median_ms: +median(rs.map((r) => r.median_ms)).toFixed(3),
      ns_per_spawn: +median(rs.map((r) => r.ns_per_spawn)).toFixed(2),
      per_run_ms: rs.map((r) => +r.median_ms.toFixed(2)) });
  }
}
for (const s of summary) {
  const nat = summary.find((x) => x.where === 'native' && x.workers === s.workers);
  s.vs_native = nat ? +(s.median_ms / nat.median_ms).toFixed(2) : null;
  console.log(`| ${s.where} | ${s.workers} | ${s.spawns} | ${s.median_ms} | ${s.ns_per_spawn} | ${s.vs_native ?? ''} |`);
}
for (const s of summary) console.log(JSON.stringify({ bench: 'fib', ...s }));
