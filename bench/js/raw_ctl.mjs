// Word indices of the control array shared by bench/js/ceiling.mjs and its
// raw workers (raw_worker.mjs; bench/js/browser/loops.js and raw_worker.js
// too), and the operations.
export const C = {
  BELL: 0, OP: 1, PUB: 2, NEXT: 3, DONE: 4, TARGET: 5, BATCH: 6, NB: 7, GEN: 8, PARTS: 9, WORDS: 16,
  IDLE: 0, ITEMS: 1, AXPY_CONST: 2, AXPY_ARGS: 3, SUM_CONST: 4, SUM_ARGS: 5, EXIT: 9,
};

// Resolves once ctl[C.DONE] is `target` (the main thread's wait for a run of
// the raw workers: Atomics.waitAsync, never blocking).
export async function doneAt(ctl, target) {
  for (;;) {
    const d = Atomics.load(ctl, C.DONE);
    if (d === target) return;
    const w = Atomics.waitAsync(ctl, C.DONE, d);
    if (w.async) await w.value;
  }
}
