/*
 * kernels.h - the pure parts of the fork-join workloads, freestanding (only
 * <stdint.h>): the nqueens board and the tree's hashes, and the sequential
 * recursions over them. bench/common.h (every native benchmark) and
 * js/csrc/tasks.c (weft.wasm) include it, so both builds run the same code.
 */
#ifndef WEFT_BENCH_KERNELS_H
#define WEFT_BENCH_KERNELS_H

#include <stdint.h>

#define NQ_MAX_N 16
#define TREE_M 8 /* children of a non-root node that has children */
/* q = 0.124875: a non-root node has TREE_M children when its hash, read as a
 * uniform 64-bit integer, is below q * 2^64. Expected children 8q = 0.999. */
#define TREE_Q 0.124875
#define TREE_SEED 225u /* picked so the default tree is T3-like: 4169537 nodes, depth 1676 */

/* --------------------------------------------------------------- nqueens */

/* A board is one 64-bit word: the column of the queen on row r (r < row) is
 * (board >> 4r) & 15, so a child's arguments are scalars in every
 * implementation (n <= 16). Can a queen go on (row, col)? */
static inline int nq_ok(uint64_t board, int row, int col) {
  for (int r = 0; r < row; r++) {
    int p = (int)((board >> (4 * r)) & 15);
    int d = row - r;
    if (p == col || p - col == d || col - p == d) return 0;
  }
  return 1;
}

static inline uint64_t nq_place(uint64_t board, int row, int col) {
  return board | ((uint64_t)col << (4 * row));
}

/* Solutions below a board: the sequential recursion (every spawn a call). */
static inline uint64_t nq_rec(int n, int row, uint64_t board) {
  if (row == n) return 1;
  uint64_t count = 0;
  for (int col = 0; col < n; col++) {
    if (!nq_ok(board, row, col)) continue;
    count += nq_rec(n, row + 1, nq_place(board, row, col));
  }
  return count;
}

/* ------------------------------------------------------------------ tree */

/* A 64-bit mixer in the splitmix64 style: xor-shift / multiply rounds. */
static inline uint64_t tree_mix(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

static inline uint64_t tree_root_hash(void) { return tree_mix(TREE_SEED); }

/* Hash of child i (0-based) of a node with hash h. */
static inline uint64_t tree_child_hash(uint64_t h, unsigned i) {
  return tree_mix(h + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
}

/* Children of the node with hash h at depth d (root: d == 0). */
static inline unsigned tree_children(uint64_t h, unsigned d, unsigned b0) {
  /* q * 2^64, computed in double then converted: exact enough, and the same
   * constant everywhere. */
  const uint64_t threshold = (uint64_t)(TREE_Q * 18446744073709551616.0);
  if (d == 0) return b0;
  return h < threshold ? TREE_M : 0;
}

/* Nodes below h, and the deepest depth seen: the sequential recursion. */
static inline uint64_t tree_rec(uint64_t h, unsigned depth, unsigned b0, long *maxdepth) {
  unsigned k = tree_children(h, depth, b0);
  uint64_t count = 1;
  if ((long)depth > *maxdepth) *maxdepth = (long)depth;
  for (unsigned i = 0; i < k; i++) count += tree_rec(tree_child_hash(h, i), depth + 1, b0, maxdepth);
  return count;
}

#endif
