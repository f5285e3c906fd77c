/*
 * weft_kernels.h - the nqueens and tree workloads as weft typed tasks, for
 * bench/bench_weft.c (native) and js/csrc/tasks.c (weft.wasm): one source,
 * so bench/js compares the same code in both builds. Include after weft.h.
 */
#ifndef WEFT_BENCH_WEFT_KERNELS_H
#define WEFT_BENCH_WEFT_KERNELS_H

#include "kernels.h"

WEFT_TASK_3(uint64_t, pnq, int, n, int, row, uint64_t, board) {
  if (row == n) return 1;
  int k = 0;
  for (int col = 0; col < n; col++) {
    if (!nq_ok(board, row, col)) continue;
    pnq_spawn(w, n, row + 1, nq_place(board, row, col));
    k++;
  }
  uint64_t count = 0;
  while (k-- > 0) count += pnq_sync(w);
  return count;
}

typedef struct {
  uint64_t count;
  uint32_t maxdepth;
} tree_res;

WEFT_TASK_3(tree_res, ptree, uint64_t, hash, uint32_t, depth, uint32_t, b0) {
  unsigned k = tree_children(hash, depth, b0);
  tree_res r = {1, depth};
  /* Arguments live in the frames, so even the root's 2000 children need no
   * array of their own. */
  for (unsigned i = 0; i < k; i++) ptree_spawn(w, tree_child_hash(hash, i), depth + 1, b0);
  for (unsigned i = 0; i < k; i++) {
    tree_res c = ptree_sync(w);
    r.count += c.count;
    if (c.maxdepth > r.maxdepth) r.maxdepth = c.maxdepth;
  }
  return r;
}

#endif
