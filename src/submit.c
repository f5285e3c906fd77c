/*
 * submit.c - root tasks from threads that are not workers.
 *
 * Outside threads push jobs onto the pool's injector, a Treiber stack (push
 * by CAS only, so no ABA). An idle worker takes the whole stack with one
 * exchange, spawns all jobs but one as ordinary tasks in its own deque (so
 * idle peers steal whole jobs) and runs the first itself. The submitter
 * sleeps on job.state: 0 running, 1 done, 2 running with a sleeping waiter.
 */
#include "trace.h"

#define JOB_RUNNING 0u
#define JOB_DONE 1u
#define JOB_WAITER 2u

int weft_submit(weft_pool pool, weft_job *job, weft_fn fn, void *args) {
  if (!job || !fn) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  job->fn = fn;
  job->args = args;
  job->pool_id = pool.id;
  __atomic_store_n(&job->state, JOB_RUNNING, __ATOMIC_RELAXED);
  weft__trace_submit(p, job); /* sets job->pad: its trace id, or 0 */
  if (p->cfg.threads == WEFT_THREADS_CALLER) {
    /* No thread to hand it to: run it now, still pinned (destroy waits). */
    int rc = weft__solo_run(p, job);
    weft__pool_unpin(pool);
    return rc;
  }
  atomic_fetch_add_explicit(&p->live_jobs, 1, memory_order_relaxed);
  weft_job *head = atomic_load_explicit(&p->inject, memory_order_relaxed);
  do {
    job->next = head;
  } while (!atomic_compare_exchange_weak_explicit(&p->inject, &head, job, memory_order_seq_cst,
                                                  memory_order_relaxed));
  weft__wake_one(p);
  weft__pool_unpin(pool);
  return 0;
}

static void finish_job(weft__pool *p, weft_job *job) {
  /* live_jobs first: once state says done the submitter may destroy the pool,
   * and destroy must then find no job outstanding. */
  if (atomic_fetch_sub_explicit(&p->live_jobs, 1, memory_order_seq_cst) == 1 &&
      atomic_load_explicit(&p->destroying, memory_order_seq_cst))
    weft__prim_wake32((uint32_t *)&p->live_jobs, 1);
  /* Last touch of *job: the submitter may free it as soon as it sees DONE. */
  if (__atomic_exchange_n(&job->state, JOB_DONE, __ATOMIC_ACQ_REL) == JOB_WAITER)
    weft__prim_wake32(&job->state, 1);
}

void weft__run_root(weft_worker *w, weft_job *job) {
  WEFT__COUNT(w->st_roots);
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL))
    weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_ROOT), (uint64_t)(uintptr_t)job->fn, job->pad, 0);
  weft__run_bounded(w, job->fn, job->args);
  if (WEFT__UNLIKELY(tb != NULL)) {
    weft__tput(tb, WEFT__EV_END, 0, 0, 0);
    weft__tput(tb, WEFT__EV_FINISH, (uint64_t)(uintptr_t)job->fn, job->pad, 0);
  }
  finish_job(w->pool, job);
}

/* ---- WEFT_THREADS_CALLER: the pool's one worker runs on the thread that
 * submits. solo_lock is a three-state futex lock (0 free, 1 held, 2 held
 * with sleepers) so that threads sharing the pool take turns. The caller
 * holds a pin on the pool for the whole run, so destroy cannot release the
 * region under it. */

static _Thread_local char solo_token; /* its address names this thread */

static int solo_lock(weft__pool *p) {
  uint32_t c = 0;
  if (!atomic_compare_exchange_strong_explicit(&p->solo_lock, &c, 1, memory_order_acquire,
                                               memory_order_relaxed)) {
    /* Held. By this very thread (it is running this pool's worker further
     * down its stack, for another pool's task)? Only this thread ever
     * stores its own token, and clears it before unlocking. */
    if (atomic_load_explicit(&p->solo_owner, memory_order_relaxed) == &solo_token)
      return WEFT_EDEADLK;
    if (c != 2) c = atomic_exchange_explicit(&p->solo_lock, 2, memory_order_acquire);
    while (c != 0) {
      weft__prim_wait32((uint32_t *)&p->solo_lock, 2);
      c = atomic_exchange_explicit(&p->solo_lock, 2, memory_order_acquire);
    }
  }
  atomic_store_explicit(&p->solo_owner, &solo_token, memory_order_relaxed);
  return 0;
}

static void solo_unlock(weft__pool *p) {
  atomic_store_explicit(&p->solo_owner, NULL, memory_order_relaxed);
  if (atomic_exchange_explicit(&p->solo_lock, 0, memory_order_release) == 2)
    weft__prim_wake32((uint32_t *)&p->solo_lock, 0);
}

int weft__solo_run(weft__pool *p, weft_job *job) {
  weft_worker *w = p->workers[0];
  weft_worker *self = weft__tls_worker;
  if (self == w) {
    /* From a task of this pool: the worker is ours already; run it nested,
     * as a boundary like any root job. */
    atomic_fetch_add_explicit(&p->live_jobs, 1, memory_order_relaxed);
    weft__run_root(w, job);
    return 0;
  }
  int rc = solo_lock(p);
  if (rc) return rc;
  atomic_fetch_add_explicit(&p->live_jobs, 1, memory_order_relaxed);
  weft__tls_worker = w;
  const weft_profiler *pr = &p->cfg.profiler;
  if (pr->worker_start) pr->worker_start(pr->user, 0);
  weft__run_root(w, job);
  if (pr->worker_stop) pr->worker_stop(pr->user, 0);
  weft__tls_worker = self;
  solo_unlock(p);
  return 0;
}

static void job_task(weft_worker *w, void *args) {
  weft_job *job;
  memcpy(&job, args, sizeof job);
  weft__run_root(w, job);
}

const char *weft__submit_fn_name(const void *fn) {
  return fn == (const void *)job_task ? "queued job" : NULL;
}

bool weft__take_jobs(weft_worker *w) {
  weft__pool *p = w->pool;
  weft_job *list = atomic_exchange_explicit(&p->inject, NULL, memory_order_acquire);
  if (!list) return false;
  /* The stack is newest first; reverse it so jobs start in submission order. */
  weft_job *fifo = NULL;
  while (list) {
    weft_job *next = list->next;
    list->next = fifo;
    fifo = list;
    list = next;
  }
  weft_job *first = fifo;
  /* Spawned oldest first, so the oldest waiting job sits lowest in the
   * deque, where thieves take from. */
  weft_job *pending[64];
  unsigned n = 0;
  for (weft_job *j = first->next; j;) {
    weft_job *next = j->next;
    if (n < 64) {
      pending[n++] = j;
    } else {
      /* Too many at once for this round: put the rest back for the next. */
      weft_job *tail = j;
      while (tail->next) tail = tail->next;
      weft_job *head = atomic_load_explicit(&p->inject, memory_order_relaxed);
      do {
        tail->next = head;
      } while (!atomic_compare_exchange_weak_explicit(&p->inject, &head, j, memory_order_seq_cst,
                                                      memory_order_relaxed));
      weft__wake_one(p);
      break;
    }
    j = next;
  }
  for (unsigned i = 0; i < n; i++) weft_spawn(w, job_task, &pending[i], sizeof pending[i]);
  weft__run_root(w, first);
  for (unsigned i = n; i-- > 0;) weft__sync_slow(w, NULL, 0);
  return true;
}

int weft_job_status(const weft_job *job) {
  if (!job) return WEFT_EINVAL;
  return __atomic_load_n(&job->state, __ATOMIC_ACQUIRE) == JOB_DONE ? WEFT_OK : WEFT_EPENDING;
}

int weft_wait(weft_job *job) {
  if (!job) return WEFT_EINVAL;
  weft_worker *self = weft__tls_worker;
  if (self && self->pool->id == job->pool_id && weft_job_status(job) != WEFT_OK)
    return WEFT_EDEADLK;
  for (unsigned i = 0; i < 2000; i++) {
    if (__atomic_load_n(&job->state, __ATOMIC_ACQUIRE) == JOB_DONE) return 0;
    weft__cpu_relax();
  }
  uint32_t expect = JOB_RUNNING;
  __atomic_compare_exchange_n(&job->state, &expect, JOB_WAITER, false, __ATOMIC_ACQ_REL,
                              __ATOMIC_ACQUIRE);
  while (__atomic_load_n(&job->state, __ATOMIC_ACQUIRE) != JOB_DONE)
    weft__prim_wait32(&job->state, JOB_WAITER);
  return 0;
}

int weft_run(weft_pool pool, weft_fn fn, void *args) {
  if (!fn) return WEFT_EINVAL;
  weft_worker *self = weft__tls_worker;
  if (self && self->pool->id == pool.id) {
    fn(self, args); /* already inside the pool: an ordinary nested call */
    return 0;
  }
  weft_job job;
  int rc = weft_submit(pool, &job, fn, args);
  if (rc) return rc;
  return weft_wait(&job);
}
