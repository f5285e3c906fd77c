/*
 * bench_weft.c - the workloads on weft: one spawn per spawn point of the
 * sequential algorithm, syncs in LIFO order. Only the root run is timed;
 * pool creation and destruction are not.
 *
 * Built twice: bench_weft uses typed tasks (WEFT_TASK_n: arguments in
 * registers) where the workload's arguments are scalars (fib, tree), and
 * bench_weft_struct (-DWEFT_BENCH_STRUCT) uses the generic WEFT_SPAWN /
 * WEFT_SYNC with an argument struct everywhere, to show what that costs.
 */
#include "common.h"

#include <weft.h>
#ifndef WEFT_BENCH_STRUCT
#include "weft_kernels.h" /* pnq, ptree: the typed tasks weft.wasm runs too */
#endif

static weft_pool g_pool;
static int g_workers;

static void weft_check(int err, const char *what) {
  if (err != WEFT_OK) {
    fprintf(stderr, "weft: %s failed: %d (%s)\n", what, err, weft_strerror(err));
    exit(2);
  }
}

/* ------------------------------------------------------------------- fib */

typedef struct {
  long n, r;
} fib_t;

#ifdef WEFT_BENCH_STRUCT
static void fib_task(weft_worker *w, void *p) {
  fib_t *a = (fib_t *)p;
  if (a->n < 2) {
    a->r = a->n;
    return;
  }
  fib_t x = {a->n - 1, 0}, y = {a->n - 2, 0};
  WEFT_SPAWN(w, fib_task, &x);
  fib_task(w, &y);
  WEFT_SYNC(w, &x);
  a->r = x.r + y.r;
}

#endif

#ifdef WEFT_BENCH_STRUCT
static void weft_fib(long n, bench_result *r) {
  fib_t a = {n, 0};
  weft_check(weft_run(g_pool, fib_task, &a), "weft_run(fib)");
  r->value = (uint64_t)a.r;
}
#else
WEFT_TASK_1(long, pfib, long, n) {
  if (n < 2) return n;
  pfib_spawn(w, n - 1);
  long y = pfib(w, n - 2);
  return pfib_sync(w) + y;
}

static void weft_fib(long n, bench_result *r) {
  long v = 0;
  weft_check(pfib_run(g_pool, &v, n), "pfib_run");
  r->value = (uint64_t)v;
  (void)pfib_task;
}
#endif

/* --------------------------------------------------------------- nqueens */

#ifdef WEFT_BENCH_STRUCT
typedef struct {
  uint64_t board;
  int32_t n, row;
  uint64_t count;
} nq_t; /* 24 bytes */

static void nq_task(weft_worker *w, void *p) {
  nq_t *a = (nq_t *)p;
  int n = a->n, row = a->row;
  if (row == n) {
    a->count = 1;
    return;
  }
  nq_t kids[NQ_MAX_N];
  int k = 0;
  for (int col = 0; col < n; col++) {
    if (!nq_ok(a->board, row, col)) continue;
    nq_t *c = &kids[k++];
    c->board = nq_place(a->board, row, col);
    c->n = n;
    c->row = row + 1;
    c->count = 0;
    WEFT_SPAWN(w, nq_task, c);
  }
  uint64_t count = 0;
  while (k > 0) {
    nq_t *c = &kids[--k];
    WEFT_SYNC(w, c);
    count += c->count;
  }
  a->count = count;
}

static void weft_nqueens(int n, bench_result *r) {
  nq_t a = {0, n, 0, 0};
  weft_check(weft_run(g_pool, nq_task, &a), "weft_run(nqueens)");
  r->value = a.count;
}
#else
static void weft_nqueens(int n, bench_result *r) {
  uint64_t v = 0;
  weft_check(pnq_run(g_pool, &v, n, 0, 0), "pnq_run");
  r->value = v;
}
#endif

/* ------------------------------------------------------------------ tree */

typedef struct {
  uint64_t hash;
  uint32_t depth;
  uint32_t b0;
  uint64_t count;    /* result: nodes in the subtree */
  uint32_t maxdepth; /* result: deepest node in the subtree */
} tree_t; /* 32 bytes */

#ifdef WEFT_BENCH_STRUCT
static void tree_task(weft_worker *w, void *p) {
  tree_t *a = (tree_t *)p;
  unsigned k = tree_children(a->hash, a->depth, a->b0);
  uint64_t count = 1;
  uint32_t maxdepth = a->depth;
  if (k > 0) {
    tree_t small[TREE_M];
    tree_t *kids = k <= TREE_M ? small : (tree_t *)malloc(k * sizeof(tree_t));
    if (!kids) {
      fprintf(stderr, "tree: out of memory\n");
      exit(2);
    }
    for (unsigned i = 0; i < k; i++) {
      tree_t *c = &kids[i];
      c->hash = tree_child_hash(a->hash, i);
      c->depth = a->depth + 1;
      c->b0 = a->b0;
      c->count = 0;
      c->maxdepth = 0;
      WEFT_SPAWN(w, tree_task, c);
    }
    for (unsigned i = k; i-- > 0;) {
      tree_t *c = &kids[i];
      WEFT_SYNC(w, c);
      count += c->count;
      if (c->maxdepth > maxdepth) maxdepth = c->maxdepth;
    }
    if (kids != small) free(kids);
  }
  a->count = count;
  a->maxdepth = maxdepth;
}

#endif

#ifndef WEFT_BENCH_STRUCT
static void weft_tree(unsigned b0, bench_result *r) {
  tree_res v = {0, 0};
  weft_check(ptree_run(g_pool, &v, tree_root_hash(), 0, b0), "ptree_run");
  r->value = v.count;
  r->aux = (long)v.maxdepth;
  (void)ptree_task;
}
#else
static void weft_tree(unsigned b0, bench_result *r) {
  tree_t a;
  memset(&a, 0, sizeof a);
  a.hash = tree_root_hash();
  a.b0 = b0;
  weft_check(weft_run(g_pool, tree_task, &a), "weft_run(tree)");
  r->value = a.count;
  r->aux = (long)a.maxdepth;
}
#endif

/* ------------------------------------------------------------------ sort */

typedef struct {
  const int *a;
  size_t na;
  const int *b;
  size_t nb;
  int *out;
} merge_t; /* 40 bytes */

static void merge_task(weft_worker *w, void *p) {
  merge_t *m = (merge_t *)p;
  const int *a = m->a, *b = m->b;
  size_t na = m->na, nb = m->nb;
  if (na + nb <= MERGE_CUTOFF) {
    sort_merge_seq(a, na, b, nb, m->out);
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
  m->out[ma + mb] = a[ma];
  merge_t left = {a, ma, b, mb, m->out};
  merge_t right = {a + ma + 1, na - ma - 1, b + mb, nb - mb, m->out + ma + mb + 1};
  WEFT_SPAWN(w, merge_task, &left);
  merge_task(w, &right);
  WEFT_SYNC(w, &left);
}

typedef struct {
  int *src, *dst;
  size_t n;
  int to_dst;
} msort_t; /* 32 bytes */

static void msort_task(weft_worker *w, void *p) {
  msort_t *s = (msort_t *)p;
  size_t n = s->n;
  if (n <= SORT_CUTOFF) {
    sort_quick(s->src, n);
    if (s->to_dst) memcpy(s->dst, s->src, n * sizeof(int));
    return;
  }
  size_t h = n / 2;
  msort_t left = {s->src, s->dst, h, !s->to_dst};
  msort_t right = {s->src + h, s->dst + h, n - h, !s->to_dst};
  WEFT_SPAWN(w, msort_task, &left);
  msort_task(w, &right);
  WEFT_SYNC(w, &left);
  merge_t m;
  if (s->to_dst) {
    merge_t t = {s->src, h, s->src + h, n - h, s->dst};
    m = t;
  } else {
    merge_t t = {s->dst, h, s->dst + h, n - h, s->src};
    m = t;
  }
  merge_task(w, &m);
}

static void weft_sort(int *a, int *tmp, size_t n) {
  msort_t s = {a, tmp, n, 0};
  weft_check(weft_run(g_pool, msort_task, &s), "weft_run(sort)");
}

/* ------------------------------------------------------------ pool/stats */

/* WEFT_BENCH_TRACE=coarse|fine: the pool records a timeline trace for the
 * whole run (bench/run.py's impl weft-trace; rings wrap, events drop). */
static int bench_trace_from_env(weft_pool pool) {
  const char *e = getenv("WEFT_BENCH_TRACE");
  if (!e || !*e) return 0;
  unsigned level = strcmp(e, "fine") == 0 ? WEFT_TRACE_FINE : WEFT_TRACE_COARSE;
  int rc = weft_trace_start(pool, level, 0);
  if (rc) fprintf(stderr, "weft_trace_start: %s\n", weft_strerror(rc));
  return rc;
}

static int weft_setup(int workers) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = (unsigned)workers;
  int err = weft_pool_create(&g_pool, &cfg);
  if (err != WEFT_OK) {
    fprintf(stderr, "weft_pool_create(%d workers): %s\n", workers, weft_strerror(err));
    return -1;
  }
  if (bench_trace_from_env(g_pool)) return -1;
  g_workers = workers;
  return 0;
}

static void weft_teardown(void) { weft_check(weft_pool_destroy(g_pool), "weft_pool_destroy"); }

static weft_worker_stats g_before;

static void weft_stats_begin(void) {
  if (weft_pool_stats_total(g_pool, &g_before) != WEFT_OK) memset(&g_before, 0, sizeof g_before);
}

static void weft_stats_end(char *buf, size_t len) {
  weft_worker_stats s;
  if (weft_pool_stats_total(g_pool, &s) != WEFT_OK) return;
  snprintf(buf, len,
           ",\"spawns\":%llu,\"steals\":%llu,\"steal_failures\":%llu,\"leapfrogs\":%llu,"
           "\"sleeps\":%llu,\"overflows\":%llu",
           (unsigned long long)(s.spawns - g_before.spawns),
           (unsigned long long)(s.steals - g_before.steals),
           (unsigned long long)(s.steal_failures - g_before.steal_failures),
           (unsigned long long)(s.leapfrogs - g_before.leapfrogs),
           (unsigned long long)(s.sleeps - g_before.sleeps),
           (unsigned long long)(s.overflows - g_before.overflows));
}

int main(int argc, char **argv) {
  bench_impl impl;
  memset(&impl, 0, sizeof impl);
#ifdef WEFT_BENCH_STRUCT
  impl.name = "weft-struct";
#elif defined(__clang__)
  impl.name = "weft-clang";
#else
  impl.name = "weft";
#endif
  impl.runtime = "weft " WEFT_BENCH_STR(WEFT_VERSION_MAJOR) "." WEFT_BENCH_STR(WEFT_VERSION_MINOR);
  impl.setup = weft_setup;
  impl.teardown = weft_teardown;
  impl.fib = weft_fib;
  impl.nqueens = weft_nqueens;
  impl.tree = weft_tree;
  impl.sort = weft_sort;
  impl.stats_begin = weft_stats_begin;
  impl.stats_end = weft_stats_end;
  return bench_main(argc, argv, &impl);
}
