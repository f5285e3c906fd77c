/*
 * host_loop.c - loops over an index range for the JavaScript host (js/src):
 * pool.for / ctx.for call a task once per chunk of [begin, end),
 * pool.reduce / ctx.reduce combine the numbers the chunks return, and
 * pool.map over typed-array columns calls a task once per item (a
 * JavaScript task: once per chunk, the loop over the items in JavaScript).
 *
 * A loop is one wasm_loop in linear memory (in one allocation with a run
 * record of its own and the host's extra bytes, loop_mem): its task block
 * first (run, the JavaScript task id, the argument tags and slots: the
 * loop's arguments, or map's columns), then the fields below. The host
 * writes the block; wasm writes nothing the host reads but the result.
 *
 * Chunks. With a grain, chunks are [begin + k grain, begin + (k + 1) grain)
 * (the last one shorter), found by halving the chunk count. Without one,
 * chunks are adaptive, as Rayon's adaptive splitter does it: a part starts
 * with a budget of `workers` splits and halves its range (spawning the upper
 * half) while its budget, halved at every split, lasts; a part that was
 * stolen (it runs on another worker than the one that spawned it: one was
 * idle) gets its budget back. So an evenly loaded loop runs in a few chunks per worker whatever
 * its length, and splits further only where thieves show up. A loop that
 * starts while the pool has a root job per worker (or among at least one
 * loop per worker, loops_root) starts with no budget.
 *
 * Reductions combine in a tree that depends only on the range and the
 * grain, never on the schedule: leaf i of m covers
 * [begin + i n / m, begin + (i + 1) n / m) (m = n / grain rounded up, or
 * min(n, 256) without a grain), and a node over leaves [a, b) is
 * combine(node [a, mid), node [mid, b)) with mid = a + (b - a) / 2. The
 * adaptive budget only decides which nodes are spawned.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"
#include "host.h"

/* What the host calls once per chunk of a JavaScript task (runtime.js,
 * jsChunk): returns the chunk's number (reductions) or 0. */
WASM_IMPORT(weft, js_chunk) double weft_host_js_chunk(weft_worker *w, void *loop, uint32_t lo,
                                                     uint32_t hi);

enum { LOOP_FOR = 0, LOOP_REDUCE = 1, LOOP_MAP = 2 };
enum { COMBINE_SUM = 0, COMBINE_MIN = 1, COMBINE_MAX = 2, COMBINE_TASK = 3 };

#define REDUCE_LEAVES 256u /* leaves of a reduction without a grain */

typedef struct wasm_loop {
  wasm_block block;     /* run, task id, tags, the arguments (map: the columns) */
  uint32_t kind;        /* LOOP_* */
  uint32_t serial;      /* distinct per loop: the host caches decoded arguments by it */
  uint32_t out_ptr;     /* map: the results column */
  uint32_t out_tag;     /*      and its element type (an argument tag) */
  uint32_t fn;          /* the task's weft_fn */
  uint32_t is_js;       /* a JavaScript task: js_chunk once per chunk */
  uint32_t begin, end;  /* the range */
  uint32_t grain;       /* 0: adaptive */
  uint32_t workers;     /* the pool's, the adaptive split budget */
  uint32_t combine;     /* COMBINE_* */
  uint32_t combine_fn;  /* COMBINE_TASK: its weft_fn and task id */
  uint32_t combine_id;
  uint32_t pad;
  double result;
} wasm_loop;

/* js/src/runtime.js reads these offsets. */
_Static_assert(offsetof(wasm_loop, kind) == 48, "loop layout");
_Static_assert(offsetof(wasm_loop, serial) == 52, "loop layout");
_Static_assert(offsetof(wasm_loop, out_ptr) == 56, "loop layout");
_Static_assert(offsetof(wasm_loop, out_tag) == 60, "loop layout");
_Static_assert(offsetof(wasm_loop, end) == 76, "loop layout");
_Static_assert(offsetof(wasm_loop, result) == 104, "loop layout");
_Static_assert(sizeof(wasm_loop) == 112, "loop layout (LOOP_SIZE in js/src/common.js)");

/* One part of a loop: items [lo, hi) (for, map) or leaves [lo, hi)
 * (reduce), the split budget, the worker that spawned it. */
typedef struct {
  wasm_loop *loop;
  uint32_t lo, hi;
  uint32_t splits;
  uint32_t owner;
  double result;
} part_t;
_Static_assert(sizeof(part_t) <= WEFT_ARGS_MAX, "a part fits a frame");

static int cancelled(const wasm_loop *L) {
  const wasm_run *r = (const wasm_run *)(uintptr_t)L->block.run;
  return r && atomic_load_explicit(&r->cancel, memory_order_relaxed);
}

static double slot_f64(const uint64_t *s) {
  double d;
  memcpy(&d, s, sizeof d);
  return d;
}

static void set_slot_f64(uint64_t *s, double d) { memcpy(s, &d, sizeof d); }

/* Element i of a column (tag: an argument tag of host.c), as f64. */
static double column_get(uint32_t ptr, uint32_t tag, uint32_t i) {
  switch (tag) {
    case 2: return ((const int8_t *)(uintptr_t)ptr)[i];
    case 3: return ((const uint8_t *)(uintptr_t)ptr)[i];
    case 4: return ((const int32_t *)(uintptr_t)ptr)[i];
    case 5: return ((const uint32_t *)(uintptr_t)ptr)[i];
    case 6: return ((const float *)(uintptr_t)ptr)[i];
    default: return ((const double *)(uintptr_t)ptr)[i];
  }
}

/* Stores d as JavaScript does into a typed array of that tag (integers
 * wrap modulo 2^bits, NaN and infinities give 0). */
static void column_set(uint32_t ptr, uint32_t tag, uint32_t i, double d) {
  if (tag >= 2 && tag <= 5) {
    double t = d != d || d - d != 0 ? 0 : __builtin_trunc(d);
    double m = t - 4294967296.0 * __builtin_floor(t / 4294967296.0); /* t mod 2^32, in [0, 2^32) */
    uint32_t u = (uint32_t)m;
    switch (tag) {
      case 2: ((int8_t *)(uintptr_t)ptr)[i] = (int8_t)u; return;
      case 3: ((uint8_t *)(uintptr_t)ptr)[i] = (uint8_t)u; return;
      case 4: ((int32_t *)(uintptr_t)ptr)[i] = (int32_t)u; return;
      default: ((uint32_t *)(uintptr_t)ptr)[i] = u; return;
    }
  }
  if (tag == 6) ((float *)(uintptr_t)ptr)[i] = (float)d;
  else ((double *)(uintptr_t)ptr)[i] = d;
}

/* Runs items [lo, hi): one call of a JavaScript task, or of a C task per
 * chunk (for, reduce: slots lo, hi, then the first three arguments) or per
 * item (map: one number per column). Returns the chunk's number. */
static double run_chunk(weft_worker *w, wasm_loop *L, uint32_t lo, uint32_t hi) {
  if (cancelled(L)) return 0;
  if (L->is_js) return weft_host_js_chunk(w, L, lo, hi);
  weft_fn fn = (weft_fn)(uintptr_t)L->fn;
  wasm_block b;
  if (L->kind != LOOP_MAP) {
    b.run = L->block.run;
    b.fn = L->block.fn;
    b.tags = (uint16_t)(1u | 1u << 3 | (L->block.tags & 0x1ffu) << 6);
    set_slot_f64(&b.slot[0], lo);
    set_slot_f64(&b.slot[1], hi);
    memcpy(&b.slot[2], &L->block.slot[0], 3 * sizeof b.slot[0]);
    fn(w, &b);
    return slot_f64(&b.slot[0]);
  }
  uint32_t cols = 0, tags = 0;
  while (cols < 5 && (L->block.tags >> (3 * cols) & 7)) {
    tags |= 1u << (3 * cols);
    cols++;
  }
  for (uint32_t i = lo; i < hi; i++) {
    if (cancelled(L)) return 0;
    memset(&b, 0, sizeof b);
    b.run = L->block.run;
    b.fn = L->block.fn;
    b.tags = (uint16_t)tags;
    for (uint32_t k = 0; k < cols; k++)
      set_slot_f64(&b.slot[k], column_get((uint32_t)L->block.slot[k],
                                          L->block.tags >> (3 * k) & 7, i));
    fn(w, &b);
    column_set(L->out_ptr, L->out_tag, i, slot_f64(&b.slot[0]));
  }
  return 0;
}

/* Before long sequential work (a chunk, a run of leaves): the frames this
 * worker spawned and still holds privately are shared at once, as a
 * thief's split request would have them shared, and a sleeping worker is
 * woken for them. The split deque shares private frames only when their
 * owner pushes or pops with a request pending; a loop pushes its halves
 * first and then runs one chunk for a long time, so a worker that went to
 * sleep before those pushes could see nothing to take until the chunk
 * ended, or at all (traced: in 3 of 4 runs of a reduction over 10^7
 * doubles on a loaded machine, one worker ran every leaf while the other
 * slept). Cost: nothing without private frames; else one RMW per part. */
static void offer_spawns(weft_worker *w) {
  weft__hot *h = &w->hot;
  if (h->split >= h->top) return; /* nothing private */
  __atomic_fetch_or(&h->signal, WEFT__SIG_SPLIT, __ATOMIC_RELAXED);
  weft__on_signal(w);
  weft__wake_one(w->pool);
}

/* The split budget of a part that starts on worker `me`. */
static uint32_t budget(const part_t *p, uint32_t me) {
  if (p->owner == me) return p->splits;
  uint32_t half = p->splits / 2; /* stolen: another worker was idle */
  return half > p->loop->workers ? half : p->loop->workers;
}

/* for, map: halve while the grain (or the budget) says so, run the lowest
 * part here, join the rest. */
static void range_part(weft_worker *w, void *args) {
  part_t *p = args;
  wasm_loop *L = p->loop;
  uint32_t me = weft_worker_index(w);
  uint32_t lo = p->lo, hi = p->hi, splits = budget(p, me);
  part_t halves[33];
  unsigned n = 0;
  for (;;) {
    uint32_t len = hi - lo;
    if (L->grain ? len <= L->grain : len < 2 || splits == 0) break;
    uint32_t mid;
    if (L->grain) {
      uint32_t chunks = (uint32_t)(((uint64_t)len + L->grain - 1) / L->grain);
      mid = lo + chunks / 2 * L->grain; /* chunks stay at begin + k grain */
    } else {
      splits /= 2;
      mid = lo + len / 2;
    }
    halves[n] = (part_t){L, mid, hi, splits, me, 0};
    WEFT_SPAWN(w, range_part, &halves[n]);
    n++;
    hi = mid;
  }
  if (n) offer_spawns(w);
  run_chunk(w, L, lo, hi);
  while (n-- > 0) WEFT_SYNC(w, &halves[n]);
}

/* JavaScript's Math.min / Math.max: NaN wins, -0 is below +0. */
static double js_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return __builtin_signbit(a) ? a : b;
  return a < b ? a : b;
}
static double js_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return __builtin_signbit(a) ? b : a;
  return a > b ? a : b;
}

static double combine(weft_worker *w, wasm_loop *L, double a, double b) {
  switch (L->combine) {
    case COMBINE_SUM: return a + b;
    case COMBINE_MIN: return js_min(a, b);
    case COMBINE_MAX: return js_max(a, b);
    default: break;
  }
  if (cancelled(L)) return 0;
  wasm_block blk;
  memset(&blk, 0, sizeof blk);
  blk.run = L->block.run;
  blk.fn = (uint16_t)L->combine_id;
  blk.tags = 1u | 1u << 3;
  set_slot_f64(&blk.slot[0], a);
  set_slot_f64(&blk.slot[1], b);
  ((weft_fn)(uintptr_t)L->combine_fn)(w, &blk);
  return slot_f64(&blk.slot[0]);
}

static uint32_t leaf_count(const wasm_loop *L) {
  uint32_t n = L->end - L->begin;
  if (L->grain) return (uint32_t)(((uint64_t)n + L->grain - 1) / L->grain);
  return n < REDUCE_LEAVES ? n : REDUCE_LEAVES;
}

static uint32_t leaf_start(const wasm_loop *L, uint32_t i) {
  uint64_t n = L->end - L->begin;
  if (L->grain) {
    uint64_t s = (uint64_t)i * L->grain;
    return L->begin + (uint32_t)(s < n ? s : n);
  }
  return L->begin + (uint32_t)((uint64_t)i * n / leaf_count(L));
}

static void reduce_part(weft_worker *w, void *args);

/* The tree node over leaves [a, b). */
static double reduce_tree(weft_worker *w, wasm_loop *L, uint32_t a, uint32_t b, uint32_t splits,
                          uint32_t me) {
  if (b - a == 1) {
    offer_spawns(w);
    return run_chunk(w, L, leaf_start(L, a), leaf_start(L, b));
  }
  uint32_t mid = a + (b - a) / 2;
  if (splits == 0) {
    offer_spawns(w);
    return combine(w, L, reduce_tree(w, L, a, mid, 0, me), reduce_tree(w, L, mid, b, 0, me));
  }
  part_t right = {L, mid, b, splits / 2, me, 0};
  WEFT_SPAWN(w, reduce_part, &right);
  double left = reduce_tree(w, L, a, mid, splits / 2, me);
  WEFT_SYNC(w, &right);
  return combine(w, L, left, right.result);
}

static void reduce_part(weft_worker *w, void *args) {
  part_t *p = args;
  uint32_t me = weft_worker_index(w);
  p->result = reduce_tree(w, p->loop, p->lo, p->hi, budget(p, me), me);
}

/* ------------------------------------------------------------- exports */

static _Atomic uint32_t next_serial;

/* A loop's memory, in one allocation: a run record of its own (the host's
 * loops report their errors there; ctx.for's use their task's run), the
 * loop, then `extra` bytes for the host (map's column copies). */
typedef struct {
  wasm_run run;
  alignas(16) wasm_loop loop;
} loop_mem;

/* A new loop (zeroed; its block's run word points to its own run record,
 * the host writes the rest of the block), with `extra` bytes after it (at
 * loop + sizeof(wasm_loop), 16-aligned); NULL without memory. */
wasm_loop *WASM_EXPORT(weft_wasm_loop_new)(uint32_t kind, uint32_t fn, uint32_t is_js,
                                          uint32_t begin, uint32_t end, uint32_t grain,
                                          uint32_t workers, uint32_t comb, uint32_t combine_fn,
                                          uint32_t combine_id, uint32_t out_ptr,
                                          uint32_t out_tag, uint32_t extra) {
  loop_mem *m = aligned_alloc(16, sizeof(loop_mem) + extra);
  if (!m) return NULL;
  memset(m, 0, sizeof *m);
  wasm_loop *L = &m->loop;
  L->block.run = (uint32_t)(uintptr_t)&m->run;
  L->kind = kind;
  L->serial = atomic_fetch_add_explicit(&next_serial, 1, memory_order_relaxed) + 1;
  L->fn = fn;
  L->is_js = is_js;
  L->begin = begin;
  L->end = end < begin ? begin : end;
  L->grain = grain;
  L->workers = workers; /* 0: the pool's, found by weft_wasm_loop_run */
  L->combine = comb;
  L->combine_fn = combine_fn;
  L->combine_id = combine_id;
  L->out_ptr = out_ptr;
  L->out_tag = out_tag;
  return L;
}

/* Frees the loop, its run record's error text and its extra bytes. */
void WASM_EXPORT(weft_wasm_loop_free)(wasm_loop *L) {
  if (!L) return;
  loop_mem *m = (loop_mem *)(void *)((char *)L - offsetof(loop_mem, loop));
  free((void *)(uintptr_t)m->run.err_ptr);
  free(m);
}

/* Runs the loop on worker w, the first part with a budget of `splits`. */
static double loop_run(weft_worker *w, wasm_loop *L, uint32_t splits) {
  if (!w || !L || L->begin == L->end) return 0;
  uint32_t me = weft_worker_index(w);
  part_t p = {L, L->begin, L->end, splits, me, 0};
  if (L->kind == LOOP_REDUCE) {
    p.lo = 0;
    p.hi = leaf_count(L);
    reduce_part(w, &p);
  } else {
    range_part(w, &p);
  }
  L->result = p.result;
  return p.result;
}

static void set_workers(weft_worker *w, wasm_loop *L) {
  if (!L->workers) L->workers = w->pool->nworkers ? w->pool->nworkers : 1;
}

/* Runs the loop on the calling worker (inside a task: ctx.for) and returns
 * its result: the reduction's value, 0 for the others and for an empty
 * range. The first budget: none while the pool has at least one root job
 * per worker (runs in flight from the host: every worker has one to take,
 * and splitting would only make workers wait for each other's halves); a
 * part that gets stolen still gets its budget back. */
double WASM_EXPORT(weft_wasm_loop_run)(weft_worker *w, wasm_loop *L) {
  if (!w || !L) return 0;
  set_workers(w, L);
  uint32_t live = atomic_load_explicit(&w->pool->live_jobs, memory_order_relaxed);
  return loop_run(w, L, live >= L->workers && L->workers > 1 ? 0 : L->workers);
}

/* Several loops submitted as one job (the host gathers the loops started in
 * one turn of its event loop): slot 0 holds an array of loop pointers (u32),
 * slot 1 their count. They are spread over the workers by a parallel-for;
 * with at least one loop per worker, each starts without a split budget.
 * Each result stays in its loop's record. */
typedef struct {
  uint32_t *loops;
  uint32_t splits;
} loops_t;

static void loops_range(weft_worker *w, size_t begin, size_t end, void *ctx) {
  loops_t *ls = ctx;
  offer_spawns(w); /* the parallel-for's pending halves: other loops */
  for (size_t i = begin; i < end; i++) {
    wasm_loop *L = (wasm_loop *)(uintptr_t)ls->loops[i];
    set_workers(w, L);
    loop_run(w, L, ls->splits ? L->workers : 0);
  }
}

static void loops_root(weft_worker *w, void *args) {
  wasm_block *b = args;
  loops_t ls = {(uint32_t *)(uintptr_t)(uint32_t)b->slot[0], 1};
  uint32_t n = (uint32_t)b->slot[1];
  if (n >= w->pool->nworkers && w->pool->nworkers > 1) ls.splits = 0;
  weft_parallel_for(w, 0, n, 1, loops_range, &ls);
}

uint32_t WASM_EXPORT(weft_wasm_loops_task)(void) { return (uint32_t)(uintptr_t)loops_root; }

/* The root task of a loop submitted from the main thread: slot 0 holds the
 * loop (u32); the result goes to slot 0 as f64. */
static void loop_root(weft_worker *w, void *args) {
  wasm_block *b = args;
  wasm_loop *L = (wasm_loop *)(uintptr_t)(uint32_t)b->slot[0];
  set_slot_f64(&b->slot[0], weft_wasm_loop_run(w, L));
}

uint32_t WASM_EXPORT(weft_wasm_loop_task)(void) { return (uint32_t)(uintptr_t)loop_root; }
