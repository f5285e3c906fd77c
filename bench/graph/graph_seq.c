/* graph_seq - the sequential baseline: nodes in topological (index) order. */
#include "graph_common.h"

int main(int argc, char **argv) {
  gb_args a;
  gb_shape g;
  if (gb_parse(argc, argv, &a) || gb_make(&g, a.bench, a.n)) return 2;
  uint64_t *counters = gb_counters(g.n);
  if (!counters) return 2;
  uint64_t runs = 0;
  double spent = 0, last = 0;
  for (int rep = 0; rep < a.reps; rep++) {
    if (rep > 0 && a.budget_ms > 0 && spent + last > a.budget_ms) break;
    double r0 = gb_now_ms();
    for (int k = 0; k < RUNS_PER_BUILD; k++) {
      double t0 = gb_now_ms();
      for (uint32_t i = 0; i < g.n; i++) gb_body(&counters[i]);
      double t1 = gb_now_ms();
      runs++;
      gb_emit(&g, "seq", 1, "run", rep, t1 - t0);
    }
    if (!gb_check(counters, g.n, runs)) return 3;
    last = gb_now_ms() - r0;
    spent += last;
  }
  return 0;
}
