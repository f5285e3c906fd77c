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
#include "trace.h"

/* ---------------------------------------------------------- progress hook
 *
 * cfg.progress (weft.h) exists for completions that nobody signals: an MPI
 * request completes only when some thread tests it. Rather than give such a
 * module a thread that spins, the workers poll it themselves (docs/MPI.md):
 * in their idle loops, between steps while busy (rate-limited by the clock),
 * and before they sleep. While the hook reports outstanding work, one
 * sleeping worker (the napper) blocks for at most an interval at a time and
 * polls again; without that, a pool whose workers all sleep would never see
 * the completion that would give it work again, and nothing would wake it. */

static uint64_t prog_interval_ns(const weft__pool *p) {
  unsigned us = p->cfg.progress.interval_us ? p->cfg.progress.interval_us : 50u;
  return (uint64_t)us * 1000u;
}

int weft__progress_poll(weft_worker *w) {
  weft__pool *p = w->pool;
  w->prog_tick = 0;
  w->prog_next = weft__prim_now_ns() + prog_interval_ns(p);
  return p->cfg.progress.poll(p->cfg.progress.user, w);
}

void weft__progress_idle(weft_worker *w, bool publish) {
  if (++w->prog_tick < WEFT__PROGRESS_IDLE_ROUNDS) return;
  uint32_t before = w->lt_ready;
  weft__progress_poll(w);
  /* Tasks its events made ready are on this worker's list; a waiting loop
   * (a stolen frame's join) does not drain that list, so share them. */
  if (publish && w->lt_ready != before) weft__tasks_publish(w);
}

void weft__progress_busy(weft_worker *w) {
  if (weft__prim_now_ns() >= w->prog_next) weft__progress_poll(w);
}

void weft__progress_step(weft_worker *w) {
  if ((++w->prog_steps & (WEFT__PROGRESS_STEP_ROUNDS - 1)) == 0) weft__progress_busy(w);
}

void weft__sleep(weft_worker *w) {
  weft__pool *p = w->pool;
  weft__tasks_flush(w); /* destroy reads pool.lt_live once every worker sleeps */
  bool nap = false;
  if (p->cfg.progress.poll) {
    /* One more poll before blocking: completions it finds are work. */
    int out = weft__progress_poll(w);
    if (w->lt_ready) return; /* the worker loop runs them */
    uint32_t z = 0;
    nap = out > 0 && atomic_compare_exchange_strong_explicit(&p->prog_napper, &z, 1,
                                                              memory_order_acq_rel,
                                                              memory_order_relaxed);
    if (nap) {
      /* The napper-to-be keeps polling for one interval before it naps: a
       * message expected soon (a halo) is then seen within a poll, not a
       * wake-up. The other idle workers sleep; once per idle period. */
      uint64_t end = weft__prim_now_ns() + prog_interval_ns(p);
      while (out > 0 && weft__prim_now_ns() < end) {
        for (unsigned k = 0; k < 16; k++) weft__cpu_relax();
        if (weft__work_visible(p)) break;
        out = weft__progress_poll(w);
        if (w->lt_ready) break;
      }
      if (out <= 0 || w->lt_ready || weft__work_visible(p)) {
        atomic_store_explicit(&p->prog_napper, 0, memory_order_release);
        return; /* back to the worker loop: work, or nothing left to wait for */
      }
    }
  }
  uint32_t old = atomic_fetch_add_explicit(&p->sleep, 1, memory_order_seq_cst);   /* S1 */
  uint32_t seq0 = old >> WEFT__SLEEP_COUNT_BITS;
  /* S2: an unconditional seq_cst RMW; a relaxed "already set" read could
   * be stale (DESIGN.md, problem 4). Once per sleep, so it costs nothing. */
  for (unsigned i = 0; i < p->nworkers; i++) {
    weft_worker *v = p->workers[i];
    if (v != w) __atomic_fetch_or(&v->hot.signal, WEFT__SIG_WAKE, __ATOMIC_SEQ_CST);
  }
  bool slept = false, woken = false;
  weft__tbuf *tb = NULL;
  while (!weft__work_visible(p)) {                                                  /* S3 */
    uint32_t now = atomic_load_explicit(&p->sleep, memory_order_seq_cst);
    if ((now >> WEFT__SLEEP_COUNT_BITS) != seq0) {                                   /* S4 */
      woken = slept;
      break;
    }
    if (!slept) {
      slept = true;
      WEFT__COUNT(w->st_sleeps);
      if (p->cfg.profiler.sleep) p->cfg.profiler.sleep(p->cfg.profiler.user, w->index);
      tb = weft__tracing(w);
      if (tb) weft__tput(tb, WEFT__EV_SLEEP, 0, 0, 0);
    }
    if (atomic_load_explicit(&p->destroying, memory_order_seq_cst)) {
      /* Destroy waits for the pool to go quiet (weft__tasks_quiesce). */
      atomic_fetch_add_explicit(&p->lt_quiet, 1, memory_order_seq_cst);
      weft__prim_wake32((uint32_t *)&p->lt_quiet, 1);
    }
    if (!nap) {
      weft__prim_wait32((uint32_t *)&p->sleep, now);
      break;
    }
    /* The napper: back after an interval at most; still counted as a
     * sleeper, so publishers keep waking it (S3/S4 above, again). */
    weft__prim_wait32_for((uint32_t *)&p->sleep, now, prog_interval_ns(p));
    if ((atomic_load_explicit(&p->sleep, memory_order_seq_cst) >> WEFT__SLEEP_COUNT_BITS) != seq0) {
      woken = true;
      break;
    }
    int out = weft__progress_poll(w);
    if (w->lt_ready) break;
    if (out <= 0) {
      nap = false; /* nothing outstanding: sleep until woken */
      atomic_store_explicit(&p->prog_napper, 0, memory_order_release);
    }
  }
  if (tb) weft__tput(tb, WEFT__EV_WAKE, 0, 0, 0);
  if (slept && p->cfg.profiler.wake) p->cfg.profiler.wake(p->cfg.profiler.user, w->index);
  atomic_fetch_sub_explicit(&p->sleep, 1, memory_order_seq_cst);
  if (nap) {
    atomic_store_explicit(&p->prog_napper, 0, memory_order_release);
    /* Woken for work while something is outstanding: pass the napping on,
     * so that a long task here does not leave the pool without a poller. */
    if (woken) weft__wake_one(p);
  }
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
