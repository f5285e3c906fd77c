/*
 * graph_run.c - running task graphs (graph.c builds and validates them).
 *
 * Run: docs/GRAPHS.md has the full argument. In short, a task processes a
 * node, then decrements its successors' join counters; of the successors
 * that became ready it keeps one to run next in the same loop (a chain is a
 * loop, never a recursion) and spawns the others. When nothing is ready it
 * takes its own newest spawn back (if no thief can see it) and continues
 * with it in the same loop; only a frame a thief could take is synced
 * through the core's slow path. A successor with in-degree 1 needs no
 * atomic (its only predecessor makes it ready), a pool of one worker needs
 * no atomic at all, and a join counter that reaches 0 is put back to the
 * in-degree by the task that saw it, so a clean run leaves the counters
 * ready for the next one with no reset pass. Two limits keep the fork-join
 * discipline safe on a fixed stack and a fixed deque:
 *   - depth: a per-thread count of graph tasks on the stack. At the limit a
 *     task spawns nothing; ready nodes it cannot run itself go to the run's
 *     deferred stack (a lock-free LIFO of node indices, each node pushed at
 *     most once per run, so no ABA), which every task drains, inline, when
 *     it has nothing else;
 *   - deque room: a task spawns only while the worker's deque has more than
 *     WEFT__DISPATCH_RESERVE free frames; otherwise it defers too.
 * Both limits, and the push / take-back / join steps, are dispatch.h's,
 * shared with launched tasks (task.c).
 * Wide fan-outs (and the roots) are split by recursive halving into range
 * tasks so thieves share them.
 */
#include "graph_internal.h"

/* ------------------------------------------------------------ test hooks */

static _Atomic unsigned depth_seen;
static _Atomic uint64_t deferred_count;

/* Deepest graph-task nesting on any thread since the last reset. */
unsigned weft__graph_depth_max(void) { return atomic_load(&depth_seen); }
void weft__graph_depth_reset(void) { atomic_store(&depth_seen, 0); }
/* Forces the depth limit of runs that start from now on (0: derived from
 * the stack size). Tests use it to drive the deferred path. */
static _Atomic unsigned depth_override;
void weft__graph_set_depth_limit(unsigned lim) { atomic_store(&depth_override, lim); }
/* Nodes that went through a deferred stack so far. */
uint64_t weft__graph_deferred(void) { return atomic_load(&deferred_count); }

/* -------------------------------------------------------------------- run */

/* Trace hooks around a node call: one branch on a register when off.
 * Coarse traces of graphs with short nodes are one slice per stretch of
 * nodes (a dispatch loop: seg_begin/seg_end), its END carrying how many ran. */
#define TRACE_NODE_NS 2000u
static inline void node_begin(weft__tbuf *ntb, const node_rec *r, uint32_t i, const weft_graph *g) {
  if (WEFT__UNLIKELY(ntb != NULL))
    weft__tput(ntb, WEFT__TBEGIN(WEFT__CAT_NODE), (uint64_t)(uintptr_t)r->fn, i, g->serial);
}
static inline void node_end(weft__tbuf *ntb) {
  if (WEFT__UNLIKELY(ntb != NULL)) weft__tput(ntb, WEFT__EV_END, 0, 0, 0);
}
static inline void seg_begin(weft__tbuf *tb, weft__tbuf *ntb, const weft_graph *g) {
  if (WEFT__UNLIKELY(tb != NULL && ntb == NULL))
    weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_NODES), 0, 0, g->serial);
}
static inline void seg_end(weft__tbuf *tb, weft__tbuf *ntb, uint64_t count) {
  if (WEFT__UNLIKELY(tb != NULL && ntb == NULL)) weft__tput(tb, WEFT__EV_END, 0, (uint32_t)count, 0);
}

typedef struct gtask {
  weft_graph *g;
  uint32_t node; /* NONE: a range task */
  uint32_t begin, end;
} gtask;

_Static_assert(sizeof(gtask) <= WEFT_ARGS_MAX, "gtask must fit a frame");

static void gtask_fn(weft_worker *w, void *p);

static inline int gspawn(weft_worker *w, weft_graph *g, uint32_t node, uint32_t begin,
                         uint32_t end) {
  gtask a = {g, node, begin, end};
  return weft__dispatch_push(w, gtask_fn, &a, sizeof a);
}

static void defer_push(weft_graph *g, uint32_t s) {
  atomic_fetch_add_explicit(&deferred_count, 1, memory_order_relaxed);
  uint32_t head = atomic_load_explicit(&g->defer_head, memory_order_relaxed);
  do {
    atomic_store_explicit(&g->link[s], head, memory_order_relaxed);
  } while (!atomic_compare_exchange_weak_explicit(&g->defer_head, &head, s, memory_order_release,
                                                  memory_order_relaxed));
}

/* Pops a deferred node or returns NONE. No ABA: a node is pushed at most
 * once per run, and its link never changes after its push. */
static uint32_t defer_pop(weft_graph *g) {
  uint32_t head = atomic_load_explicit(&g->defer_head, memory_order_acquire);
  while (head != NONE) {
    uint32_t next = atomic_load_explicit(&g->link[head], memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&g->defer_head, &head, next, memory_order_acquire,
                                              memory_order_acquire))
      return head;
  }
  return NONE;
}

static void fail_run(weft_graph *g, uint32_t node, int status) {
  uint32_t v = atomic_load_explicit(&g->stop, memory_order_relaxed);
  while ((v & 3u) == STOP_GO) {
    if (atomic_compare_exchange_weak_explicit(&g->stop, &v, v | STOP_FAILED, memory_order_relaxed,
                                              memory_order_relaxed)) {
      g->fail_node = node;
      g->fail_status = status;
      return;
    }
  }
}

static inline int stopping(const weft_graph *g) {
  return (atomic_load_explicit(&g->stop, memory_order_relaxed) & 3u) != 0;
}

/* The heart of a run (the loop described at the top of this file):
 * executes `node` (unless NONE), then works through successor slots
 * [begin, end), then its own spawns taken back, then the deferred stack.
 * Adds the node functions it called to its worker's slot. */
static inline __attribute__((always_inline)) void
process_impl(weft_worker *w, weft_graph *g, uint32_t node, uint32_t begin, uint32_t end,
             unsigned depth, weft__tbuf *const tb, weft__tbuf *const ntb) {
  node_rec *const *chunks = g->nchunks;
  const succ_rec *succ = g->rsucc;
  const uint32_t *indeg = g->indeg;
  _Atomic uint32_t *join = g->join;
  const int deep = depth >= g->depth_limit;
  const int solo = g->solo;
  unsigned spawned = 0;
  uint64_t ran = 0;
  gtask a;
  seg_begin(tb, ntb, g);
  for (;;) {
    if (node != NONE) {
      if (WEFT__UNLIKELY(stopping(g))) break;
      /* [begin, end) is already the node's own range (from its slot). */
      node_rec *r = rec_in(chunks, node);
      /* A node with several successors: start loading the first few (their
       * lines and join counters) while it runs. Chains, trees and grids are
       * faster without (the hardware prefetcher follows them already). */
      if (end - begin >= PREFETCH_MIN_SUCC) {
        for (uint32_t k = begin; k < begin + PREFETCH_SUCC && k < end; k++) {
          uint32_t s = succ[k].s & ~SINGLE;
          __builtin_prefetch(rec_in(chunks, s), 1, 3);
          __builtin_prefetch(&join[s], 1, 3);
        }
      }
      node_begin(ntb, r, node, g);
      int rc = r->fn(w, args_of(r));
      node_end(ntb);
      ran++;
      if (WEFT__UNLIKELY(rc != 0)) {
        fail_run(g, node, rc);
        break;
      }
      node = NONE;
    } else if (WEFT__UNLIKELY(stopping(g))) {
      break; /* a range, while stopping: skip it */
    }
    /* A wide fan-out: give the upper halves to thieves. */
    while (end - begin > SPLIT_MIN && !deep && weft__dispatch_room(w)) {
      uint32_t mid = begin + (end - begin) / 2;
      if (gspawn(w, g, NONE, mid, end) != 0) break;
      spawned++;
      end = mid;
    }
    uint32_t nbegin = 0, nend = 0;
    for (uint32_t k = begin; k < end; k++) {
      uint32_t s = succ[k].s;
      if (s & SINGLE) {
        s &= ~SINGLE;
      } else if (!solo) {
        if (atomic_fetch_sub_explicit(&join[s], 1, memory_order_acq_rel) != 1) continue;
        /* Last predecessor: nobody else touches the counter this run. */
        atomic_store_explicit(&join[s], indeg[s], memory_order_relaxed);
      } else {
        /* One worker: this thread is the only one that touches join[] during
         * the run, so a plain decrement will do (a locked RMW costs ~20
         * cycles and serializes the pipeline). */
        uint32_t left = atomic_load_explicit(&join[s], memory_order_relaxed) - 1;
        atomic_store_explicit(&join[s], left ? left : indeg[s], memory_order_relaxed);
        if (left) continue;
      }
      if (node == NONE) {
        node = s;
        nbegin = succ[k].begin;
        nend = succ[k].end;
        continue;
      }
      if (!deep && weft__dispatch_room(w) && gspawn(w, g, s, succ[k].begin, succ[k].end) == 0) {
        spawned++;
        continue;
      }
      defer_push(g, s);
    }
    if (node != NONE) {
      begin = nbegin;
      end = nend;
      continue;
    }
    /* Nothing ready here: our newest spawn, unless a thief took it. */
    if (weft__dispatch_take(w, &spawned, &a, sizeof a)) {
      node = a.node;
      begin = a.begin;
      end = a.end;
      continue;
    }
    /* Then deferred nodes; if there are none, this task is done (and has
     * nothing outstanding). */
    if (atomic_load_explicit(&g->defer_head, memory_order_relaxed) == NONE) break;
    if ((node = defer_pop(g)) == NONE) break;
    const node_rec *dr = rec_in(chunks, node);
    begin = dr->begin;
    end = succ_end(dr);
  }
  g->ran[w->index].v += ran;
  seg_end(tb, ntb, ran);
  /* Stopping: drop what we can take back (those nodes must not run), wait
   * for what thieves took. */
  while (weft__dispatch_take(w, &spawned, &a, sizeof a)) {
  }
}

/* Two copies of the loop: without a trace (no trace code at all in the
 * per-node path) and with one. */
static WEFT__NOINLINE void process_traced(weft_worker *w, weft_graph *g, uint32_t node,
                                          uint32_t begin, uint32_t end, unsigned depth,
                                          weft__tbuf *tb) {
  process_impl(w, g, node, begin, end, depth, tb, g->trace_nodes ? tb : NULL);
}

/* A graph task, or a driver's shared run from start slots [begin, end):
 * one more dispatch level on this thread's stack. */
static void process(weft_worker *w, weft_graph *g, uint32_t node, uint32_t begin, uint32_t end) {
  unsigned d = ++weft__dispatch_depth;
  if (WEFT__UNLIKELY(d > atomic_load_explicit(&depth_seen, memory_order_relaxed)))
    atomic_store_explicit(&depth_seen, d, memory_order_relaxed); /* a test probe: races ok */
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL)) process_traced(w, g, node, begin, end, d, tb);
  else process_impl(w, g, node, begin, end, d, NULL, NULL);
  weft__dispatch_depth = d - 1;
}

static void gtask_fn(weft_worker *w, void *p) {
  const gtask *a = p;
  process(w, a->g, a->node, a->begin, a->end);
}

/* ------------------------------------------------------------ ordered run
 *
 * The calling worker runs every node itself, in the compiled topological
 * order: no join counters, no spawns, no other worker involved (they stay
 * free for other work). Used when sharing the nodes would cost more than
 * it saves (drive() decides by timing both ways) and always on a pool of
 * one worker, where there is nobody to share with. Nodes may still spawn
 * and sync children, which other workers steal as usual.
 *
 * Runs positions [from, to) of that order; returns where it stopped (to,
 * unless the run was stopped). */
static uint32_t ord_run(weft_worker *w, weft_graph *g, uint32_t from, uint32_t to) {
  node_rec *const *chunks = g->nchunks;
  const uint32_t *order = g->ord_forward ? NULL : g->ord_node;
  weft__tbuf *const tb = weft__tracing(w);
  weft__tbuf *const ntb = g->trace_nodes ? tb : NULL;
  seg_begin(tb, ntb, g);
  uint32_t p = from;
  for (; p < to; p++) {
    if (WEFT__UNLIKELY(stopping(g))) break;
    uint32_t v = order ? order[p] : p;
    node_rec *r = rec_in(chunks, v);
    node_begin(ntb, r, v, g);
    int rc = r->fn(w, args_of(r));
    node_end(ntb);
    if (WEFT__UNLIKELY(rc != 0)) {
      fail_run(g, v, rc);
      p++;
      break;
    }
  }
  g->ran[w->index].v += p - from;
  seg_end(tb, ntb, p - from);
  return p;
}

/* ------------------------------------------------------------ first runs
 *
 * The first run of a graph built in order, on a pool of several workers,
 * when nothing is known of its nodes yet: it runs in order, timing the
 * nodes at node 4, 8, 16, ... ADAPT_NODES. While they cost under
 * ORDERED_PROBE_NS each, sharing them would cost more than it gives (see
 * "the strategy" below) and the run goes on in order, building no
 * successor arrays at all: a graph built, run once and destroyed pays for
 * nothing else. Once they prove slower, the rest is shared (hand_off). */
#define ADAPT_NODES 4096u
#define ORDERED_PROBE_NS 1000u
enum { RUN_SHARED = 0, RUN_ORDERED = 1, RUN_ADAPT = 2 }; /* pick_way */

static _Atomic int strategy_override; /* test hook: 0 auto, 1 ordered, 2 shared, 3 hand-off */
void weft__graph_force_strategy(int s) { atomic_store(&strategy_override, s); }

/* Hands the rest of the run, after the first p nodes (in index order), to a
 * shared run: the finished prefix [0, p) is subtracted from the join
 * counters (no other thread touches them yet), and the nodes it made ready
 * (and the roots after it) become the slots the shared run starts from,
 * after the roots' slots. A prefix node's own counter, and a ready node's,
 * drop to 0 here and are put back to the in-degree, as a run does. */
static void hand_off(weft_worker *w, weft_graph *g, uint32_t p) {
  succ_rec *rs = g->rsucc;
  _Atomic uint32_t *join = g->join;
  const uint32_t base = g->roots_end;
  uint32_t k = 0;
  for (uint32_t s = g->roots_begin; s < g->roots_end; s++)
    if ((rs[s].s & ~SINGLE) >= p) rs[base + k++] = rs[s];
  for (uint32_t u = 0; u < p; u++) {
    const node_rec *r = node_at(g, u);
    for (uint32_t s = r->begin, e = succ_end(r); s < e; s++) {
      uint32_t v = rs[s].s & ~SINGLE;
      uint32_t left = atomic_load_explicit(&join[v], memory_order_relaxed) - 1;
      if (left) {
        atomic_store_explicit(&join[v], left, memory_order_relaxed);
        continue;
      }
      atomic_store_explicit(&join[v], g->indeg[v], memory_order_relaxed);
      if (v >= p) rs[base + k++] = (succ_rec){v | SINGLE, rs[s].begin, rs[s].end};
    }
  }
  process(w, g, NONE, base, base + k);
}

/* The first run (see above). Returns 1 if it handed off to a shared run. */
static int adapt_run(weft_worker *w, weft_graph *g) {
  const uint32_t n = g->nnodes;
  uint32_t forced = 0;
  if (atomic_load_explicit(&strategy_override, memory_order_relaxed) == 3)
    forced = g->gen % 3 == 0 ? n / 2 : 1 + g->gen % 13; /* tests: hand off here */
  const uint64_t t0 = weft__prim_now_ns();
  uint32_t p = 0, to = forced ? forced : 4; /* (not 1: one cold node's time says little) */
  for (;;) {
    p = ord_run(w, g, p, to < n ? to : n);
    if (p == n || stopping(g)) return 0;
    if (forced || weft__prim_now_ns() - t0 >= (uint64_t)p * ORDERED_PROBE_NS) break;
    to = p < ADAPT_NODES ? 2 * p : n;
  }
  if (g->csr_ok || weft__graph_build_csr(g) == 0) {
    hand_off(w, g, p);
    return 1;
  }
  ord_run(w, g, p, n); /* (no memory for the successor arrays: the rest in order) */
  return 0;
}

/* One run of a claimed, valid graph. */
static int run_once(weft_worker *w, weft_graph *g, weft_graph_result *res, int *way) {
  if (g->counters_dirty && g->csr_ok) weft__graph_reset_counters(g); /* (no CSR: none) */
  atomic_store_explicit(&g->defer_head, NONE, memory_order_relaxed);
  atomic_store_explicit(&g->stop, g->gen << 2, memory_order_seq_cst);
  /* A cancel that raced the reset above left its bit in state. */
  if (atomic_load_explicit(&g->state, memory_order_seq_cst) & ST_CANCEL) {
    res->nodes_skipped = g->nnodes;
    return WEFT_ECANCELED;
  }
  for (unsigned i = 0; i < g->nran; i++) g->ran[i].v = 0;
  /* Traces: every node when nodes are long enough that two events each
   * cost little (the last runs' time per node), else one slice per stretch
   * of nodes a worker ran; every node at the fine level. */
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL)) {
    uint64_t cost = *way == RUN_SHARED ? g->cost_shared : g->cost_ordered;
    if (!cost) cost = g->cost_shared > g->cost_ordered ? g->cost_shared : g->cost_ordered;
    g->trace_nodes = __atomic_load_n(&tb->fine, __ATOMIC_RELAXED) ||
                     cost >= (uint64_t)TRACE_NODE_NS * g->nnodes;
  } else {
    g->trace_nodes = 0;
  }
  if (*way == RUN_ADAPT) {
    g->adapted = 1;
    *way = adapt_run(w, g) ? RUN_SHARED : RUN_ADAPT; /* (for note_cost) */
  } else if (*way == RUN_ORDERED) {
    ord_run(w, g, 0, g->nnodes);
  } else {
    process(w, g, NONE, g->roots_begin, g->roots_end);
  }
  /* Every task of the run was synced: their counts are visible. */
  uint64_t ran = 0;
  for (unsigned i = 0; i < g->nran; i++) ran += g->ran[i].v;
  res->nodes_run += ran;
  uint32_t stop = atomic_load_explicit(&g->stop, memory_order_acquire) & 3u;
  if (stop == STOP_GO) return 0; /* complete: every counter was put back */
  /* Stopped (even if every node happened to run: a canceled run says so,
   * and a node that failed after the cancel did not decrement). */
  g->counters_dirty = 1;
  res->nodes_skipped = g->nnodes - ran;
  if (stop == STOP_FAILED) {
    res->status = g->fail_status;
    res->node = make_node(g, g->fail_node);
    return WEFT_ENODE_FAILED;
  }
  return WEFT_ECANCELED;
}

/* ---------------------------------------------------------- the strategy
 *
 * A run either shares the nodes among the workers (join counters, work
 * stealing: process()) or runs them all, in order, on the calling worker
 * (ord_run). Sharing pays an atomic decrement per joining edge, a spawn per
 * extra ready node and cache lines moving between cores; on nodes of a few
 * nanoseconds that costs more than a second core gives back (measured: a
 * 1024x1024 wavefront of counter increments ran 1.6x slower on 2 workers
 * than on 1). A graph is built to be run many times, so it times both:
 *   - the first run of a graph built in order starts in order and shares
 *     the rest once its nodes prove to cost ORDERED_PROBE_NS or more
 *     (adapt_run above: a graph run once in order builds nothing more);
 *     the next run then shares;
 *   - the first run of another graph shares (the right choice for nodes of
 *     any real size);
 *   - if a shared run cost under ORDERED_PROBE_NS per node and worker, the
 *     next run is ordered; from then on each run uses the cheaper of the
 *     two last costs, and every PROBE_EVERY runs the other way is timed
 *     again (the pool's load or the nodes' work may have changed).
 * A pool of one worker always runs in order: there is no one to share with.
 * The choice affects speed only: both ways run each node once, after its
 * predecessors, with the same failure and cancel rules. */
#define PROBE_EVERY 64u

static int pick_way(weft_graph *g, unsigned nworkers) {
  int forced = atomic_load_explicit(&strategy_override, memory_order_relaxed);
  if (forced == 3) return g->ord_forward ? RUN_ADAPT : RUN_SHARED;
  if (forced) return forced == 1;
  if (nworkers == 1) return 1;
  if (!g->adapted && g->cost_shared == 0 && g->cost_ordered == 0 && g->ord_forward)
    return RUN_ADAPT;
  if (g->cost_shared == 0) return 0;
  if (g->cost_ordered == 0) {
    /* Probe only when nodes are small enough for sharing to be the cost. */
    return g->cost_shared * nworkers < (uint64_t)ORDERED_PROBE_NS * g->nnodes;
  }
  int better = g->cost_ordered < g->cost_shared;
  if (++g->runs_since_probe >= PROBE_EVERY) {
    g->runs_since_probe = 0;
    return !better;
  }
  return better;
}

void weft__graph_strategy_counts(const weft_graph *g, uint64_t *ordered, uint64_t *shared) {
  *ordered = g->runs_ordered;
  *shared = g->runs_shared;
}

static void note_cost(weft_graph *g, int way, uint64_t ns) {
  int ordered = way != RUN_SHARED;
  if (ordered) g->runs_ordered++;
  else g->runs_shared++;
  /* A first run that stayed in order is not a price: it ran on cold caches
   * (and touched the nodes' data first), and charging it to the ordered way
   * made reused graphs of tiny nodes run shared until the next probe. The
   * next run shares and the one after runs in order, as for other graphs. */
  if (way == RUN_ADAPT) return;
  uint64_t *c = ordered ? &g->cost_ordered : &g->cost_shared;
  if (ns == 0) ns = 1;
  /* The last run, lightly smoothed: one slow run (a preempted worker) must
   * not flip the choice for PROBE_EVERY runs. */
  *c = *c ? (*c + ns) / 2 : ns;
}

typedef struct drive_args {
  weft_graph *g;
  int (*done)(void *ctx, uint64_t completed);
  void *ctx;
  uint64_t n; /* used when done is NULL */
  weft_graph_result res;
  int rc;
} drive_args;

/* Runs the series on worker w; the graph is claimed by the caller. */
static void drive(weft_worker *w, drive_args *a) {
  weft_graph *g = a->g;
  unsigned nw = g->nran = w->pool->nworkers;
  unsigned forced = atomic_load_explicit(&depth_override, memory_order_relaxed);
  g->depth_limit = forced ? forced : weft__dispatch_depth_limit(w->pool);
  g->solo = nw == 1;
  int rc = weft__graph_prepare(g, NULL);
  /* Per-worker counts: allocated on the first run on a pool this big. */
  if (!rc && weft__graph_reserve((void **)&g->ran, &g->ran_cap, nw * sizeof *g->ran))
    rc = WEFT_ENOMEM;
  for (uint64_t k = 0; !rc && !(a->done ? a->done(a->ctx, k) != 0 : k >= a->n); k++) {
    int way = pick_way(g, nw);
    if (way == RUN_SHARED && !g->csr_ok && (rc = weft__graph_build_csr(g)) != 0) break;
    uint64_t t0 = weft__prim_now_ns();
    if ((rc = run_once(w, g, &a->res, &way)) != 0) break;
    note_cost(g, way, weft__prim_now_ns() - t0);
    a->res.iterations++;
  }
  a->rc = rc;
}

static void drive_task(weft_worker *w, void *p) { drive(w, (drive_args *)p); }

const char *weft__graph_fn_name(const void *fn) {
  if (fn == (const void *)gtask_fn) return "graph: ready nodes";
  if (fn == (const void *)drive_task) return "graph run";
  return NULL;
}

/* One series: the checks every entry point makes (ok: its own arguments are
 * valid), the claim, the root job (or drive() right here, inside a task). */
static int run_series(weft_pool pool, weft_worker *w, weft_graph *g, int ok,
                      int (*done)(void *ctx, uint64_t completed), void *ctx, uint64_t n,
                      weft_graph_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!g || !ok) return WEFT_EINVAL;
  drive_args a = {g, done, ctx, n, {0, {0}, 0, 0, 0}, 0};
  int rc = weft__graph_claim(g);
  if (rc) return rc;
  if (w) drive(w, &a);
  else rc = weft_run(pool, drive_task, &a);
  weft__graph_release(g);
  if (res) *res = a.res;
  return rc ? rc : a.rc;
}

int weft_graph_run(weft_pool pool, weft_graph *g, weft_graph_result *res) {
  return run_series(pool, NULL, g, 1, NULL, NULL, 1, res);
}

int weft_graph_run_n(weft_pool pool, weft_graph *g, uint64_t n, weft_graph_result *res) {
  return run_series(pool, NULL, g, 1, NULL, NULL, n, res);
}

int weft_graph_run_until(weft_pool pool, weft_graph *g, int (*done)(void *ctx, uint64_t completed),
                         void *ctx, weft_graph_result *res) {
  return run_series(pool, NULL, g, done != NULL, done, ctx, 0, res);
}

int weft_graph_run_in(weft_worker *w, weft_graph *g, weft_graph_result *res) {
  weft_pool none = {0};
  return run_series(none, w, g, w != NULL, NULL, NULL, 1, res);
}

int weft_graph_cancel(weft_graph *g) {
  if (!g) return WEFT_EINVAL;
  uint32_t s = atomic_load_explicit(&g->state, memory_order_seq_cst);
  do {
    if (!(s & ST_RUNNING)) return 0;
  } while (!atomic_compare_exchange_weak_explicit(&g->state, &s, s | ST_CANCEL,
                                                  memory_order_seq_cst, memory_order_seq_cst));
  /* Stop the current run of that same series only (generation match). */
  uint32_t go = (s >> 2) << 2 | STOP_GO;
  atomic_compare_exchange_strong_explicit(&g->stop, &go, go | STOP_CANCELED,
                                          memory_order_seq_cst, memory_order_relaxed);
  return 1;
}

