/* graph_weft - weft task graphs: build (create, add, edge, validate) and run. */
#include "graph_common.h" /* first: it sets _POSIX_C_SOURCE */

#include <weft.h>

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

static int node_fn(weft_worker *w, void *args) {
  (void)w;
  uint64_t *c;
  memcpy(&c, args, sizeof c);
  gb_body(c);
  return 0;
}

int main(int argc, char **argv) {
  gb_args a;
  gb_shape g;
  if (gb_parse(argc, argv, &a) || gb_make(&g, a.bench, a.n)) return 2;
  uint64_t *counters = gb_counters(g.n);
  weft_node *nodes = (weft_node *)malloc((size_t)g.n * sizeof *nodes);
  if (!counters || !nodes) return 2;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = a.workers;
  weft_pool pool;
  int rc = weft_pool_create(&pool, &cfg);
  if (rc) {
    fprintf(stderr, "weft_pool_create: %s\n", weft_strerror(rc));
    return 2;
  }
  if (bench_trace_from_env(pool)) return 2;
  unsigned workers = (unsigned)weft_pool_workers(pool);
  uint64_t runs = 0;
  double spent = 0, last = 0;
  for (int rep = 0; rep < a.reps; rep++) {
    if (rep > 0 && a.budget_ms > 0 && spent + last > a.budget_ms) break;
    double r0 = gb_now_ms();
    weft_graph *wg;
    double t0 = gb_now_ms();
    if ((rc = weft_graph_create(&wg))) break;
    for (uint32_t i = 0; i < g.n && !rc; i++) {
      uint64_t *c = &counters[i];
      rc = weft_graph_add(wg, node_fn, &c, sizeof c, &nodes[i]);
    }
    for (uint64_t k = 0; k < g.m && !rc; k++)
      rc = weft_graph_edge(wg, nodes[g.from[k]], nodes[g.to[k]]);
    if (!rc) rc = weft_graph_validate(wg, NULL);
    double t1 = gb_now_ms();
    if (rc) {
      fprintf(stderr, "build: %s\n", weft_strerror(rc));
      return 2;
    }
    gb_emit(&g, "weft", workers, "build", rep, t1 - t0);
    for (int k = 0; k < RUNS_PER_BUILD; k++) {
      weft_graph_result res;
      double s0 = gb_now_ms();
      rc = weft_graph_run(pool, wg, &res);
      double s1 = gb_now_ms();
      if (rc) {
        fprintf(stderr, "run: %s\n", weft_strerror(rc));
        return 2;
      }
      if (res.nodes_run != g.n) {
        fprintf(stderr, "run: %llu nodes ran, expected %u\n", (unsigned long long)res.nodes_run,
                g.n);
        return 3;
      }
      runs++;
      gb_emit(&g, "weft", workers, "run", rep, s1 - s0);
    }
    if (!gb_check(counters, g.n, runs)) return 3;
    weft_graph_destroy(wg);
    last = gb_now_ms() - r0;
    spent += last;
  }
  weft_pool_destroy(pool);
  return rc ? 2 : 0;
}
