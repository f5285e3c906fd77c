/*
 * weft_mpi.c - nonblocking MPI requests as weft events (include/weft_mpi.h,
 * docs/MPI.md).
 *
 * State: the outstanding requests and their events in two parallel arrays,
 * handed whole to MPI_Testsome. One mutex guards the arrays and every MPI
 * call the module makes (so MPI_THREAD_SERIALIZED suffices). Posting takes
 * it (a short wait at most: one Testsome); polling only tries it: a worker
 * that finds another thread testing returns at once rather than queue
 * behind it, since that thread's test covers its requests too. Events are
 * triggered after the lock is released: a trigger makes tasks ready (on the
 * polling worker's list), and their bodies may post requests of their own.
 */
#if defined(__linux__)
#define _GNU_SOURCE
#include <sys/prctl.h>
#endif
#include "weft_mpi.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct weft_mpi {
  pthread_mutex_t lock;
  weft_pool pool;
  int bound;
  int level;
  /* under lock: n outstanding requests, their events; idx/st: Testsome's
   * output (cap entries each). */
  MPI_Request *reqs;
  weft_task *evs;
  unsigned char *owned; /* the module releases evs[i] after its trigger */
  int *idx;
  MPI_Status *st;
  int n, cap;
  _Atomic int outstanding; /* n, for readers that do not take the lock */
  _Atomic uint64_t polls, completed, failed, canceled;
};

const char *weft_mpi_strerror(int err) {
  switch (err) {
    case WEFT_MPI_ELEVEL: return "MPI gives a thread level below MPI_THREAD_SERIALIZED";
    case WEFT_MPI_EOUTSTANDING: return "MPI requests are still outstanding";
    case WEFT_MPI_EMPI: return "an MPI call returned an error";
    case WEFT_MPI_ENOTINIT: return "MPI is not initialized (or finalized already)";
    case WEFT_MPI_EUNBOUND: return "no pool bound to the weft_mpi state (weft_mpi_bind)";
    default: return weft_strerror(err);
  }
}

const char *weft_mpi_level_name(int level) {
  if (level == MPI_THREAD_SINGLE) return "MPI_THREAD_SINGLE";
  if (level == MPI_THREAD_FUNNELED) return "MPI_THREAD_FUNNELED";
  if (level == MPI_THREAD_SERIALIZED) return "MPI_THREAD_SERIALIZED";
  if (level == MPI_THREAD_MULTIPLE) return "MPI_THREAD_MULTIPLE";
  return "unknown";
}

/* MPI's level, or a weft_mpi error. */
static int current_level(int *level) {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (!init || fin) return WEFT_MPI_ENOTINIT;
  if (MPI_Query_thread(level) != MPI_SUCCESS) return WEFT_MPI_EMPI;
  return *level < MPI_THREAD_SERIALIZED ? WEFT_MPI_ELEVEL : WEFT_OK;
}

int weft_mpi_init(int *argc, char ***argv, int *provided) {
  int init = 0, fin = 0, level = MPI_THREAD_SINGLE;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (fin) return WEFT_MPI_ENOTINIT;
  if (!init && MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &level) != MPI_SUCCESS)
    return WEFT_MPI_EMPI;
  int rc = current_level(&level);
  if (provided) *provided = level;
  return rc;
}

/* The hook the workers call (weft_config.progress). On Linux it first sets
 * the worker thread's timer slack to 1 us (once per thread): the napping
 * worker's timed wait is otherwise rounded up by the default 50 us slack,
 * which doubles the time a message waits for an idle rank to notice it. */
static _Thread_local int slack_set;

static int hook(void *user, weft_worker *w) {
  (void)w;
#if defined(__linux__)
  if (!slack_set) {
    slack_set = 1;
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  }
#endif
  return weft_mpi_poll(user);
}

int weft_mpi_create(weft_mpi **out, weft_config *cfg) {
  /* A WEFT_THREADS_CALLER pool has no worker loop that could poll. */
  if (!out || !cfg || cfg->progress.poll || cfg->threads == WEFT_THREADS_CALLER) return WEFT_EINVAL;
  *out = NULL;
  int level;
  int rc = current_level(&level);
  if (rc) return rc;
  weft_mpi *m = calloc(1, sizeof *m);
  if (!m) return WEFT_ENOMEM;
  pthread_mutex_init(&m->lock, NULL);
  m->level = level;
  cfg->progress.poll = hook;
  cfg->progress.user = m;
  /* 50 us: an idle rank notices a message within about that much (plus the
   * timer slack of its nap); docs/MPI.md measures what it costs. */
  if (!cfg->progress.interval_us) cfg->progress.interval_us = 50;
  *out = m;
  return WEFT_OK;
}

int weft_mpi_bind(weft_mpi *m, weft_pool pool) {
  if (!m || m->bound) return WEFT_EINVAL;
  if (weft_pool_workers(pool) < 0) return WEFT_EBADPOOL;
  m->pool = pool;
  m->bound = 1;
  return WEFT_OK;
}

/* Under lock: room for one more request. */
static int grow(weft_mpi *m) {
  if (m->n < m->cap) return 0;
  int cap = m->cap ? 2 * m->cap : 64;
  MPI_Request *r = realloc(m->reqs, (size_t)cap * sizeof *r);
  if (!r) return WEFT_ENOMEM;
  m->reqs = r;
  weft_task *e = realloc(m->evs, (size_t)cap * sizeof *e);
  if (!e) return WEFT_ENOMEM;
  m->evs = e;
  unsigned char *o = realloc(m->owned, (size_t)cap);
  if (!o) return WEFT_ENOMEM;
  m->owned = o;
  int *ix = realloc(m->idx, (size_t)cap * sizeof *ix);
  if (!ix) return WEFT_ENOMEM;
  m->idx = ix;
  MPI_Status *s = realloc(m->st, (size_t)cap * sizeof *s);
  if (!s) return WEFT_ENOMEM;
  m->st = s;
  m->cap = cap;
  return 0;
}

/* A thread outside the pool just gave it its first outstanding request:
 * the workers may all be asleep without a napper (they saw nothing
 * outstanding when they went to sleep), and nothing would wake them. A
 * launched task is the public way to wake one: it finds the task, runs it,
 * looks for more, polls, and when it sleeps again it naps. A worker of the
 * pool that posts needs none of this: it polls before it sleeps. */
static int nop_task(weft_worker *w, void *a) {
  (void)w;
  (void)a;
  return 0;
}

static void wake_pool(weft_mpi *m, int was_idle) {
  if (!was_idle) return;
  weft_worker *w = weft_current_worker();
  if (w && weft_worker_pool(w).id == m->pool.id) return;
  weft_launch(m->pool, nop_task, NULL, 0, NULL, 0, NULL);
}

/* Under lock: tracks req with event ev. */
static int track(weft_mpi *m, MPI_Request req, weft_task ev, int owned) {
  int rc = grow(m);
  if (rc) return rc;
  m->reqs[m->n] = req;
  m->evs[m->n] = ev;
  m->owned[m->n] = (unsigned char)owned;
  m->n++;
  atomic_store_explicit(&m->outstanding, m->n, memory_order_release);
  return 0;
}

/* The event's only handle is the one the caller gets; the module triggers
 * through the same id. That is safe because a record is recycled only after
 * it completed, and only the module completes it (or pool destroy, after
 * which the trigger gets WEFT_ESTALE or WEFT_EALREADY and is ignored). When
 * the caller wants no handle (ev NULL), the module owns it and releases it
 * after the trigger. */

/* The event a request will complete: a new one (given.id == 0), or the
 * caller's, which must be a pending event of the bound pool. */
static int event_for(weft_mpi *m, weft_task given, weft_task *e) {
  if (!given.id) return weft_event_create(m->pool, e);
  int rc = weft_event_check(m->pool, given);
  if (rc == WEFT_OK) *e = given;
  return rc;
}

static int watch(weft_mpi *m, MPI_Request *req, weft_task given, weft_task *ev) {
  if (!m || !req || *req == MPI_REQUEST_NULL) return WEFT_EINVAL;
  if (!m->bound) return WEFT_MPI_EUNBOUND;
  weft_task e;
  int rc = event_for(m, given, &e);
  if (rc) return rc;
  pthread_mutex_lock(&m->lock);
  int was_idle = m->n == 0;
  rc = track(m, *req, e, 0);
  pthread_mutex_unlock(&m->lock);
  if (rc) {
    if (!given.id) weft_task_release(e);
    return rc;
  }
  wake_pool(m, was_idle);
  *req = MPI_REQUEST_NULL;
  if (ev) *ev = e;
  return WEFT_OK;
}

int weft_mpi_watch(weft_mpi *m, MPI_Request *req, weft_task *ev) {
  if (!ev) return WEFT_EINVAL;
  ev->id = 0;
  weft_task none = {0};
  return watch(m, req, none, ev);
}

int weft_mpi_watch_event(weft_mpi *m, MPI_Request *req, weft_task ev) {
  if (!ev.id) return WEFT_EINVAL;
  return watch(m, req, ev, NULL);
}

/* given.id != 0: complete the caller's event (ev is then NULL). */
static int post(weft_mpi *m, int send, void *buf, int count, MPI_Datatype type, int peer, int tag,
                MPI_Comm comm, weft_task given, weft_task *ev) {
  if (!m) return WEFT_EINVAL;
  if (ev) ev->id = 0;
  if (!m->bound) return WEFT_MPI_EUNBOUND;
  weft_task e;
  int rc = event_for(m, given, &e);
  if (rc) return rc;
  MPI_Request req;
  pthread_mutex_lock(&m->lock);
  int was_idle = m->n == 0;
  rc = grow(m); /* first: a request once posted must be tracked */
  int mrc = MPI_SUCCESS;
  if (!rc) {
    mrc = send ? MPI_Isend(buf, count, type, peer, tag, comm, &req)
               : MPI_Irecv(buf, count, type, peer, tag, comm, &req);
    if (mrc != MPI_SUCCESS) rc = WEFT_MPI_EMPI;
    else {
      /* cannot fail: grown above. The module releases a new event nobody
       * asked a handle for; never the caller's. */
      track(m, req, e, !given.id && ev == NULL);
    }
  }
  pthread_mutex_unlock(&m->lock);
  if (rc) {
    if (!given.id) weft_task_release(e);
    return rc;
  }
  wake_pool(m, was_idle);
  if (ev) *ev = e;
  return WEFT_OK;
}

int weft_mpi_isend(weft_mpi *m, const void *buf, int count, MPI_Datatype type, int dest, int tag,
                   MPI_Comm comm, weft_task *ev) {
  weft_task none = {0};
  return post(m, 1, (void *)buf, count, type, dest, tag, comm, none, ev);
}

int weft_mpi_irecv(weft_mpi *m, void *buf, int count, MPI_Datatype type, int source, int tag,
                   MPI_Comm comm, weft_task *ev) {
  weft_task none = {0};
  return post(m, 0, buf, count, type, source, tag, comm, none, ev);
}

int weft_mpi_isend_event(weft_mpi *m, const void *buf, int count, MPI_Datatype type, int dest,
                         int tag, MPI_Comm comm, weft_task ev) {
  if (!ev.id) return WEFT_EINVAL;
  return post(m, 1, (void *)buf, count, type, dest, tag, comm, ev, NULL);
}

int weft_mpi_irecv_event(weft_mpi *m, void *buf, int count, MPI_Datatype type, int source, int tag,
                         MPI_Comm comm, weft_task ev) {
  if (!ev.id) return WEFT_EINVAL;
  return post(m, 0, buf, count, type, source, tag, comm, ev, NULL);
}

/* Completions found by one test, triggered after the lock is dropped. */
typedef struct done_t {
  weft_task ev;
  int status; /* 0, an MPI error code, or WEFT_ECANCELED */
  int owned;
} done_t;

static void finish(weft_mpi *m, const done_t *d, int k) {
  for (int j = 0; j < k; j++) {
    weft_task e = d[j].ev;
    if (d[j].status == WEFT_ECANCELED) {
      weft_task_cancel(e); /* an event canceled: failed with WEFT_ECANCELED */
      atomic_fetch_add_explicit(&m->canceled, 1, memory_order_relaxed);
    } else {
      if (d[j].status) atomic_fetch_add_explicit(&m->failed, 1, memory_order_relaxed);
      weft_event_trigger(e, d[j].status);
    }
    if (d[j].owned) weft_task_release(e);
  }
  atomic_fetch_add_explicit(&m->completed, (uint64_t)k, memory_order_relaxed);
}

int weft_mpi_poll(weft_mpi *m) {
  if (!m) return WEFT_EINVAL;
  if (atomic_load_explicit(&m->outstanding, memory_order_acquire) == 0) return 0;
  if (pthread_mutex_trylock(&m->lock) != 0)
    return atomic_load_explicit(&m->outstanding, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->polls, 1, memory_order_relaxed);
  enum { BATCH = 64 };
  done_t done[BATCH];
  int k = 0, left;
  int outcount = 0;
  int rc = MPI_Testsome(m->n, m->reqs, &outcount, m->idx, m->st);
  if (outcount == MPI_UNDEFINED) outcount = 0;
  if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS) {
    /* The test itself failed: MPI cannot tell which request is done. Fail
     * every event (their tasks are canceled) rather than leave them waiting
     * forever; the requests are dropped. */
    outcount = m->n;
    for (int j = 0; j < m->n; j++) {
      m->idx[j] = j;
      m->st[j].MPI_ERROR = rc;
      m->reqs[j] = MPI_REQUEST_NULL;
    }
  }
  /* Collect outcomes into the events array in place (status kept in st),
   * then compact both arrays over the requests Testsome set to NULL. */
  done_t *heap = NULL;
  done_t *d = done;
  if (outcount > BATCH) {
    heap = malloc((size_t)outcount * sizeof *heap);
    if (heap) d = heap;
  }
  for (int j = 0; j < outcount; j++) {
    int i = m->idx[j];
    int status = 0;
    int cancelled = 0;
    if (rc != MPI_SUCCESS) status = m->st[j].MPI_ERROR; /* ERR_IN_STATUS, or set above */
    if (status == MPI_SUCCESS) {
      MPI_Test_cancelled(&m->st[j], &cancelled);
      if (cancelled) status = WEFT_ECANCELED;
    }
    if (d == done && k == BATCH) { /* no heap: trigger this batch under the lock */
      finish(m, done, k);
      k = 0;
    }
    d[k].ev = m->evs[i];
    d[k].status = status;
    d[k].owned = m->owned[i];
    k++;
    m->reqs[i] = MPI_REQUEST_NULL; /* completed (MPI freed it): compacted out below */
  }
  int n = 0;
  for (int j = 0; j < m->n; j++) {
    if (m->reqs[j] == MPI_REQUEST_NULL) continue;
    m->reqs[n] = m->reqs[j];
    m->evs[n] = m->evs[j];
    m->owned[n] = m->owned[j];
    n++;
  }
  m->n = n;
  left = n;
  atomic_store_explicit(&m->outstanding, n, memory_order_release);
  pthread_mutex_unlock(&m->lock);
  finish(m, d, k);
  free(heap);
  return left;
}

int weft_mpi_outstanding(const weft_mpi *m) {
  return m ? atomic_load_explicit(&((weft_mpi *)m)->outstanding, memory_order_acquire) : 0;
}

int weft_mpi_cancel_all(weft_mpi *m) {
  if (!m) return WEFT_EINVAL;
  pthread_mutex_lock(&m->lock);
  int n = m->n;
  for (int j = 0; j < n; j++) MPI_Cancel(&m->reqs[j]);
  pthread_mutex_unlock(&m->lock);
  return n;
}

void weft_mpi_lock(weft_mpi *m) { pthread_mutex_lock(&m->lock); }
void weft_mpi_unlock(weft_mpi *m) { pthread_mutex_unlock(&m->lock); }

int weft_mpi_stats_get(const weft_mpi *m, weft_mpi_stats *out) {
  if (!m || !out) return WEFT_EINVAL;
  weft_mpi *mm = (weft_mpi *)m;
  out->polls = atomic_load_explicit(&mm->polls, memory_order_relaxed);
  out->completed = atomic_load_explicit(&mm->completed, memory_order_relaxed);
  out->failed = atomic_load_explicit(&mm->failed, memory_order_relaxed);
  out->canceled = atomic_load_explicit(&mm->canceled, memory_order_relaxed);
  out->outstanding = atomic_load_explicit(&mm->outstanding, memory_order_relaxed);
  out->level = m->level;
  return WEFT_OK;
}

int weft_mpi_destroy(weft_mpi *m) {
  if (!m) return WEFT_EINVAL;
  pthread_mutex_lock(&m->lock);
  int n = m->n;
  pthread_mutex_unlock(&m->lock);
  if (n) return WEFT_MPI_EOUTSTANDING;
  pthread_mutex_destroy(&m->lock);
  free(m->reqs);
  free(m->evs);
  free(m->owned);
  free(m->idx);
  free(m->st);
  free(m);
  return WEFT_OK;
}

int weft_mpi_finalize(weft_mpi *m) {
  int rc = weft_mpi_destroy(m);
  if (rc) return rc;
  return MPI_Finalize() == MPI_SUCCESS ? WEFT_OK : WEFT_MPI_EMPI;
}
