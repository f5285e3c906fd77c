/*
 * deque.c - the split deque: the owner's slow paths and the thief's steal.
 *
 * The owner's fast paths are inline in weft.h. Summary of the protocol (the
 * full argument, with the spin model, is in docs/DESIGN.md):
 *
 *   frames [0, t)       stolen (running or done); always a prefix
 *   frames [t, s)       shared: a thief takes frame t by CAS on ts (t -> t+1)
 *   frames [s, top)     private: only the owner touches them, no atomics
 *
 * ts packs (t, s) into one 64-bit atomic word. Thieves change it only by CAS;
 * the owner changes s by CAS (shrink) or fetch_add (grow) and overwrites the
 * word with a release store only when every frame is stolen (reset), so every
 * transition is totally ordered and the last shared frame is decided by
 * whichever RMW comes first in ts's modification order.
 *
 * Invariants (owner view): t <= s == split <= top whenever ALLSTOLEN is clear;
 * frames below t are stolen; when ALLSTOLEN is set no frame in the deque is
 * unstolen and no thief can take one (t == s).
 */
#include "trace.h"

static inline uint32_t frame_index(const weft_worker *w, const weft__frame *f) {
  return (uint32_t)(f - w->frames);
}

/* Shares the older half (at least one) of the private frames. */
static void grow(weft_worker *w) {
  weft__hot *h = &w->hot;
  uint32_t n = (uint32_t)(h->top - h->split);
  uint32_t k = (n + 1) / 2;
  /* Only the owner changes s, so adding to the high half moves s exactly;
   * t is untouched. Seq_cst: it also publishes for the sleep protocol. */
  atomic_fetch_add_explicit(&w->ts, (uint64_t)k << 32, memory_order_seq_cst);
  h->split += k;
}

void weft__on_signal(weft_worker *w) {
  weft__hot *h = &w->hot;
  weft__publish_spawns(w); /* a slow path anyway: keeps stats fresh mid-task */
  if (h->slow & WEFT__SLOW_ALLSTOLEN) return; /* nothing to share: keep the request */
  if (h->split < h->top) {
    grow(w);
  } else {
    uint64_t v = atomic_load_explicit(&w->ts, memory_order_relaxed);
    if (weft__ts_t(v) >= weft__ts_s(v)) return; /* nothing to share yet */
  }
  /* Seq_cst: ordered after the grow/reset that published, against the
   * sleeper's seq_cst WAKE fetch_or followed by its look at ts. */
  uint32_t sig = __atomic_exchange_n(&h->signal, 0, __ATOMIC_SEQ_CST);
  if (sig & WEFT__SIG_WAKE) weft__wake_one(w->pool);
}

void weft__after_push(weft_worker *w) {
  weft__hot *h = &w->hot;
  if (h->slow & WEFT__SLOW_ALLSTOLEN) {
    /* Every older frame is stolen and no thief can take anything (t == s),
     * so the word can be overwritten. The new frame is shared at once: a
     * thief just emptied us, it will want more. A thief's CAS that reads
     * this store synchronizes with it, so the frame's contents are visible.
     * Seq_cst, with the seq_cst signal load below: a worker going to sleep
     * sets WAKE (seq_cst) and then looks at ts (seq_cst), so either it sees
     * this frame or we see its WAKE bit and wake it (DESIGN.md, problem 1
     * found by the spin model: with a release store the frame could sit in
     * the store buffer while every other worker fell asleep). */
    uint32_t i = frame_index(w, h->top - 1);
    atomic_store_explicit(&w->ts, weft__ts_pack(i, i + 1), memory_order_seq_cst);
    h->split = h->top;
    h->slow &= ~WEFT__SLOW_ALLSTOLEN;
    if (__atomic_load_n(&h->signal, __ATOMIC_SEQ_CST)) weft__on_signal(w);
    return;
  }
  if (__atomic_load_n(&h->signal, __ATOMIC_RELAXED)) weft__on_signal(w);
}

/* Runs a task at a boundary the runtime controls (stolen or root): it gets
 * a clean view of scratch and any spawns it forgot to sync are joined. */
void weft__run_bounded(weft_worker *w, weft_fn fn, void *args) {
  weft__frame *saved_base = w->task_base;
  weft__overflow *saved_ovf = w->task_overflow_base;
  size_t mark = w->scratch_top;
  w->task_base = w->hot.top;
  w->task_overflow_base = w->overflow;
  /* A task boundary: where a worker notices the fine trace level. */
  if (WEFT__UNLIKELY((w->hot.slow & WEFT__SLOW_TRACE) || weft__tracing(w)))
    weft__trace_sync_fine(w);
  fn(w, args);
  while (w->overflow != w->task_overflow_base || w->hot.top > w->task_base)
    weft__sync_slow(w, NULL, 0);
  /* Tasks it launched that became ready: to the shared stack, not run
   * here, so a root job is done when its own function is. */
  if (w->lt_ready) weft__tasks_publish(w);
  /* Before the caller's release (DONE / job state): a finished job's
   * spawns are all in the stats its waiter reads. */
  weft__publish_spawns(w);
  if (WEFT__UNLIKELY(w->hot.slow & WEFT__SLOW_TRACE)) weft__trace_sync_fine(w);
  w->task_base = saved_base;
  w->task_overflow_base = saved_ovf;
  w->scratch_top = mark;
}

int weft__steal(weft_worker *w, weft_worker *victim) {
  uint64_t v = atomic_load_explicit(&victim->ts, memory_order_acquire);
  uint32_t t = weft__ts_t(v), s = weft__ts_s(v);
  if (t >= s) {
    /* Ask the owner to share; read first so idle thieves do not keep
     * stealing the victim's cache line. */
    if (!(__atomic_load_n(&victim->hot.signal, __ATOMIC_RELAXED) & WEFT__SIG_SPLIT))
      __atomic_fetch_or(&victim->hot.signal, WEFT__SIG_SPLIT, __ATOMIC_RELAXED);
    return 0;
  }
  if (!atomic_compare_exchange_strong_explicit(&victim->ts, &v, weft__ts_pack(t + 1, s),
                                               memory_order_seq_cst, memory_order_relaxed)) {
    WEFT__COUNT(w->st_steal_failures);
    return -1;
  }
  weft__frame *f = victim->frames + t;
  __atomic_store_n(&f->thief, w->index + 1, __ATOMIC_RELAXED);
  WEFT__COUNT(w->st_steals);
  /* More shared frames left: pass the wake-up on, or a sleeper could miss
   * them while we run a leaf that never pushes (DESIGN.md, problem 2). */
  if (t + 1 < s) weft__wake_one(w->pool);
  weft__pool *p = w->pool;
  if (p->cfg.profiler.steal) p->cfg.profiler.steal(p->cfg.profiler.user, w->index, victim->index);
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL)) {
    weft__tput(tb, WEFT__EV_STEAL, 0, victim->index, t);
    weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_STOLEN), (uint64_t)(uintptr_t)f->fn, victim->index, t);
  }
  weft__run_bounded(w, f->fn, f->u.args);
  /* The ring the task began in (tracing may have stopped meanwhile). */
  if (WEFT__UNLIKELY(tb != NULL)) weft__tput(tb, WEFT__EV_END, 0, 0, 0);
  /* Last touch of the frame: after this the owner may reuse the slot. */
  __atomic_store_n(&f->thief, WEFT__DONE, __ATOMIC_RELEASE);
  return 1;
}

static unsigned random_other(weft_worker *w) {
  unsigned n = w->pool->nworkers;
  uint32_t x = w->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  w->rng = x;
  unsigned v = (unsigned)(((uint64_t)x * (n - 1)) >> 32);
  return v >= w->index ? v + 1 : v;
}

/* One steal attempt at a random other worker. */
int weft__steal_random(weft_worker *w) {
  /* Every idle loop (the worker's, a join waiting for a thief, a task wait)
   * comes through here: the progress hook polls from it (sleep.c). */
  if (WEFT__UNLIKELY(w->pool->cfg.progress.poll != NULL)) weft__progress_idle(w, true);
  if (w->pool->nworkers < 2) return 0;
  weft_worker *victim = w->pool->workers[random_other(w)];
  int r = weft__steal(w, victim);
  if (r == 0) WEFT__COUNT(w->st_steal_failures);
  return r;
}

/* Frame f was stolen: keep its slot (top stays above it) and work until the
 * thief is done, stealing back from the thief first (leapfrogging). */
static void wait_stolen(weft_worker *w, weft__frame *f) {
  uint32_t th;
  unsigned idle = 0;
  /* The thief won the CAS but has not named itself yet: a short window,
   * unless it was preempted right there. */
  while ((th = __atomic_load_n(&f->thief, __ATOMIC_ACQUIRE)) == 0)
    if (++idle % 64 == 0) weft__prim_yield(); else weft__cpu_relax();
  idle = 0;
  while (th != WEFT__DONE) {
    weft_worker *thief = w->pool->workers[th - 1];
    int r = weft__steal(w, thief);
    if (r > 0) {
      WEFT__COUNT(w->st_leapfrogs);
      idle = 0;
    } else if (weft__steal_random(w) > 0) {
      idle = 0;
    } else if (++idle > 64) {
      weft__prim_yield(); /* the thief may be descheduled: give it the core */
    } else {
      weft__cpu_relax();
    }
    th = __atomic_load_n(&f->thief, __ATOMIC_ACQUIRE);
  }
}

/* Pops private frame f and runs it on the caller's copy of its arguments.
 * `track` (the checked weft_sync path) makes the task a boundary for
 * WEFT_ENOTASK, so it cannot sync its parent's spawns; the inline fast paths
 * skip that bookkeeping. */
static void run_private(weft_worker *w, weft__frame *f, void *out, size_t size, bool track) {
  weft__hot *h = &w->hot;
  unsigned char local[WEFT_ARGS_MAX];
  void *dst = out ? out : local;
  h->top = f;
  memcpy(dst, f->u.args, out ? size : sizeof local);
  if (__atomic_load_n(&h->signal, __ATOMIC_RELAXED)) weft__on_signal(w);
  if (WEFT__UNLIKELY(h->slow & WEFT__SLOW_TRACE)) {
    /* The fine trace level: every fork-join task comes through here. */
    weft__tbuf *tb = weft__tracing(w);
    if (tb) weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_TASK), (uint64_t)(uintptr_t)f->fn, 0, 0);
    weft_fn fn = f->fn; /* (the slot is reused by the task's children) */
    if (!track) {
      fn(w, dst);
    } else {
      weft__frame *saved_base = w->task_base;
      weft__overflow *saved_ovf = w->task_overflow_base;
      w->task_base = f;
      w->task_overflow_base = w->overflow;
      fn(w, dst);
      w->task_base = saved_base;
      w->task_overflow_base = saved_ovf;
    }
    if (tb) weft__tput(tb, WEFT__EV_END, 0, 0, 0);
    return;
  }
  if (!track) {
    f->fn(w, dst);
    return;
  }
  weft__frame *saved_base = w->task_base;
  weft__overflow *saved_ovf = w->task_overflow_base;
  w->task_base = f;
  w->task_overflow_base = w->overflow;
  f->fn(w, dst);
  w->task_base = saved_base;
  w->task_overflow_base = saved_ovf;
}

static int sync_impl(weft_worker *w, void *out, size_t size, bool track) {
  weft__hot *h = &w->hot;
  if (h->slow & WEFT__SLOW_OVERFLOW) {
    /* Overflow frames are always the most recent spawns while they exist. */
    weft__overflow *o = w->overflow;
    w->overflow = o->prev;
    if (!w->overflow) h->slow &= ~WEFT__SLOW_OVERFLOW;
    if (out) memcpy(out, o->args, size);
    if (w->scratch_top == (size_t)((unsigned char *)(o + 1) - w->scratch))
      w->scratch_top = o->scratch_pos;
    return 0;
  }
  weft__frame *f = h->top - 1;
  if (!(h->slow & WEFT__SLOW_ALLSTOLEN)) {
    if (f >= h->split) {
      run_private(w, f, out, size, track);
      return 0;
    }
    /* f is the last shared frame (split == top): take it back from the
     * thieves, moving s down past it, or learn that it was stolen. */
    uint64_t v = atomic_load_explicit(&w->ts, memory_order_relaxed);
    for (;;) {
      uint32_t t = weft__ts_t(v), s = weft__ts_s(v);
      if (t >= s) break;
      uint32_t ns = t + (s - t) / 2; /* < s: f = s-1 becomes private */
      if (atomic_compare_exchange_weak_explicit(&w->ts, &v, weft__ts_pack(t, ns),
                                                memory_order_seq_cst, memory_order_relaxed)) {
        h->split = w->frames + ns;
        run_private(w, f, out, size, track);
        return 0;
      }
    }
    h->slow |= WEFT__SLOW_ALLSTOLEN;
  }
  wait_stolen(w, f);
  /* Tasks run while waiting may have reset the deque above f; everything
   * at or below f is stolen, so ALLSTOLEN holds again. */
  h->top = f;
  h->slow |= WEFT__SLOW_ALLSTOLEN;
  if (out) memcpy(out, f->u.args, size);
  __atomic_store_n(&f->thief, 0, __ATOMIC_RELAXED);
  WEFT__COUNT(w->st_stolen_from);
  return 0;
}

int weft__sync_slow(weft_worker *w, void *out, size_t size) {
  return sync_impl(w, out, size, false);
}

/* The deque is full: run the task now, keep its frame in scratch for sync. */
int weft__spawn_slow(weft_worker *w, weft_fn fn, const void *args, size_t size) {
  size_t pos = w->scratch_top;
  weft__overflow *o;
  int rc = weft__scratch_push(w, sizeof *o, alignof(weft__overflow), (void **)&o);
  if (rc) return rc;
  o->scratch_pos = pos;
  memset(o->args, 0, sizeof o->args);
  memcpy(o->args, args, size);
  w->hot.spawns++;
  WEFT__COUNT(w->st_overflows);
  weft__tbuf *tb = (w->hot.slow & WEFT__SLOW_TRACE) ? weft__tracing(w) : NULL;
  if (tb) weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_OVERFLOW), (uint64_t)(uintptr_t)fn, 0, 0);
  fn(w, o->args);
  if (tb) weft__tput(tb, WEFT__EV_END, 0, 0, 0);
  /* Linked only after it ran, so the task's own syncs cannot pop it. */
  o->prev = w->overflow;
  w->overflow = o;
  w->hot.slow |= WEFT__SLOW_OVERFLOW;
  return 0;
}

int weft_spawn(weft_worker *w, weft_fn fn, const void *args, size_t size) {
  if (!w || !fn || (!args && size)) return WEFT_EINVAL;
  if (size > WEFT_ARGS_MAX) return WEFT_E2BIG;
  weft__hot *h = &w->hot;
  weft__frame *f = h->top;
  if (f == h->end) return weft__spawn_slow(w, fn, args, size);
  f->fn = fn;
  if (size) memcpy(f->u.args, args, size);
  h->top = f + 1;
  h->spawns++;
  if (h->slow | __atomic_load_n(&h->signal, __ATOMIC_RELAXED)) weft__after_push(w);
  return 0;
}

int weft_sync(weft_worker *w, void *out, size_t size) {
  if (!w || (!out && size)) return WEFT_EINVAL;
  if (size > WEFT_ARGS_MAX) return WEFT_E2BIG;
  if (w->overflow == w->task_overflow_base && w->hot.top <= w->task_base) return WEFT_ENOTASK;
  return sync_impl(w, out, size, true);
}
