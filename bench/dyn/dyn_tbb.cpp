// dyn_tbb - oneTBB on the one-shot shapes of dyn_common.h. Variants:
//   taskgroup  a task_group and one atomic join counter per task (set to
//              its predecessor count when the work is created); a finishing
//              task run()s each successor whose counter it brought to zero
//   flow       a flow graph: one continue_node per task, created in index
//              order with make_edge from each predecessor, a continue_msg
//              into the root, wait_for_all, then the graph is destroyed
// Everything runs inside a task_arena of the requested concurrency.
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <atomic>
#include <memory>
#include <vector>

#include "dyn_common.h"

namespace flow = oneapi::tbb::flow;

namespace {

std::atomic<uint32_t> *join;  // one per task, reused by every repetition
std::vector<uint32_t> roots;

struct Step {
  oneapi::tbb::task_group *tg;
  uint32_t v;
  void operator()() const {
    dn_task(v);
    uint32_t buf[2];
    const uint32_t *p;
    unsigned ns = dn_succs(v, buf, &p);
    for (unsigned k = 0; k < ns; k++)
      if (join[p[k]].fetch_sub(1, std::memory_order_acq_rel) == 1) tg->run(Step{tg, p[k]});
  }
};

double run_taskgroup(oneapi::tbb::task_arena &arena) {
  double t0 = dn_now_ms();
  arena.execute([&] {
    oneapi::tbb::task_group tg;
    roots.clear();
    for (uint32_t v = 0; v < dn_g.n; v++) {
      uint32_t buf[2];
      const uint32_t *p;
      unsigned np = dn_preds(v, buf, &p);
      join[v].store(np, std::memory_order_relaxed);
      if (np == 0) roots.push_back(v);
    }
    // (not join[v] == 0 after the fact: a started task may have zeroed it)
    for (uint32_t r : roots) tg.run(Step{&tg, r});
    tg.wait();
  });
  return dn_now_ms() - t0;
}

double run_flow(oneapi::tbb::task_arena &arena) {
  double t0 = dn_now_ms();
  arena.execute([&] {
    flow::graph fg;
    std::vector<std::unique_ptr<flow::continue_node<flow::continue_msg>>> nodes;
    nodes.reserve(dn_g.n);
    std::vector<uint32_t> roots;
    for (uint32_t v = 0; v < dn_g.n; v++) {
      nodes.emplace_back(new flow::continue_node<flow::continue_msg>(
          fg, [v](const flow::continue_msg &) { dn_task(v); }));
      uint32_t buf[2];
      const uint32_t *p;
      unsigned np = dn_preds(v, buf, &p);
      for (unsigned k = 0; k < np; k++) flow::make_edge(*nodes[p[k]], *nodes[v]);
      if (np == 0) roots.push_back(v);
    }
    for (uint32_t r : roots) nodes[r]->try_put(flow::continue_msg());
    fg.wait_for_all();
  });
  return dn_now_ms() - t0;
}

struct Ctx {
  oneapi::tbb::task_arena *arena;
  bool flow;
};

double one(void *p) {
  Ctx *c = static_cast<Ctx *>(p);
  return c->flow ? run_flow(*c->arena) : run_taskgroup(*c->arena);
}

}  // namespace

int main(int argc, char **argv) {
  dn_args a;
  if (dn_parse(argc, argv, &a, "taskgroup|flow")) return 2;
  bool flow_variant = strcmp(a.variant, "flow") == 0;
  if (!flow_variant && strcmp(a.variant, "taskgroup") != 0) {
    fprintf(stderr, "dyn_tbb: unknown variant '%s'\n", a.variant);
    return 2;
  }
  std::unique_ptr<std::atomic<uint32_t>[]> counters(new std::atomic<uint32_t>[dn_g.n]);
  join = counters.get();
  oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism,
                                 a.workers);
  oneapi::tbb::task_arena arena((int)a.workers);
  Ctx c{&arena, flow_variant};
  return dn_loop(&a, a.variant, one, &c);
}
