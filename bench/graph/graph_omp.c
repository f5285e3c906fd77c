/* graph_omp - OpenMP tasks with depend clauses: one task per node, created
 * in topological order by one thread, in-dependencies on the predecessors'
 * slots (an OpenMP 5.0 depend iterator), out-dependency on its own slot.
 * There is no separate build: creating the tasks is part of every run. */
#include <omp.h>

#include "graph_common.h"

int main(int argc, char **argv) {
  gb_args a;
  gb_shape g;
  if (gb_parse(argc, argv, &a) || gb_make(&g, a.bench, a.n)) return 2;
  uint64_t *counters = gb_counters(g.n);
  char *dep = (char *)calloc(g.n, 1);
  if (!counters || !dep) return 2;
  unsigned workers = a.workers ? a.workers : (unsigned)omp_get_num_procs();
  const uint32_t *ps = g.pred_start, *pr = g.preds;
  uint64_t runs = 0;
  double spent = 0, last = 0;
  for (int rep = 0; rep < a.reps; rep++) {
    if (rep > 0 && a.budget_ms > 0 && spent + last > a.budget_ms) break;
    double r0 = gb_now_ms();
    for (int k = 0; k < RUNS_PER_BUILD; k++) {
      double t0 = gb_now_ms();
#pragma omp parallel num_threads(workers)
#pragma omp single
      {
        for (uint32_t v = 0; v < g.n; v++) {
          uint32_t b = ps[v], np = ps[v + 1] - ps[v];
          (void)np; /* used by the depend iterator only */
          uint64_t *c = &counters[v];
#pragma omp task firstprivate(c) depend(iterator(it = 0 : np), in : dep[pr[b + it]]) \
    depend(out : dep[v])
          gb_body(c);
        }
      }
      double t1 = gb_now_ms();
      runs++;
      gb_emit(&g, "omp", workers, "run", rep, t1 - t0);
    }
    if (!gb_check(counters, g.n, runs)) return 3;
    last = gb_now_ms() - r0;
    spent += last;
  }
  return 0;
}
