// The task-graph measurement of bench/js/graph.mjs (Node) and
// bench/js/browser_graph.mjs (headless Chromium and Node), shared so both
// measure the same way. Shapes (those of bench/graph/graph_common.h,
// smaller): wavefront N x N ((i,j) after (i-1,j) and (i,j-1)), a chain, a
// binary tree (i -> 2i+1, 2i+2). Nodes are the C task 'nop'
// (csrc/graph_tasks.c) or the JavaScript task 'jnop' (GRAPH_TASKS).
import { median, warmUp } from './stats.js';

export const GRAPH_TASKS = new URL('../chain_tasks.mjs', import.meta.url);

// n: the shape's size argument (the side of a wavefront), as the native
// graph benchmark takes it.
export const SHAPES = [
  { bench: 'wavefront', n: 256, task: 'nop' },
  { bench: 'wavefront', n: 256, task: 'jnop' },
  { bench: 'wavefront', n: 512, task: 'nop' },
  { bench: 'chain', n: 200000, task: 'nop' },
  { bench: 'tree', n: (1 << 17) - 1, task: 'nop' },
];
// Small sizes (bench/run.py --quick).
export const QUICK_SHAPES = [
  { bench: 'wavefront', n: 128, task: 'nop' },
  { bench: 'wavefront', n: 128, task: 'jnop' },
  { bench: 'chain', n: 50000, task: 'nop' },
  { bench: 'tree', n: (1 << 14) - 1, task: 'nop' },
];

// Edges of a shape as two Uint32Arrays (every edge from a lower index).
export function shapeEdges(bench, n) {
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

// Builds one shape on `pool` and measures it: rows for the phases build
// (every g.add, one g.edges call, g.validate()), run (one await g.run() per
// sample, after warm-up runs (stats.js warmUp): the main thread's submit and wake-up
// included; `reps` samples) and runN(10) (one g.runN(10) per sample,
// divided by 10). Every run's node count is checked.
export async function measureGraph(pool, { bench, n, task }, reps) {
  const { nodes, from, to } = shapeEdges(bench, n);
  const t0 = performance.now();
  const g = pool.graph();
  try {
    for (let i = 0; i < nodes; i++) g.add(task);
    g.edges(from, to);
    g.validate();
    const buildMs = performance.now() - t0;
    const base = { bench, n: nodes, edges: from.length, task, workers: pool.workers };
    const row = (phase, samples, ms) =>
      ({ ...base, phase, reps: samples, median_ms: +ms.toFixed(3), mnodes_per_s: +(nodes / ms / 1000).toFixed(2) });
    const time = async (samples, runs) => {
      const ts = [];
      for (let i = 0; i < samples; i++) {
        const s = performance.now();
        const r = runs === 1 ? await g.run() : await g.runN(runs);
        ts.push((performance.now() - s) / runs);
        if (r.nodesRun !== runs * nodes) throw new Error(`${bench}: ran ${r.nodesRun} of ${runs * nodes} nodes`);
      }
      return median(ts);
    };
    await warmUp(() => g.run(), { minMs: 500 }); // until the optimizing tier is in
    const rows = [row('build', 1, buildMs), row('run', reps, await time(reps, 1))];
    const tens = Math.max(3, reps >> 1);
    rows.push(row('runN(10)', tens, await time(tens, 10)));
    return rows;
  } finally {
    g.destroy();
  }
}
