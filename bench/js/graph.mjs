// Task graphs in wasm: nodes per second of graphs built once and run
// repeatedly from the main thread, at 1 and 2 workers.
//   node bench/js/graph.mjs [reps] [native graph_weft path]
// Shapes and phases: SHAPES and measureGraph of browser/graph.js (shared
// with browser_graph.mjs, the same in headless Chromium): wavefront 256x256
// and 512x512, a chain of 200,000, a binary tree of 2^17 - 1 nodes, of the
// C task 'nop' (the 256x256 wavefront also of the JavaScript task 'jnop');
// build, run (one await g.run() per sample), runN(10). If the native graph
// benchmark binary is given (or found at build-jsbench/bench/graph/
// graph_weft), it runs the same shapes for a wasm/native ratio of the run
// phase.
import { createPool } from '../../js/src/index.js';
import { GRAPH_TASKS, SHAPES, measureGraph } from './browser/graph.js';
import { nativeGraph } from './bench_common.mjs';
import { TEST_WASM } from './browser/stats.js';

const reps = +(process.argv[2] || 15);
const nativeBin = process.argv[3] || new URL('../../build-jsbench/bench/graph/graph_weft', import.meta.url).pathname;

const rows = [];
for (const workers of [1, 2]) {
  const pool = await createPool({ wasm: TEST_WASM, workers, tasks: GRAPH_TASKS });
  for (const shape of SHAPES) {
    for (const r of await measureGraph(pool, shape, reps)) {
      if (r.phase === 'run') {
        const nat = shape.task === 'nop' ? nativeGraph(nativeBin, shape.bench, shape.n, workers, reps) : null;
        r.native_ms = nat === null ? null : +nat.toFixed(3);
        r.wasm_vs_native = nat === null ? null : +(r.median_ms / nat).toFixed(2);
      }
      rows.push(r);
      console.log(JSON.stringify(r));
    }
  }
  await pool.destroy();
}

console.log(`\nGraphs in wasm (Node ${process.version}), median of ${reps} runs per row\n`);
console.log('| bench | nodes | edges | node task | workers | phase | median ms | M nodes/s | native ms | wasm/native | 2w / 1w |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const one = rows.find((x) => x.bench === r.bench && x.n === r.n && x.task === r.task && x.phase === r.phase && x.workers === 1);
  const speedup = r.workers === 2 && one && r.phase !== 'build' ? (one.median_ms / r.median_ms).toFixed(2) : '-';
  console.log(`| ${r.bench} | ${r.n} | ${r.edges} | ${r.task} | ${r.workers} | ${r.phase} | ${r.median_ms} | ${r.mnodes_per_s} | ${
    r.native_ms ?? '-'} | ${r.wasm_vs_native ?? '-'} | ${speedup} |`);
}
