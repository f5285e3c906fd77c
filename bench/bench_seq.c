/*
 * bench_seq.c - the sequential baselines: the same recursions as the parallel
 * versions with every spawn replaced by a plain call and every sync removed.
 */
#include "common.h"

/* ------------------------------------------------------------------- fib */

static long fib_rec(long n) {
  if (n < 2) return n;
  long x = fib_rec(n - 1);
  long y = fib_rec(n - 2);
  return x + y;
}

static void seq_fib(long n, bench_result *r) { r->value = (uint64_t)fib_rec(n); }

/* ------------------------------------------------- nqueens, tree (kernels.h) */

static void seq_nqueens(int n, bench_result *r) { r->value = nq_rec(n, 0, 0); }

static void seq_tree(unsigned b0, bench_result *r) {
  long maxdepth = 0;
  r->value = tree_rec(tree_root_hash(), 0, b0, &maxdepth);
  r->aux = maxdepth;
}

/* ------------------------------------------------------------------ sort */

static void merge_rec(const int *a, size_t na, const int *b, size_t nb, int *out) {
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
  merge_rec(a, ma, b, mb, out);
  merge_rec(a + ma + 1, na - ma - 1, b + mb, nb - mb, out + ma + mb + 1);
}

static void msort_rec(int *src, int *dst, size_t n, int to_dst) {
  if (n <= SORT_CUTOFF) {
    sort_quick(src, n);
    if (to_dst) memcpy(dst, src, n * sizeof(int));
    return;
  }
  size_t h = n / 2;
  msort_rec(src, dst, h, !to_dst);
  msort_rec(src + h, dst + h, n - h, !to_dst);
  if (to_dst)
    merge_rec(src, h, src + h, n - h, dst);
  else
    merge_rec(dst, h, dst + h, n - h, src);
}

static void seq_sort(int *a, int *tmp, size_t n) { msort_rec(a, tmp, n, 0); }

int main(int argc, char **argv) {
  bench_impl impl;
  memset(&impl, 0, sizeof impl);
  impl.name = "seq";
  impl.runtime = "none";
  impl.fib = seq_fib;
  impl.nqueens = seq_nqueens;
  impl.tree = seq_tree;
  impl.sort = seq_sort;
  return bench_main(argc, argv, &impl);
}
