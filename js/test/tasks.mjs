// JavaScript tasks for the test suite: every exported function is a task.

export function jfib(ctx, n) {
  if (n < 2) return n;
  ctx.spawn('jfib', n - 1);
  const b = jfib(ctx, n - 2);
  return ctx.sync() + b;
}

// Sum of fib(i) for i < n, each computed by the C task 'fib'.
export function sumfib(ctx, n) {
  for (let i = 0; i < n; i++) ctx.spawn('fib', i);
  let s = 0;
  for (let i = 0; i < n; i++) s += ctx.sync();
  return s;
}

// Fills view[lo, hi) with value*index, splitting in halves; returns the count.
export function fill(ctx, view, value, lo = 0, hi = view.length) {
  if (hi - lo <= 64) {
    for (let i = lo; i < hi; i++) view[i] = value * i;
    return hi - lo;
  }
  const mid = (lo + hi) >>> 1;
  ctx.spawn('fill', view, value, mid, hi);
  const a = fill(ctx, view, value, lo, mid);
  return a + ctx.sync();
}

// Records which worker ran each leaf: view[i] = worker index + 1.
export function who(ctx, view, lo, hi) {
  if (hi - lo <= 1) {
    let x = 0;
    for (let k = 0; k < 20000; k++) x += Math.sqrt(k);
    view[lo] = ctx.worker + 1;
    return x > 0 ? 1 : 0;
  }
  const mid = (lo + hi) >>> 1;
  ctx.spawn('who', view, lo, mid);
  const b = who(ctx, view, mid, hi);
  return ctx.sync() + b;
}

export function boom(ctx, n) {
  throw new RangeError(`boom ${n}`);
}

// A tree of n leaves where leaf `bad` throws; the others count themselves.
export function tree_with_error(ctx, n, bad, base = 0) {
  if (n === 1) {
    if (base === bad) throw new Error(`leaf ${base} failed`);
    return 1;
  }
  const h = n >>> 1;
  ctx.spawn('tree_with_error', h, bad, base);
  const b = tree_with_error(ctx, n - h, bad, base + h);
  return ctx.sync() + b;
}

export function jadd(ctx, a, b) {
  return a + b;
}

export function returns_promise(ctx) {
  return Promise.resolve(1);
}

export function bad_spawn(ctx) {
  ctx.spawn('no_such_task', 1);
  return 0;
}

// The running worker's wasm stack pointer and index, packed as
// sp * 1024 + worker (where workers' stacks live; _rt is internal), after a
// little work so that a batch of these spreads over the workers.
export function stack_probe(ctx) {
  let x = 0;
  for (let k = 0; k < 20000; k++) x += Math.sqrt(k);
  return x > 0 ? ctx._rt.ex.__stack_pointer.value * 1024 + ctx.worker : -1;
}

// ---- loops (pool.for / pool.reduce / ctx.for / ctx.reduce): (ctx, lo, hi, ...args)

// y[i] += a * x[i] for i in [lo, hi)
export function axpy(ctx, lo, hi, a, x, y) {
  for (let i = lo; i < hi; i++) y[i] += a * x[i];
}

// The sum of x[lo, hi).
export function sum_range(ctx, lo, hi, x) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += x[i];
  return s;
}

// Marks each item: seen[i] += 1 (a loop must call every item exactly once);
// returns the chunk's length.
export function mark(ctx, lo, hi, seen) {
  for (let i = lo; i < hi; i++) seen[i] += 1;
  return hi - lo;
}

// Records each chunk: chunks[2k], chunks[2k+1] = lo, hi (k from the counter chunks[0]... see test).
export function log_chunk(ctx, lo, hi, log) {
  const k = Atomics.add(log, 0, 1);
  log[1 + 2 * k] = lo;
  log[2 + 2 * k] = hi;
  return hi - lo;
}

// Throws in the chunk that holds item `bad`.
export function throws_at(ctx, lo, hi, bad) {
  if (bad >= lo && bad < hi) throw new RangeError(`item ${bad} is bad`);
  return hi - lo;
}

// An order-sensitive combine (not associative): shows the combine tree.
export function mix(ctx, a, b) {
  return (a * 7 + b) % 1000003;
}

// A chunk's "hash" for mix: lo * 3 + hi.
export function lohi(ctx, lo, hi) {
  return lo * 3 + hi;
}

// A task that runs loops inside itself: fills v[i] = i * k by ctx.for, then
// returns the sum by ctx.reduce (each over [0, v.length)).
export function nested_loops(ctx, v, k, grain) {
  ctx.for('scale_idx', 0, v.length, { grain }, v, k);
  return ctx.reduce('sum_range', 0, v.length, { grain }, v);
}

export function scale_idx(ctx, lo, hi, v, k) {
  for (let i = lo; i < hi; i++) v[i] = i * k;
}

// A task whose nested loop has a chunk that throws.
export function nested_throw(ctx, n, bad) {
  ctx.for('throws_at', 0, n, undefined, bad);
  return 1;
}

// map over columns
export function sq(ctx, x) {
  return x * x;
}
export function lin3(ctx, a, b, c) {
  return a * 100 + b * 10 + c;
}

// Map tasks whose results are not numbers (converted as a task's result is)
// and one that throws at a given item: mapColumns tests.
export function odd_result(ctx, a, b) {
  const k = (a + b) % 4;
  return k === 0 ? a > b : k === 1 ? undefined : k === 2 ? BigInt(a) : a * b;
}
export function throws_item(ctx, a, bad) {
  if (a === bad) throw new RangeError(`item ${a}`);
  return a + 1;
}
export function col5(ctx, a, b, c, d, e) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

// A chunk that keeps its worker busy for about `ms` and records which
// worker ran it (mark_worker: the halves of a loop reach a sleeping worker).
export function mark_worker(ctx, lo, hi, seen, ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
  for (let i = lo; i < hi; i++) seen[i] = ctx.worker + 1;
  return hi - lo;
}
