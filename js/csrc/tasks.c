/*
 * tasks.c - test and benchmark C tasks, compiled into dist/weft-test.wasm
 * only (js/build.sh), callable from JavaScript by name (pool.run('fib', 30), ctx.spawn('fib', 20)). Every one is a weft_fn
 * over the 48-byte task block of src/wasm/host.c: its arguments are the f64
 * (or view) slots, its result goes to slot 0 as an f64.
 *
 * The nqueens and tree kernels are bench/weft_kernels.h, the same source as
 * the native bench_weft, and fib is bench_weft.c's (with fixed-width types),
 * so bench/js can compare per-spawn costs with the native build.
 */
#include <weft.h>

#include <stdint.h>
#include <string.h>

#include "../../bench/weft_kernels.h"

#define WASM_EXPORT(name) __attribute__((export_name(#name))) name

typedef struct {
  uint32_t run;
  uint16_t fn, tags;
  uint64_t slot[5];
} block_t;

static double arg_f64(const block_t *b, int i) {
  double d;
  memcpy(&d, &b->slot[i], sizeof d);
  return d;
}
static void set_result(block_t *b, double d) { memcpy(&b->slot[0], &d, sizeof d); }

/* ------------------------------------------------------------------- fib */

WEFT_TASK_1(int64_t, pfib, int32_t, n) {
  if (n < 2) return n;
  pfib_spawn(w, n - 1);
  int64_t y = pfib(w, n - 2);
  return pfib_sync(w) + y;
}

static void fib_root(weft_worker *w, void *p) {
  block_t *b = p;
  set_result(b, (double)pfib(w, (int32_t)arg_f64(b, 0)));
  (void)pfib_task;
}

/* --------------------------------------------------------------- nqueens */

/* pnq and ptree come from bench/weft_kernels.h. */
static void nqueens_root(weft_worker *w, void *p) {
  block_t *b = p;
  int n = (int)arg_f64(b, 0);
  n = n < 0 ? 0 : n > NQ_MAX_N ? NQ_MAX_N : n;
  set_result(b, (double)pnq(w, n, 0, 0));
  (void)pnq_task;
}

/* ------------------------------------------------------------------ tree */

/* tree(b0): nodes of the benchmark tree (bench/common.h) with b0 root
 * children; slot 1 gets the depth. */
static void tree_root(weft_worker *w, void *p) {
  block_t *b = p;
  tree_res r = ptree(w, tree_root_hash(), 0, (uint32_t)arg_f64(b, 0));
  set_result(b, (double)r.count);
  double d = r.maxdepth;
  memcpy(&b->slot[1], &d, sizeof d);
  (void)ptree_task;
}

/* ------------------------------------------------- sequential baselines */

/* The recursions of bench/bench_seq.c (fib here; nqueens and tree from
 * bench/kernels.h): every spawn a plain call and no sync, no weft. Exported (not tasks) so that bench/js can
 * call them directly on one thread and take the sequential time from
 * weft's (spawn overhead). Results as f64 (exact below 2^53). */

static int64_t fib_seq(int32_t n) {
  if (n < 2) return n;
  int64_t x = fib_seq(n - 1);
  int64_t y = fib_seq(n - 2);
  return x + y;
}
double WASM_EXPORT(weft_wasm_seq_fib)(int32_t n) { return (double)fib_seq(n); }

double WASM_EXPORT(weft_wasm_seq_nqueens)(int32_t n) {
  n = n < 0 ? 0 : n > NQ_MAX_N ? NQ_MAX_N : n;
  return (double)nq_rec(n, 0, 0);
}

/* Nodes of the tree with b0 root children; weft_wasm_seq_tree_depth() then
 * gives its depth (of the last call on any thread: a benchmark hook). */
static uint32_t seq_tree_depth;
double WASM_EXPORT(weft_wasm_seq_tree)(uint32_t b0) {
  long maxdepth = 0;
  double count = (double)tree_rec(tree_root_hash(), 0, b0, &maxdepth);
  seq_tree_depth = (uint32_t)maxdepth;
  return count;
}
uint32_t WASM_EXPORT(weft_wasm_seq_tree_depth)(void) { return seq_tree_depth; }

/* a + b: the tiny task adds spawns (the task 'add' is csrc/builtin.c's). */
static void add_task(weft_worker *w, void *p) {
  block_t *b = p;
  set_result(b, arg_f64(b, 0) + arg_f64(b, 1));
  (void)w;
}

/* adds(n): spawns n add tasks (in chunks, from a loop of tasks) and sums
 * their results: the spawned-from-tasks throughput benchmark. */
typedef struct {
  uint32_t lo, hi;
  double sum;
} adds_t;

static void adds_task(weft_worker *w, void *p) {
  adds_t *a = p;
  if (a->hi - a->lo > 64) {
    uint32_t mid = a->lo + (a->hi - a->lo) / 2;
    adds_t l = {a->lo, mid, 0}, r = {mid, a->hi, 0};
    WEFT_SPAWN(w, adds_task, &r);
    adds_task(w, &l);
    WEFT_SYNC(w, &r);
    a->sum = l.sum + r.sum;
    return;
  }
  block_t kids[64];
  uint32_t k = 0;
  for (uint32_t i = a->lo; i < a->hi; i++, k++) {
    memset(&kids[k], 0, sizeof kids[k]);
    double x = i, y = 1;
    memcpy(&kids[k].slot[0], &x, 8);
    memcpy(&kids[k].slot[1], &y, 8);
    weft_spawn(w, add_task, &kids[k], sizeof kids[k]);
  }
  double s = 0;
  while (k-- > 0) {
    weft_sync(w, &kids[k], sizeof kids[k]);
    s += arg_f64(&kids[k], 0);
  }
  a->sum = s;
}

static void adds_root(weft_worker *w, void *p) {
  block_t *b = p;
  adds_t a = {0, (uint32_t)arg_f64(b, 0), 0};
  adds_task(w, &a);
  set_result(b, a.sum);
}

/* worker(): the index of the worker that runs it. */
static void worker_task(weft_worker *w, void *p) {
  set_result((block_t *)p, (double)weft_worker_index(w));
}

/* ------------------------------------------------------------ the table */

typedef struct {
  const char *name;
  weft_fn fn;
} ctask;

static const ctask table[] = {
    {"fib", fib_root},     {"nqueens", nqueens_root}, {"tree", tree_root},
    {"adds", adds_root},
    {"worker", worker_task}, {0, 0}};

/* The C tasks: an array of {const char *name, weft_fn fn}, ended by {0, 0}. */
const ctask *WASM_EXPORT(weft_wasm_ctasks)(void) { return table; }
