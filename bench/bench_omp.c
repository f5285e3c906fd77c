/*
 * bench_omp.c - the workloads with OpenMP tasks: one `omp task` per spawn
 * point (no if/final clause, no cutoff), `omp taskwait` at each sync point.
 * The root runs inside `omp parallel` + `omp single`; the timed region is the
 * whole parallel region (like weft_run, it includes waking the team).
 *
 * The same source is built twice: with gcc (libgomp) as bench_omp_gcc and,
 * when available, with clang -fopenmp=libomp as bench_omp_clang.
 */
#include "common.h"

#include <omp.h>

/* ------------------------------------------------------------------- fib */

static long fib_omp(long n) {
  if (n < 2) return n;
  long x, y;
#pragma omp task shared(x)
  x = fib_omp(n - 1);
  y = fib_omp(n - 2);
#pragma omp taskwait
  return x + y;
}

static void omp_fib(long n, bench_result *r) {
  long v = 0;
#pragma omp parallel
#pragma omp single
  v = fib_omp(n);
  r->value = (uint64_t)v;
}

/* --------------------------------------------------------------- nqueens */

static uint64_t nq_omp(int n, int row, uint64_t board) {
  if (row == n) return 1;
  uint64_t counts[NQ_MAX_N];
  int k = 0;
  for (int col = 0; col < n; col++) {
    if (!nq_ok(board, row, col)) continue;
    uint64_t child = nq_place(board, row, col);
    int i = k++;
#pragma omp task shared(counts) firstprivate(i, n, row, child)
    counts[i] = nq_omp(n, row + 1, child);
  }
#pragma omp taskwait
  uint64_t count = 0;
  while (k > 0) count += counts[--k];
  return count;
}

static void omp_nqueens(int n, bench_result *r) {
  uint64_t v = 0;
#pragma omp parallel
#pragma omp single
  v = nq_omp(n, 0, 0);
  r->value = v;
}

/* ------------------------------------------------------------------ tree */

typedef struct {
  uint64_t count;
  unsigned maxdepth;
} tree_res;

static void tree_omp(uint64_t h, unsigned depth, unsigned b0, tree_res *out) {
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
    for (unsigned i = 0; i < k; i++) {
      uint64_t ch = tree_child_hash(h, i);
#pragma omp task firstprivate(ch, i, depth, b0) shared(kids)
      tree_omp(ch, depth + 1, b0, &kids[i]);
    }
#pragma omp taskwait
    for (unsigned i = k; i-- > 0;) {
      count += kids[i].count;
      if (kids[i].maxdepth > maxdepth) maxdepth = kids[i].maxdepth;
    }
    if (kids != small) free(kids);
  }
  out->count = count;
  out->maxdepth = maxdepth;
}

static void omp_tree(unsigned b0, bench_result *r) {
  tree_res v = {0, 0};
#pragma omp parallel
#pragma omp single
  tree_omp(tree_root_hash(), 0, b0, &v);
  r->value = v.count;
  r->aux = (long)v.maxdepth;
}

/* ------------------------------------------------------------------ sort */

static void merge_omp(const int *a, size_t na, const int *b, size_t nb, int *out) {
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
#pragma omp task firstprivate(a, ma, b, mb, out)
  merge_omp(a, ma, b, mb, out);
  merge_omp(a + ma + 1, na - ma - 1, b + mb, nb - mb, out + ma + mb + 1);
#pragma omp taskwait
}

static void msort_omp(int *src, int *dst, size_t n, int to_dst) {
  if (n <= SORT_CUTOFF) {
    sort_quick(src, n);
    if (to_dst) memcpy(dst, src, n * sizeof(int));
    return;
  }
  size_t h = n / 2;
#pragma omp task firstprivate(src, dst, h, to_dst)
  msort_omp(src, dst, h, !to_dst);
  msort_omp(src + h, dst + h, n - h, !to_dst);
#pragma omp taskwait
  if (to_dst)
    merge_omp(src, h, src + h, n - h, dst);
  else
    merge_omp(dst, h, dst + h, n - h, src);
}

static void omp_sort(int *a, int *tmp, size_t n) {
#pragma omp parallel
#pragma omp single
  msort_omp(a, tmp, n, 0);
}

/* ----------------------------------------------------------------- setup */

static int omp_setup(int workers) {
  omp_set_dynamic(0);
  omp_set_num_threads(workers);
  int team = 0;
#pragma omp parallel
  {
#pragma omp single
    team = omp_get_num_threads();
  }
  if (team != workers) {
    fprintf(stderr, "omp: asked for %d threads, got %d\n", workers, team);
    return -1;
  }
  return 0;
}

#if defined(__clang__)
#define OMP_RUNTIME "libomp (LLVM OpenMP " WEFT_BENCH_STR(_OPENMP) ")"
#elif defined(__GNUC__)
#define OMP_RUNTIME "libgomp (GNU OpenMP " WEFT_BENCH_STR(_OPENMP) ")"
#else
#define OMP_RUNTIME "OpenMP " WEFT_BENCH_STR(_OPENMP)
#endif

#ifndef BENCH_OMP_NAME
#if defined(__clang__)
#define BENCH_OMP_NAME "omp-clang"
#else
#define BENCH_OMP_NAME "omp"
#endif
#endif

int main(int argc, char **argv) {
  bench_impl impl;
  memset(&impl, 0, sizeof impl);
  impl.name = BENCH_OMP_NAME;
  impl.runtime = OMP_RUNTIME;
  impl.setup = omp_setup;
  impl.fib = omp_fib;
  impl.nqueens = omp_nqueens;
  impl.tree = omp_tree;
  impl.sort = omp_sort;
  return bench_main(argc, argv, &impl);
}
