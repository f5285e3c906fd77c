/*
 * common.h - shared pieces of the weft benchmark binaries.
 *
 * Every implementation (seq, weft, omp, tbb) includes this header. It holds
 * everything that must be identical across implementations so that only the
 * parallel plumbing differs:
 *   - workload parameters and defaults,
 *   - the tree hash (UTS-like binomial tree),
 *   - the nqueens legality test,
 *   - the sequential sort / merge kernels used below the sort cutoffs,
 *   - input generation, checksums and self-checks,
 *   - the command-line driver, the clock and the JSON output.
 *
 * It is written in the common subset of C11 and C++ (the tbb binary is C++).
 *
 * Command line of every binary:
 *   bench_<impl> <bench> <n> <workers> <reps> [budget_seconds]
 *     bench    fib | nqueens | tree | sort
 *     n        problem size, 0 = default (fib 35, nqueens 13, tree 2000 root
 *              children, sort 10000000 elements)
 *     workers  worker threads, 0 = all online cores (ignored by seq)
 *     reps     timed repetitions
 *     budget   optional: stop after a repetition once the timed total plus
 *              one more repetition would exceed this many seconds (at least
 *              one repetition always runs)
 * Output: one JSON object per line per timed repetition:
 *   {"bench":..,"impl":..,"workers":..,"n":..,"rep":i,"ms":..,"result":..,...}
 * Exit status: 0 ok, 2 usage/setup error, 3 self-check failed.
 */
#ifndef WEFT_BENCH_COMMON_H
#define WEFT_BENCH_COMMON_H

#if !defined(_POSIX_C_SOURCE) && !defined(__cplusplus)
#define _POSIX_C_SOURCE 200809L /* clock_gettime, sysconf under -std=c11 */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#define NOMINMAX
#include <windows.h> /* GetSystemInfo: no sysconf core count there */
#endif

#include "kernels.h" /* the workloads' pure parts, shared with js/csrc/tasks.c */

/* ------------------------------------------------------------ parameters */

#define FIB_DEFAULT_N 35
#define NQ_DEFAULT_N 13
#define TREE_DEFAULT_B0 2000
#define SORT_DEFAULT_N 10000000L
#define SORT_CUTOFF 4096  /* sort leaves: sequential quicksort at or below this */
#define MERGE_CUTOFF 8192 /* merges of at most this many elements are sequential */
#define SORT_SEED 0x2545f4914f6cdd1dULL

/* ------------------------------------------------------------------ clock */

static inline double bench_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* ------------------------------------------------------------------- fib */

/* Reference value by iteration (used for the self-check). */
static inline uint64_t fib_reference(long n) {
  uint64_t a = 0, b = 1;
  for (long i = 0; i < n; i++) {
    uint64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

/* --------------------------------------------------------------- nqueens */

static inline uint64_t nq_reference(int n) {
  static const uint64_t known[NQ_MAX_N + 1] = {1,     1,      0,      0,       2,
                                               10,    4,      40,     92,      352,
                                               724,   2680,   14200,  73712,   365596,
                                               2279184, 14772512};
  return (n >= 0 && n <= NQ_MAX_N) ? known[n] : 0;
}

/* ------------------------------------------------------------------ tree */

/* ------------------------------------------------------------------ sort */

static inline uint64_t sort_rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x;
}

static inline void sort_fill(int *a, size_t n) {
  uint64_t s = SORT_SEED;
  for (size_t i = 0; i < n; i++) a[i] = (int)(uint32_t)(sort_rng_next(&s) >> 32);
}

/* Order-dependent checksum: equal for two arrays only if (with overwhelming
 * probability) they hold the same values in the same order. */
static inline uint64_t sort_checksum(const int *a, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint32_t)a[i]) * 0x100000001b3ULL;
  return h;
}

static inline int sort_is_sorted(const int *a, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (a[i - 1] > a[i]) return 0;
  return 1;
}

static inline void sort_insertion(int *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    int v = a[i];
    size_t j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
}

/* Sequential quicksort for the leaves (median of three, insertion sort for
 * short ranges, recursion on the smaller side). */
static void sort_quick(int *a, size_t n) {
  while (n > 24) {
    size_t m = n / 2;
    int x = a[0], y = a[m], z = a[n - 1];
    int p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    size_t i = 0, j = n - 1;
    for (;;) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i >= j) break;
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
      i++;
      j--;
    }
    /* [0, j] <= p <= [j+1, n) */
    size_t left = j + 1, right = n - left;
    if (left < right) {
      sort_quick(a, left);
      a += left;
      n = right;
    } else {
      sort_quick(a + left, right);
      n = left;
    }
  }
  sort_insertion(a, n);
}

static inline void sort_merge_seq(const int *a, size_t na, const int *b, size_t nb, int *out) {
  size_t i = 0, j = 0, k = 0;
  while (i < na && j < nb) out[k++] = (b[j] < a[i]) ? b[j++] : a[i++];
  while (i < na) out[k++] = a[i++];
  while (j < nb) out[k++] = b[j++];
}

/* First index in b[0, nb) whose value is >= v. */
static inline size_t sort_lower_bound(const int *b, size_t nb, int v) {
  size_t lo = 0, hi = nb;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The algorithm every implementation follows (see bench_seq.c for the plain
 * version):
 *
 *   msort(src, dst, n, to_dst): sorts src[0,n); result in dst if to_dst,
 *   else in src. n <= SORT_CUTOFF: sort_quick(src) (+ copy to dst).
 *   Otherwise h = n/2; SPAWN msort(src, dst, h, !to_dst);
 *   CALL msort(src+h, dst+h, n-h, !to_dst); SYNC; then pmerge the two halves
 *   (which are in dst if !to_dst... i.e. in the other buffer) into the target.
 *
 *   pmerge(a, na, b, nb, out): na+nb <= MERGE_CUTOFF: sort_merge_seq.
 *   Otherwise make a the longer input, split a at its middle element p,
 *   find p's lower bound in b, write p, SPAWN the left merge, CALL the right
 *   merge, SYNC.
 */

/* --------------------------------------------------------------- driver */

enum { BENCH_FIB, BENCH_NQUEENS, BENCH_TREE, BENCH_SORT };

typedef struct bench_result {
  uint64_t value; /* the checked result */
  long aux;       /* tree: max depth; otherwise 0 */
} bench_result;

typedef struct bench_impl {
  const char *name;    /* "seq", "weft", "omp", "tbb" ... */
  const char *runtime; /* library description, e.g. "libgomp", "oneTBB 2021.8" */
  int (*setup)(int workers);
  void (*teardown)(void);
  void (*fib)(long n, bench_result *r);
  void (*nqueens)(int n, bench_result *r);
  void (*tree)(unsigned b0, bench_result *r);
  void (*sort)(int *a, int *tmp, size_t n);
  /* Optional: called before/after each timed rep; may append ,"k":v pairs. */
  void (*stats_begin)(void);
  void (*stats_end)(char *buf, size_t len);
} bench_impl;

static inline int bench_core_count(void) {
#if defined(_WIN32)
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
#else
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  return c > 0 ? (int)c : 1;
#endif
}

#define WEFT_BENCH_STR_(x) #x
#define WEFT_BENCH_STR(x) WEFT_BENCH_STR_(x)

#if defined(__cplusplus)
#define BENCH_LANG "c++"
#else
#define BENCH_LANG "c"
#endif
#ifdef __VERSION__
#define BENCH_CC_VERSION __VERSION__
#else
#define BENCH_CC_VERSION "unknown"
#endif

static int bench_usage(const char *prog) {
  fprintf(stderr,
          "usage: %s <fib|nqueens|tree|sort> <n (0=default)> <workers (0=all)> <reps> "
          "[budget_seconds]\n",
          prog);
  return 2;
}

static int bench_main(int argc, char **argv, const bench_impl *impl) {
  if (argc < 5 || argc > 6) return bench_usage(argv[0]);
  const char *name = argv[1];
  long n = atol(argv[2]);
  int workers = atoi(argv[3]);
  int reps = atoi(argv[4]);
  double budget_ms = argc > 5 ? atof(argv[5]) * 1e3 : 0.0;
  int bench;
  if (!strcmp(name, "fib"))
    bench = BENCH_FIB;
  else if (!strcmp(name, "nqueens"))
    bench = BENCH_NQUEENS;
  else if (!strcmp(name, "tree"))
    bench = BENCH_TREE;
  else if (!strcmp(name, "sort"))
    bench = BENCH_SORT;
  else
    return bench_usage(argv[0]);
  if (reps < 1 || n < 0 || workers < 0) return bench_usage(argv[0]);
  if (workers == 0) workers = bench_core_count();
  if (n == 0) {
    n = bench == BENCH_FIB       ? FIB_DEFAULT_N
        : bench == BENCH_NQUEENS ? NQ_DEFAULT_N
        : bench == BENCH_TREE    ? TREE_DEFAULT_B0
                                 : SORT_DEFAULT_N;
  }
  if (bench == BENCH_FIB && n > 92) return bench_usage(argv[0]);
  if (bench == BENCH_NQUEENS && n > NQ_MAX_N) {
    fprintf(stderr, "nqueens: n must be <= %d\n", NQ_MAX_N);
    return 2;
  }

  if (impl->setup && impl->setup(workers) != 0) {
    fprintf(stderr, "%s: setup with %d workers failed\n", impl->name, workers);
    return 2;
  }

  int *input = NULL, *a = NULL, *tmp = NULL;
  if (bench == BENCH_SORT) {
    input = (int *)malloc((size_t)n * sizeof(int));
    a = (int *)malloc((size_t)n * sizeof(int));
    tmp = (int *)malloc((size_t)n * sizeof(int));
    if (!input || !a || !tmp) {
      fprintf(stderr, "sort: out of memory\n");
      return 2;
    }
    sort_fill(input, (size_t)n);
    memset(tmp, 0, (size_t)n * sizeof(int)); /* touch the pages untimed */
  }

  /* Untimed warm-up on a small instance: starts lazily created threads
   * (OpenMP, TBB) and warms caches/branch predictors a little. */
  {
    bench_result r = {0, 0};
    switch (bench) {
    case BENCH_FIB: impl->fib(20, &r); break;
    case BENCH_NQUEENS: impl->nqueens(8, &r); break;
    case BENCH_TREE: impl->tree(20, &r); break;
    case BENCH_SORT: {
      size_t wn = (size_t)n < 100000 ? (size_t)n : 100000;
      memcpy(a, input, wn * sizeof(int));
      impl->sort(a, tmp, wn);
      break;
    }
    }
  }

  int status = 0;
  double total_ms = 0.0;
  for (int rep = 0; rep < reps; rep++) {
    bench_result r = {0, 0};
    char extra[512];
    extra[0] = 0;
    if (bench == BENCH_SORT) memcpy(a, input, (size_t)n * sizeof(int));
    if (impl->stats_begin) impl->stats_begin();
    double t0 = bench_now_ms();
    switch (bench) {
    case BENCH_FIB: impl->fib(n, &r); break;
    case BENCH_NQUEENS: impl->nqueens((int)n, &r); break;
    case BENCH_TREE: impl->tree((unsigned)n, &r); break;
    case BENCH_SORT: impl->sort(a, tmp, (size_t)n); break;
    }
    double ms = bench_now_ms() - t0;
    if (impl->stats_end) impl->stats_end(extra, sizeof extra);
    total_ms += ms;

    int ok = 1;
    char check[160];
    check[0] = 0;
    switch (bench) {
    case BENCH_FIB: ok = r.value == fib_reference(n); break;
    case BENCH_NQUEENS: ok = r.value == nq_reference((int)n); break;
    case BENCH_TREE:
      snprintf(check, sizeof check, ",\"depth\":%ld", r.aux);
      break; /* checked by the runner against seq */
    case BENCH_SORT: {
      int sorted = sort_is_sorted(a, (size_t)n);
      r.value = sort_checksum(a, (size_t)n);
      ok = sorted;
      snprintf(check, sizeof check, ",\"sorted\":%s", sorted ? "true" : "false");
      break;
    }
    }
    printf("{\"bench\":\"%s\",\"impl\":\"%s\",\"workers\":%d,\"n\":%ld,\"rep\":%d,"
           "\"ms\":%.3f,\"result\":%llu%s,\"self_check\":%s%s,\"runtime\":\"%s\","
           "\"cc\":\"%s %s\"}\n",
           name, impl->name, workers, n, rep, ms, (unsigned long long)r.value, check,
           ok ? "true" : "false", extra, impl->runtime, BENCH_LANG, BENCH_CC_VERSION);
    fflush(stdout);
    if (!ok) {
      fprintf(stderr, "%s %s: SELF-CHECK FAILED (result %llu)\n", impl->name, name,
              (unsigned long long)r.value);
      status = 3;
      break;
    }
    if (budget_ms > 0.0 && total_ms + ms > budget_ms) break;
  }

  if (impl->teardown) impl->teardown();
  free(input);
  free(a);
  free(tmp);
  return status;
}

#endif /* WEFT_BENCH_COMMON_H */
