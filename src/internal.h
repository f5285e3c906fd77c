/*
 * internal.h - the scheduler's private structures. The protocols that govern
 * them (split deque, sleep/wake, root jobs) are written up in docs/DESIGN.md;
 * the comments here state each field's owner and who may touch it.
 */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H

#include "weft.h"
#include "prim.h"
#include "spin.h" /* weft__cpu_relax, weft__spin_lock */

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define WEFT__CACHE_LINE 64
#define WEFT__DONE 0xffffffffu          /* frame.thief once the thief finished */

/* hot.signal bits, set by other workers. */
#define WEFT__SIG_SPLIT 1u   /* a thief found nothing shared here */
#define WEFT__SIG_WAKE 2u    /* a worker went to sleep: share work, wake it */

/* hot.slow bits, owner only: force spawn/sync onto the slow path. */
#define WEFT__SLOW_ALLSTOLEN 1u  /* every frame in the deque was stolen */
#define WEFT__SLOW_OVERFLOW 2u   /* overflow frames (deque full) are live */
#define WEFT__SLOW_TRACE 4u      /* fine trace level: every spawn/sync takes its slow path */

/* pool.sleep: low bits count sleepers, high bits are a wake sequence. */
#define WEFT__SLEEP_COUNT_BITS 12
#define WEFT__SLEEP_COUNT_MASK ((1u << WEFT__SLEEP_COUNT_BITS) - 1)
#define WEFT__SLEEP_SEQ_ONE (1u << WEFT__SLEEP_COUNT_BITS)

#define WEFT__SCRATCH_CHUNK ((size_t)64 * 1024)

_Static_assert(sizeof(weft__frame) == 64, "a frame is one cache line");
_Static_assert(WEFT_MAX_WORKERS <= WEFT__SLEEP_COUNT_MASK, "sleep count field too small");

typedef struct weft__pool weft__pool;
struct weft__tbuf;
struct weft__trace;

/* A LIFO of free task records (task.c) linked through next[0]: n records. */
/* Free task records (task.c): a stack of record indices, newest on top.
 * An array, not a list through the records, so that handing a batch back
 * to the chunks or taking one reads and writes no record. */
#define WEFT__FREE_CAP 512u
typedef struct weft__freelist {
  uint32_t n;
  uint32_t idx[WEFT__FREE_CAP];
} weft__freelist;

/* A frame that could not go into a full deque; lives in the scratch arena. */
typedef struct weft__overflow {
  struct weft__overflow *prev;
  size_t scratch_pos;   /* arena top before this frame, to give it back */
  unsigned char args[WEFT_ARGS_MAX];
} weft__overflow;

struct weft_worker {
  weft__hot hot;   /* must stay first: weft.h's inline paths cast to it */

  /* Rest of line 1: the thieves' word. t (low 32 bits, next frame to steal)
   * and s (high 32 bits, the split). Changed by thieves' CAS, the owner's
   * CAS/fetch_add and the owner's reset store. */
  _Atomic uint64_t ts;

  /* Line 2: set at create, read by thieves and sleepers, never written. */
  alignas(WEFT__CACHE_LINE) weft__pool *pool;
  weft__frame *frames;       /* deque base; ts indices count from here */
  unsigned index;

  /* Lines 3+: owner-only state. */
  alignas(WEFT__CACHE_LINE) uint32_t rng;
  weft__frame *task_base;    /* lowest frame the current runtime-launched task owns */
  weft__overflow *overflow;  /* most recent overflow frame */
  weft__overflow *task_overflow_base;
  unsigned char *scratch;
  size_t scratch_top, scratch_committed, scratch_size;

  /* Counters: written by the owner only, read by anyone (relaxed). */
  uint64_t st_steals, st_steal_failures, st_stolen_from, st_leapfrogs;
  uint64_t st_sleeps, st_overflows, st_roots;
  uint64_t st_spawns;        /* hot.spawns as last published (weft__publish_spawns) */

  /* Launched tasks (task.c), owner-only: ready records not yet dispatched
   * (a LIFO through next[0]), the worker's free records, the launched task
   * whose body runs here, launches minus completions not yet added to
   * pool.lt_live, and launches left before the throttle may look for work
   * elsewhere again (task.c, catch_up). */
  uint32_t lt_ready;
  weft__freelist lt_free;
  uint32_t lt_cur;
  uint32_t lt_calm;
  int64_t lt_delta;

  /* Progress hook (cfg.progress, sleep.c), owner-only: when the busy loop
   * may poll next (monotonic ns), and idle rounds since the last poll. */
  uint64_t prog_next;
  unsigned prog_tick, prog_steps;

  /* Timeline trace (trace.h): this worker's ring while the pool traces,
   * else NULL. Stored by weft_trace_start/stop, read by the owner's hooks. */
  struct weft__tbuf *_Atomic trace;

  weft__thread thread;
  _Atomic uint32_t entered;  /* WEFT_THREADS_HOST: 1 once weft_worker_enter claimed it */
};

_Static_assert(offsetof(struct weft_worker, hot.signal) == WEFT__CACHE_LINE,
               "signal starts line 1");
_Static_assert(offsetof(struct weft_worker, ts) < 2 * WEFT__CACHE_LINE, "ts shares line 1");

struct weft__pool {
  uint64_t id;
  unsigned nworkers;
  weft_config cfg;
  void *region;
  size_t region_size;
  size_t stack_size;         /* a slice's stack, right below its worker struct (0: none) */
  weft_worker **workers;     /* array in the region */

  /* Root jobs pushed by outside threads (Treiber stack; workers take all). */
  alignas(WEFT__CACHE_LINE) _Atomic(weft_job *) inject;
  _Atomic uint32_t live_jobs;   /* submitted and not finished */
  _Atomic uint32_t destroying;  /* destroy waits on live_jobs */

  alignas(WEFT__CACHE_LINE) _Atomic uint32_t sleep;  /* sleepers | seq */
  _Atomic uint32_t stopping;
  _Atomic uint32_t started;     /* workers that reached their loop */
  /* Progress hook: 1 while one sleeping worker naps (polls every interval)
   * for the pool; the others sleep until woken (sleep.c). */
  _Atomic uint32_t prog_napper;

  /* WEFT_THREADS_CALLER: the one worker is lent to one calling thread at a
   * time. solo_lock: 0 free, 1 held, 2 held and others sleep on it;
   * solo_owner: a per-thread token of the holder (re-entry check). */
  alignas(WEFT__CACHE_LINE) _Atomic uint32_t solo_lock;
  _Atomic(const void *) solo_owner;
  /* WEFT_THREADS_HOST: threads inside weft_worker_enter. */
  _Atomic uint32_t entered;

  /* Launched tasks (task.c). Records live in chunks that are never freed
   * before the pool: a stale handle can always be read, never crash. */
  uint32_t slot;                /* the pool's handle slot (task handles carry it) */
  uint32_t lt_gen_base;         /* first generation of fresh records */
  alignas(WEFT__CACHE_LINE) _Atomic uint32_t lt_ready;  /* shared ready stack (Treiber) */
  /* Spare records (task.c): a bit per record after each chunk's records,
   * handed out lowest address first; lt_spare_n[c] counts chunk c's bits,
   * lt_spare_low is the lowest chunk that may have any. All under
   * lt_spare_lock, taken once per batch of records. */
  alignas(WEFT__CACHE_LINE) _Atomic uint32_t lt_spare_lock;
  uint32_t lt_spare_low;
  _Atomic uint32_t lt_nchunks;  /* chunks carved so far (under lt_spare_lock) */
  uint16_t lt_spare_n[4096];
  alignas(WEFT__CACHE_LINE) _Atomic int64_t lt_live;     /* launched, not completed (flushed) */
  _Atomic uint32_t lt_quiet;    /* bumped by a worker going to sleep during destroy */
  _Atomic uint32_t ext_lock;    /* guards ext_free for threads that are not workers */
  weft__freelist ext_free;
  struct weft__trec *_Atomic lt_chunks[4096];

  /* Timeline traces (trace.c): the rings, allocated by the first
   * weft_trace_start and kept until destroy; trace_lock (0/1, a spin lock)
   * serialises the weft_trace_* calls, never the workers. */
  struct weft__trace *_Atomic trace;
  _Atomic uint32_t trace_lock;
};

/* Relaxed single-writer counter bump (readers use relaxed loads). */
#define WEFT__COUNT(field) __atomic_store_n(&(field), (field) + 1, __ATOMIC_RELAXED)
/* hot.spawns is a plain owner-only counter (the spawn fast path must not
 * contain an atomic: wasm has no relaxed ones); stats read this copy. */
#define weft__publish_spawns(w) __atomic_store_n(&(w)->st_spawns, (w)->hot.spawns, __ATOMIC_RELAXED)
#define WEFT__READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static inline uint64_t weft__ts_pack(uint32_t t, uint32_t s) {
  return (uint64_t)t | ((uint64_t)s << 32);
}
static inline uint32_t weft__ts_t(uint64_t v) { return (uint32_t)v; }
static inline uint32_t weft__ts_s(uint64_t v) { return (uint32_t)(v >> 32); }

/* Cache-line-aligned heap blocks, portably: C11's aligned_alloc is missing
 * from the Windows C runtime. Over-allocates and keeps the malloc pointer
 * just below the aligned block; free with weft__aligned_free only. align is
 * a power of two >= sizeof(void *). */
static inline void *weft__aligned_alloc(size_t align, size_t size) {
  if (size > SIZE_MAX - align - sizeof(void *)) return NULL;
  unsigned char *raw = malloc(size + align + sizeof(void *));
  if (!raw) return NULL;
  uintptr_t a = ((uintptr_t)(raw + sizeof(void *)) + align - 1) & ~(uintptr_t)(align - 1);
  ((void **)a)[-1] = raw;
  return (void *)a;
}

static inline void weft__aligned_free(void *p) {
  if (p) free(((void **)p)[-1]);
}

/* pool.c */
weft__pool *weft__pool_pin(weft_pool h);
void weft__pool_unpin(weft_pool h);

/* weft_pool_create with flags. WEFT__HOST_STACKS (WEFT_THREADS_HOST pools):
 * each worker's slice keeps a stack of cfg->stack_size bytes behind a guard
 * page, as the pool's own threads have, for a host whose thread runs the
 * worker on memory it is given and stops touching that memory the moment
 * weft_worker_enter returns: destroy releases the region as soon as every
 * entered worker has returned. The WebAssembly host is one (src/wasm/host.c:
 * a worker's C stack is linear memory, used only by wasm code, and the
 * worker returns to JavaScript). A native thread is not: it still runs on
 * its stack while it returns and exits. */
#define WEFT__HOST_STACKS 1u
int weft__pool_create(weft_pool *out, const weft_config *cfg, unsigned flags);

/* The stack in worker `index`'s slice: the pool's own thread's (POOL; a
 * platform that cannot place thread stacks leaves it unused) or the one
 * WEFT__HOST_STACKS keeps. WEFT_EINVAL (NULL out-pointers, index out of
 * range, no stacks: CALLER, HOST without the flag), WEFT_EBADPOOL. */
int weft__worker_stack(weft_pool pool, unsigned index, void **base, size_t *size);

/* deque.c: 1 = took and ran a frame, 0 = nothing shared, -1 = lost a race */
int weft__steal(weft_worker *w, weft_worker *victim);
int weft__steal_random(weft_worker *w);

/* worker.c */
extern _Thread_local weft_worker *weft__tls_worker;
void weft__worker_main(void *arg);
void weft__run_root(weft_worker *w, weft_job *job);
bool weft__work_visible(weft__pool *p);
/* Runs fn on the worker as a task boundary: its scratch and leftover spawns
 * are cleaned up when it returns. */
void weft__run_bounded(weft_worker *w, weft_fn fn, void *args);

/* sleep.c */
void weft__sleep(weft_worker *w);
/* Progress hook (cfg.progress). poll: calls it now, returns what it returns.
 * idle: from a loop that found nothing (every WEFT__PROGRESS_IDLE_ROUNDS-th
 * call polls); tasks made ready go to the shared stack when `publish` (the
 * caller's loop does not drain the worker's own list). busy: from the
 * worker loop after a step that found work: polls once the interval passed.
 * Callers test cfg.progress.poll first, so an unset hook costs a branch. */
#define WEFT__PROGRESS_IDLE_ROUNDS 8u
int weft__progress_poll(weft_worker *w);
void weft__progress_idle(weft_worker *w, bool publish);
void weft__progress_busy(weft_worker *w);
/* step: after each launched task a dispatch loop runs (task.c): reads the
 * clock every WEFT__PROGRESS_STEP_ROUNDS-th call (a power of two; 1: every
 * task, about 20 ns, paid only when a hook is set), then as busy. */
#define WEFT__PROGRESS_STEP_ROUNDS 1u
void weft__progress_step(weft_worker *w);
void weft__wake_one(weft__pool *p);
void weft__wake_all(weft__pool *p);

/* submit.c */
bool weft__take_jobs(weft_worker *w);
/* WEFT_THREADS_CALLER: runs the submitted job on the calling thread. */
int weft__solo_run(weft__pool *p, weft_job *job);

/* task.c */
void weft__tasks_drain(weft_worker *w);   /* runs the worker's ready launched tasks */
bool weft__tasks_take(weft_worker *w);    /* takes the shared ready stack and runs it */
void weft__tasks_flush(weft_worker *w);   /* adds lt_delta to pool.lt_live */
void weft__tasks_publish(weft_worker *w); /* moves the ready list to the shared stack */
void weft__tasks_quiesce(weft__pool *p);  /* destroy: waits for launched tasks */
void weft__tasks_free(weft__pool *p);     /* destroy: releases the record chunks */

/* pool.c: pins the pool now living in handle slot `slot` (NULL if none) and
 * sets *h to its handle, for weft__pool_unpin. */
weft__pool *weft__pool_pin_slot(uint32_t slot, weft_pool *h);

/* scratch.c */
int weft__scratch_push(weft_worker *w, size_t size, size_t align, void **out);

#endif
