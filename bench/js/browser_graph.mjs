// Task graphs in headless Chromium: nodes per second of graphs built once
// and run repeatedly from the page's main thread, at 1 and N workers,
// beside the same measurement in Node and (when built) the native
// graph_weft on the same shapes, in one run. The shapes and phases are
// those of bench/js/graph.mjs (browser/graph.js, shared by the page and
// Node); the page is bench/js/browser/index.html on js/tools/serve.mjs in
// Debian's chromium (playwright-core from js/test/browser).
//
//   node bench/js/browser_graph.mjs [--workers 2] [--reps 15] [--runs 3] [--quick]
//                                   [--native build-jsbench/bench/graph/graph_weft]
//
// --quick: small shapes (bench/run.py --quick). Each run is a fresh page
// (and a fresh Node pool); a run's figure is the median of `reps` samples
// (runN(10): max(3, reps / 2)); the table gives the median over runs.
// native: the run phase of graph_weft (one build, `reps` runs; its node is
// a counter increment). Prints a markdown table and one JSON line per row.
import { fileURLToPath } from 'node:url';
import { createPool } from '../../js/src/index.js';
import { GRAPH_TASKS, QUICK_SHAPES, SHAPES, measureGraph } from './browser/graph.js';
import { TEST_WASM } from './browser/stats.js';
import { chromiumSession, chromeVersion, median, nativeGraph, parseOptions } from './bench_common.mjs';

const o = parseOptions('browser_graph', { workers: 2, reps: 15, runs: 3, quick: false,
  native: fileURLToPath(new URL('../../build-jsbench/bench/graph/graph_weft', import.meta.url)) },
process.argv.slice(2));
const counts = [...new Set([1, o.workers])];
const shapes = o.quick ? QUICK_SHAPES : SHAPES;

const results = []; // { where, run, ...row of measureGraph }
const session = await chromiumSession();
let info;
try {
  for (let run = 0; run < o.runs; run++) {
    info = await session.measure('weftGraphBench', { workers: counts, shapes, reps: o.reps });
    for (const r of info.rows) results.push({ where: 'chromium', run, ...r });
    for (const w of counts) {
      const built = []; // [shape, its build row]
      const pool = await createPool({ wasm: TEST_WASM, workers: w, tasks: GRAPH_TASKS });
      try {
        for (const shape of shapes) {
          const rows = await measureGraph(pool, shape, o.reps);
          for (const r of rows) results.push({ where: 'node', run, ...r });
          built.push([shape, rows[0]]);
        }
      } finally {
        await pool.destroy();
      }
      for (const [{ bench, n, task }, { n: nodes, edges }] of built) {
        const ms = task === 'nop' ? nativeGraph(o.native, bench, n, w, o.reps) : null;
        if (ms !== null)
          results.push({ where: 'native', run, bench, n: nodes, edges, task: 'counter', workers: w, phase: 'run',
            reps: o.reps, median_ms: ms, mnodes_per_s: nodes / ms / 1000 });
      }
    }
  }
} finally {
  await session.close();
}

// One row per (where, shape, workers, phase): medians over runs.
const summary = [];
const key = (r) => `${r.bench}/${r.n}/${r.workers}/${r.phase}`;
for (const where of ['chromium', 'node', 'native']) {
  const groups = new Map();
  for (const r of results.filter((x) => x.where === where)) {
    const k = `${key(r)}/${r.task}`;
    groups.set(k, [...(groups.get(k) || []), r]);
  }
  for (const rs of groups.values()) {
    const { bench, n, edges, task, workers, phase, reps } = rs[0];
    const ms = median(rs.map((r) => r.median_ms));
    summary.push({ bench, where, n, edges, task, workers, phase, reps, runs: rs.length, median_ms: +ms.toFixed(3),
      mnodes_per_s: +(n / ms / 1000).toFixed(2), per_run_ms: rs.map((r) => +r.median_ms.toFixed(2)) });
  }
}
for (const s of summary) {
  const nat = s.task === 'nop' && summary.find((x) => x.where === 'native' && key(x) === key(s));
  s.vs_native = nat ? +(s.median_ms / nat.median_ms).toFixed(2) : null;
  const one = s.workers !== 1 && s.phase !== 'build' &&
    summary.find((x) => x.where === s.where && x.task === s.task && key(x) === key({ ...s, workers: 1 }));
  s.speedup_vs_1w = one ? +(one.median_ms / s.median_ms).toFixed(2) : null;
}

console.log(`task graphs, ${o.reps} samples per figure (median; runN(10): ${Math.max(3, o.reps >> 1)}), median over ` +
  `${o.runs} runs; chromium ${chromeVersion(info.userAgent)} (${session.sched}), node ${process.versions.node}, ` +
  `${info.cores} cores reported`);
console.log('| where | bench | nodes | edges | node task | workers | phase | median ms | M nodes/s | vs native | vs 1 worker |');
console.log('| --- | --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |');
for (const s of summary)
  console.log(`| ${s.where} | ${s.bench} | ${s.n} | ${s.edges} | ${s.task} | ${s.workers} | ${s.phase} | ${s.median_ms} | ${
    s.mnodes_per_s} | ${s.vs_native ?? '-'} | ${s.speedup_vs_1w ?? '-'} |`);
for (const s of summary) console.log(JSON.stringify(s));
