/*
 * worker.c - a worker's life: start, look for work (root jobs, then
 * stealing), sleep when there is none, stop when the pool is destroyed.
 */
#include "internal.h"

_Thread_local weft_worker *weft__tls_worker;

bool weft__work_visible(weft__pool *p) {
  if (atomic_load_explicit(&p->inject, memory_order_seq_cst)) return true;
  if (atomic_load_explicit(&p->lt_ready, memory_order_seq_cst)) return true;
  if (atomic_load_explicit(&p->stopping, memory_order_seq_cst)) return true;
  for (unsigned i = 0; i < p->nworkers; i++) {
    uint64_t v = atomic_load_explicit(&p->workers[i]->ts, memory_order_seq_cst);
    if (weft__ts_t(v) < weft__ts_s(v)) return true;
  }
  return false;
}

void weft__worker_main(void *arg) {
  weft_worker *w = arg;
  weft__pool *p = w->pool;
  weft__tls_worker = w;
  if (p->cfg.profiler.worker_start) p->cfg.profiler.worker_start(p->cfg.profiler.user, w->index);
  atomic_fetch_add_explicit(&p->started, 1, memory_order_seq_cst);
  weft__prim_wake32((uint32_t *)&p->started, 1);

  unsigned fails = 0;
  const bool progress = p->cfg.progress.poll != NULL;
  for (;;) {
    /* Progress hook (sleep.c): while busy, poll at most once per interval
     * here, between the jobs and ready lists this loop takes (a task body
     * itself is never interrupted); idle rounds poll in steal_random. */
    if (WEFT__UNLIKELY(progress) && fails == 0) weft__progress_busy(w);
    if (atomic_load_explicit(&p->inject, memory_order_relaxed) && weft__take_jobs(w)) {
      fails = 0;
      continue;
    }
    if (w->lt_ready) {
      weft__tasks_drain(w);
      fails = 0;
      continue;
    }
    if (atomic_load_explicit(&p->lt_ready, memory_order_relaxed) && weft__tasks_take(w)) {
      fails = 0;
      continue;
    }
    if (weft__steal_random(w) > 0) {
      fails = 0;
      continue;
    }
    if (atomic_load_explicit(&p->stopping, memory_order_acquire)) break;
    if (++fails >= p->cfg.spin_rounds) {
      weft__sleep(w);
      fails = 0;
    } else {
      weft__cpu_relax();
    }
  }
  if (p->cfg.profiler.worker_stop) p->cfg.profiler.worker_stop(p->cfg.profiler.user, w->index);
  weft__tls_worker = NULL;
}

unsigned weft_worker_index(const weft_worker *w) { return w ? w->index : 0; }

weft_pool weft_worker_pool(const weft_worker *w) {
  weft_pool h = {w ? w->pool->id : 0};
  return h;
}

weft_worker *weft_current_worker(void) { return weft__tls_worker; }
