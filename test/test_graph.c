/* Task graphs: build errors, validation (cycles, self-edges, foreign nodes),
 * ordering and exactly-once on random DAGs of many shapes, failure and
 * cancellation, nested fork-join and subgraphs, run_n/run_until, concurrent
 * graphs, re-runs without allocation, bounded nesting on small stacks, DOT. */
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Internal hooks of src/graph.c (not in weft.h). */
uint64_t weft__graph_allocs(void);
unsigned weft__graph_depth_max(void);
void weft__graph_depth_reset(void);
uint64_t weft__graph_deferred(void);
int weft__graph_counters_clean(const weft_graph *g);
void weft__graph_set_depth_limit(unsigned lim);
void weft__graph_force_strategy(int s); /* 0 auto, 1 ordered, 2 shared, 3 hand-off */
void weft__graph_strategy_counts(const weft_graph *g, uint64_t *ordered, uint64_t *shared);
void weft__graph_set_keep_limit(size_t bytes); /* 0: the default; frees the kept graphs */

/* Every run-semantics test runs under each way a graph can be run: the
 * automatic choice, forced in-order runs and forced shared runs. */
/* hand-off: a graph built in order starts each run in order and hands the
 * rest to a shared run after a few nodes (other graphs: shared). */
enum { N_STRATEGIES = 4 };
static const char *const strategy_name[N_STRATEGIES] = {"auto", "ordered", "shared", "hand-off"};

/* ---------------------------------------------------------------- recorder */

/* Every node of a test graph runs rec_fn: it takes a start ticket and a
 * finish ticket from one atomic sequence, counts its runs and may fail. An
 * edge u -> v was respected iff finish[u] < start[v]. */
typedef struct rec {
  uint32_t n;
  _Atomic uint64_t seq;
  _Atomic uint64_t *start, *finish;
  _Atomic uint32_t *count;
  int *fail;                /* per node: status to return (0 = succeed), may be NULL */
  unsigned spin_us;         /* busy time per node */
  _Atomic uint32_t started; /* nodes started in total */
  uintptr_t sp_min, sp_max; /* stack addresses seen (approximate; racy ok) */
  int probe_stack;
} rec;

typedef struct {
  rec *r;
  uint32_t idx;
} rec_args;

static void spin_for_us(unsigned us) {
  double end = test_now() + us * 1e-6;
  while (test_now() < end) {
  }
}

static int rec_fn(weft_worker *w, void *p) {
  (void)w;
  rec_args *a = p;
  rec *r = a->r;
  uint32_t i = a->idx;
  ASSERT_ULT(i, r->n);
  uint64_t s = atomic_fetch_add(&r->seq, 1) + 1;
  atomic_store_explicit(&r->start[i], s, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->count[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->started, 1, memory_order_relaxed);
  if (r->probe_stack) {
    char probe;
    uintptr_t sp = (uintptr_t)&probe;
    if (sp < __atomic_load_n(&r->sp_min, __ATOMIC_RELAXED))
      __atomic_store_n(&r->sp_min, sp, __ATOMIC_RELAXED);
    if (sp > __atomic_load_n(&r->sp_max, __ATOMIC_RELAXED))
      __atomic_store_n(&r->sp_max, sp, __ATOMIC_RELAXED);
  }
  if (r->spin_us) spin_for_us(r->spin_us);
  uint64_t f = atomic_fetch_add(&r->seq, 1) + 1;
  atomic_store_explicit(&r->finish[i], f, memory_order_relaxed);
  return r->fail ? r->fail[i] : 0;
}

static rec *rec_new(uint32_t n) {
  rec *r = calloc(1, sizeof *r);
  ASSERT_NOT_NULL(r);
  r->n = n;
  r->start = calloc(n ? n : 1, sizeof *r->start);
  r->finish = calloc(n ? n : 1, sizeof *r->finish);
  r->count = calloc(n ? n : 1, sizeof *r->count);
  ASSERT(r->start && r->finish && r->count);
  r->sp_min = UINTPTR_MAX;
  return r;
}

static void rec_clear(rec *r) {
  for (uint32_t i = 0; i < r->n; i++) {
    atomic_store(&r->start[i], 0);
    atomic_store(&r->finish[i], 0);
    atomic_store(&r->count[i], 0);
  }
  atomic_store(&r->started, 0);
}

static void rec_free(rec *r) {
  free(r->start);
  free(r->finish);
  free(r->count);
  free(r->fail);
  free(r);
}

/* ---------------------------------------------------------------- DAGs */

typedef struct dag {
  uint32_t n;
  size_t m, cap;
  uint32_t *from, *to;
} dag;

static uint64_t rng_next(uint64_t *s) {
  *s += 0x9e3779b97f4a7c15ull;
  return splitmix64(*s);
}

static uint32_t rng_below(uint64_t *s, uint32_t n) {
  return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

static void dag_edge(dag *d, uint32_t u, uint32_t v) {
  if (d->m == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 64;
    d->from = realloc(d->from, d->cap * sizeof *d->from);
    d->to = realloc(d->to, d->cap * sizeof *d->to);
    ASSERT(d->from && d->to);
  }
  d->from[d->m] = u;
  d->to[d->m] = v;
  d->m++;
}

static void dag_free(dag *d) {
  free(d->from);
  free(d->to);
  memset(d, 0, sizeof *d);
}

enum {
  SHAPE_RANDOM,
  SHAPE_LAYERED,
  SHAPE_CHAIN,
  SHAPE_OUT_TREE,
  SHAPE_IN_TREE,
  SHAPE_GRID,
  SHAPE_FAN,
  SHAPE_NO_EDGES,
  SHAPE_CATERPILLAR,
  SHAPE_DENSE,
  SHAPE_COUNT
};

static const char *shape_name[SHAPE_COUNT] = {"random", "layered", "chain", "out-tree",
                                              "in-tree", "grid", "fan", "no-edges",
                                              "caterpillar", "dense"};

/* A DAG of about n nodes of the given shape. Node indices are shuffled
 * through a random permutation so index order is not a topological order,
 * unless `shuffle` is 0: then every edge goes from a lower index to a
 * higher one (a graph built in order: validation has no cycle to look for,
 * and the shared runs' arrays are made by the first shared run). */
static dag dag_make_p(int shape, uint32_t n, uint64_t seed, int shuffle) {
  dag d = {0};
  uint64_t s = seed * 0x2545f4914f6cdd1dull + (uint64_t)shape;
  if (n < 2) n = 2;
  if (shape == SHAPE_GRID) {
    uint32_t k = 1;
    while ((k + 1) * (k + 1) <= n) k++;
    n = k * k;
  }
  d.n = n;
  uint32_t *perm = malloc(n * sizeof *perm);
  ASSERT_NOT_NULL(perm);
  for (uint32_t i = 0; i < n; i++) perm[i] = i;
  for (uint32_t i = n - 1; i > 0 && shuffle; i--) {
    uint32_t j = rng_below(&s, i + 1);
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
#define E(a, b) dag_edge(&d, perm[a], perm[b]) /* a < b in "rank" */
  switch (shape) {
    case SHAPE_RANDOM: {
      size_t m = (size_t)n * (1 + rng_below(&s, 4));
      for (size_t k = 0; k < m; k++) {
        uint32_t a = rng_below(&s, n), b = rng_below(&s, n);
        if (a == b) continue;
        if (a > b) {
          uint32_t t = a;
          a = b;
          b = t;
        }
        E(a, b);
      }
      break;
    }
    case SHAPE_LAYERED: {
      uint32_t width = 1 + rng_below(&s, 64);
      for (uint32_t v = width; v < n; v++) {
        uint32_t layer = v / width;
        uint32_t preds = 1 + rng_below(&s, 3);
        for (uint32_t k = 0; k < preds; k++) E((layer - 1) * width + rng_below(&s, width), v);
      }
      break;
    }
    case SHAPE_CHAIN:
      for (uint32_t v = 1; v < n; v++) E(v - 1, v);
      break;
    case SHAPE_OUT_TREE:
      for (uint32_t v = 1; v < n; v++) E(rng_below(&s, v), v);
      break;
    case SHAPE_IN_TREE:
      /* each node has one edge, to a node of lower rank: acyclic */
      for (uint32_t v = 1; v < n; v++) E(v, rng_below(&s, v));
      break;
    case SHAPE_GRID: {
      uint32_t k = 1;
      while (k * k < n) k++;
      for (uint32_t i = 0; i < k; i++)
        for (uint32_t j = 0; j < k; j++) {
          if (i > 0) E((i - 1) * k + j, i * k + j);
          if (j > 0) E(i * k + j - 1, i * k + j);
        }
      break;
    }
    case SHAPE_FAN:
      for (uint32_t v = 1; v + 1 < n; v++) {
        E(0, v);
        E(v, n - 1);
      }
      break;
    case SHAPE_NO_EDGES:
      break;
    case SHAPE_CATERPILLAR:
      /* spine 0,2,4,..; leaf 2i+1 hangs off spine 2i, listed first so the
       * leaf is the inline successor and the spine is spawned: the shape
       * that nests deepest. */
      for (uint32_t v = 0; v + 2 < n; v += 2) {
        E(v, v + 1);
        E(v, v + 2);
      }
      break;
    case SHAPE_DENSE:
      for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = a + 1; b < n; b++)
          if (rng_below(&s, 4) == 0) {
            E(a, b);
            if (rng_below(&s, 8) == 0) E(a, b); /* duplicate edge */
          }
      break;
  }
#undef E
  free(perm);
  return d;
}

static dag dag_make(int shape, uint32_t n, uint64_t seed) { return dag_make_p(shape, n, seed, 1); }

/* Builds a graph of d's nodes (all rec_fn over r) and edges. */
static weft_graph *graph_of(const dag *d, rec *r, weft_node **nodes_out, int batch) {
  weft_graph *g = NULL;
  ASSERT_OK(weft_graph_create(&g));
  weft_node *nodes = malloc((d->n ? d->n : 1) * sizeof *nodes);
  ASSERT_NOT_NULL(nodes);
  for (uint32_t i = 0; i < d->n; i++) {
    rec_args a = {r, i};
    ASSERT_OK(weft_graph_add(g, rec_fn, &a, sizeof a, &nodes[i]));
  }
  if (batch) {
    weft_node *f = malloc((d->m ? d->m : 1) * sizeof *f);
    weft_node *t = malloc((d->m ? d->m : 1) * sizeof *t);
    ASSERT(f && t);
    for (size_t k = 0; k < d->m; k++) {
      f[k] = nodes[d->from[k]];
      t[k] = nodes[d->to[k]];
    }
    ASSERT_OK(weft_graph_edges(g, f, t, d->m));
    free(f);
    free(t);
  } else {
    for (size_t k = 0; k < d->m; k++)
      ASSERT_OK(weft_graph_edge(g, nodes[d->from[k]], nodes[d->to[k]]));
  }
  if (nodes_out) *nodes_out = nodes;
  else free(nodes);
  return g;
}

/* Every node ran `runs` times in total and every edge was respected in the
 * last run. */
static void check_run(const dag *d, rec *r, uint32_t runs, const char *what) {
  for (uint32_t i = 0; i < d->n; i++) {
    uint32_t c = atomic_load(&r->count[i]);
    if (c != runs) FAIL("%s: node %u ran %u times, expected %u", what, i, c, runs);
  }
  for (size_t k = 0; k < d->m; k++) {
    uint32_t u = d->from[k], v = d->to[k];
    uint64_t fu = atomic_load(&r->finish[u]), sv = atomic_load(&r->start[v]);
    if (!(fu < sv))
      FAIL("%s: edge %u -> %u violated: finish(%u)=%llu, start(%u)=%llu", what, u, v, u,
           (unsigned long long)fu, v, (unsigned long long)sv);
  }
}

/* ------------------------------------------------------------------ tests */

TEST(graph_strerror) {
  static const int codes[] = {WEFT_ECYCLE, WEFT_EFOREIGN, WEFT_EBUSY, WEFT_ENODE_FAILED,
                              WEFT_ECANCELED};
  const char *unknown = weft_strerror(-1000);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    ASSERT_LT(codes[i], 0);
    const char *s = weft_strerror(codes[i]);
    ASSERT(strcmp(s, unknown) != 0);
    for (int c = WEFT_EPENDING; c <= WEFT_EINVAL; c++) ASSERT(strcmp(s, weft_strerror(c)) != 0);
    for (size_t j = 0; j < i; j++) {
      ASSERT_NE(codes[i], codes[j]);
      ASSERT(strcmp(s, weft_strerror(codes[j])) != 0);
    }
  }
}

static int nop_fn(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  return 0;
}

static _Atomic int ran_any;
static int mark_fn(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  atomic_store(&ran_any, 1);
  return 0;
}

/* run_until's done(): cancels its own graph before the third run. */
static int cancel_at_2(void *ctx, uint64_t k) {
  if (k == 2) weft_graph_cancel((weft_graph *)ctx);
  return 0;
}

TEST(graph_build_errors) {
  weft_pool pool = test_pool_new(2);
  weft_graph *g = NULL;
  ASSERT_ERR(weft_graph_create(NULL), WEFT_EINVAL);
  ASSERT_OK(weft_graph_create(&g));
  weft_graph_destroy(NULL);

  /* NULL graph everywhere. */
  weft_node a = {0}, b = {0}, c = {0};
  ASSERT_ERR(weft_graph_add(NULL, nop_fn, NULL, 0, &a), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_edge(NULL, a, b), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_name(NULL, a, "x"), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_validate(NULL, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_run(pool, NULL, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_run_in(NULL, g, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_cancel(NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_clear(NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_dot(NULL, NULL, 0, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_graph_run_until(pool, g, NULL, NULL, NULL), WEFT_EINVAL);

  /* An empty graph is valid and runs, whatever the way; a cancel from the
   * series' own done() stops it. */
  weft_graph_result res;
  ASSERT_OK(weft_graph_validate(g, NULL));
  ASSERT_OK(weft_graph_run(pool, g, &res));
  ASSERT_UEQ(res.iterations, 1);
  ASSERT_UEQ(res.nodes_run, 0);
  for (int st = 0; st <= 3; st++) {
    weft__graph_force_strategy(st);
    ASSERT_OK(weft_graph_run_n(pool, g, 3, &res));
    ASSERT_UEQ(res.iterations, 3);
    ASSERT_UEQ(res.nodes_run + res.nodes_skipped, 0);
    ASSERT_ERR(weft_graph_run_until(pool, g, cancel_at_2, g, &res), WEFT_ECANCELED);
    ASSERT_UEQ(res.iterations, 2);
  }
  weft__graph_force_strategy(0);

  /* Adds: a good one, then NULL fn (broken: EINVAL). */
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &a));
  ASSERT(a.id != 0);
  ASSERT_ERR(weft_graph_add(g, NULL, NULL, 0, &b), WEFT_EINVAL);
  ASSERT_UEQ(b.id, 0);
  size_t nn = 9, ne = 9;
  weft_graph_count(g, &nn, &ne);
  ASSERT_UEQ(nn, 1); /* nothing was added */
  ASSERT_UEQ(ne, 0);
  weft_graph_error err;
  ASSERT_ERR(weft_graph_validate(g, &err), WEFT_EINVAL);
  ASSERT_EQ(err.code, WEFT_EINVAL);
  ASSERT_ERR(weft_graph_run(pool, g, &res), WEFT_EINVAL);
  ASSERT_EQ(atomic_load(&ran_any), 0); /* nothing of a broken graph runs */
  ASSERT_UEQ(res.nodes_run, 0);

  /* Clear: old handles become foreign, the graph is usable again. */
  ASSERT_OK(weft_graph_clear(g));
  weft_graph_count(g, &nn, &ne);
  ASSERT_UEQ(nn, 0);
  ASSERT_OK(weft_graph_validate(g, NULL));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &b));
  ASSERT(b.id != a.id);
  ASSERT_ERR(weft_graph_edge(g, a, b), WEFT_EFOREIGN); /* a is from before clear */
  ASSERT_ERR(weft_graph_validate(g, &err), WEFT_EFOREIGN);
  ASSERT_UEQ(err.count, 2);
  ASSERT_UEQ(err.nodes[0].id, a.id);
  ASSERT_UEQ(err.nodes[1].id, b.id);
  ASSERT_ERR(weft_graph_run(pool, g, NULL), WEFT_EFOREIGN);
  ASSERT_EQ(atomic_load(&ran_any), 0);

  /* E2BIG, args NULL with size, zero handle. */
  char big[WEFT_ARGS_MAX + 1] = {0};
  ASSERT_OK(weft_graph_clear(g));
  ASSERT_ERR(weft_graph_add(g, nop_fn, big, sizeof big, &a), WEFT_E2BIG);
  ASSERT_ERR(weft_graph_validate(g, NULL), WEFT_E2BIG);
  ASSERT_OK(weft_graph_clear(g));
  ASSERT_ERR(weft_graph_add(g, nop_fn, NULL, 4, &a), WEFT_EINVAL);
  ASSERT_OK(weft_graph_clear(g));
  ASSERT_OK(weft_graph_add(g, nop_fn, big, WEFT_ARGS_MAX, &a)); /* the maximum is fine */
  weft_node zero = {0};
  ASSERT_ERR(weft_graph_edge(g, a, zero), WEFT_EFOREIGN);
  ASSERT_OK(weft_graph_clear(g));

  /* A node of another graph. */
  weft_graph *other = NULL;
  ASSERT_OK(weft_graph_create(&other));
  weft_node o;
  ASSERT_OK(weft_graph_add(other, mark_fn, NULL, 0, &o));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &a));
  ASSERT_OK(weft_graph_name(g, a, "alpha"));
  ASSERT_ERR(weft_graph_edge(g, a, o), WEFT_EFOREIGN);
  ASSERT_ERR(weft_graph_validate(g, &err), WEFT_EFOREIGN);
  ASSERT_STR_EQ(err.names[0], "alpha");
  ASSERT_NULL(err.names[1]);
  ASSERT(strstr(err.message, "alpha") != NULL);
  ASSERT_ERR(weft_graph_run(pool, g, NULL), WEFT_EFOREIGN);
  ASSERT_ERR(weft_graph_run(pool, other, NULL), WEFT_OK); /* other is fine */
  ASSERT_EQ(atomic_load(&ran_any), 1);
  atomic_store(&ran_any, 0);
  ASSERT_ERR(weft_graph_name(g, o, "x"), WEFT_EFOREIGN);
  void *args = NULL;
  ASSERT_ERR(weft_graph_node_args(g, o, &args), WEFT_EFOREIGN);
  ASSERT_NULL(weft_graph_node_name(g, o));
  weft_graph_destroy(other);

  /* Self-edge: rejected at once, as a 1-node cycle. */
  ASSERT_OK(weft_graph_clear(g));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &a));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &b));
  ASSERT_OK(weft_graph_name(g, b, "beta"));
  ASSERT_OK(weft_graph_edge(g, a, b));
  ASSERT_ERR(weft_graph_edge(g, b, b), WEFT_ECYCLE);
  weft_graph_count(g, &nn, &ne);
  ASSERT_UEQ(ne, 1);
  ASSERT_ERR(weft_graph_validate(g, &err), WEFT_ECYCLE);
  ASSERT_UEQ(err.count, 1);
  ASSERT_UEQ(err.cycle_length, 1);
  ASSERT_UEQ(err.nodes[0].id, b.id);
  ASSERT_STR_EQ(err.names[0], "beta");
  ASSERT(strstr(err.message, "beta -> beta") != NULL);
  ASSERT_ERR(weft_graph_run(pool, g, &res), WEFT_ECYCLE);
  ASSERT_EQ(atomic_load(&ran_any), 0);

  /* Batch edges: all or nothing. */
  ASSERT_OK(weft_graph_clear(g));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &a));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &b));
  ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &c));
  weft_node f3[3] = {a, b, c}, t3[3] = {b, c, c};
  ASSERT_ERR(weft_graph_edges(g, f3, t3, 3), WEFT_ECYCLE);
  weft_graph_count(g, &nn, &ne);
  ASSERT_UEQ(ne, 0);
  ASSERT_OK(weft_graph_clear(g));
  ASSERT_OK(weft_graph_edges(g, NULL, NULL, 0));
  ASSERT_ERR(weft_graph_edges(g, NULL, t3, 1), WEFT_EINVAL);

  /* Names and args round trip. */
  ASSERT_OK(weft_graph_clear(g));
  long v = 1234;
  ASSERT_OK(weft_graph_add(g, nop_fn, &v, sizeof v, &a));
  ASSERT_NULL(weft_graph_node_name(g, a));
  ASSERT_OK(weft_graph_name(g, a, "first"));
  ASSERT_OK(weft_graph_name(g, a, "second"));
  ASSERT_STR_EQ(weft_graph_node_name(g, a), "second");
  ASSERT_OK(weft_graph_name(g, a, NULL));
  ASSERT_NULL(weft_graph_node_name(g, a));
  ASSERT_OK(weft_graph_node_args(g, a, &args));
  ASSERT_EQ(*(long *)args, 1234);
  ASSERT_ERR(weft_graph_node_args(g, a, NULL), WEFT_EINVAL);

  weft_graph_destroy(g);
  test_pool_free(pool);
}

/* Builds a DAG plus one cycle of length k among its nodes and checks that
 * validation reports exactly that cycle and that nothing runs. */
TEST(graph_cycles) {
  weft_pool pool = test_pool_new(2);
  uint32_t kmax = (uint32_t)test_scaled(64, 24);
  for (uint32_t k = 2; k <= kmax; k++) {
    uint64_t s = 1000 + k;
    uint32_t n = k + 20 + rng_below(&s, 100);
    dag d = dag_make(SHAPE_RANDOM, n, s);
    n = d.n;
    /* The DAG's edges follow a hidden rank order; a cycle over k distinct
     * random nodes: c0 -> c1 -> ... -> c(k-1) -> c0. */
    uint32_t *cyc = malloc(k * sizeof *cyc);
    for (uint32_t i = 0; i < k; i++) {
      for (;;) {
        uint32_t v = rng_below(&s, n), dup = 0;
        for (uint32_t j = 0; j < i; j++) dup |= cyc[j] == v;
        if (!dup) {
          cyc[i] = v;
          break;
        }
      }
    }
    for (uint32_t i = 0; i < k; i++) dag_edge(&d, cyc[i], cyc[(i + 1) % k]);
    rec *r = rec_new(n);
    weft_node *nodes;
    weft_graph *g = graph_of(&d, r, &nodes, k & 1);
    char name[32];
    for (uint32_t i = 0; i < n; i++) {
      snprintf(name, sizeof name, "node%u", i);
      ASSERT_OK(weft_graph_name(g, nodes[i], name));
    }
    weft_graph_error err;
    ASSERT_ERR(weft_graph_validate(g, &err), WEFT_ECYCLE);
    ASSERT_EQ(err.code, WEFT_ECYCLE);
    /* The reported cycle is a real cycle of the graph: consecutive nodes are
     * joined by edges (checked against the edge list). There may be other
     * cycles through DAG edges, so its length is not necessarily k. */
    ASSERT_UGE(err.cycle_length, 2);
    ASSERT_UEQ(err.count, err.cycle_length < WEFT_GRAPH_ERROR_NODES ? err.cycle_length
                                                                    : WEFT_GRAPH_ERROR_NODES);
    ASSERT_EQ(err.truncated, err.cycle_length > WEFT_GRAPH_ERROR_NODES);
    uint32_t idx[WEFT_GRAPH_ERROR_NODES];
    for (size_t i = 0; i < err.count; i++) {
      idx[i] = UINT32_MAX;
      for (uint32_t j = 0; j < n; j++)
        if (nodes[j].id == err.nodes[i].id) idx[i] = j;
      ASSERT_UNE(idx[i], UINT32_MAX);
      snprintf(name, sizeof name, "node%u", idx[i]);
      ASSERT_STR_EQ(err.names[i], name);
      if (i > 0) ASSERT_ULT(idx[0], idx[i]); /* starts at the lowest index */
    }
    size_t steps = err.truncated ? err.count - 1 : err.count;
    for (size_t i = 0; i < steps; i++) {
      uint32_t u = idx[i], v = idx[(i + 1) % err.count];
      int found = 0;
      for (size_t e = 0; e < d.m && !found; e++) found = d.from[e] == u && d.to[e] == v;
      if (!found) FAIL("k=%u: reported cycle step %u -> %u is not an edge", k, u, v);
    }
    ASSERT(strstr(err.message, "cycle") != NULL);
    weft_graph_result res;
    ASSERT_ERR(weft_graph_run(pool, g, &res), WEFT_ECYCLE);
    ASSERT_ERR(weft_graph_run_n(pool, g, 3, &res), WEFT_ECYCLE);
    ASSERT_UEQ(res.nodes_run, 0);
    ASSERT_UEQ(atomic_load(&r->started), 0);
    /* Validation is cached: the same report again. */
    weft_graph_error err2;
    ASSERT_ERR(weft_graph_validate(g, &err2), WEFT_ECYCLE);
    ASSERT_UEQ(err2.cycle_length, err.cycle_length);
    weft_graph_destroy(g);
    free(nodes);
    free(cyc);
    rec_free(r);
    dag_free(&d);
  }
  /* A pure ring of length k is reported whole: exact length and order. */
  for (uint32_t k = 2; k <= kmax; k++) {
    weft_graph *g;
    ASSERT_OK(weft_graph_create(&g));
    weft_node nodes[80];
    ASSERT_ULE(k, 80);
    for (uint32_t i = 0; i < k; i++) ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &nodes[i]));
    /* A tail into the ring and a branch out of it, to be ignored. */
    weft_node tail, out;
    ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &tail));
    ASSERT_OK(weft_graph_add(g, mark_fn, NULL, 0, &out));
    ASSERT_OK(weft_graph_edge(g, tail, nodes[k / 2]));
    ASSERT_OK(weft_graph_edge(g, nodes[k - 1], out));
    for (uint32_t i = 0; i < k; i++) ASSERT_OK(weft_graph_edge(g, nodes[i], nodes[(i + 1) % k]));
    weft_graph_error err;
    ASSERT_ERR(weft_graph_validate(g, &err), WEFT_ECYCLE);
    ASSERT_UEQ(err.cycle_length, k);
    ASSERT_EQ(err.truncated, k > WEFT_GRAPH_ERROR_NODES);
    for (size_t i = 0; i < err.count; i++) ASSERT_UEQ(err.nodes[i].id, nodes[i].id);
    ASSERT_ERR(weft_graph_run(pool, g, NULL), WEFT_ECYCLE);
    ASSERT_EQ(atomic_load(&ran_any), 0);
    weft_graph_destroy(g);
  }
  test_pool_free(pool);
}

/* Random DAGs of every shape and several sizes, run repeatedly with 1, 2
 * and 5 workers, through run, run_n, and run_in. */
TEST(graph_random_dags) {
  static const uint32_t sizes[] = {2, 3, 17, 200, 3000, 20000};
  size_t nsizes = sizeof sizes / sizeof sizes[0];
  if (test_sanitized()) nsizes--; /* the largest size only without sanitizers */
  for (int st = 0; st < N_STRATEGIES; st++)
  for (int wk = 0; wk < N_WORKER_COUNTS; wk++) {
    weft__graph_force_strategy(st);
    weft_pool pool = test_pool_new(test_worker_counts[wk]);
    for (int shape = 0; shape < SHAPE_COUNT; shape++) {
      for (size_t si = 0; si < nsizes; si++) {
        uint32_t n = sizes[si];
        if (shape == SHAPE_DENSE && n > 200) continue;
        uint64_t seed = 7919u * (uint64_t)(wk + 1) + 131u * (uint64_t)shape + si;
        int shuffle = (seed & 2) != 0; /* else built in order (no backward edge) */
        dag d = dag_make_p(shape, n, seed, shuffle);
        rec *r = rec_new(d.n);
        weft_graph *g = graph_of(&d, r, NULL, (int)(seed & 1));
        char what[112];
        snprintf(what, sizeof what, "%s n=%u m=%zu workers=%u seed=%llu %s%s", shape_name[shape],
                 d.n, d.m, test_worker_counts[wk], (unsigned long long)seed, strategy_name[st],
                 shuffle ? "" : " in order");
        weft_graph_result res;
        uint32_t runs = 0;
        for (int rep = 0; rep < 3; rep++) {
          ASSERT_OK(weft_graph_run(pool, g, &res));
          runs++;
          ASSERT_UEQ(res.nodes_run, d.n);
          ASSERT_UEQ(res.iterations, 1);
          ASSERT_UEQ(res.nodes_skipped, 0);
          check_run(&d, r, runs, what);
        }
        ASSERT_OK(weft_graph_run_n(pool, g, 4, &res));
        runs += 4;
        ASSERT_UEQ(res.iterations, 4);
        ASSERT_UEQ(res.nodes_run, 4ull * d.n);
        check_run(&d, r, runs, what);
        ASSERT(weft__graph_counters_clean(g));
        weft_graph_destroy(g);
        rec_free(r);
        dag_free(&d);
      }
    }
    test_pool_free(pool);
    weft__graph_force_strategy(0);
  }
}

/* The automatic choice: a pool of one worker always runs in order; on two
 * workers the first run shares, and nodes far above the probe threshold
 * (200 us each, against 1 us) are never run in order. */
TEST(graph_strategy_choice) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    weft_pool pool = test_pool_new(workers);
    dag d = dag_make(SHAPE_FAN, 24, 99);
    rec *r = rec_new(d.n);
    r->spin_us = 200;
    weft_graph *g = graph_of(&d, r, NULL, 0);
    ASSERT_OK(weft_graph_run(pool, g, NULL));
    uint64_t ord, sh;
    weft__graph_strategy_counts(g, &ord, &sh);
    ASSERT_UEQ(ord + sh, 1);
    ASSERT_UEQ(workers == 1 ? ord : sh, 1); /* one worker: in order; else shared first */
    ASSERT_OK(weft_graph_run_n(pool, g, 4, NULL));
    check_run(&d, r, 5, "fan of 200 us nodes");
    weft__graph_strategy_counts(g, &ord, &sh);
    ASSERT_UEQ(ord + sh, 5);
    if (workers == 2) ASSERT_UEQ(ord, 0);
    weft_graph_destroy(g);
    rec_free(r);
    dag_free(&d);
    test_pool_free(pool);
  }
  /* A graph built in order starts its first run in order: 200 us nodes
   * hand the rest to a shared run after a few nodes (counted as shared) and
   * every later run shares; tiny nodes usually finish in order (timing, so
   * not asserted), both correct. */
  weft_pool pool = test_pool_new(2);
  for (int slow = 0; slow <= 1; slow++) {
    dag d = dag_make_p(SHAPE_FAN, slow ? 24 : 3000, 99, 0);
    rec *r = rec_new(d.n);
    r->spin_us = slow ? 200 : 0;
    weft_graph *g = graph_of(&d, r, NULL, 0);
    weft_graph_result res;
    ASSERT_OK(weft_graph_run(pool, g, &res));
    ASSERT_UEQ(res.nodes_run, d.n);
    check_run(&d, r, 1, slow ? "hand-off, 200 us nodes" : "in order, tiny nodes");
    uint64_t ord, sh;
    weft__graph_strategy_counts(g, &ord, &sh);
    ASSERT_UEQ(ord + sh, 1);
    if (slow) ASSERT_UEQ(sh, 1);
    ASSERT_OK(weft_graph_run_n(pool, g, 3, NULL));
    check_run(&d, r, 4, "after the first run");
    ASSERT(weft__graph_counters_clean(g));
    weft__graph_strategy_counts(g, &ord, &sh);
    if (slow) ASSERT_UEQ(ord, 0);
    weft_graph_destroy(g);
    rec_free(r);
    dag_free(&d);
  }
  test_pool_free(pool);
}

/* A million-node chain (a loop, not a recursion) and a large random DAG
 * with ten edges per node: 1M nodes / 10M edges without sanitizers. */
TEST(graph_big) {
  weft_pool pool = test_pool_new(2);
  uint32_t n = (uint32_t)test_scaled(1000000, 20000);
  {
    rec *r = rec_new(n);
    weft_graph *g;
    ASSERT_OK(weft_graph_create(&g));
    weft_node prev = {0}, cur;
    double t0 = test_now();
    for (uint32_t i = 0; i < n; i++) {
      rec_args a = {r, i};
      ASSERT_OK(weft_graph_add(g, rec_fn, &a, sizeof a, &cur));
      if (i) ASSERT_OK(weft_graph_edge(g, prev, cur));
      prev = cur;
    }
    double t1 = test_now();
    weft_graph_result res;
    ASSERT_OK(weft_graph_run(pool, g, &res));
    double t2 = test_now();
    ASSERT_UEQ(res.nodes_run, n);
    for (uint32_t i = 0; i < n; i++) {
      ASSERT_UEQ(atomic_load(&r->count[i]), 1);
      if (i) ASSERT_ULT(atomic_load(&r->finish[i - 1]), atomic_load(&r->start[i]));
    }
    test_log("chain of %u: build %.3f s, first run (incl. validation) %.3f s", n, t1 - t0,
             t2 - t1);
    weft_graph_destroy(g);
    rec_free(r);
  }
  {
    uint64_t m = (uint64_t)n * 10;
    rec *r = rec_new(n);
    weft_graph *g;
    ASSERT_OK(weft_graph_create(&g));
    weft_node *nodes = malloc(n * sizeof *nodes);
    uint32_t *from = malloc(m * sizeof *from), *to = malloc(m * sizeof *to);
    ASSERT(nodes && from && to);
    for (uint32_t i = 0; i < n; i++) {
      rec_args a = {r, i};
      ASSERT_OK(weft_graph_add(g, rec_fn, &a, sizeof a, &nodes[i]));
    }
    uint64_t s = 42;
    double t0 = test_now();
    for (uint64_t k = 0; k < m; k++) {
      uint32_t a, b;
      do {
        a = rng_below(&s, n);
        /* mostly local edges, some long ones */
        b = (k & 3) ? a + 1 + rng_below(&s, 64) : rng_below(&s, n);
      } while (b >= n || a == b);
      if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
      }
      from[k] = a;
      to[k] = b;
      ASSERT_OK(weft_graph_edge(g, nodes[a], nodes[b]));
    }
    double t1 = test_now();
    weft_graph_error err;
    ASSERT_OK(weft_graph_validate(g, &err));
    double t2 = test_now();
    weft_graph_result res;
    ASSERT_OK(weft_graph_run(pool, g, &res));
    double t3 = test_now();
    ASSERT_OK(weft_graph_run(pool, g, &res));
    double t4 = test_now();
    ASSERT_UEQ(res.nodes_run, n);
    for (uint32_t i = 0; i < n; i++) ASSERT_UEQ(atomic_load(&r->count[i]), 2);
    for (uint64_t k = 0; k < m; k++)
      if (!(atomic_load(&r->finish[from[k]]) < atomic_load(&r->start[to[k]])))
        FAIL("edge %u -> %u violated", from[k], to[k]);
    test_log("random DAG %u nodes %llu edges: edges %.3f s, validate %.3f s, run %.3f s, "
             "re-run %.3f s", n, (unsigned long long)m, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
    weft_graph_destroy(g);
    free(nodes);
    free(from);
    free(to);
    rec_free(r);
  }
  test_pool_free(pool);
}

/* Deep shapes on a small stack: nesting stays under the limit, nothing
 * overflows, and the deferred path is taken. */
TEST(graph_small_stack) {
  weft__graph_force_strategy(2); /* the shared way's limits */
  static const int shapes[] = {SHAPE_CATERPILLAR, SHAPE_GRID, SHAPE_RANDOM, SHAPE_FAN,
                               SHAPE_OUT_TREE};
  for (unsigned workers = 1; workers <= 2; workers++) {
    weft_config cfg;
    weft_config_default(&cfg);
    cfg.workers = workers;
    cfg.stack_size = (size_t)128 << 10; /* depth limit 16 */
    weft_pool pool = test_pool_new_cfg(&cfg);
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
      uint32_t n = (uint32_t)test_scaled(200000, 20000);
      dag d = dag_make(shapes[k], n, 99 + k);
      rec *r = rec_new(d.n);
      r->probe_stack = 1;
      weft_graph *g = graph_of(&d, r, NULL, 1);
      weft__graph_depth_reset();
      uint64_t def0 = weft__graph_deferred();
      ASSERT_OK(weft_graph_run(pool, g, NULL));
      char what[64];
      snprintf(what, sizeof what, "%s, %u workers, 128 KiB stacks", shape_name[shapes[k]],
               workers);
      check_run(&d, r, 1, what);
      unsigned depth = weft__graph_depth_max();
      ASSERT_ULE(depth, 16);
      /* (the stack span means something on one worker: one stack) */
      test_log("%s: depth %u, deferred %llu, stack span %zu bytes", what, depth,
               (unsigned long long)(weft__graph_deferred() - def0),
               workers == 1 ? (size_t)(r->sp_max - r->sp_min) : 0);
      if (workers == 1) ASSERT_ULT(r->sp_max - r->sp_min, (size_t)64 << 10);
      weft_graph_destroy(g);
      rec_free(r);
      dag_free(&d);
    }
    test_pool_free(pool);
  }
  weft__graph_force_strategy(0);
}

/* The fallbacks: a deque too small to spawn into (every extra ready node is
 * deferred), a deque that fills up, and a depth limit of 1 and 2 (the
 * driver itself, or its first level, may not spawn). Every shape must still
 * run completely and in order. */
TEST(graph_deferred_paths) {
  weft__graph_force_strategy(2); /* the shared way's limits */
  static const struct {
    size_t frames;
    unsigned depth;
  } modes[] = {{16, 0}, {300, 0}, {1024, 0}, {65536, 1}, {65536, 2}};
  for (size_t mi = 0; mi < sizeof modes / sizeof modes[0]; mi++) {
    for (unsigned workers = 1; workers <= 2; workers++) {
      weft_config cfg;
      weft_config_default(&cfg);
      cfg.workers = workers;
      cfg.deque_frames = modes[mi].frames;
      weft_pool pool = test_pool_new_cfg(&cfg);
      weft__graph_set_depth_limit(modes[mi].depth);
      uint64_t def0 = weft__graph_deferred();
      for (int shape = 0; shape < SHAPE_COUNT; shape++) {
        uint32_t n = shape == SHAPE_DENSE ? 150 : (uint32_t)test_scaled(20000, 3000);
        dag d = dag_make(shape, n, 4242 + (uint64_t)shape);
        rec *r = rec_new(d.n);
        weft_graph *g = graph_of(&d, r, NULL, 1);
        char what[96];
        snprintf(what, sizeof what, "%s, %zu frames, depth limit %u, %u workers",
                 shape_name[shape], modes[mi].frames, modes[mi].depth, workers);
        ASSERT_OK(weft_graph_run_n(pool, g, 2, NULL));
        check_run(&d, r, 2, what);
        ASSERT(weft__graph_counters_clean(g));
        weft_graph_destroy(g);
        rec_free(r);
        dag_free(&d);
      }
      uint64_t deferred = weft__graph_deferred() - def0;
      test_log("%zu frames, depth limit %u, %u workers: %llu nodes deferred", modes[mi].frames,
               modes[mi].depth, workers, (unsigned long long)deferred);
      if (modes[mi].frames == 16 || modes[mi].depth == 1) ASSERT_UGT(deferred, 0);
      weft__graph_set_depth_limit(0);
      test_pool_free(pool);
    }
  }
  weft__graph_force_strategy(0);
}

/* The deepest shapes at the default stack: depth stays within 512 and the
 * stack used per level is small. */
TEST(graph_deep_default_stack) {
  weft__graph_force_strategy(2); /* the shared way's limits */
  weft_pool pool = test_pool_new(1);
  uint32_t n = (uint32_t)test_scaled(1000000, 50000);
  dag d = dag_make(SHAPE_CATERPILLAR, n, 5);
  rec *r = rec_new(d.n);
  r->probe_stack = 1;
  weft_graph *g = graph_of(&d, r, NULL, 1);
  weft__graph_depth_reset();
  ASSERT_OK(weft_graph_run(pool, g, NULL));
  check_run(&d, r, 1, "caterpillar, default stack");
  unsigned depth = weft__graph_depth_max();
  size_t span = (size_t)(r->sp_max - r->sp_min);
  test_log("caterpillar %u nodes: depth %u, stack span %zu bytes (%zu per level)", d.n, depth,
           span, depth > 1 ? span / (depth - 1) : 0);
  ASSERT_ULE(depth, 512);
  ASSERT_ULT(span, (size_t)4 << 20); /* far from the 8 MiB stack */
  weft_graph_destroy(g);
  rec_free(r);
  dag_free(&d);
  test_pool_free(pool);
  weft__graph_force_strategy(0);
}

/* A failing node: its status and handle come back, nothing after it runs,
 * nodes that ran respected every edge, and the next run is complete. */
TEST(graph_node_failure) {
  for (int st = 1; st < N_STRATEGIES; st++)
  for (int wk = 0; wk < N_WORKER_COUNTS; wk++) {
    weft__graph_force_strategy(st);
    weft_pool pool = test_pool_new(test_worker_counts[wk]);
    for (int shape = 0; shape < SHAPE_COUNT; shape++) {
      if (shape == SHAPE_DENSE) continue;
      uint64_t seed = 31u * (uint64_t)shape + (uint64_t)wk;
      dag d = dag_make(shape, (uint32_t)test_scaled(2000, 500), seed);
      uint32_t n = d.n;
      rec *r = rec_new(n);
      r->fail = calloc(n, sizeof *r->fail);
      weft_node *nodes;
      weft_graph *g = graph_of(&d, r, &nodes, 1);
      uint64_t s = seed;
      uint32_t nfail = 1 + rng_below(&s, 3);
      for (uint32_t k = 0; k < nfail; k++) r->fail[rng_below(&s, n)] = 100 + (int)k;
      for (int round = 0; round < 2; round++) {
        rec_clear(r);
        weft_graph_result res;
        int rc = weft_graph_run(pool, g, &res);
        ASSERT_ERR(rc, WEFT_ENODE_FAILED);
        uint32_t fi = UINT32_MAX;
        for (uint32_t i = 0; i < n; i++)
          if (nodes[i].id == res.node.id) fi = i;
        ASSERT_UNE(fi, UINT32_MAX);
        ASSERT_EQ(res.status, r->fail[fi]); /* a failing node, with its own status */
        ASSERT_NE(res.status, 0);
        ASSERT_UEQ(atomic_load(&r->count[fi]), 1);
        uint64_t ran = 0;
        for (uint32_t i = 0; i < n; i++) ran += atomic_load(&r->count[i]);
        ASSERT_UEQ(res.nodes_run, ran);
        ASSERT_UEQ(res.nodes_skipped, n - ran);
        ASSERT_UEQ(res.iterations, 0);
        /* Nodes that ran: every predecessor ran and finished first; nothing
         * ran after a failed node. */
        for (size_t e = 0; e < d.m; e++) {
          uint32_t u = d.from[e], v = d.to[e];
          if (atomic_load(&r->count[v]) == 0) continue;
          ASSERT_UEQ(atomic_load(&r->count[u]), 1);
          ASSERT_ULT(atomic_load(&r->finish[u]), atomic_load(&r->start[v]));
          if (r->fail[u]) FAIL("node %u ran after its failed predecessor %u", v, u);
        }
      }
      /* Without failures the next runs are complete (counters were reset). */
      memset(r->fail, 0, n * sizeof *r->fail);
      rec_clear(r);
      weft_graph_result res;
      ASSERT_OK(weft_graph_run_n(pool, g, 2, &res));
      ASSERT_UEQ(res.nodes_run, 2ull * n);
      check_run(&d, r, 2, shape_name[shape]);
      ASSERT(weft__graph_counters_clean(g));
      weft_graph_destroy(g);
      free(nodes);
      rec_free(r);
      dag_free(&d);
    }
    test_pool_free(pool);
    weft__graph_force_strategy(0);
  }
}

/* ------------------------------------------------------------ cancellation */

typedef struct {
  weft_graph *g;
  rec *r;
  _Atomic int go;
  _Atomic int rc_cancel;
  double t_cancel;
} canceller;

static void *cancel_thread(void *p) {
  canceller *c = p;
  /* Wait until some nodes ran, then cancel. */
  while (atomic_load(&c->r->started) < 20) test_sleep_ms(1);
  c->t_cancel = test_now();
  atomic_store(&c->rc_cancel, weft_graph_cancel(c->g));
  return NULL;
}

static int until_never(void *ctx, uint64_t k) {
  (void)ctx;
  (void)k;
  return 0;
}

TEST(graph_cancel) {
  for (int st = 1; st < N_STRATEGIES; st++)
  for (unsigned workers = 1; workers <= 5; workers += 4) {
    weft__graph_force_strategy(st);
    weft_pool pool = test_pool_new(workers);
    for (int mode = 0; mode < 2; mode++) {
      dag d = dag_make(mode ? SHAPE_GRID : SHAPE_LAYERED, 4000, 3 + (uint64_t)mode);
      rec *r = rec_new(d.n);
      r->spin_us = 200; /* ~0.8 s of work per run on one worker: cancel comes first */
      weft_graph *g = graph_of(&d, r, NULL, 0);
      ASSERT_EQ(weft_graph_cancel(g), 0); /* not running: nothing to cancel */
      canceller c = {g, r, 0, -100, 0};
      pthread_t th;
      ASSERT_EQ(pthread_create(&th, NULL, cancel_thread, &c), 0);
      weft_graph_result res;
      int rc = mode ? weft_graph_run_until(pool, g, until_never, NULL, &res)
                    : weft_graph_run(pool, g, &res);
      double t_end = test_now();
      ASSERT_EQ(pthread_join(th, NULL), 0);
      ASSERT_EQ(atomic_load(&c.rc_cancel), 1);
      ASSERT_ERR(rc, WEFT_ECANCELED);
      uint64_t ran = 0;
      for (uint32_t i = 0; i < d.n; i++) {
        uint32_t cnt = atomic_load(&r->count[i]);
        ran += cnt;
        /* nothing half-run: every node that started also finished */
        if (cnt && (!atomic_load(&r->finish[i]) || atomic_load(&r->finish[i]) < atomic_load(&r->start[i])))
          FAIL("node %u started but did not finish", i);
      }
      ASSERT_UEQ(res.nodes_run, ran);
      ASSERT_ULT(ran, (uint64_t)d.n * (mode ? 2 : 1));
      ASSERT_UGT(res.nodes_skipped, 0);
      ASSERT_UEQ(res.status, 0);
      test_log("%u workers, %s, %s: cancel after %llu nodes, returned after %.1f ms", workers,
               mode ? "run_until" : "run", strategy_name[st], (unsigned long long)ran,
               (t_end - c.t_cancel) * 1e3);
      ASSERT_LT((t_end - c.t_cancel), 2.0); /* promptly (generous for sanitizers) */
      /* Nodes that ran respected their edges. */
      for (size_t e = 0; e < d.m; e++) {
        uint32_t u = d.from[e], v = d.to[e];
        if (atomic_load(&r->count[v]) && !mode)
          ASSERT_ULT(atomic_load(&r->finish[u]), atomic_load(&r->start[v]));
      }
      /* The cancel does not stick: the next run is complete. */
      ASSERT_EQ(weft_graph_cancel(g), 0);
      r->spin_us = 0;
      rec_clear(r);
      ASSERT_OK(weft_graph_run(pool, g, &res));
      check_run(&d, r, 1, "after cancel");
      ASSERT(weft__graph_counters_clean(g));
      weft_graph_destroy(g);
      rec_free(r);
      dag_free(&d);
    }
    test_pool_free(pool);
    weft__graph_force_strategy(0);
  }
}

/* A node cancels its own graph: deterministic, from a worker. */
typedef struct {
  weft_graph **g;
  _Atomic int *hits;
} self_cancel_args;

static int self_cancel_fn(weft_worker *w, void *p) {
  (void)w;
  self_cancel_args *a = p;
  atomic_fetch_add(a->hits, 1);
  ASSERT_EQ(weft_graph_cancel(*a->g), 1);
  return 0;
}

static int count_fn(weft_worker *w, void *p) {
  (void)w;
  atomic_fetch_add(*(_Atomic int **)p, 1);
  return 0;
}

TEST(graph_cancel_from_node) {
  weft_pool pool = test_pool_new(2);
  weft_graph *g;
  ASSERT_OK(weft_graph_create(&g));
  _Atomic int hits = 0, after = 0;
  _Atomic int *ap = &after;
  self_cancel_args sa = {&g, &hits};
  weft_node first, prev;
  ASSERT_OK(weft_graph_add(g, self_cancel_fn, &sa, sizeof sa, &first));
  prev = first;
  for (int i = 0; i < 100; i++) {
    weft_node x;
    ASSERT_OK(weft_graph_add(g, count_fn, &ap, sizeof ap, &x));
    ASSERT_OK(weft_graph_edge(g, prev, x));
    prev = x;
  }
  weft_graph_result res;
  ASSERT_ERR(weft_graph_run(pool, g, &res), WEFT_ECANCELED);
  ASSERT_EQ(atomic_load(&hits), 1);
  ASSERT_EQ(atomic_load(&after), 0);
  ASSERT_UEQ(res.nodes_run, 1);
  ASSERT_UEQ(res.nodes_skipped, 100);
  /* run_n stops at the first cancel too. */
  ASSERT_ERR(weft_graph_run_n(pool, g, 10, &res), WEFT_ECANCELED);
  ASSERT_UEQ(res.iterations, 0);
  ASSERT_EQ(atomic_load(&hits), 2);
  ASSERT_EQ(atomic_load(&after), 0);
  weft_graph_destroy(g);
  test_pool_free(pool);
}

/* -------------------------------------------------------- nested, subgraph */

typedef struct {
  long n, r;
} fibnode_t;

static int fib_node_fn(weft_worker *w, void *p) {
  fibnode_t *a = p;
  fib_t f = {a->n, 0};
  fib_macro(w, &f); /* fork-join children, synced before returning */
  a->r = f.r;
  return 0;
}

typedef struct {
  int depth;
  uint32_t width;
  uint64_t seed;
  long result;
} sub_args;

static int sub_fn(weft_worker *w, void *p);

/* A node that builds a random subgraph (of sub_fn nodes one level down, or
 * fib nodes at the bottom) and runs it from inside the pool. */
static int sub_fn(weft_worker *w, void *p) {
  sub_args *a = p;
  weft_graph *g;
  ASSERT_OK(weft_graph_create(&g));
  uint32_t n = a->width;
  weft_node nodes[16];
  ASSERT_ULE(n, 16);
  for (uint32_t i = 0; i < n; i++) {
    if (a->depth > 0) {
      sub_args c = {a->depth - 1, a->width, a->seed * 31 + i, 0};
      ASSERT_OK(weft_graph_add(g, sub_fn, &c, sizeof c, &nodes[i]));
    } else {
      fibnode_t f = {10 + (long)(i % 8), 0};
      ASSERT_OK(weft_graph_add(g, fib_node_fn, &f, sizeof f, &nodes[i]));
    }
  }
  uint64_t s = a->seed;
  for (uint32_t i = 1; i < n; i++) ASSERT_OK(weft_graph_edge(g, nodes[rng_below(&s, i)], nodes[i]));
  weft_graph_result res;
  int rc = weft_graph_run_in(w, g, &res);
  if (rc != 0) FAIL("subgraph run failed: %d", rc);
  ASSERT_UEQ(res.nodes_run, n);
  /* A graph cannot run inside itself: EBUSY. */
  long sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    void *args;
    ASSERT_OK(weft_graph_node_args(g, nodes[i], &args));
    sum += a->depth > 0 ? ((sub_args *)args)->result : ((fibnode_t *)args)->r;
  }
  a->result = sum;
  weft_graph_destroy(g);
  return 0;
}

static long sub_expected(int depth, uint32_t width) {
  if (depth > 0) return (long)width * sub_expected(depth - 1, width);
  long sum = 0;
  for (uint32_t i = 0; i < width; i++) sum += fib_seq(10 + (long)(i % 8));
  return sum;
}

typedef struct {
  weft_graph **g;
  int rc;
} reenter_args;

static int reenter_fn(weft_worker *w, void *p) {
  reenter_args *a = p;
  a->rc = weft_graph_run_in(w, *a->g, NULL);
  return 0;
}

TEST(graph_nested) {
  for (int wk = 0; wk < N_WORKER_COUNTS; wk++) {
    weft_pool pool = test_pool_new(test_worker_counts[wk]);
    weft_graph *g;
    ASSERT_OK(weft_graph_create(&g));
    /* fork-join inside nodes */
    weft_node fnodes[32];
    for (int i = 0; i < 32; i++) {
      fibnode_t f = {15 + i % 10, 0};
      ASSERT_OK(weft_graph_add(g, fib_node_fn, &f, sizeof f, &fnodes[i]));
      if (i) ASSERT_OK(weft_graph_edge(g, fnodes[(i - 1) / 2], fnodes[i]));
    }
    /* subgraphs two levels deep */
    weft_node sub[4];
    for (int i = 0; i < 4; i++) {
      sub_args sa = {2, 6, (uint64_t)i + 1, 0};
      ASSERT_OK(weft_graph_add(g, sub_fn, &sa, sizeof sa, &sub[i]));
      ASSERT_OK(weft_graph_edge(g, fnodes[i], sub[i]));
    }
    /* a node that tries to run its own graph */
    reenter_args ra = {&g, 1};
    weft_node re;
    ASSERT_OK(weft_graph_add(g, reenter_fn, &ra, sizeof ra, &re));
    for (int rep = 0; rep < 3; rep++) {
      weft_graph_result res;
      ASSERT_OK(weft_graph_run(pool, g, &res));
      ASSERT_UEQ(res.nodes_run, 37);
      for (int i = 0; i < 32; i++) {
        void *args;
        ASSERT_OK(weft_graph_node_args(g, fnodes[i], &args));
        ASSERT_EQ(((fibnode_t *)args)->r, fib_seq(15 + i % 10));
      }
      for (int i = 0; i < 4; i++) {
        void *args;
        ASSERT_OK(weft_graph_node_args(g, sub[i], &args));
        ASSERT_EQ(((sub_args *)args)->result, sub_expected(2, 6));
      }
      void *args;
      ASSERT_OK(weft_graph_node_args(g, re, &args));
      ASSERT_ERR(((reenter_args *)args)->rc, WEFT_EBUSY);
    }
    weft_graph_destroy(g);
    test_pool_free(pool);
  }
}

/* weft_graph_run from inside a task of the same pool runs inline. */
typedef struct {
  weft_graph *g;
  int rc, rc_in;
} from_task_args;

static void from_task(weft_worker *w, void *p) {
  from_task_args *a = p;
  a->rc = weft_graph_run(weft_worker_pool(w), a->g, NULL);
  a->rc_in = weft_graph_run_in(w, a->g, NULL);
}

TEST(graph_run_from_task) {
  weft_pool pool = test_pool_new(2);
  dag d = dag_make(SHAPE_RANDOM, 500, 77);
  rec *r = rec_new(d.n);
  weft_graph *g = graph_of(&d, r, NULL, 1);
  from_task_args a = {g, -1, -1};
  ASSERT_OK(weft_run(pool, from_task, &a));
  ASSERT_OK(a.rc);
  ASSERT_OK(a.rc_in);
  check_run(&d, r, 2, "from task");
  weft_graph_destroy(g);
  rec_free(r);
  dag_free(&d);
  test_pool_free(pool);
}

/* ---------------------------------------------------------- run_n / until */

typedef struct {
  uint64_t calls, last_k, limit;
} until_ctx;

static int until_fn(void *ctx, uint64_t k) {
  until_ctx *c = ctx;
  ASSERT_UEQ(k, c->calls); /* k counts completed runs */
  c->calls++;
  c->last_k = k;
  return k >= c->limit;
}

TEST(graph_run_n_until) {
  weft_pool pool = test_pool_new(2);
  dag d = dag_make(SHAPE_LAYERED, 300, 11);
  rec *r = rec_new(d.n);
  weft_graph *g = graph_of(&d, r, NULL, 1);
  weft_graph_result res;
  ASSERT_OK(weft_graph_run_n(pool, g, 0, &res));
  ASSERT_UEQ(res.iterations, 0);
  ASSERT_UEQ(res.nodes_run, 0);
  ASSERT_UEQ(atomic_load(&r->started), 0);
  ASSERT_OK(weft_graph_run_n(pool, g, 5, &res));
  ASSERT_UEQ(res.iterations, 5);
  ASSERT_UEQ(res.nodes_run, 5ull * d.n);
  check_run(&d, r, 5, "run_n");
  until_ctx c = {0, 0, 7};
  ASSERT_OK(weft_graph_run_until(pool, g, until_fn, &c, &res));
  ASSERT_UEQ(res.iterations, 7);
  ASSERT_UEQ(c.calls, 8);
  check_run(&d, r, 12, "run_until");
  until_ctx c0 = {0, 0, 0};
  ASSERT_OK(weft_graph_run_until(pool, g, until_fn, &c0, &res));
  ASSERT_UEQ(res.iterations, 0);
  ASSERT_OK(weft_graph_run_n(pool, g, 3, NULL)); /* res may be NULL */
  check_run(&d, r, 15, "run_n, no result");
  weft_graph_destroy(g);
  rec_free(r);
  dag_free(&d);
  test_pool_free(pool);
}

/* ----------------------------------------------------- concurrent graphs */

typedef struct {
  weft_pool pool;
  int id;
} conc_args;

static void *conc_thread(void *p) {
  conc_args *a = p;
  uint32_t n = (uint32_t)test_scaled(4000, 500);
  dag d = dag_make(a->id % SHAPE_COUNT == SHAPE_DENSE ? SHAPE_RANDOM : a->id % SHAPE_COUNT, n,
                   500 + (uint64_t)a->id);
  rec *r = rec_new(d.n);
  weft_graph *g = graph_of(&d, r, NULL, a->id & 1);
  int reps = (int)test_scaled(20, 4);
  for (int i = 0; i < reps; i++) {
    weft_graph_result res;
    ASSERT_OK(weft_graph_run(a->pool, g, &res));
    ASSERT_UEQ(res.nodes_run, d.n);
  }
  check_run(&d, r, (uint32_t)reps, "concurrent");
  weft_graph_destroy(g);
  rec_free(r);
  dag_free(&d);
  return NULL;
}

TEST(graph_concurrent) {
  for (int wk = 0; wk < N_WORKER_COUNTS; wk++) {
    weft_pool pool = test_pool_new(test_worker_counts[wk]);
    enum { T = 4 };
    pthread_t th[T];
    conc_args a[T];
    for (int i = 0; i < T; i++) {
      a[i].pool = pool;
      a[i].id = i + 10 * wk;
      ASSERT_EQ(pthread_create(&th[i], NULL, conc_thread, &a[i]), 0);
    }
    for (int i = 0; i < T; i++) ASSERT_EQ(pthread_join(th[i], NULL), 0);
    test_pool_free(pool);
  }
}

/* The same graph twice at once: the second gets EBUSY; so do changes. */
typedef struct {
  _Atomic int entered, release;
} gate_t;

static int gate_fn(weft_worker *w, void *p) {
  (void)w;
  gate_t *gt = *(gate_t **)p;
  atomic_store(&gt->entered, 1);
  while (!atomic_load(&gt->release)) test_sleep_ms(1);
  return 0;
}

typedef struct {
  weft_pool pool;
  weft_graph *g;
  int rc;
} busy_args;

static void *busy_thread(void *p) {
  busy_args *a = p;
  a->rc = weft_graph_run(a->pool, a->g, NULL);
  return NULL;
}

TEST(graph_busy) {
  weft_pool pool = test_pool_new(2);
  weft_graph *g;
  ASSERT_OK(weft_graph_create(&g));
  gate_t gate = {0, 0};
  gate_t *gp = &gate;
  weft_node a, b;
  ASSERT_OK(weft_graph_add(g, gate_fn, &gp, sizeof gp, &a));
  ASSERT_OK(weft_graph_add(g, nop_fn, NULL, 0, &b));
  ASSERT_OK(weft_graph_edge(g, a, b));
  busy_args ba = {pool, g, -100};
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, NULL, busy_thread, &ba), 0);
  while (!atomic_load(&gate.entered)) test_sleep_ms(1);
  ASSERT_ERR(weft_graph_run(pool, g, NULL), WEFT_EBUSY);
  ASSERT_ERR(weft_graph_run_n(pool, g, 2, NULL), WEFT_EBUSY);
  ASSERT_ERR(weft_graph_validate(g, NULL), WEFT_EBUSY);
  weft_node c;
  ASSERT_ERR(weft_graph_add(g, nop_fn, NULL, 0, &c), WEFT_EBUSY);
  ASSERT_ERR(weft_graph_edge(g, b, a), WEFT_EBUSY);
  ASSERT_ERR(weft_graph_name(g, a, "x"), WEFT_EBUSY);
  ASSERT_ERR(weft_graph_clear(g), WEFT_EBUSY);
  size_t need = 0;
  ASSERT_OK(weft_graph_dot(g, NULL, 0, &need)); /* reading is fine */
  ASSERT_UGT(need, 0);
  atomic_store(&gate.release, 1);
  ASSERT_EQ(pthread_join(th, NULL), 0);
  ASSERT_OK(ba.rc);
  /* EBUSY changed nothing and did not break the graph. */
  ASSERT_OK(weft_graph_validate(g, NULL));
  size_t nn, ne;
  weft_graph_count(g, &nn, &ne);
  ASSERT_UEQ(nn, 2);
  ASSERT_UEQ(ne, 1);
  ASSERT_OK(weft_graph_run(pool, g, NULL));
  weft_graph_destroy(g);
  test_pool_free(pool);
}

/* --------------------------------------------- re-runs allocate nothing */

TEST(graph_rerun_no_alloc) {
  weft_pool pool = test_pool_new(2);
  for (int shape = 0; shape < SHAPE_COUNT; shape++) {
    dag d = dag_make(shape, shape == SHAPE_DENSE ? 150 : 5000, 1234 + (uint64_t)shape);
    rec *r = rec_new(d.n);
    r->fail = calloc(d.n, sizeof *r->fail);
    weft_graph *g = graph_of(&d, r, NULL, 1);
    /* The first run validates; a graph built in order (no-edges here) may
     * run it in order and share (building the successor arrays) only from
     * its second. */
    ASSERT_OK(weft_graph_run_n(pool, g, 2, NULL));
    uint64_t a0 = weft__graph_allocs();
    ASSERT_OK(weft_graph_run(pool, g, NULL));
    ASSERT_OK(weft_graph_run_n(pool, g, 5, NULL));
    r->fail[d.n / 2] = 7; /* a failed run, then a reset run: still nothing */
    ASSERT_ERR(weft_graph_run(pool, g, NULL), WEFT_ENODE_FAILED);
    r->fail[d.n / 2] = 0;
    ASSERT_OK(weft_graph_run(pool, g, NULL));
    ASSERT_UEQ(weft__graph_allocs(), a0);
    /* Changing the graph revalidates; clear + rebuild reuses the chunks. */
    weft_graph_destroy(g);
    rec_free(r);
    dag_free(&d);
  }
  test_pool_free(pool);
}

/* A graph built in order runs with no CSR arrays on one worker (ordered),
 * then on two with shared runs (the arrays made on demand); then it grows:
 * a new node with an edge back to node 0 (acyclic, but index order is no
 * longer a topological order), and finally an edge closing a cycle. Each
 * stage is checked against its edges under each strategy. */
TEST(graph_grow_after_run) {
  weft_pool one = test_pool_new(1), two = test_pool_new(2);
  const uint32_t k = 500;
  dag d = dag_make_p(SHAPE_CHAIN, k, 77, 0);
  rec *r = rec_new(k + 1);
  weft_node *nodes;
  weft_graph *g = graph_of(&d, r, &nodes, 0);
  uint32_t runs = 0;
  ASSERT_OK(weft_graph_run(one, g, NULL));
  check_run(&d, r, ++runs, "in order, one worker");
  for (int st = 0; st < N_STRATEGIES; st++) {
    weft__graph_force_strategy(st);
    ASSERT_OK(weft_graph_run(two, g, NULL));
    ASSERT_OK(weft_graph_run(one, g, NULL));
    runs += 2;
    check_run(&d, r, runs, strategy_name[st]);
    ASSERT(weft__graph_counters_clean(g));
  }
  /* x = node k, before node 0. */
  weft_node x;
  rec_args xa = {r, k};
  ASSERT_OK(weft_graph_add(g, rec_fn, &xa, sizeof xa, &x));
  ASSERT_OK(weft_graph_edge(g, x, nodes[0]));
  d.n = k + 1;
  dag_edge(&d, k, 0);
  atomic_store(&r->count[k], runs); /* as if it had run every time */
  ASSERT_OK(weft_graph_validate(g, NULL));
  for (int st = 0; st < N_STRATEGIES; st++) {
    weft__graph_force_strategy(st);
    ASSERT_OK(weft_graph_run(two, g, NULL));
    check_run(&d, r, ++runs, "grown, backward edge");
    ASSERT_OK(weft_graph_run(one, g, NULL));
    check_run(&d, r, ++runs, "grown, backward edge, one worker");
    ASSERT(weft__graph_counters_clean(g));
  }
  weft__graph_force_strategy(0);
  /* The chain's end -> x closes a cycle through every node. */
  ASSERT_OK(weft_graph_edge(g, nodes[k - 1], x));
  weft_graph_error err;
  ASSERT_ERR(weft_graph_validate(g, &err), WEFT_ECYCLE);
  ASSERT_UEQ(err.cycle_length, k + 1);
  ASSERT_ERR(weft_graph_run(two, g, NULL), WEFT_ECYCLE);
  ASSERT_ERR(weft_graph_run(one, g, NULL), WEFT_ECYCLE);
  check_run(&d, r, runs, "after the cycle (nothing ran)");
  weft_graph_destroy(g);
  free(nodes);
  rec_free(r);
  dag_free(&d);
  test_pool_free(one);
  test_pool_free(two);
}

/* -------------------------------------------------------------------- DOT */

TEST(graph_dot) {
  weft_graph *g;
  ASSERT_OK(weft_graph_create(&g));
  weft_node a, b, c;
  ASSERT_OK(weft_graph_add(g, nop_fn, NULL, 0, &a));
  ASSERT_OK(weft_graph_add(g, nop_fn, NULL, 0, &b));
  ASSERT_OK(weft_graph_add(g, nop_fn, NULL, 0, &c));
  ASSERT_OK(weft_graph_name(g, a, "load"));
  ASSERT_OK(weft_graph_name(g, c, "say \"hi\"\\\n"));
  ASSERT_OK(weft_graph_edge(g, a, b));
  ASSERT_OK(weft_graph_edge(g, a, c));
  ASSERT_OK(weft_graph_edge(g, b, c));
  const char *want =
      "digraph weft {\n"
      "  n0 [label=\"load\"];\n"
      "  n1;\n"
      "  n2 [label=\"say \\\"hi\\\"\\\\\\n\"];\n"
      "  n0 -> n1;\n"
      "  n0 -> n2;\n"
      "  n1 -> n2;\n"
      "}\n";
  size_t need = 0;
  ASSERT_OK(weft_graph_dot(g, NULL, 0, &need));
  ASSERT_UEQ(need, strlen(want) + 1);
  char buf[512];
  ASSERT_OK(weft_graph_dot(g, buf, sizeof buf, &need));
  ASSERT_STR_EQ(buf, want);
  /* Truncation: NUL-terminated prefix, needed unchanged. */
  char small[10];
  memset(small, 'x', sizeof small);
  ASSERT_OK(weft_graph_dot(g, small, sizeof small, &need));
  ASSERT_UEQ(need, strlen(want) + 1);
  ASSERT_UEQ(strlen(small), 9);
  ASSERT(strncmp(small, want, 9) == 0);
  ASSERT_ERR(weft_graph_dot(g, NULL, 5, &need), WEFT_EINVAL);
  weft_graph_destroy(g);
}

/* Many names: the arena grows in chunks, clear reuses them, long names get
 * their own chunk. */
TEST(graph_names_arena) {
  weft_graph *g;
  ASSERT_OK(weft_graph_create(&g));
  char name[64];
  char *longname = malloc(200000);
  memset(longname, 'L', 199999);
  longname[199999] = '\0';
  for (int round = 0; round < 3; round++) {
    uint32_t n = 50000;
    weft_node *nodes = malloc(n * sizeof *nodes);
    for (uint32_t i = 0; i < n; i++) {
      ASSERT_OK(weft_graph_add(g, nop_fn, NULL, 0, &nodes[i]));
      snprintf(name, sizeof name, "r%d-node-%u", round, i);
      ASSERT_OK(weft_graph_name(g, nodes[i], i == 777 ? longname : name));
    }
    uint64_t a0 = weft__graph_allocs();
    for (uint32_t i = 0; i < n; i++) {
      snprintf(name, sizeof name, "r%d-node-%u", round, i);
      ASSERT_STR_EQ(weft_graph_node_name(g, nodes[i]), i == 777 ? longname : name);
    }
    ASSERT_UEQ(weft__graph_allocs(), a0);
    free(nodes);
    ASSERT_OK(weft_graph_clear(g));
  }
  free(longname);
  weft_graph_destroy(g);
}

/* Argument blocks of every size class: up to 16 bytes live in the node,
 * bigger ones in the graph's arena, between the nodes' names. Each node
 * checks its pattern and counts its runs in its own block; the blocks
 * persist across runs; names and blocks stay intact when the arena is
 * reused after weft_graph_clear. */
typedef struct {
  uint32_t size;
  uint8_t pattern;
} args_probe;

static int args_fn(weft_worker *w, void *p) {
  (void)w;
  unsigned char *b = p;
  /* layout: [size][pattern][count (if size >= 8)][pattern bytes...] */
  uint32_t size = b[0];
  uint8_t pat = b[1];
  ASSERT_EQ(((uintptr_t)p) % 8, 0); /* blocks are 8-aligned at least */
  for (uint32_t i = 8; i < size; i++) ASSERT_EQ(b[i], (uint8_t)(pat + i));
  if (size >= 8) {
    uint32_t count;
    memcpy(&count, b + 4, 4);
    count++;
    memcpy(b + 4, &count, 4);
  }
  return 0;
}

TEST(graph_args_sizes) {
  weft_pool pool = test_pool_new(2);
  weft_graph *g;
  ASSERT_OK(weft_graph_create(&g));
  static const uint32_t sizes[] = {2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 47, 48};
  enum { NS = sizeof sizes / sizeof sizes[0], REP = 50 };
  weft_node nodes[NS * REP];
  char name[64];
  for (int round = 0; round < 2; round++) {
    for (uint32_t r = 0; r < REP; r++) {
      for (uint32_t k = 0; k < NS; k++) {
        unsigned char b[WEFT_ARGS_MAX];
        memset(b, 0xee, sizeof b);
        uint32_t size = sizes[k];
        b[0] = (unsigned char)size;
        b[1] = (unsigned char)(r * 7 + k + round);
        memset(b + 2, 0, 6); /* count = 0 */
        for (uint32_t i = 8; i < size; i++) b[i] = (uint8_t)(b[1] + i);
        ASSERT_OK(weft_graph_add(g, args_fn, b, size, &nodes[r * NS + k]));
        snprintf(name, sizeof name, "%d-%u-%.*s", round, r, (int)(k + round * 3), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ASSERT_OK(weft_graph_name(g, nodes[r * NS + k], name));
        if (r * NS + k > 0) ASSERT_OK(weft_graph_edge(g, nodes[(r * NS + k) / 2], nodes[r * NS + k]));
      }
    }
    ASSERT_OK(weft_graph_run_n(pool, g, 3, NULL));
    for (uint32_t r = 0; r < REP; r++) {
      for (uint32_t k = 0; k < NS; k++) {
        void *p;
        ASSERT_OK(weft_graph_node_args(g, nodes[r * NS + k], &p));
        unsigned char *b = p;
        ASSERT_EQ(b[0], sizes[k]);
        if (sizes[k] >= 8) {
          uint32_t count;
          memcpy(&count, b + 4, 4);
          ASSERT_EQ(count, 3);
        }
        /* bytes past `size` are zero (the block is zero-filled) */
        for (uint32_t i = sizes[k]; i < (sizes[k] <= 16 ? 16u : (uint32_t)WEFT_ARGS_MAX); i++)
          ASSERT_EQ(b[i], 0);
        snprintf(name, sizeof name, "%d-%u-%.*s", round, r, (int)(k + round * 3), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ASSERT_STR_EQ(weft_graph_node_name(g, nodes[r * NS + k]), name);
      }
    }
    ASSERT_OK(weft_graph_clear(g));
  }
  weft_graph_destroy(g);
  test_pool_free(pool);
}

/* A destroyed graph is kept whole for the next weft_graph_create: the new
 * graph is empty and knows neither the old handles nor the old names, a
 * graph of the same shape built in it allocates nothing, its strategy
 * starts afresh, and its runs are right (edges going backwards: Kahn's
 * order and the successor arrays are rebuilt in the kept arrays). */
TEST(graph_kept_memory) {
  weft_pool pool = test_pool_new(2);
  dag d = dag_make_p(SHAPE_RANDOM, 3000, 5, 1);
  weft_node old = {0};
  uint64_t allocs[3];
  for (int round = 0; round < 3; round++) {
    rec *r = rec_new(d.n);
    uint64_t a0 = weft__graph_allocs();
    weft_node *nodes;
    weft_graph *g = graph_of(&d, r, &nodes, round == 1);
    size_t nn, ne;
    weft_graph_count(g, &nn, &ne);
    ASSERT_UEQ(nn, d.n);
    ASSERT_UEQ(ne, d.m);
    void *p;
    ASSERT_EQ(weft_graph_node_args(g, old, &p), WEFT_EFOREIGN);
    ASSERT(weft_graph_node_name(g, old) == NULL);
    ASSERT(weft_graph_node_name(g, nodes[d.n - 1]) == NULL);
    ASSERT_OK(weft_graph_name(g, nodes[d.n - 1], "last"));
    uint64_t ord, sh;
    weft__graph_strategy_counts(g, &ord, &sh);
    ASSERT_UEQ(ord + sh, 0);
    ASSERT_OK(weft_graph_run_n(pool, g, 2, NULL));
    check_run(&d, r, 2, "kept graph");
    ASSERT_STR_EQ(weft_graph_node_name(g, nodes[d.n - 1]), "last");
    allocs[round] = weft__graph_allocs() - a0;
    old = nodes[0];
    free(nodes);
    weft_graph_destroy(g);
    rec_free(r);
  }
  ASSERT(allocs[0] > 0);
  ASSERT_UEQ(allocs[1], 0);
  ASSERT_UEQ(allocs[2], 0);
  dag_free(&d);
  test_pool_free(pool);
}

/* The memory of kept graphs stays within the limit when their nodes have
 * names. A named node chunk also holds a table of name pointers (a quarter
 * of the chunk), which the count once left out, with the struct and the
 * pointer arrays: kept named graphs came to ~1.2 times the limit. The limit
 * is lowered to 16 MiB here; each graph is 4096 named nodes (one node
 * chunk, one full 64 KiB arena chunk of names, one name table). How many
 * were kept: the creates, after destroying them all, that allocate
 * nothing. What they hold: on Linux without sanitizers, the growth of
 * resident memory while all were alive, per graph; everywhere, at least
 * their node records (32 bytes), name pointers and names (16 bytes, the
 * arena's alignment). */
TEST(graph_kept_named_bytes) {
  enum { M = 128, N = 4096 };
  const size_t limit = (size_t)16 << 20;
  weft__graph_set_keep_limit(limit);
  static weft_graph *gs[M];
  char name[16];
  long rss0 = test_rss_kib();
  for (int m = 0; m < M; m++) {
    ASSERT_OK(weft_graph_create(&gs[m]));
    for (uint32_t i = 0; i < N; i++) {
      weft_node n;
      ASSERT_OK(weft_graph_add(gs[m], nop_fn, NULL, 0, &n));
      snprintf(name, sizeof name, "n%u", (unsigned)i);
      ASSERT_OK(weft_graph_name(gs[m], n, name));
    }
  }
  long rss1 = test_rss_kib();
  for (int m = 0; m < M; m++) weft_graph_destroy(gs[m]);
  int kept = 0;
  for (int m = 0; m < M; m++) {
    uint64_t a0 = weft__graph_allocs();
    ASSERT_OK(weft_graph_create(&gs[m]));
    if (weft__graph_allocs() == a0) kept++;
  }
  /* A kept graph is empty and serves a graph of the same shape without
   * allocating. */
  uint64_t a0 = weft__graph_allocs();
  weft_node n0 = {0};
  for (uint32_t i = 0; i < N; i++) {
    weft_node n;
    ASSERT_OK(weft_graph_add(gs[0], nop_fn, NULL, 0, &n));
    if (i == 0) n0 = n;
    snprintf(name, sizeof name, "n%u", (unsigned)i);
    ASSERT_OK(weft_graph_name(gs[0], n, name));
  }
  ASSERT_UEQ(weft__graph_allocs(), a0);
  ASSERT_STR_EQ(weft_graph_node_name(gs[0], n0), "n0");
  test_log("%d of %d graphs of %d named nodes kept under %zu KiB; resident %ld KiB for all %d",
           kept, M, N, limit >> 10, rss1 - rss0, M);
  ASSERT_GT(kept, 0);
  ASSERT_LT(kept, M); /* the limit was reached */
  ASSERT_LE((size_t)kept * N * (32 + sizeof(char *) + 16), limit);
  if (test_have_proc() && !test_emulated() && !test_sanitized() && rss0 > 0 && rss1 > rss0) {
    /* 10 % over the limit for page rounding and malloc's headers. */
    double kept_kib = (double)(rss1 - rss0) / M * kept;
    ASSERT(kept_kib <= 1.10 * (double)(limit >> 10));
  }
  for (int m = 0; m < M; m++) weft_graph_destroy(gs[m]);
  weft__graph_set_keep_limit(0);
}
