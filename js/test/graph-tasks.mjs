// JavaScript tasks for the graph tests (graph.test.mjs): every exported
// function is a task.

// The JavaScript twin of the C task 'stamp' (csrc/graph_tasks.c): tickets
// from the counter seq[0] at the start (seq[1 + 2 node]) and at the end
// (seq[2 + 2 node]), with `spin` rounds of work between them.
export function jstamp(ctx, seq, node, spin) {
  const start = Atomics.add(seq, 0, 1) + 1;
  let x = 0;
  for (let i = 0; i < spin; i++) x += i;
  Atomics.store(seq, 1 + 2 * node, start);
  Atomics.store(seq, 2 + 2 * node, Atomics.add(seq, 0, 1) + 1);
  return x >= 0 ? start : -1;
}

// Throws while flag[0] is non-zero; otherwise stamps like jstamp.
export function jflaky(ctx, flag, seq, node) {
  if (Atomics.load(flag, 0)) throw new RangeError(`flaky node ${node}`);
  return jstamp(ctx, seq, node, 0);
}

// Works until the run is cancelled, flag[0] is set, or `ms` passed; returns
// 1 if it saw the cancel.
export function jspin(ctx, flag, ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (ctx.cancelled) return 1;
    if (Atomics.load(flag, 0)) return 0;
  }
  return 0;
}

// runUntil's predicate: stop once `limit` runs are done.
export function untilK(ctx, limit, completed) {
  return completed >= limit ? 1 : 0;
}

export function untilThrows(ctx, completed) {
  if (completed === 2) throw new TypeError('predicate gave up');
  return 0;
}

export function jsquare(ctx, x) {
  return x * x;
}

export function jfib(ctx, n) {
  if (n < 2) return n;
  ctx.spawn('jfib', n - 1);
  const b = jfib(ctx, n - 2);
  return ctx.sync() + b;
}

// Builds, inside this task, a chain of n nodes (C 'stamp' and JavaScript
// 'jstamp' alternating) over seq, runs it `runs` times, checks it and
// destroys it. Returns the nodes run (n * runs) or throws.
export function subgraph(ctx, seq, n, runs) {
  const g = ctx.graph();
  try {
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const id = g.add(i % 2 ? 'jstamp' : 'stamp', seq, i, 50);
      if (prev >= 0) g.edge(prev, id);
      prev = id;
    }
    const r = g.runN(runs);
    if (r.iterations !== runs) throw new Error(`subgraph: ${r.iterations} iterations`);
    for (let i = 1; i < n; i++)
      if (!(seq[2 + 2 * (i - 1)] < seq[1 + 2 * i])) throw new Error(`subgraph: edge ${i - 1} -> ${i} out of order`);
    return r.nodesRun;
  } finally {
    g.destroy();
  }
}

// A subgraph with a failing node inside a task: returns the error's code
// and node as 1000 * node + status (the task itself catches it).
export function subgraphFails(ctx, status) {
  const g = ctx.graph();
  try {
    const a = g.add('nop');
    const b = g.add('fail', status);
    g.name(b, 'inner-bad');
    g.edge(a, b);
    try {
      g.run();
    } catch (e) {
      if (e.code !== 'ENODE_FAILED' || e.nodeName !== 'inner-bad') throw e;
      return 1000 * e.node + e.status;
    }
    return -1;
  } finally {
    g.destroy();
  }
}

// A subgraph whose node throws, not caught: the task's run fails with it.
export function subgraphThrows(ctx) {
  const g = ctx.graph();
  g.add('jboom', 3);
  try {
    return g.run().nodesRun;
  } finally {
    g.destroy();
  }
}

export function jboom(ctx, n) {
  throw new Error(`jboom ${n}`);
}

// Misuse inside a task: the errors a task gets for wrong arguments.
export function subgraphMisuse(ctx) {
  const g = ctx.graph();
  let n = 0;
  try {
    try { g.add('no_such_task'); } catch (e) { if (e instanceof TypeError) n++; }
    try { g.edge(0, 1); } catch (e) { if (e instanceof TypeError) n++; }
    try { g.runN(-1); } catch (e) { if (e instanceof TypeError) n++; }
    return n;
  } finally {
    g.destroy();
  }
}

// A node whose spawned child throws (the node itself returns normally).
export function spawnsBoom(ctx, n) {
  ctx.spawn('jboom', n);
  ctx.sync();
  return 5;
}
