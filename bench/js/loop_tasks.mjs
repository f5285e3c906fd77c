// JavaScript tasks of bench/js/loops.mjs and throughput.mjs (weft side).

// pool.for chunk: y[i] += a * x[i] over [lo, hi).
export function axpy(ctx, lo, hi, a, x, y) {
  for (let i = lo; i < hi; i++) y[i] += a * x[i];
}

// pool.reduce chunk: the sum of x[lo, hi).
export function sum(ctx, lo, hi, x) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += x[i];
  return s;
}

// An empty chunk: the cost of a chunk call itself.
export function nop_chunk(ctx, lo, hi) {}

// The tiny item of the throughput benchmark, as a JavaScript task.
export function jadd(ctx, a, b) {
  return a + b;
}

// An empty task (per-item cost).
export function jnop(ctx) {
  return 0;
}

// The tiny items' batch as a chunk task (pool.for): out[i] = a[i] + b[i]
// over [lo, hi), the loop written by hand as a message pool's worker does.
export function add_cols(ctx, lo, hi, a, b, out) {
  for (let i = lo; i < hi; i++) out[i] = a[i] + b[i];
}
