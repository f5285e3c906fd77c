/*
 * host_graph.c - task graphs for the JavaScript host (js/src/graph.js): the
 * weft_graph API of include/weft.h behind exports that take node indices
 * (JavaScript numbers) instead of 64-bit handles, a node trampoline that
 * runs C and JavaScript tasks as nodes, and the root task through which the
 * main thread runs a graph without waiting.
 *
 * A node's argument block inside the graph (node_block, 48 bytes) holds
 * the host graph, the node's index, the task (a function-table index, and
 * the JavaScript task id for js_task) and up to four argument slots. The
 * trampoline expands it into an ordinary 48-byte task block (host.h) on the
 * stack, so a node's arguments are the same on every run, and the task's
 * result (slot 0) goes to the graph's results array instead.
 *
 * Node status: a node fails when its task calls weft_wasm_fail(status) (C
 * tasks) or when its JavaScript task throws (js/src/runtime.js calls
 * weft_wasm_fail(1) for blocks tagged WASM_TAG_NODE). The JavaScript error
 * itself goes to the graph's own run record (rec), as for any run.
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"

typedef struct node_block {
  uint32_t hg;    /* host_graph * */
  uint32_t index; /* the node's index: results[index] */
  uint32_t fn;    /* the weft_fn: a C task, or js_task for JavaScript */
  uint16_t jsid;  /* JavaScript task id (wasm_block.fn) */
  uint16_t tags;  /* argument tags of slot[0..3] (wasm_block.tags) */
  uint64_t slot[4];
} node_block;
_Static_assert(sizeof(node_block) == WEFT_ARGS_MAX, "a node block fits the graph's argument block");

#define NODE_ARGS 4

/* What the last run (series) did; read by js/src/graph.js at fixed offsets. */
typedef struct graph_outcome {
  int32_t rc;       /* weft_graph_run_* return value */
  int32_t status;   /* WEFT_ENODE_FAILED: the failing node's status */
  uint32_t node;    /* ... and its index */
  uint32_t pad;
  double nodes_run, nodes_skipped, iterations;
} graph_outcome;
_Static_assert(sizeof(graph_outcome) == 40, "js/src/graph.js reads this layout");

/* A validation error, flat (js/src/graph.js reads it at fixed offsets). */
typedef struct flat_error {
  int32_t code;
  uint32_t count, cycle_length, truncated;
  uint32_t nodes[WEFT_GRAPH_ERROR_NODES]; /* node indices */
  char message[256];
} flat_error;
_Static_assert(sizeof(flat_error) == 16 + 4 * WEFT_GRAPH_ERROR_NODES + 256, "flat layout");

typedef struct host_graph {
  weft_graph *g;
  uint64_t serial;        /* the high half of this graph's node handles */
  uint32_t nodes;         /* nodes added since create/clear */
  _Atomic uint32_t busy;  /* held from begin to end of a run (series) */
  wasm_run rec;           /* JavaScript nodes' error record and cancel flag */
  double *results;        /* results[i]: node i's result of the last run */
  uint32_t results_cap;
  uint32_t until_set;
  _Atomic uint32_t cancel_req; /* cancel asked for this run (series) */
  uint64_t n;                  /* run count of a run_n series */
  node_block until;       /* run_until's predicate; until.index = argument count */
  graph_outcome out;
} host_graph;

/* ------------------------------------------------------------- node status */

/* The status of the innermost graph node or launched task (host_task.c)
 * whose trampoline is on this thread's stack, or NULL. */
_Thread_local int32_t *weft__wasm_status;

void WASM_EXPORT(weft_wasm_fail)(int32_t status) {
  if (weft__wasm_status && !*weft__wasm_status) *weft__wasm_status = status;
}

/* ----------------------------------------------------------- the trampoline */

static void expand(const node_block *nb, host_graph *hg, wasm_block *b) {
  b->run = (uint32_t)(uintptr_t)&hg->rec;
  b->fn = nb->jsid;
  b->tags = nb->tags;
  memcpy(b->slot, nb->slot, sizeof nb->slot);
  b->slot[NODE_ARGS] = 0;
}

static int node_fn(weft_worker *w, void *p) {
  const node_block *nb = p;
  host_graph *hg = (host_graph *)(uintptr_t)nb->hg;
  wasm_block b;
  expand(nb, hg, &b);
  b.tags |= WASM_TAG_NODE;
  /* A node can run nested in another node's trampoline (a sync that works
   * on stolen frames meanwhile): each keeps its own status. */
  int32_t st = 0, *saved = weft__wasm_status;
  weft__wasm_status = &st;
  ((weft_fn)(uintptr_t)nb->fn)(w, &b);
  weft__wasm_status = saved;
  memcpy(&hg->results[nb->index], &b.slot[0], sizeof(double));
  return st;
}

/* ------------------------------------------------------------------ build */

static weft_node handle(const host_graph *hg, uint32_t i) {
  weft_node n = {hg->serial | i};
  return n;
}

static int busy(host_graph *hg) { return atomic_load_explicit(&hg->busy, memory_order_acquire) != 0; }

host_graph *WASM_EXPORT(weft_wasm_graph_create)(void) {
  host_graph *hg = calloc(1, sizeof *hg);
  if (!hg) return NULL;
  if (weft_graph_create(&hg->g)) {
    free(hg);
    return NULL;
  }
  return hg;
}

int WASM_EXPORT(weft_wasm_graph_destroy)(host_graph *hg) {
  if (!hg) return WEFT_EINVAL;
  if (busy(hg)) return WEFT_EBUSY;
  weft_graph_destroy(hg->g);
  free(hg->results);
  free((void *)(uintptr_t)hg->rec.err_ptr);
  free(hg);
  return 0;
}

int WASM_EXPORT(weft_wasm_graph_clear)(host_graph *hg) {
  if (!hg) return WEFT_EINVAL;
  if (busy(hg)) return WEFT_EBUSY;
  int rc = weft_graph_clear(hg->g);
  if (rc == 0) {
    hg->nodes = 0;
    hg->serial = 0;
  }
  return rc;
}

/* Adds a node running fn on the task block at src (its jsid, tags and first
 * four slots; the host's staging area). Returns the node's index, or a
 * negative weft error. */
int32_t WASM_EXPORT(weft_wasm_graph_add)(host_graph *hg, uint32_t fn, const wasm_block *src) {
  if (!hg || !fn || !src) return WEFT_EINVAL;
  if (busy(hg)) return WEFT_EBUSY;
  node_block nb;
  nb.hg = (uint32_t)(uintptr_t)hg;
  nb.index = hg->nodes;
  nb.fn = fn;
  nb.jsid = src->fn;
  nb.tags = src->tags;
  memcpy(nb.slot, src->slot, sizeof nb.slot);
  weft_node node;
  int rc = weft_graph_add(hg->g, node_fn, &nb, sizeof nb, &node);
  if (rc) return rc;
  hg->serial = node.id & ~(uint64_t)0xffffffffu;
  return (int32_t)hg->nodes++;
}

int WASM_EXPORT(weft_wasm_graph_name)(host_graph *hg, uint32_t i, const char *name) {
  if (!hg || i >= hg->nodes) return WEFT_EINVAL;
  if (busy(hg)) return WEFT_EBUSY;
  return weft_graph_name(hg->g, handle(hg, i), name);
}

int WASM_EXPORT(weft_wasm_graph_edge)(host_graph *hg, uint32_t from, uint32_t to) {
  if (!hg || from >= hg->nodes || to >= hg->nodes) return WEFT_EINVAL;
  if (busy(hg)) return WEFT_EBUSY;
  return weft_graph_edge(hg->g, handle(hg, from), handle(hg, to));
}

/* n edges from[i] -> to[i] (node indices), all or none (weft_graph_edges). */
int WASM_EXPORT(weft_wasm_graph_edges)(host_graph *hg, const uint32_t *from, const uint32_t *to,
                                       uint32_t n) {
  if (!hg || (n && (!from || !to))) return WEFT_EINVAL;
  if (busy(hg)) return WEFT_EBUSY;
  if (n == 0) return 0;
  for (uint32_t k = 0; k < n; k++)
    if (from[k] >= hg->nodes || to[k] >= hg->nodes) return WEFT_EINVAL;
  weft_node *h = malloc((size_t)n * 2 * sizeof *h);
  if (!h) return WEFT_ENOMEM;
  for (uint32_t k = 0; k < n; k++) {
    h[k] = handle(hg, from[k]);
    h[n + k] = handle(hg, to[k]);
  }
  int rc = weft_graph_edges(hg->g, h, h + n, n);
  free(h);
  return rc;
}

/* out[0] = nodes, out[1] = edges. */
void WASM_EXPORT(weft_wasm_graph_count)(host_graph *hg, uint32_t *out) {
  size_t n = 0, e = 0;
  weft_graph_count(hg->g, &n, &e);
  out[0] = (uint32_t)n;
  out[1] = (uint32_t)e;
}

int WASM_EXPORT(weft_wasm_graph_validate)(host_graph *hg, flat_error *out) {
  if (!hg || !out) return WEFT_EINVAL;
  weft_graph_error e;
  int rc = weft_graph_validate(hg->g, &e);
  memset(out, 0, sizeof *out);
  out->code = rc;
  out->count = (uint32_t)e.count;
  out->cycle_length = (uint32_t)e.cycle_length;
  out->truncated = (uint32_t)e.truncated;
  for (size_t i = 0; i < e.count && i < WEFT_GRAPH_ERROR_NODES; i++)
    out->nodes[i] = (uint32_t)e.nodes[i].id;
  memcpy(out->message, e.message, sizeof out->message);
  out->message[sizeof out->message - 1] = '\0';
  return rc;
}

int WASM_EXPORT(weft_wasm_graph_dot)(host_graph *hg, char *buf, uint32_t cap, uint32_t *needed) {
  if (!hg) return WEFT_EINVAL;
  size_t need = 0;
  int rc = weft_graph_dot(hg->g, buf, cap, &need);
  if (needed) *needed = (uint32_t)need;
  return rc;
}

/* ------------------------------------------------------------------- runs */

/* Claims the graph for a run (series) by the caller, resets the error
 * record and sizes the results array. Never waits: a second run gets
 * WEFT_EBUSY. Pair with weft_wasm_graph_end once the outcome is read. */
int WASM_EXPORT(weft_wasm_graph_begin)(host_graph *hg) {
  if (!hg) return WEFT_EINVAL;
  uint32_t expect = 0;
  if (!atomic_compare_exchange_strong_explicit(&hg->busy, &expect, 1, memory_order_acq_rel,
                                               memory_order_acquire))
    return WEFT_EBUSY;
  if (hg->results_cap < hg->nodes) {
    uint32_t cap = hg->nodes < 64 ? 64 : hg->nodes;
    double *r = realloc(hg->results, (size_t)cap * sizeof *r);
    if (!r) {
      atomic_store_explicit(&hg->busy, 0, memory_order_release);
      return WEFT_ENOMEM;
    }
    hg->results = r;
    hg->results_cap = cap;
  }
  if (hg->nodes) memset(hg->results, 0, (size_t)hg->nodes * sizeof *hg->results);
  free((void *)(uintptr_t)hg->rec.err_ptr);
  hg->rec.err_ptr = hg->rec.err_len = 0;
  atomic_store_explicit(&hg->rec.cancel, 0, memory_order_relaxed);
  atomic_store_explicit(&hg->rec.error, 0, memory_order_relaxed);
  memset(&hg->out, 0, sizeof hg->out);
  hg->until_set = 0;
  atomic_store_explicit(&hg->cancel_req, 0, memory_order_relaxed);
  return 0;
}

void WASM_EXPORT(weft_wasm_graph_end)(host_graph *hg) {
  if (hg) atomic_store_explicit(&hg->busy, 0, memory_order_release);
}

/* run_until's predicate (between begin and the run): task fn on the task
 * block at src with nargs (<= 3) arguments; the number of runs completed so
 * far is passed after them. */
int WASM_EXPORT(weft_wasm_graph_set_until)(host_graph *hg, uint32_t fn, const wasm_block *src,
                                           uint32_t nargs) {
  if (!hg || !fn || !src || nargs >= NODE_ARGS) return WEFT_EINVAL;
  hg->until.hg = (uint32_t)(uintptr_t)hg;
  hg->until.index = nargs;
  hg->until.fn = fn;
  hg->until.jsid = src->fn;
  hg->until.tags = src->tags;
  memcpy(hg->until.slot, src->slot, sizeof hg->until.slot);
  hg->until_set = 1;
  return 0;
}

/* Every series runs through run_until, so that a cancel asked for before
 * the root task claimed the graph (weft_graph_cancel then finds no run and
 * does nothing) is applied here, once the graph is claimed. */
static int cancel_pending(host_graph *hg) {
  if (!atomic_load_explicit(&hg->cancel_req, memory_order_acquire)) return 0;
  weft_graph_cancel(hg->g); /* claimed: the next run returns WEFT_ECANCELED */
  return 1;
}

static int count_done(void *ctx, uint64_t completed) {
  host_graph *hg = ctx;
  if (cancel_pending(hg)) return 0;
  return completed >= hg->n;
}

static int until_done(void *ctx, uint64_t completed) {
  host_graph *hg = ctx;
  if (cancel_pending(hg)) return 0;
  /* A task of the run threw: stop; the host reports its error. A cancel
   * ends the series by itself (the next run returns WEFT_ECANCELED). */
  if (atomic_load_explicit(&hg->rec.error, memory_order_acquire)) return 1;
  if (atomic_load_explicit(&hg->rec.cancel, memory_order_acquire)) return 0;
  wasm_block b;
  expand(&hg->until, hg, &b);
  uint32_t k = hg->until.index;
  double d = (double)completed;
  memcpy(&b.slot[k], &d, sizeof d);
  b.tags = (uint16_t)(b.tags | 1u << (3 * k));
  ((weft_fn)(uintptr_t)hg->until.fn)(weft_current_worker(), &b);
  if (atomic_load_explicit(&hg->rec.error, memory_order_acquire)) return 1;
  memcpy(&d, &b.slot[0], sizeof d);
  return d != 0;
}

/* Runs the graph n times (until == 0) or until the predicate says stop,
 * inline on worker w (weft_run from a worker of the pool is a call), and
 * records the outcome. */
static int drive(weft_worker *w, host_graph *hg, uint32_t until, double n) {
  weft_graph_result res;
  weft_pool pool = weft_worker_pool(w);
  int rc;
  if (until) {
    rc = hg->until_set ? weft_graph_run_until(pool, hg->g, until_done, hg, &res) : WEFT_EINVAL;
    if (!hg->until_set) memset(&res, 0, sizeof res);
  } else {
    hg->n = n > 0 ? (uint64_t)n : 0;
    rc = weft_graph_run_until(pool, hg->g, count_done, hg, &res);
  }
  hg->out.rc = rc;
  hg->out.status = res.status;
  hg->out.node = (uint32_t)res.node.id;
  hg->out.nodes_run = (double)res.nodes_run;
  hg->out.nodes_skipped = (double)res.nodes_skipped;
  hg->out.iterations = (double)res.iterations;
  return rc;
}

/* The root task of a run submitted from the main thread (weft_wasm_submit):
 * slot 0 = host graph, slot 1 = until flag (u32), slot 2 = n (f64). */
static void graph_root(weft_worker *w, void *args) {
  wasm_block *b = args;
  double n;
  memcpy(&n, &b->slot[2], sizeof n);
  drive(w, (host_graph *)(uintptr_t)(uint32_t)b->slot[0], (uint32_t)b->slot[1], n);
}

uint32_t WASM_EXPORT(weft_wasm_graph_root)(void) { return (uint32_t)(uintptr_t)graph_root; }

/* A run from inside a task, on the calling worker (between begin and end). */
int WASM_EXPORT(weft_wasm_graph_run_in)(host_graph *hg, uint32_t until, double n) {
  weft_worker *w = weft_current_worker();
  if (!hg || !w) return WEFT_EINVAL;
  return drive(w, hg, until, n);
}

/* Stops the graph's current run (series), or the one begun and not
 * started yet. Never waits. Also raises the record's cancel flag, which
 * JavaScript nodes see as ctx.cancelled. Returns 1 if a run was on, else 0. */
int WASM_EXPORT(weft_wasm_graph_cancel)(host_graph *hg) {
  if (!hg) return WEFT_EINVAL;
  if (!busy(hg)) return 0;
  atomic_store_explicit(&hg->cancel_req, 1, memory_order_release);
  weft_graph_cancel(hg->g);
  atomic_store_explicit(&hg->rec.cancel, 1, memory_order_release);
  return 1;
}

graph_outcome *WASM_EXPORT(weft_wasm_graph_outcome)(host_graph *hg) { return &hg->out; }
wasm_run *WASM_EXPORT(weft_wasm_graph_record)(host_graph *hg) { return &hg->rec; }
double *WASM_EXPORT(weft_wasm_graph_results)(host_graph *hg) { return hg->results; }
