/*
 * trace_runs.c - real runs recorded with weft_trace_*, for test/check_trace.py
 * (ctest: trace_check). For each scenario it writes DIR/<name>.json (the
 * trace) and appends one line to DIR/expect.jsonl: what the trace must show,
 * from an independent count (weft_pool_stats, the number of nodes and tasks
 * the scenario made, the ring size).
 *
 *   weft_trace_runs DIR
 */
#include <weft.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static FILE *expect;

#define CHECK(x)                                                                        \
  do {                                                                                  \
    int rc_ = (x);                                                                      \
    if (rc_) {                                                                          \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, weft_strerror(rc_));   \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)

static int sink(void *user, const char *data, size_t len) {
  return fwrite(data, 1, len, (FILE *)user) == len ? 0 : -100;
}

static void save(weft_pool pool, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.json", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  CHECK(weft_trace_write(pool, sink, f));
  fclose(f);
}

static void totals(weft_pool pool, weft_worker_stats *s) { CHECK(weft_pool_stats_total(pool, s)); }

static uint64_t dropped_total(weft_pool pool) {
  uint64_t sum = 0, d;
  int n = weft_pool_workers(pool);
  for (int i = 0; i <= n; i++) {
    CHECK(weft_trace_counts(pool, (unsigned)i, NULL, &d));
    sum += d;
  }
  return sum;
}

/* ---- fork-join: fib with WEFT_TASK */

WEFT_TASK_1(long, fib, long, n) {
  if (n < 2) return n;
  fib_spawn(w, n - 1);
  long y = fib(w, n - 2);
  return fib_sync(w) + y;
}

static long fib_seq(long n) { return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2); }

static void forkjoin(const char *name, unsigned level, size_t ring, long n, int jobs) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 3; /* more workers than cores: steals and sleeps happen */
  cfg.spin_rounds = 64;
  weft_pool pool;
  CHECK(weft_pool_create(&pool, &cfg));
  CHECK(weft_trace_name(pool, (const void *)fib_task, "fib"));
  CHECK(weft_trace_start(pool, level, ring));
  for (int j = 0; j < jobs; j++) {
    long r = 0;
    CHECK(fib_run(pool, &r, n));
    if (r != fib_seq(n)) {
      fprintf(stderr, "fib(%ld) = %ld\n", n, r);
      exit(1);
    }
  }
  CHECK(weft_trace_stop(pool));
  weft_worker_stats s;
  totals(pool, &s);
  save(pool, name);
  fprintf(expect,
          "{\"file\":\"%s.json\",\"level\":\"%s\",\"workers\":3,\"roots\":%llu,\"steals\":%llu,"
          "\"spawns\":%llu,\"sleeps\":%llu,\"dropped\":%llu,\"names\":[\"fib\"]}\n",
          name, level == WEFT_TRACE_FINE ? "fine" : "coarse", (unsigned long long)s.roots,
          (unsigned long long)s.steals, (unsigned long long)s.spawns,
          (unsigned long long)s.sleeps, (unsigned long long)dropped_total(pool));
  CHECK(weft_pool_destroy(pool));
}

/* ---- a graph: a wavefront of small nodes, some named */

typedef struct cell {
  _Atomic uint64_t *grid;
  uint32_t r, c, n;
} cell;

static int cell_fn(weft_worker *w, void *p) {
  (void)w;
  cell *a = p;
  uint64_t up = a->r ? atomic_load(&a->grid[(a->r - 1) * a->n + a->c]) : 1;
  uint64_t left = a->c ? atomic_load(&a->grid[a->r * a->n + a->c - 1]) : 1;
  uint64_t v = (up + left) % 1000003u;
  for (int i = 0; i < 200; i++) v = (v * 31 + 7) % 1000003u; /* a little work */
  atomic_store(&a->grid[a->r * a->n + a->c], v);
  return 0;
}

static void graph(const char *name, unsigned level) {
  enum { N = 48, RUNS = 3 };
  weft_pool pool;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  CHECK(weft_pool_create(&pool, &cfg));
  static _Atomic uint64_t grid[N * N];
  weft_graph *g;
  CHECK(weft_graph_create(&g));
  weft_node nodes[N * N];
  for (uint32_t r = 0; r < N; r++)
    for (uint32_t c = 0; c < N; c++) {
      cell a = {grid, r, c, N};
      CHECK(weft_graph_add(g, cell_fn, &a, sizeof a, &nodes[r * N + c]));
      if (r == c) {
        char nm[32];
        snprintf(nm, sizeof nm, "diag %u", r);
        CHECK(weft_graph_name(g, nodes[r * N + c], nm));
      }
      if (r) CHECK(weft_graph_edge(g, nodes[(r - 1) * N + c], nodes[r * N + c]));
      if (c) CHECK(weft_graph_edge(g, nodes[r * N + c - 1], nodes[r * N + c]));
    }
  CHECK(weft_trace_name(pool, (const void *)cell_fn, "cell"));
  CHECK(weft_trace_start(pool, level, 0));
  for (int i = 0; i < RUNS; i++) CHECK(weft_graph_run(pool, g, NULL));
  CHECK(weft_trace_stop(pool));
  weft_worker_stats s;
  totals(pool, &s);
  save(pool, name);
  /* Names of nodes show where nodes are traced one by one (fine level;
   * coarse: only when they are long, not these). */
  char names[128];
  if (level == WEFT_TRACE_FINE)
    snprintf(names, sizeof names, "\"cell\",\"diag 0\",\"diag %d\"", N - 1);
  else
    names[0] = 0;
  fprintf(expect,
          "{\"file\":\"%s.json\",\"level\":\"%s\",\"workers\":2,\"roots\":%llu,"
          "\"steals\":%llu,\"sleeps\":%llu,\"nodes\":%d,\"dropped\":%llu,\"names\":[%s]}\n",
          name, level == WEFT_TRACE_FINE ? "fine" : "coarse", (unsigned long long)s.roots,
          (unsigned long long)s.steals, (unsigned long long)s.sleeps, N * N * RUNS,
          (unsigned long long)dropped_total(pool), names);
  weft_graph_destroy(g);
  CHECK(weft_pool_destroy(pool));
}

/* ---- launched tasks: a binary tree of launches, each after its parent */

static _Atomic unsigned launched_ran;

static int leaf_fn(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  atomic_fetch_add(&launched_ran, 1);
  return 0;
}

static void launched(void) {
  enum { N = 500 };
  weft_pool pool;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  CHECK(weft_pool_create(&pool, &cfg));
  CHECK(weft_trace_name(pool, (const void *)leaf_fn, "leaf"));
  CHECK(weft_trace_start(pool, WEFT_TRACE_COARSE, 0));
  weft_task t[N];
  for (int i = 0; i < N; i++)
    CHECK(weft_launch(pool, leaf_fn, NULL, 0, i ? &t[(i - 1) / 2] : NULL, i ? 1 : 0, &t[i]));
  for (int i = 0; i < N; i++) CHECK(weft_task_wait(t[i]));
  for (int i = 0; i < N; i++) CHECK(weft_task_release(t[i]));
  CHECK(weft_trace_stop(pool));
  if (atomic_load(&launched_ran) != N) exit(1);
  weft_worker_stats s;
  totals(pool, &s);
  save(pool, "launched");
  fprintf(expect,
          "{\"file\":\"launched.json\",\"level\":\"coarse\",\"workers\":2,\"roots\":%llu,"
          "\"steals\":%llu,\"sleeps\":%llu,\"launched\":%d,\"dropped\":%llu,\"names\":[\"leaf\"]}\n",
          (unsigned long long)s.roots, (unsigned long long)s.steals,
          (unsigned long long)s.sleeps, N, (unsigned long long)dropped_total(pool));
  CHECK(weft_pool_destroy(pool));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: weft_trace_runs DIR\n");
    return 2;
  }
  dir = argv[1];
  char path[1024];
  snprintf(path, sizeof path, "%s/expect.jsonl", dir);
  expect = fopen(path, "w");
  if (!expect) {
    perror(path);
    return 1;
  }
  forkjoin("fib_coarse", WEFT_TRACE_COARSE, 0, 30, 4);
  forkjoin("fib_fine", WEFT_TRACE_FINE, 1 << 20, 20, 2);
  forkjoin("fib_drops", WEFT_TRACE_FINE, 16, 18, 1); /* a ring far too small */
  graph("graph_coarse", WEFT_TRACE_COARSE);
  graph("graph_fine", WEFT_TRACE_FINE);
  launched();
  fclose(expect);
  return 0;
}
