/*
 * dispatch.h - the scheduling steps shared by every engine that turns
 * "became ready" into work for the pool: task graph runs (graph_run.c) and
 * launched tasks (task.c). Both keep one ready item to continue with in a
 * loop, push the others as frames that thieves can take, take their own
 * frames back when nothing else is ready, and stop pushing when too deep on
 * the stack or when the deque is nearly full (then they hand items to a
 * shared stack of their own). docs/TASKS.md and docs/GRAPHS.md argue the
 * bounds.
 */
#ifndef WEFT_DISPATCH_H
#define WEFT_DISPATCH_H

#include "internal.h"

/* Free frames a dispatch loop leaves in the deque for nested levels and the
 * tasks' own spawns. */
#define WEFT__DISPATCH_RESERVE 256
/* Dispatch loops one thread may nest: stack_size / DEPTH_BYTES, clamped. */
#define WEFT__DISPATCH_DEPTH_BYTES ((size_t)8192)
#define WEFT__DISPATCH_DEPTH_MIN 4u
#define WEFT__DISPATCH_DEPTH_MAX 512u

/* initial-exec: no __tls_get_addr call in a shared library. wasm has only
 * local-exec TLS (clang 14 aborts on anything else). */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__wasm__)
#define WEFT__TLS_IE __attribute__((tls_model("initial-exec")))
#else
#define WEFT__TLS_IE
#endif

/* Dispatch loops (graph tasks, graph drivers, launched-task loops) on this
 * thread's stack; both engines count in the same variable because they
 * share the stack. Defined in task.c. */
extern _Thread_local unsigned weft__dispatch_depth WEFT__TLS_IE;

static inline unsigned weft__dispatch_depth_limit(const weft__pool *p) {
  size_t lim = p->cfg.stack_size / WEFT__DISPATCH_DEPTH_BYTES;
  if (lim < WEFT__DISPATCH_DEPTH_MIN) lim = WEFT__DISPATCH_DEPTH_MIN;
  if (lim > WEFT__DISPATCH_DEPTH_MAX) lim = WEFT__DISPATCH_DEPTH_MAX;
  return (unsigned)lim;
}

/* Room to push one more item without eating into the reserve. */
static inline int weft__dispatch_room(const weft_worker *w) {
  const weft__hot *h = (const weft__hot *)w;
  return h->end - h->top > WEFT__DISPATCH_RESERVE;
}

#ifdef WEFT__HAVE_INLINE
/* Pushes fn with a copy of `size` bytes at a, on weft.h's inline deque path.
 * -1 when the deque is full (the caller keeps the item some other way). */
static inline int weft__dispatch_push(weft_worker *w, weft_fn fn, const void *a, size_t size) {
  weft__frame *f = weft__push_frame(w);
  if (WEFT__UNLIKELY(!f)) return -1;
  memcpy(f->u.args, a, size);
  f->fn = fn;
  weft__push_commit(w, f);
  return 0;
}

/* Takes the caller's newest push back if no thief can see it, copying its
 * arguments out (before the slot is reused). 0 if it cannot. */
static inline int weft__dispatch_pop(weft_worker *w, void *out, size_t size) {
  weft__frame *f = weft__pop_private(w);
  if (WEFT__UNLIKELY(!f)) return 0;
  memcpy(out, f->u.args, size);
  return 1;
}
#else
static inline int weft__dispatch_push(weft_worker *w, weft_fn fn, const void *a, size_t size) {
  return weft_spawn(w, fn, a, size);
}
static inline int weft__dispatch_pop(weft_worker *w, void *out, size_t size) {
  (void)w;
  (void)out;
  (void)size;
  return 0;
}
#endif

/* Joins the newest push the slow way: takes it back from the thieves and
 * runs it (nested), or waits for the thief while working. */
static inline void weft__dispatch_join(weft_worker *w) { weft__sync_slow(w, NULL, 0); }

/* Takes back the newest of the caller's *spawned pushes: 1 with its
 * arguments in out if no thief can see it; otherwise joins it the slow way
 * and tries the next one. 0 when none is left. */
static inline int weft__dispatch_take(weft_worker *w, unsigned *spawned, void *out, size_t size) {
  while (*spawned > 0) {
    --*spawned;
    if (weft__dispatch_pop(w, out, size)) return 1;
    weft__dispatch_join(w);
  }
  return 0;
}

#endif
