/*
 * sleep.c - how idle workers block and how publishers wake them.
 * Protocol and proof sketch: docs/DESIGN.md, "Sleep and wake".
 *
 * pool.sleep = (wake sequence << 12) | sleepers. A worker announces itself
 * (S1), asks every worker to share private work (S2), looks for work one
 * last time (S3) and waits on the word only if the sequence has not moved
 * (S4). A publisher makes work visible with a seq_cst RMW, then loads the
 * word once: no sleepers, nothing to do; otherwise it bumps the sequence
 * and wakes one waiter. Both sides are seq_cst, so either the sleeper's
 * final look sees the work or the publisher sees the sleeper.
 */
#include "internal.h"

void weft__sleep(weft_worker *w) {
  weft__pool *p = w->pool;
  weft__tasks_flush(w); /* destroy reads pool.lt_live once every worker sleeps */
  uint32_t old = atomic_fetch_add_explicit(&p->sleep, 1, memory_order_seq_cst);   /* S1 */
  uint32_t seq0 = old >> WEFT__SLEEP_COUNT_BITS;
  /* S2: an unconditional seq_cst RMW; a relaxed "already set" read could
   * be stale (DESIGN.md, problem 4). Once per sleep, so it costs nothing. */
  for (unsigned i = 0; i < p->nworkers; i++) {
    weft_worker *v = p->workers[i];
    if (v != w) __atomic_fetch_or(&v->hot.signal, WEFT__SIG_WAKE, __ATOMIC_SEQ_CST);
  }
  if (!weft__work_visible(p)) {                                                     /* S3 */
    uint32_t now = atomic_load_explicit(&p->sleep, memory_order_seq_cst);
    if ((now >> WEFT__SLEEP_COUNT_BITS) == seq0) {                                   /* S4 */
      WEFT__COUNT(w->st_sleeps);
      if (p->cfg.profiler.sleep) p->cfg.profiler.sleep(p->cfg.profiler.user, w->index);
      if (atomic_load_explicit(&p->destroying, memory_order_seq_cst)) {
        /* Destroy waits for the pool to go quiet (weft__tasks_quiesce). */
        atomic_fetch_add_explicit(&p->lt_quiet, 1, memory_order_seq_cst);
        weft__prim_wake32((uint32_t *)&p->lt_quiet, 1);
      }
      weft__prim_wait32((uint32_t *)&p->sleep, now);
      if (p->cfg.profiler.wake) p->cfg.profiler.wake(p->cfg.profiler.user, w->index);
    }
  }
  atomic_fetch_sub_explicit(&p->sleep, 1, memory_order_seq_cst);
}

void weft__wake_one(weft__pool *p) {
  uint32_t v = atomic_load_explicit(&p->sleep, memory_order_seq_cst);
  if ((v & WEFT__SLEEP_COUNT_MASK) == 0) return;
  atomic_fetch_add_explicit(&p->sleep, WEFT__SLEEP_SEQ_ONE, memory_order_seq_cst);
  weft__prim_wake32((uint32_t *)&p->sleep, 0);
}

void weft__wake_all(weft__pool *p) {
  atomic_fetch_add_explicit(&p->sleep, WEFT__SLEEP_SEQ_ONE, memory_order_seq_cst);
  weft__prim_wake32((uint32_t *)&p->sleep, 1);
}
