/*
 * graph_tasks.c - C tasks for graph nodes and for the chain benchmark,
 * callable from JavaScript by name like those of tasks.c (listed by
 * weft_wasm_graph_ctasks). Same 48-byte task block: f64 or view arguments
 * in the slots, the result (f64) in slot 0.
 */
#include <weft.h>

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "wasm/host.h"

static double arg_f64(const wasm_block *b, int i) {
  double d;
  memcpy(&d, &b->slot[i], sizeof d);
  return d;
}
static void set_result(wasm_block *b, double d) { memcpy(&b->slot[0], &d, sizeof d); }
static void *arg_view(const wasm_block *b, int i, uint32_t *len) {
  uint32_t v[2];
  memcpy(v, &b->slot[i], sizeof v);
  *len = v[1];
  return (void *)(uintptr_t)v[0];
}

/* nop(): nothing (graph benchmarks: the cost of a node itself). */
static void nop_task(weft_worker *w, void *p) {
  (void)w;
  set_result(p, 0);
}

/* fail(status): fails its graph node with that status (0: succeeds). */
static void fail_task(weft_worker *w, void *p) {
  (void)w;
  weft_wasm_fail((int32_t)arg_f64(p, 0));
}

/* stamp(Int32Array seq, node, spin): seq[1 + 2 node] = a ticket taken at
 * its start, seq[2 + 2 node] = one taken at its end, from the counter
 * seq[0]; spins `spin` rounds between them so that overlaps show. The
 * graph tests check every edge: a predecessor's end ticket is below its
 * successor's start ticket. */
static void stamp_task(weft_worker *w, void *p) {
  (void)w;
  uint32_t len;
  _Atomic int32_t *seq = arg_view(p, 0, &len);
  uint32_t node = (uint32_t)arg_f64(p, 1);
  uint32_t spin = (uint32_t)arg_f64(p, 2);
  if (2 + 2 * (uint64_t)node >= len) {
    weft_wasm_fail(2); /* out of the view: fail rather than write outside */
    return;
  }
  int32_t start = atomic_fetch_add(&seq[0], 1) + 1;
  volatile uint32_t x = 0; /* volatile: the loop is not optimised away */
  for (uint32_t i = 0; i < spin; i++) x = x + i;
  (void)x;
  atomic_store(&seq[1 + 2 * node], start);
  atomic_store(&seq[2 + 2 * node], atomic_fetch_add(&seq[0], 1) + 1);
  set_result(p, start);
}

/* chain_step(Float64Array v, i): v[i] = v[i - 1] + 1 (v[0] = 1): one link
 * of a chain of dependent tasks, each adding to the previous result. */
static void chain_step_task(weft_worker *w, void *p) {
  (void)w;
  uint32_t len;
  double *v = arg_view(p, 0, &len);
  uint32_t i = (uint32_t)arg_f64(p, 1);
  if (i >= len) {
    weft_wasm_fail(2);
    return;
  }
  v[i] = (i ? v[i - 1] : 0) + 1;
  set_result(p, v[i]);
}

/* chain(n): a chain of n dependent tasks spawned from a task: each next one
 * is spawned only after the previous one's result came back (spawn, sync),
 * adding one to it. Returns n. */
typedef struct {
  double x;
} step_t;

static void step_task(weft_worker *w, void *p) {
  (void)w;
  ((step_t *)p)->x += 1;
}

static void chain_task(weft_worker *w, void *p) {
  uint32_t n = (uint32_t)arg_f64(p, 0);
  step_t s = {0};
  for (uint32_t i = 0; i < n; i++) {
    WEFT_SPAWN(w, step_task, &s);
    WEFT_SYNC(w, &s);
  }
  set_result(p, s.x);
}

typedef struct {
  const char *name;
  weft_fn fn;
} ctask;

static const ctask table[] = {{"nop", nop_task},
                              {"fail", fail_task},
                              {"stamp", stamp_task},
                              {"chain_step", chain_step_task},
                              {"chain", chain_task},
                              {0, 0}};

/* More C tasks, as weft_wasm_ctasks: {name, fn} pairs ended by {0, 0}. */
const ctask *WASM_EXPORT(weft_wasm_graph_ctasks)(void) { return table; }
