/*
 * host.c - what the JavaScript host (js/) calls in the wasm build: memory,
 * pools whose workers are the host's threads (WEFT_THREADS_HOST) or the
 * caller alone (WEFT_THREADS_CALLER), non-blocking submission of runs, and
 * the trampoline through which weft runs JavaScript tasks.
 *
 * The task block. Tasks started from JavaScript, in either language, get a
 * 48-byte argument block (js/README.md, "Task blocks"):
 *   u32 run      the run this task belongs to (cancel flag, error record)
 *   u16 fn       JavaScript task id (index in the task module's sorted names)
 *   u16 tags     3 bits per argument: 0 none, 1 number (f64), 2.. a typed
 *                array view into the memory (u32 byte offset, u32 length)
 *   u64 slot[5]  the arguments; the task's result (an f64) goes to slot 0
 * C tasks read the same block (see js/csrc/tasks.c).
 */
#include "../trace.h"
#include "host.h"

#include <stdlib.h>

/* ------------------------------------------------------------ allocation */

void *WASM_EXPORT(weft_wasm_alloc)(size_t size, size_t align) {
  return aligned_alloc(align ? align : 16, size ? size : 1);
}

void WASM_EXPORT(weft_wasm_free)(void *p) { free(p); }

/* ------------------------------------------------------------------ pools */

/* Creates a pool whose workers are the host's threads (threads =
 * WEFT_THREADS_HOST: each enters with weft_wasm_worker_enter; host_stacks:
 * each worker's stack is kept in its slice, weft_wasm_worker_stack; see
 * WEFT__HOST_STACKS for why a wasm worker may use it) or the
 * caller alone (WEFT_THREADS_CALLER). Neither starts nor waits for a
 * thread, so this is safe on a thread that must not wait. Returns the
 * pool, or NULL with *rc set (rc may be NULL). */
host_pool *WASM_EXPORT(weft_wasm_pool_create)(uint32_t threads, uint32_t host_stacks, uint32_t workers,
                                             uint32_t stack_size, uint32_t deque_frames,
                                             uint32_t scratch_size, uint32_t spin_rounds,
                                             int32_t *rc) {
  host_pool *hp = calloc(1, sizeof *hp);
  if (!hp) {
    if (rc) *rc = WEFT_ENOMEM;
    return NULL;
  }
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = threads;
  cfg.workers = workers;
  if (stack_size) cfg.stack_size = stack_size;
  if (deque_frames) cfg.deque_frames = deque_frames;
  cfg.scratch_size = scratch_size;
  cfg.spin_rounds = spin_rounds;
  int r = weft__pool_create(&hp->pool, &cfg, host_stacks ? WEFT__HOST_STACKS : 0);
  if (rc) *rc = r;
  if (r) {
    free(hp);
    return NULL;
  }
  return hp;
}

/* The lowest address of worker `index`'s stack in its slice of the pool's
 * region (weft_worker_stack), with its size in *size; 0 if there is none. */
uint32_t WASM_EXPORT(weft_wasm_worker_stack)(host_pool *hp, uint32_t index, uint32_t *size) {
  void *base;
  size_t n;
  if (!hp || weft__worker_stack(hp->pool, index, &base, &n)) return 0;
  *size = (uint32_t)n;
  return (uint32_t)(uintptr_t)base;
}

/* Runs worker `index` on the calling thread until the pool is destroyed. */
int WASM_EXPORT(weft_wasm_worker_enter)(host_pool *hp, uint32_t index) {
  return hp ? weft_worker_enter(hp->pool, index) : WEFT_EINVAL;
}

/* Destroys the pool (waits for its jobs and for the entered workers to
 * leave) and frees hp. Must run on a thread that may wait, unless the pool
 * is a CALLER pool with no job in flight. */
int WASM_EXPORT(weft_wasm_pool_destroy)(host_pool *hp) {
  if (!hp) return WEFT_EINVAL;
  int rc = weft_pool_destroy(hp->pool);
  free(hp);
  return rc;
}

int WASM_EXPORT(weft_wasm_pool_workers)(host_pool *r) { return weft_pool_workers(r->pool); }

int WASM_EXPORT(weft_wasm_pool_stats)(host_pool *r, int index, weft_worker_stats *out) {
  return index < 0 ? weft_pool_stats_total(r->pool, out)
                   : weft_pool_stats(r->pool, (unsigned)index, out);
}

const char *WASM_EXPORT(weft_wasm_strerror)(int err) { return weft_strerror(err); }

/* ------------------------------------------------------------------ runs */

static uint32_t layout[8];

/* Offsets the host needs: [0] job.state, [1] cancel, [2] error, [3] err_ptr,
 * [4] err_len, [5] block, [6] sizeof(wasm_run), [7] sizeof(weft_worker_stats). */
uint32_t *WASM_EXPORT(weft_wasm_layout)(void) {
  layout[0] = offsetof(wasm_run, job) + offsetof(weft_job, state);
  layout[1] = offsetof(wasm_run, cancel);
  layout[2] = offsetof(wasm_run, error);
  layout[3] = offsetof(wasm_run, err_ptr);
  layout[4] = offsetof(wasm_run, err_len);
  layout[5] = offsetof(wasm_run, block);
  layout[6] = sizeof(wasm_run);
  layout[7] = sizeof(weft_worker_stats);
  return layout;
}

wasm_run *WASM_EXPORT(weft_wasm_run_new)(void) { return calloc(1, sizeof(wasm_run)); }

void WASM_EXPORT(weft_wasm_run_free)(wasm_run *r) {
  if (!r) return;
  free((void *)(uintptr_t)r->err_ptr);
  free(r);
}

/* Submits fn on the run's block and returns at once; never waits. The host
 * then waits (Atomics.waitAsync) for job.state to leave 2: the state is
 * moved 0 -> 2 ("a waiter sleeps") here, so the worker that finishes the
 * job notifies the word (src/submit.c, finish_job). */
int WASM_EXPORT(weft_wasm_submit)(host_pool *pool, wasm_run *r, weft_fn fn) {
  if (!pool || !r || !fn) return WEFT_EINVAL;
  r->block.run = (uint32_t)(uintptr_t)r;
  int rc = weft_submit(pool->pool, &r->job, fn, &r->block);
  if (rc) return rc;
  uint32_t expect = 0;
  __atomic_compare_exchange_n(&r->job.state, &expect, 2, false, __ATOMIC_ACQ_REL,
                              __ATOMIC_ACQUIRE);
  return 0;
}

/* -------------------------------------------------------- JavaScript tasks */

WASM_IMPORT(weft, js_call) void weft_host_js_call(weft_worker *w, void *block);

static void js_task(weft_worker *w, void *args) {
  wasm_block *b = args;
  wasm_run *r = (wasm_run *)(uintptr_t)b->run;
  if (r && atomic_load_explicit(&r->cancel, memory_order_relaxed)) return;
  /* Traces: every JavaScript task is a slice named by its export (a call
   * into JavaScript costs far more than the two events). */
  weft__tbuf *tb = weft__tracing(w);
  if (tb) weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_JS), WASM_JS_TRACE_KEY(b->fn), b->fn, 0);
  weft_host_js_call(w, args);
  if (tb) weft__tput(tb, WEFT__EV_END, 0, 0, 0);
}

/* ------------------------------------------------------------------ traces */

int WASM_EXPORT(weft_wasm_trace_start)(host_pool *hp, uint32_t level, uint32_t events) {
  return hp ? weft_trace_start(hp->pool, level, events) : WEFT_EINVAL;
}

int WASM_EXPORT(weft_wasm_trace_stop)(host_pool *hp) {
  return hp ? weft_trace_stop(hp->pool) : WEFT_EINVAL;
}

/* Names key (a C task's function-table index, or JS_TRACE_KEY of a
 * JavaScript task id when js is set); name is a NUL-terminated string. */
int WASM_EXPORT(weft_wasm_trace_name)(host_pool *hp, uint32_t key, uint32_t js, const char *name) {
  if (!hp) return WEFT_EINVAL;
  return weft_trace_name(hp->pool, (const void *)(uintptr_t)(js ? WASM_JS_TRACE_KEY(key) : key), name);
}

typedef struct grow_buf {
  char *p;
  size_t len, cap;
} grow_buf;

static int to_buf(void *user, const char *data, size_t len) {
  grow_buf *g = user;
  if (g->len + len + 1 > g->cap) {
    size_t cap = g->cap ? g->cap : 65536;
    while (cap < g->len + len + 1) cap *= 2;
    char *n = realloc(g->p, cap);
    if (!n) return WEFT_ENOMEM;
    g->p = n;
    g->cap = cap;
  }
  memcpy(g->p + g->len, data, len);
  g->len += len;
  g->p[g->len] = 0;
  return 0;
}

/* The trace's JSON in a block the host frees with weft_wasm_free; its
 * length in *len. NULL with *rc set on error. */
char *WASM_EXPORT(weft_wasm_trace_write)(host_pool *hp, uint32_t *len, int32_t *rc) {
  grow_buf g = {0, 0, 0};
  int r = hp ? weft_trace_write(hp->pool, to_buf, &g) : WEFT_EINVAL;
  *rc = r;
  if (r) {
    free(g.p);
    return NULL;
  }
  *len = (uint32_t)g.len;
  return g.p;
}

/* The weft_fn of JavaScript tasks (a function-table index). */
uint32_t WASM_EXPORT(weft_wasm_js_task)(void) { return (uint32_t)(uintptr_t)js_task; }

static _Thread_local int last_rc;

/* Spawns fn on a copy of the 48-byte block at `block` (the host's staging
 * area: spawn copies it at once). */
int WASM_EXPORT(weft_wasm_spawn)(weft_worker *w, weft_fn fn, const void *block) {
  return weft_spawn(w, fn, block, sizeof(wasm_block));
}

/* Joins the most recent spawn of the calling task; returns its slot 0 as
 * f64 and leaves weft_sync's status for weft_wasm_last_rc. */
double WASM_EXPORT(weft_wasm_sync)(weft_worker *w) {
  wasm_block b;
  memset(&b, 0, sizeof b);
  last_rc = weft_sync(w, &b, sizeof b);
  double d;
  memcpy(&d, &b.slot[0], sizeof d);
  return d;
}

int WASM_EXPORT(weft_wasm_last_rc)(void) { return last_rc; }

unsigned WASM_EXPORT(weft_wasm_worker_index)(weft_worker *w) { return weft_worker_index(w); }

/* The worker running on this instance's thread (NULL outside a task). */
weft_worker *WASM_EXPORT(weft_wasm_current_worker)(void) { return weft_current_worker(); }

/* --------------------------------------------------------------- batches */

typedef struct {
  weft_fn fn;
  wasm_block *blocks;
} batch_t;

static void batch_range(weft_worker *w, size_t begin, size_t end, void *ctx) {
  batch_t *bt = ctx;
  for (size_t i = begin; i < end; i++) bt->fn(w, &bt->blocks[i]);
}

/* A root task over an array of task blocks that all run the same fn: slot 0
 * holds fn, slot 1 the array, slot 2 the count, slot 3 the grain (all u32).
 * The blocks are run by parallel-for, each in place: results stay in their
 * slot 0. This is how the host submits a batch with one job. */
static void batch_root(weft_worker *w, void *args) {
  wasm_block *b = args;
  uint32_t fn = (uint32_t)b->slot[0], blocks = (uint32_t)b->slot[1];
  uint32_t n = (uint32_t)b->slot[2], grain = (uint32_t)b->slot[3];
  batch_t bt = {(weft_fn)(uintptr_t)fn, (wasm_block *)(uintptr_t)blocks};
  weft_parallel_for(w, 0, n, grain ? grain : 1, batch_range, &bt);
}

uint32_t WASM_EXPORT(weft_wasm_batch_task)(void) { return (uint32_t)(uintptr_t)batch_root; }
