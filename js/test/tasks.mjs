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
