// A worker of bench/js/ceiling.mjs: no pool, no messages after start-up.
// Its arrays come in workerData and are module-level constants (V8 compiles
// loops over constant typed arrays best: docs/JS.md); work is handed out
// through a control word array on a SharedArrayBuffer (see ceiling.mjs).
import { workerData } from 'node:worker_threads';
import { C } from './raw_ctl.mjs';

const { index } = workerData;
const ctl = new Int32Array(workerData.ctl);
const res = new Float64Array(workerData.res);
const A = new Float64Array(workerData.a), B = new Float64Array(workerData.b), OUT = new Float64Array(workerData.out);
const X = new Float64Array(workerData.xs), Y = new Float64Array(workerData.ys);
const N = X.length;
// The arrays as the argument-taking loops get them: read from a mutable
// array at each call, so that TurboFan cannot fold them into constants even
// where it inlines the loop into part().
const ARGS = [X, Y];

// Tiny items: batch k of size `batch` covers items [(k % nb) batch, ...).
function items(k) {
  const batch = ctl[C.BATCH], nb = ctl[C.NB];
  const lo = (k % nb) * batch, hi = lo + batch;
  for (let i = lo; i < hi; i++) OUT[i] = A[i] + B[i];
}

// The same loops as functions of their arrays (what a pool worker that gets
// its arrays in a message, and weft's chunk task, runs).
function axpyArgs(lo, hi, a, x, y) {
  for (let i = lo; i < hi; i++) y[i] += a * x[i];
}
function sumArgs(lo, hi, x) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += x[i];
  return s;
}
function axpyConst(lo, hi, a) {
  for (let i = lo; i < hi; i++) Y[i] += a * X[i];
}
function sumConst(lo, hi) {
  let s = 0;
  for (let i = lo; i < hi; i++) s += X[i];
  return s;
}

function part(op, parts) {
  if (index >= parts) return;
  const lo = Math.floor((index * N) / parts), hi = Math.floor(((index + 1) * N) / parts);
  if (op === C.AXPY_CONST) axpyConst(lo, hi, 0.5);
  else if (op === C.AXPY_ARGS) axpyArgs(lo, hi, 0.5, ARGS[0], ARGS[1]);
  else if (op === C.SUM_CONST) res[index] = sumConst(lo, hi);
  else res[index] = sumArgs(lo, hi, ARGS[0]);
}

let gen = 0;
for (;;) {
  const bell = Atomics.load(ctl, C.BELL);
  const op = Atomics.load(ctl, C.OP);
  if (op === C.EXIT) break;
  if (op === C.ITEMS) {
    const k = Atomics.load(ctl, C.NEXT);
    if (k < Atomics.load(ctl, C.PUB)) {
      if (Atomics.compareExchange(ctl, C.NEXT, k, k + 1) === k) {
        items(k);
        if (Atomics.add(ctl, C.DONE, 1) + 1 === Atomics.load(ctl, C.TARGET)) Atomics.notify(ctl, C.DONE);
      }
      continue;
    }
  } else if (op !== C.IDLE && Atomics.load(ctl, C.GEN) !== gen) {
    gen = Atomics.load(ctl, C.GEN);
    part(op, ctl[C.PARTS]);
    if (Atomics.add(ctl, C.DONE, 1) + 1 === Atomics.load(ctl, C.TARGET)) Atomics.notify(ctl, C.DONE);
    continue;
  }
  Atomics.wait(ctl, C.BELL, bell);
}
