// Word indices of the control array shared by bench/js/ceiling.mjs and its
// raw workers (raw_worker.mjs), and the operations.
export const C = {
  BELL: 0, OP: 1, PUB: 2, NEXT: 3, DONE: 4, TARGET: 5, BATCH: 6, NB: 7, GEN: 8, PARTS: 9, WORDS: 16,
  IDLE: 0, ITEMS: 1, AXPY_CONST: 2, AXPY_ARGS: 3, SUM_CONST: 4, SUM_ARGS: 5, EXIT: 9,
};
