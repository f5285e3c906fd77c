/*
 * trace.h - timeline traces (weft_trace_*): what the hooks in the scheduler
 * record and how. The writer is trace.c; docs/TRACES.md describes the output.
 *
 * Each worker has its own ring of events, written only by that worker with
 * plain (relaxed atomic) stores and a release store of its count: no lock,
 * no read-modify-write, no allocation. A full ring overwrites its oldest
 * events; the count of them is the drop count. Every slot is a small
 * seqlock: its seq is 0 while it is written and index + 1 once whole, so a
 * reader (weft_trace_write, any thread, any time) keeps exactly the slots
 * whose seq was the same, and right, before and after it copied them.
 *
 * Threads that are not workers (weft_submit from outside) share one more
 * ring whose slots are claimed by fetch_add, read the same way.
 *
 * Cost when tracing is off: each hook is one relaxed load of a per-worker
 * pointer and a predictable branch, and the hooks sit on slow paths only
 * (task boundaries, steals, sleeps, submits, graph node calls, launched
 * task bodies). weft.h's spawn/sync fast paths have none: the fine level
 * reaches every fork-join task by setting a bit in hot.slow, which sends the
 * worker's spawns and syncs down their slow paths while it is set.
 */
#ifndef WEFT_TRACE_H
#define WEFT_TRACE_H

#include "internal.h"

/* Event kinds (low 8 bits of weft__tev.a). */
enum {
  WEFT__EV_BEGIN = 1,  /* a task began: cat, key = function, b/c per cat */
  WEFT__EV_END,        /* the innermost open task ended */
  WEFT__EV_STEAL,      /* b = victim, c = frame index */
  WEFT__EV_SLEEP,      /* blocking for lack of work */
  WEFT__EV_WAKE,       /* returned from blocking */
  WEFT__EV_SUBMIT,     /* a job was submitted: key = fn, b = job's trace id */
  WEFT__EV_FINISH,     /* a job finished: b = job's trace id */
};

/* Categories of BEGIN (bits 8..15 of a). */
enum {
  WEFT__CAT_ROOT = 1,  /* root job: key = job fn, b = job's trace id */
  WEFT__CAT_STOLEN,    /* a stolen frame: key = frame fn, b = victim */
  WEFT__CAT_NODE,      /* a graph node: key = node fn, b = node, c = graph serial */
  WEFT__CAT_LAUNCHED,  /* a launched task's body: key = fn, b = record index */
  WEFT__CAT_TASK,      /* fine level: a fork-join task run at its sync */
  WEFT__CAT_OVERFLOW,  /* fine level: a spawn run at once (deque full) */
  WEFT__CAT_JS,        /* a JavaScript task (wasm host): key = its name key */
  WEFT__CAT_NODES,     /* a stretch of short graph nodes: c = graph serial; its
                          END's b = how many ran */
};

typedef struct weft__tev {
  uint64_t t;    /* ns since the trace's origin */
  uint64_t key;  /* function (or other) pointer */
  uint32_t a;    /* kind | cat << 8 */
  uint32_t b, c;
  uint32_t seq;  /* (index + 1) once the slot is whole, 0 while it is written */
} weft__tev;

_Static_assert(sizeof(weft__tev) == 32, "an event is half a cache line");

typedef struct weft__tbuf {
  weft__tev *ev;
  uint64_t mask;             /* capacity - 1 (a power of two) */
  uint64_t origin;           /* weft__prim_now_ns() at the first start */
  uint32_t fine;             /* the fine level is on */
  uint32_t shared;           /* the ring of threads that are not workers */
  alignas(WEFT__CACHE_LINE) _Atomic uint64_t head;  /* events ever written */
  uint64_t base;             /* head when the current trace started (reader's) */
  uint64_t end;              /* 1 + head when it stopped, 0 while recording (reader's): a
                                worker still inside a hook at the stop may write one
                                more event, which a stopped recording does not show */
  char pad_[WEFT__CACHE_LINE - 3 * sizeof(uint64_t)];
} weft__tbuf;

/* Writes one event into the owner's ring. */
static inline void weft__tput(weft__tbuf *b, uint32_t a, uint64_t key, uint32_t x, uint32_t y) {
  uint64_t n = atomic_load_explicit(&b->head, memory_order_relaxed);
  weft__tev *e = &b->ev[n & b->mask];
  uint64_t t = weft__prim_now_ns() - b->origin;
  /* The slot's seq goes to 0 before its fields change and to n + 1 after:
   * a reader that saw any new field sees seq != its old value (the fences
   * pair with the reader's) and drops the slot. */
  __atomic_store_n(&e->seq, 0, __ATOMIC_RELAXED);
  atomic_thread_fence(memory_order_release);
  __atomic_store_n(&e->t, t, __ATOMIC_RELAXED);
  __atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
  __atomic_store_n(&e->a, a, __ATOMIC_RELAXED);
  __atomic_store_n(&e->b, x, __ATOMIC_RELAXED);
  __atomic_store_n(&e->c, y, __ATOMIC_RELAXED);
  __atomic_store_n(&e->seq, (uint32_t)(n + 1), __ATOMIC_RELEASE);
  atomic_store_explicit(&b->head, n + 1, memory_order_release);
}

/* The worker's ring, or NULL while the pool is not tracing. Acquire: pairs
 * with weft_trace_start's release, so the ring's setup is visible (a plain
 * load on x86 and arm64's ldar, at task boundaries only). */
static inline weft__tbuf *weft__tracing(const weft_worker *w) {
  return atomic_load_explicit(&w->trace, memory_order_acquire);
}

#define WEFT__TRACE(w, a, key, x, y)                                                        \
  do {                                                                                      \
    weft__tbuf *weft__tb_ = weft__tracing(w);                                               \
    if (__builtin_expect(weft__tb_ != NULL, 0))                                             \
      weft__tput(weft__tb_, (a), (uint64_t)(uintptr_t)(key), (x), (y));                     \
  } while (0)

#define WEFT__TBEGIN(cat) (WEFT__EV_BEGIN | (cat) << 8)

/* trace.c */
/* Job submit from any thread (the worker's ring, or the shared one): sets
 * job->pad to the job's trace id (0 when not tracing). */
void weft__trace_submit(weft__pool *p, weft_job *job);
/* Syncs hot.slow's TRACE bit with the fine level; called by the owner at
 * task boundaries. */
void weft__trace_sync_fine(weft_worker *w);
/* Destroy: frees every ring. */
void weft__trace_free(weft__pool *p);

/* The runtime's own task functions, named (NULL: not one of the file's). */
const char *weft__graph_fn_name(const void *fn);
const char *weft__submit_fn_name(const void *fn);
const char *weft__loop_fn_name(const void *fn);
const char *weft__task_fn_name(const void *fn);

/* graph.c: the name of node `node` of the live graph with serial `serial`,
 * copied into buf (NULL if none). Takes and drops the graph registry lock. */
const char *weft__graph_trace_name(uint32_t serial, uint32_t node, char *buf, size_t size);

#endif
