// graph_tbb - oneTBB flow graph: one continue_node per node, make_edge per
// edge; a run puts a continue_msg into every root and waits. Built and run
// inside a task_arena of the requested concurrency.
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <memory>
#include <thread>
#include <vector>

#include "graph_common.h"

namespace flow = oneapi::tbb::flow;

int main(int argc, char **argv) {
  gb_args a;
  gb_shape g;
  if (gb_parse(argc, argv, &a) || gb_make(&g, a.bench, a.n)) return 2;
  std::vector<uint64_t> counters(g.n, 0);
  unsigned workers = a.workers ? a.workers : std::thread::hardware_concurrency();
  oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism, workers);
  oneapi::tbb::task_arena arena((int)workers);
  std::vector<uint32_t> roots;
  for (uint32_t v = 0; v < g.n; v++)
    if (g.pred_start[v + 1] == g.pred_start[v]) roots.push_back(v);
  uint64_t runs = 0;
  double spent = 0, last = 0;
  int status = 0;
  for (int rep = 0; rep < a.reps && !status; rep++) {
    if (rep > 0 && a.budget_ms > 0 && spent + last > a.budget_ms) break;
    double r0 = gb_now_ms();
    arena.execute([&] {
      double t0 = gb_now_ms();
      flow::graph fg;
      std::vector<std::unique_ptr<flow::continue_node<flow::continue_msg>>> nodes;
      nodes.reserve(g.n);
      for (uint32_t v = 0; v < g.n; v++) {
        uint64_t *c = &counters[v];
        nodes.emplace_back(new flow::continue_node<flow::continue_msg>(
            fg, [c](const flow::continue_msg &) { gb_body(c); }));
      }
      for (uint64_t k = 0; k < g.m; k++) flow::make_edge(*nodes[g.from[k]], *nodes[g.to[k]]);
      double t1 = gb_now_ms();
      gb_emit(&g, "tbb", workers, "build", rep, t1 - t0);
      for (int k = 0; k < RUNS_PER_BUILD; k++) {
        double s0 = gb_now_ms();
        for (uint32_t r : roots) nodes[r]->try_put(flow::continue_msg());
        fg.wait_for_all();
        double s1 = gb_now_ms();
        runs++;
        gb_emit(&g, "tbb", workers, "run", rep, s1 - s0);
      }
      if (!gb_check(counters.data(), g.n, runs)) status = 3;
    });
    last = gb_now_ms() - r0;
    spent += last;
  }
  return status;
}
