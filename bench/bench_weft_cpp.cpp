/*
 * bench_weft_cpp.cpp - the workloads with include/weft.hpp: weft::spawn of
 * lambdas and handle.sync(), one spawn per spawn point of the sequential
 * algorithm, as bench_weft.c. fib is the README's; its time against
 * bench_weft's (WEFT_TASK_1) is the cost of the C++ layer per spawn.
 *
 * The task functions are noexcept and the lambdas capture arguments computed
 * at the spawn ([m = n - 1]); why both matter: the comment at the top of
 * include/weft.hpp.
 *
 * Variable fan-out (nqueens, tree): a handle can neither be copied nor
 * moved, so each child's handle lives in one level of a small recursion
 * (spawn this child, recurse for the next, sync on the way back): the same
 * spawns in the same order, synced in reverse, as the C version's loops.
 */
#include "common.h"

#include <weft.hpp>

static weft::pool *g_pool;

/* ------------------------------------------------------------------- fib */

static long fib(weft::worker *w, long n) noexcept {
  if (n < 2) return n;
  auto x = weft::spawn(w, [m = n - 1](weft::worker *w) { return fib(w, m); });
  long y = fib(w, n - 2);
  return x.sync() + y;
}

static void cpp_fib(long n, bench_result *r) {
  r->value = (uint64_t)g_pool->run([n](weft::worker *w) { return fib(w, n); });
}

/* --------------------------------------------------------------- nqueens */

static uint64_t nq(weft::worker *w, int n, int row, uint64_t board) noexcept;

/* Spawns the legal placements in row `row` from column `col` on. */
static uint64_t nq_cols(weft::worker *w, int n, int row, uint64_t board, int col) noexcept {
  while (col < n && !nq_ok(board, row, col)) col++;
  if (col == n) return 0;
  uint64_t child = nq_place(board, row, col);
  auto x = weft::spawn(w, [n, row, child](weft::worker *w) { return nq(w, n, row + 1, child); });
  uint64_t rest = nq_cols(w, n, row, board, col + 1);
  return x.sync() + rest;
}

static uint64_t nq(weft::worker *w, int n, int row, uint64_t board) noexcept {
  return row == n ? 1 : nq_cols(w, n, row, board, 0);
}

static void cpp_nqueens(int n, bench_result *r) {
  r->value = g_pool->run([n](weft::worker *w) { return nq(w, n, 0, 0); });
}

/* ------------------------------------------------------------------ tree */

struct tree_res {
  uint64_t count;
  uint32_t maxdepth;
};

static tree_res tree(weft::worker *w, uint64_t hash, uint32_t depth, uint32_t b0) noexcept;

static tree_res tree_kids(weft::worker *w, uint64_t hash, uint32_t depth, uint32_t b0, unsigned i,
                          unsigned k) noexcept {
  if (i == k) return tree_res{0, 0};
  uint64_t ch = tree_child_hash(hash, i);
  auto x = weft::spawn(w, [ch, depth, b0](weft::worker *w) { return tree(w, ch, depth + 1, b0); });
  tree_res rest = tree_kids(w, hash, depth, b0, i + 1, k);
  tree_res c = x.sync();
  rest.count += c.count;
  if (c.maxdepth > rest.maxdepth) rest.maxdepth = c.maxdepth;
  return rest;
}

static tree_res tree(weft::worker *w, uint64_t hash, uint32_t depth, uint32_t b0) noexcept {
  unsigned k = tree_children(hash, depth, b0);
  if (k == 0) return tree_res{1, depth};
  tree_res r = tree_kids(w, hash, depth, b0, 0, k);
  r.count += 1;
  if (depth > r.maxdepth) r.maxdepth = depth;
  return r;
}

static void cpp_tree(unsigned b0, bench_result *r) {
  tree_res v = g_pool->run([b0](weft::worker *w) { return tree(w, tree_root_hash(), 0, b0); });
  r->value = v.count;
  r->aux = (long)v.maxdepth;
}

/* ------------------------------------------------------------------ sort */

static void merge(weft::worker *w, const int *a, size_t na, const int *b, size_t nb, int *out) noexcept {
  if (na + nb <= MERGE_CUTOFF) {
    sort_merge_seq(a, na, b, nb, out);
    return;
  }
  if (na < nb) {
    const int *t = a;
    a = b;
    b = t;
    size_t tn = na;
    na = nb;
    nb = tn;
  }
  size_t ma = na / 2;
  size_t mb = sort_lower_bound(b, nb, a[ma]);
  out[ma + mb] = a[ma];
  auto x = weft::spawn(w, [a, ma, b, mb, out](weft::worker *w) { merge(w, a, ma, b, mb, out); });
  merge(w, a + ma + 1, na - ma - 1, b + mb, nb - mb, out + ma + mb + 1);
  x.sync();
}

static void msort(weft::worker *w, int *src, int *dst, size_t n, int to_dst) noexcept {
  if (n <= SORT_CUTOFF) {
    sort_quick(src, n);
    if (to_dst) memcpy(dst, src, n * sizeof(int));
    return;
  }
  size_t h = n / 2;
  auto x = weft::spawn(w, [src, dst, h, to_dst](weft::worker *w) { msort(w, src, dst, h, !to_dst); });
  msort(w, src + h, dst + h, n - h, !to_dst);
  x.sync();
  if (to_dst)
    merge(w, src, h, src + h, n - h, dst);
  else
    merge(w, dst, h, dst + h, n - h, src);
}

static void cpp_sort(int *a, int *tmp, size_t n) {
  g_pool->run([a, tmp, n](weft::worker *w) { msort(w, a, tmp, n, 0); });
}

/* ------------------------------------------------------------ pool/stats */

static int cpp_setup(int workers) {
  try {
    g_pool = new weft::pool((unsigned)workers);
  } catch (const weft::error &e) {
    fprintf(stderr, "weft::pool(%d): %s\n", workers, e.what());
    return -1;
  }
  return 0;
}

static void cpp_teardown(void) { delete g_pool; }

static weft::worker_stats g_before;

static void cpp_stats_begin(void) { g_before = g_pool->stats(); }

static void cpp_stats_end(char *buf, size_t len) {
  weft::worker_stats s = g_pool->stats();
  snprintf(buf, len, ",\"spawns\":%llu,\"steals\":%llu,\"leapfrogs\":%llu,\"sleeps\":%llu",
           (unsigned long long)(s.spawns - g_before.spawns),
           (unsigned long long)(s.steals - g_before.steals),
           (unsigned long long)(s.leapfrogs - g_before.leapfrogs),
           (unsigned long long)(s.sleeps - g_before.sleeps));
}

int main(int argc, char **argv) {
  bench_impl impl;
  memset(&impl, 0, sizeof impl);
  impl.name = "weft-cpp";
  impl.runtime = "weft " WEFT_BENCH_STR(WEFT_VERSION_MAJOR) "." WEFT_BENCH_STR(
      WEFT_VERSION_MINOR) " (weft.hpp)";
  impl.setup = cpp_setup;
  impl.teardown = cpp_teardown;
  impl.fib = cpp_fib;
  impl.nqueens = cpp_nqueens;
  impl.tree = cpp_tree;
  impl.sort = cpp_sort;
  impl.stats_begin = cpp_stats_begin;
  impl.stats_end = cpp_stats_end;
  return bench_main(argc, argv, &impl);
}
