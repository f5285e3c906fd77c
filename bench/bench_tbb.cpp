/*
 * bench_tbb.cpp - the workloads with oneTBB: one task_group::run per spawn
 * point (no cutoff), task_group::wait at each sync point. Runs inside a
 * task_arena of W slots (the calling thread takes one), with
 * global_control(max_allowed_parallelism = W). The timed region is
 * task_arena::execute of the root.
 */
#include "common.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

namespace otbb = oneapi::tbb;

static otbb::task_arena *g_arena;
static otbb::global_control *g_parallelism;
static otbb::global_control *g_stack;

/* ------------------------------------------------------------------- fib */

static long fib_tbb(long n) {
  if (n < 2) return n;
  long x, y;
  otbb::task_group g;
  g.run([&x, n] { x = fib_tbb(n - 1); });
  y = fib_tbb(n - 2);
  g.wait();
  return x + y;
}

static void tbb_fib(long n, bench_result *r) {
  long v = 0;
  g_arena->execute([&] { v = fib_tbb(n); });
  r->value = (uint64_t)v;
}

/* --------------------------------------------------------------- nqueens */

static uint64_t nq_tbb(int n, int row, uint64_t board) {
  if (row == n) return 1;
  uint64_t counts[NQ_MAX_N];
  int k = 0;
  otbb::task_group g;
  for (int col = 0; col < n; col++) {
    if (!nq_ok(board, row, col)) continue;
    uint64_t child = nq_place(board, row, col);
    int i = k++;
    g.run([&counts, i, n, row, child] { counts[i] = nq_tbb(n, row + 1, child); });
  }
  g.wait();
  uint64_t count = 0;
  while (k > 0) count += counts[--k];
  return count;
}

static void tbb_nqueens(int n, bench_result *r) {
  uint64_t v = 0;
  g_arena->execute([&] { v = nq_tbb(n, 0, 0); });
  r->value = v;
}

/* ------------------------------------------------------------------ tree */

struct tree_res {
  uint64_t count;
  unsigned maxdepth;
};

static void tree_tbb(uint64_t h, unsigned depth, unsigned b0, tree_res *out) {
  unsigned k = tree_children(h, depth, b0);
  uint64_t count = 1;
  unsigned maxdepth = depth;
  if (k > 0) {
    tree_res small[TREE_M];
    tree_res *kids = k <= TREE_M ? small : (tree_res *)malloc(k * sizeof(tree_res));
    if (!kids) {
      fprintf(stderr, "tree: out of memory\n");
      exit(2);
    }
    otbb::task_group g;
    for (unsigned i = 0; i < k; i++) {
      uint64_t ch = tree_child_hash(h, i);
      g.run([kids, ch, i, depth, b0] { tree_tbb(ch, depth + 1, b0, &kids[i]); });
    }
    g.wait();
    for (unsigned i = k; i-- > 0;) {
      count += kids[i].count;
      if (kids[i].maxdepth > maxdepth) maxdepth = kids[i].maxdepth;
    }
    if (kids != small) free(kids);
  }
  out->count = count;
  out->maxdepth = maxdepth;
}

static void tbb_tree(unsigned b0, bench_result *r) {
  tree_res v = {0, 0};
  g_arena->execute([&] { tree_tbb(tree_root_hash(), 0, b0, &v); });
  r->value = v.count;
  r->aux = (long)v.maxdepth;
}

/* ------------------------------------------------------------------ sort */

static void merge_tbb(const int *a, size_t na, const int *b, size_t nb, int *out) {
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
  otbb::task_group g;
  g.run([a, ma, b, mb, out] { merge_tbb(a, ma, b, mb, out); });
  merge_tbb(a + ma + 1, na - ma - 1, b + mb, nb - mb, out + ma + mb + 1);
  g.wait();
}

static void msort_tbb(int *src, int *dst, size_t n, int to_dst) {
  if (n <= SORT_CUTOFF) {
    sort_quick(src, n);
    if (to_dst) memcpy(dst, src, n * sizeof(int));
    return;
  }
  size_t h = n / 2;
  otbb::task_group g;
  g.run([src, dst, h, to_dst] { msort_tbb(src, dst, h, !to_dst); });
  msort_tbb(src + h, dst + h, n - h, !to_dst);
  g.wait();
  if (to_dst)
    merge_tbb(src, h, src + h, n - h, dst);
  else
    merge_tbb(dst, h, dst + h, n - h, src);
}

static void tbb_sort(int *a, int *tmp, size_t n) {
  g_arena->execute([&] { msort_tbb(a, tmp, n, 0); });
}

/* ----------------------------------------------------------------- setup */

static int tbb_setup(int workers) {
  g_parallelism =
      new otbb::global_control(otbb::global_control::max_allowed_parallelism, (size_t)workers);
  /* Same stack size as weft's default worker stack (the tree is ~1700 deep). */
  g_stack = new otbb::global_control(otbb::global_control::thread_stack_size, 8u << 20);
  g_arena = new otbb::task_arena(workers);
  g_arena->initialize();
  return 0;
}

static void tbb_teardown(void) {
  delete g_arena;
  delete g_stack;
  delete g_parallelism;
}

int main(int argc, char **argv) {
  bench_impl impl;
  memset(&impl, 0, sizeof impl);
  impl.name = "tbb";
  impl.runtime = "oneTBB " TBB_VERSION_STRING;
  impl.setup = tbb_setup;
  impl.teardown = tbb_teardown;
  impl.fib = tbb_fib;
  impl.nqueens = tbb_nqueens;
  impl.tree = tbb_tree;
  impl.sort = tbb_sort;
  return bench_main(argc, argv, &impl);
}
