/*
 * launch_tasks.c - C tasks for the launched-task tests and benchmarks
 * (js/test/launch.test.mjs, bench/js/launch.mjs), in dist/weft-test.wasm
 * only, listed by weft_wasm_launch_ctasks. The 48-byte task block of
 * src/wasm/host.h: f64 or view arguments, the result (f64) in slot 0.
 *
 * The wavefront cell is bench/dyn's task body (dyn_common.h, dn_task): one
 * hash over the north and west neighbours' values, so a cell that ran
 * before a neighbour gives a different grid.
 */
#include <weft.h>

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

static inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline void cell(uint64_t *val, uint32_t n, uint32_t v) {
  uint32_t i = v / n, j = v % n;
  uint64_t h = mix(0x9e3779b97f4a7c15ull + v);
  if (i > 0) h = mix(h ^ val[v - n]);
  if (j > 0) h = mix(h ^ val[v - 1]);
  val[v] = h | 1; /* never 0, the "not run" value */
}

/* wf_cell(Uint32Array grid (2 words a cell), n, k): cell k of the n x n
 * wavefront. Fails (status 2) outside the grid. */
static void wf_cell_task(weft_worker *w, void *p) {
  (void)w;
  uint32_t len;
  uint64_t *val = arg_view(p, 0, &len);
  uint32_t n = (uint32_t)arg_f64(p, 1), k = (uint32_t)arg_f64(p, 2);
  if ((uint64_t)n * n * 2 > len || k >= n * n) {
    weft_wasm_fail(2);
    return;
  }
  cell(val, n, k);
  set_result(p, 0);
}

/* wf_seq(grid, n): the whole wavefront in row order on one thread (the
 * oracle). */
static void wf_seq_task(weft_worker *w, void *p) {
  (void)w;
  uint32_t len;
  uint64_t *val = arg_view(p, 0, &len);
  uint32_t n = (uint32_t)arg_f64(p, 1);
  if ((uint64_t)n * n * 2 > len) {
    set_result(p, -1);
    return;
  }
  for (uint32_t v = 0; v < n * n; v++) cell(val, n, v);
  set_result(p, 0);
}

/* wf_sum(grid, n): a checksum of the grid below 2^53 (0 if a cell never ran:
 * then -1). */
static void wf_sum_task(weft_worker *w, void *p) {
  (void)w;
  uint32_t len;
  const uint64_t *val = arg_view(p, 0, &len);
  uint32_t n = (uint32_t)arg_f64(p, 1);
  uint64_t s = 0;
  for (uint32_t v = 0; v < n * n && 2 * (uint64_t)n * n <= len; v++) {
    if (!val[v]) {
      set_result(p, -1);
      return;
    }
    s = mix(s ^ val[v]);
  }
  set_result(p, (double)(s >> 11));
}


/* wf_launch_c(grid, n): the same wavefront launched by this C task with
 * weft_launch, as bench/dyn does natively (no JavaScript): what launchMany
 * from JavaScript is compared with. n <= 4096 (a row of handles on the
 * stack). */
typedef struct {
  uint64_t *val;
  uint32_t n, v;
} wfc_t;

static int wfc_cell(weft_worker *w, void *p) {
  (void)w;
  wfc_t *c = p;
  cell(c->val, c->n, c->v);
  return 0;
}

static void wf_launch_c_task(weft_worker *w, void *p) {
  uint32_t len;
  uint64_t *val = arg_view(p, 0, &len);
  uint32_t n = (uint32_t)arg_f64(p, 1);
  if (n > 4096 || (uint64_t)n * n * 2 > len) {
    set_result(p, -1);
    return;
  }
  weft_pool pool = weft_worker_pool(w);
  weft_task *row = __builtin_alloca(sizeof(weft_task) * n);
  weft_task last = {0};
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) {
      weft_task pre[2];
      unsigned np = 0;
      if (i) pre[np++] = row[j];
      if (j) pre[np++] = last;
      wfc_t c = {val, n, i * n + j};
      weft_task t;
      weft_launch(pool, wfc_cell, &c, sizeof c, pre, np, &t);
      if (i) weft_task_release(row[j]);
      if (j) row[j - 1] = last;
      last = t;
      if (j == n - 1) row[j] = t;
    }
  for (uint32_t j = 0; j < n; j++) weft_task_wait(row[j]);
  for (uint32_t j = 0; j < n; j++) weft_task_release(row[j]);
  set_result(p, 0);
}

typedef struct {
  const char *name;
  weft_fn fn;
} ctask;

static const ctask table[] = {
    {"wf_cell", wf_cell_task}, {"wf_seq", wf_seq_task}, {"wf_sum", wf_sum_task},
    {"wf_launch_c", wf_launch_c_task}, {0, 0}};

const ctask *WASM_EXPORT(weft_wasm_launch_ctasks)(void) { return table; }
