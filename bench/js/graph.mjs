// Task graphs in wasm: nodes per second of graphs built once and run
// repeatedly from the main thread, at 1 and 2 workers.
//   node bench/js/graph.mjs [reps] [native graph_weft path]
// Shapes (those of bench/graph/graph_common.h, smaller): wavefront 256x256
// and 512x512 ((i,j) after (i-1,j) and (i,j-1)), a chain of 200,000, a
// binary tree of 2^17 - 1 nodes (i -> 2i+1, 2i+2). Nodes are the C task
// 'nop' (csrc/graph_tasks.c); the 256x256 wavefront also with the
// JavaScript task 'jnop'. Phases: build (add every node, then all edges in
// one edges() call, then validate), run (one await g.run() per sample: the
// main thread's submit and wake-up included), runN (g.runN(10) per sample,
// divided by 10). If the native graph benchmark binary is given (or found
// at build-jsbench/bench/graph/graph_weft), it runs the same shapes for a
// wasm/native ratio of the run phase.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createPool } from '../../js/src/index.js';

const reps = +(process.argv[2] || 15);
const nativeBin = process.argv[3] || new URL('../../build-jsbench/bench/graph/graph_weft', import.meta.url).pathname;
const TASKS = new URL('./chain_tasks.mjs', import.meta.url);

const shapes = [
  { bench: 'wavefront', n: 256, task: 'nop' },
  { bench: 'wavefront', n: 256, task: 'jnop' },
  { bench: 'wavefront', n: 512, task: 'nop' },
  { bench: 'chain', n: 200000, task: 'nop' },
  { bench: 'tree', n: (1 << 17) - 1, task: 'nop' },
];

// Edges of a shape as two Uint32Arrays (every edge from a lower index).
function shapeEdges(bench, n) {
  const from = [], to = [];
  if (bench === 'wavefront') {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = i * n + j;
        if (i > 0) { from.push(v - n); to.push(v); }
        if (j > 0) { from.push(v - 1); to.push(v); }
      }
    return { nodes: n * n, from: Uint32Array.from(from), to: Uint32Array.from(to) };
  }
  if (bench === 'chain') {
    const f = new Uint32Array(n - 1).map((_, i) => i);
    return { nodes: n, from: f, to: f.map((i) => i + 1) };
  }
  for (let i = 0; 2 * i + 1 < n; i++) {
    from.push(i); to.push(2 * i + 1);
    if (2 * i + 2 < n) { from.push(i); to.push(2 * i + 2); }
  }
  return { nodes: n, from: Uint32Array.from(from), to: Uint32Array.from(to) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const rows = [];
function report(r) {
  rows.push(r);
  console.log(JSON.stringify(r));
}

function native(bench, n, workers) {
  if (!existsSync(nativeBin)) return null;
  const out = execFileSync(nativeBin, [bench, String(n), String(workers), '1'],
    { encoding: 'utf8', env: { ...process.env, GB_RUNS: String(reps) } });
  const runs = out.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.phase === 'run');
  return median(runs.map((r) => r.ms));
}

for (const workers of [1, 2]) {
  const pool = await createPool({ workers, tasks: TASKS });
  for (const { bench, n, task } of shapes) {
    const { nodes, from, to } = shapeEdges(bench, n);
    const t0 = performance.now();
    const g = pool.graph();
    for (let i = 0; i < nodes; i++) g.add(task);
    g.edges(from, to);
    g.validate();
    const buildMs = performance.now() - t0;
    const base = { bench, n: nodes, edges: from.length, task, workers };
    report({ ...base, phase: 'build', reps: 1, median_ms: +buildMs.toFixed(3), mnodes_per_s: +(nodes / buildMs / 1000).toFixed(2) });
    for (let i = 0; i < 3; i++) await g.run(); // warm-up (tier-up)
    const one = [];
    for (let i = 0; i < reps; i++) {
      const s = performance.now();
      const r = await g.run();
      one.push(performance.now() - s);
      if (r.nodesRun !== nodes) throw new Error(`${bench}: ran ${r.nodesRun} of ${nodes}`);
    }
    const m = median(one);
    const nat = task === 'nop' ? native(bench, n, workers) : null;
    report({ ...base, phase: 'run', reps, median_ms: +m.toFixed(3), mnodes_per_s: +(nodes / m / 1000).toFixed(2),
      native_ms: nat === null ? null : +nat.toFixed(3), wasm_vs_native: nat === null ? null : +(m / nat).toFixed(2) });
    const ten = [];
    for (let i = 0; i < Math.max(3, reps >> 1); i++) {
      const s = performance.now();
      const r = await g.runN(10);
      ten.push((performance.now() - s) / 10);
      if (r.nodesRun !== 10 * nodes) throw new Error(`${bench}: runN ran ${r.nodesRun}`);
    }
    const m10 = median(ten);
    report({ ...base, phase: 'runN(10)', reps: ten.length, median_ms: +m10.toFixed(3), mnodes_per_s: +(nodes / m10 / 1000).toFixed(2) });
    g.destroy();
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
