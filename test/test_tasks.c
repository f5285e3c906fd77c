/*
 * test_tasks.c - launched tasks: prerequisites, handles, events, pipes,
 * children, failure and cancel, waits, memory, and a random-DAG stress test
 * with stamps as the oracle (every task checks that each prerequisite had
 * finished before it started).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "helpers.h"

static int add_task(weft_worker *w, void *p) {
  (void)w;
  long *a = p;
  a[2] = a[0] + a[1];
  return 0;
}

TEST(task_basic) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    long a[3] = {20, 22, 0};
    weft_task t;
    ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, NULL, 0, &t));
    ASSERT_NE(t.id, 0);
    ASSERT_OK(weft_task_wait(t));
    ASSERT_OK(weft_task_status(t));
    long out[3];
    ASSERT_OK(weft_task_result(t, out, sizeof out));
    ASSERT_EQ(out[2], 42);
    weft_task_info info;
    ASSERT_OK(weft_task_info_get(t, &info));
    ASSERT_EQ(info.state, WEFT_OK);
    ASSERT_UEQ(info.origin.id, 0);
    ASSERT_OK(weft_task_release(t));
    /* A second release is always caught. (Other calls through a released
     * handle are caught once its record is reused: task_stale_handles.) */
    ASSERT_ERR(weft_task_release(t), WEFT_ESTALE);
    test_pool_free(pool);
  }
}

/* ---- stamps: each task records a global sequence number when it starts
 * and when it ends; a task checks its prerequisites' end stamps. */

#define MAXP 6
typedef struct stamp_node {
  _Atomic uint64_t start, end;
  _Atomic unsigned runs;
  unsigned npre;
  unsigned pre[MAXP];
  int fail; /* the body returns this */
} stamp_node;

static _Atomic uint64_t clock_;
static stamp_node *nodes_;
static _Atomic unsigned violations_;

static int stamp_task(weft_worker *w, void *p) {
  (void)w;
  unsigned i;
  memcpy(&i, p, sizeof i);
  stamp_node *n = &nodes_[i];
  uint64_t s = atomic_fetch_add(&clock_, 1) + 1;
  atomic_store(&n->start, s);
  for (unsigned k = 0; k < n->npre; k++) {
    uint64_t e = atomic_load(&nodes_[n->pre[k]].end);
    if (e == 0 || e > s) atomic_fetch_add(&violations_, 1);
  }
  atomic_fetch_add(&n->runs, 1);
  atomic_store(&n->end, atomic_fetch_add(&clock_, 1) + 1);
  return n->fail;
}

static void stamps_reset(stamp_node *nodes, unsigned n) {
  memset(nodes, 0, n * sizeof *nodes);
  nodes_ = nodes;
  atomic_store(&clock_, 0);
  atomic_store(&violations_, 0);
}

/* A diamond then a long chain. */
TEST(task_shapes) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    enum { N = 2000 };
    stamp_node *nodes = calloc(N, sizeof *nodes);
    stamps_reset(nodes, N);
    weft_task *h = calloc(N, sizeof *h);
    /* 0 -> {1,2} -> 3, then a chain 3 -> 4 -> ... -> N-1 */
    for (unsigned i = 0; i < N; i++) {
      weft_task pre[2];
      unsigned np = 0;
      if (i == 1 || i == 2) pre[np++] = h[0];
      if (i == 3) {
        pre[np++] = h[1];
        pre[np++] = h[2];
      }
      if (i > 3) pre[np++] = h[i - 1];
      nodes[i].npre = np;
      for (unsigned q = 0; q < np; q++) nodes[i].pre[q] = i == 3 ? q + 1 : i == 1 || i == 2 ? 0 : i - 1;
      ASSERT_OK(weft_launch(pool, stamp_task, &i, sizeof i, pre, np, &h[i]));
    }
    ASSERT_OK(weft_task_wait(h[N - 1]));
    for (unsigned i = 0; i < N; i++) {
      ASSERT_OK(weft_task_wait(h[i]));
      ASSERT_EQ(atomic_load(&nodes[i].runs), 1);
      ASSERT_OK(weft_task_release(h[i]));
    }
    ASSERT_EQ(atomic_load(&violations_), 0);
    free(h);
    free(nodes);
    test_pool_free(pool);
  }
}

/* Prerequisites that completed long ago (and even were released: a stale
 * prerequisite is an error, a completed one is fine). */
TEST(task_completed_prereq) {
  weft_pool pool = test_pool_new(2);
  long a[3] = {1, 2, 0};
  weft_task t, u;
  ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, NULL, 0, &t));
  ASSERT_OK(weft_task_wait(t));
  ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, &t, 1, &u));
  ASSERT_OK(weft_task_wait(u));
  ASSERT_OK(weft_task_release(t));
  /* A released prerequisite: ESTALE once its record is reused, until then
   * still the same completed task. Either way nothing runs early. */
  weft_task v = {0};
  int rc = weft_launch(pool, add_task, a, sizeof a, &t, 1, &v);
  if (rc == WEFT_OK) {
    ASSERT_OK(weft_task_wait(v));
    ASSERT_OK(weft_task_release(v));
  } else {
    ASSERT_ERR(rc, WEFT_ESTALE);
    ASSERT_UEQ(v.id, 0);
  }
  ASSERT_OK(weft_task_release(u));
  test_pool_free(pool);
}

/* Handles of a recycled record never reach its next task. */
TEST(task_stale_handles) {
  weft_pool pool = test_pool_new(1);
  long a[3] = {1, 2, 0};
  enum { N = 5000 };
  weft_task *old = calloc(N, sizeof *old);
  for (unsigned i = 0; i < N; i++) {
    ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, NULL, 0, &old[i]));
    ASSERT_OK(weft_task_wait(old[i]));
    ASSERT_OK(weft_task_release(old[i]));
  }
  /* New tasks reuse the records (LIFO free lists): every old handle stale. */
  weft_task fresh[64];
  for (unsigned i = 0; i < 64; i++) ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, NULL, 0, &fresh[i]));
  /* One worker: once the fresh tasks ran, it has finished with every old
   * record (it completes a task before it starts the next). */
  for (unsigned i = 0; i < 64; i++) ASSERT_OK(weft_task_wait(fresh[i]));
  for (unsigned i = 0; i < N; i++) {
    ASSERT_ERR(weft_task_status(old[i]), WEFT_ESTALE);
    ASSERT_ERR(weft_task_wait(old[i]), WEFT_ESTALE);
    ASSERT_ERR(weft_task_cancel(old[i]), WEFT_ESTALE);
    long r[3];
    ASSERT_ERR(weft_task_result(old[i], r, sizeof r), WEFT_ESTALE);
    for (unsigned f = 0; f < 64; f++) ASSERT_UNE(old[i].id, fresh[f].id);
  }
  for (unsigned i = 0; i < 64; i++) ASSERT_OK(weft_task_release(fresh[i]));
  /* Garbage and zero handles. */
  weft_task zero = {0}, junk = {0x123456789abcdefull};
  ASSERT_ERR(weft_task_status(zero), WEFT_ESTALE);
  ASSERT_ERR(weft_task_status(junk), WEFT_ESTALE);
  ASSERT_ERR(weft_event_trigger(junk, 0), WEFT_ESTALE);
  /* A handle of another pool. */
  weft_pool other = test_pool_new(1);
  weft_task t;
  ASSERT_OK(weft_launch(other, add_task, a, sizeof a, NULL, 0, &t));
  ASSERT_OK(weft_task_wait(t));
  ASSERT_ERR(weft_launch(pool, add_task, a, sizeof a, &t, 1, NULL), WEFT_ESTALE);
  ASSERT_OK(weft_task_release(t));
  test_pool_free(other);
  ASSERT_ERR(weft_task_status(t), WEFT_ESTALE); /* its pool is gone */
  free(old);
  test_pool_free(pool);
}

TEST(task_bad_input) {
  weft_pool pool = test_pool_new(2);
  long a[3] = {0};
  char big[WEFT_ARGS_MAX + 1] = {0};
  weft_task t = {77};
  ASSERT_ERR(weft_launch(pool, NULL, a, sizeof a, NULL, 0, &t), WEFT_EINVAL);
  ASSERT_UEQ(t.id, 0);
  ASSERT_ERR(weft_launch(pool, add_task, NULL, 8, NULL, 0, &t), WEFT_EINVAL);
  ASSERT_ERR(weft_launch(pool, add_task, big, sizeof big, NULL, 0, &t), WEFT_E2BIG);
  ASSERT_ERR(weft_launch(pool, add_task, a, sizeof a, NULL, 2, &t), WEFT_EINVAL);
  weft_launch_opts o = {NULL, 0, NULL, WEFT_LAUNCH_CHILD};
  ASSERT_ERR(weft_launch_ex(pool, add_task, a, sizeof a, &o, &t), WEFT_EINVAL); /* not in a task */
  o.flags = 0x80;
  ASSERT_ERR(weft_launch_ex(pool, add_task, a, sizeof a, &o, &t), WEFT_EINVAL);
  ASSERT_ERR(weft_event_create(pool, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_task_info_get(t, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_task_attach(NULL, t), WEFT_EINVAL);
  ASSERT_ERR(weft_pipe_create(pool, NULL), WEFT_EINVAL);
  weft_pool dead = test_pool_new(1);
  weft_pipe *pipe;
  ASSERT_OK(weft_pipe_create(dead, &pipe));
  o.flags = 0;
  o.pipe = pipe;
  ASSERT_ERR(weft_launch_ex(pool, add_task, a, sizeof a, &o, &t), WEFT_EINVAL); /* another pool's */
  weft_pipe_destroy(pipe);
  test_pool_free(dead);
  ASSERT_ERR(weft_launch(dead, add_task, a, sizeof a, NULL, 0, &t), WEFT_EBADPOOL);
  ASSERT_ERR(weft_event_create(dead, &t), WEFT_EBADPOOL);
  ASSERT_ERR(weft_pipe_create(dead, &pipe), WEFT_EBADPOOL);
  /* An event's result is not a task's. */
  weft_task ev;
  ASSERT_OK(weft_event_create(pool, &ev));
  ASSERT_ERR(weft_task_result(ev, a, sizeof a), WEFT_EINVAL);
  ASSERT_OK(weft_event_trigger(ev, 0));
  ASSERT_OK(weft_task_release(ev));
  test_pool_free(pool);
}

/* ---- events */

static int check_flag_task(weft_worker *w, void *p) {
  (void)w;
  _Atomic int *flag;
  memcpy(&flag, p, sizeof flag);
  return atomic_load(flag) == 1 ? 0 : 99; /* ran before the trigger: fail */
}

typedef struct trigger_arg {
  weft_task ev;
  _Atomic int *flag;
  unsigned delay_ms;
} trigger_arg;

static void *trigger_thread(void *p) {
  trigger_arg *a = p;
  test_sleep_ms(a->delay_ms);
  atomic_store(a->flag, 1);
  int rc = weft_event_trigger(a->ev, 0);
  return (void *)(intptr_t)rc;
}

TEST(task_events) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    _Atomic int flag = 0;
    _Atomic int *fp = &flag;
    weft_task ev, t[10];
    ASSERT_OK(weft_event_create(pool, &ev));
    ASSERT_ERR(weft_task_status(ev), WEFT_EPENDING);
    for (unsigned i = 0; i < 10; i++)
      ASSERT_OK(weft_launch(pool, check_flag_task, &fp, sizeof fp, &ev, 1, &t[i]));
    test_sleep_ms(20);
    for (unsigned i = 0; i < 10; i++) ASSERT_ERR(weft_task_status(t[i]), WEFT_EPENDING);
    trigger_arg ta = {ev, &flag, 10};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, trigger_thread, &ta), 0);
    for (unsigned i = 0; i < 10; i++) {
      ASSERT_OK(weft_task_wait(t[i]));
      ASSERT_OK(weft_task_release(t[i]));
    }
    void *ret;
    pthread_join(th, &ret);
    ASSERT_EQ((intptr_t)ret, 0);
    ASSERT_OK(weft_task_status(ev));
    ASSERT_ERR(weft_event_trigger(ev, 0), WEFT_EALREADY);
    long a[3] = {1, 1, 0};
    weft_task task;
    ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, NULL, 0, &task));
    ASSERT_ERR(weft_event_trigger(task, 0), WEFT_EINVAL);
    ASSERT_OK(weft_task_wait(task));
    ASSERT_OK(weft_task_release(task));
    ASSERT_OK(weft_task_release(ev));
    test_pool_free(pool);
  }
}

/* ---- failure and cancel */

static int fail_task(weft_worker *w, void *p) {
  (void)w;
  int v;
  memcpy(&v, p, sizeof v);
  return v;
}

static _Atomic unsigned ran_count;
static int count_task(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  atomic_fetch_add(&ran_count, 1);
  return 0;
}

TEST(task_failure_propagates) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    atomic_store(&ran_count, 0);
    /* diamond: a (fails 7) -> b, c -> d; e independent; chain of 500 after d */
    int seven = 7;
    weft_task a, b, c, d, e;
    weft_task ev;
    ASSERT_OK(weft_event_create(pool, &ev)); /* holds a back until all are linked */
    ASSERT_OK(weft_launch(pool, fail_task, &seven, sizeof seven, &ev, 1, &a));
    ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &a, 1, &b));
    ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &a, 1, &c));
    weft_task bc[2] = {b, c};
    ASSERT_OK(weft_launch(pool, count_task, NULL, 0, bc, 2, &d));
    ASSERT_OK(weft_launch(pool, count_task, NULL, 0, NULL, 0, &e));
    weft_task prev = d;
    weft_task chain[500];
    for (unsigned i = 0; i < 500; i++) {
      ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &prev, 1, &chain[i]));
      prev = chain[i];
    }
    ASSERT_OK(weft_event_trigger(ev, 0));
    ASSERT_ERR(weft_task_wait(chain[499]), WEFT_ECANCELED);
    ASSERT_ERR(weft_task_wait(a), WEFT_EFAILED);
    ASSERT_OK(weft_task_wait(e));
    weft_task_info info;
    ASSERT_OK(weft_task_info_get(a, &info));
    ASSERT_EQ(info.state, WEFT_EFAILED);
    ASSERT_EQ(info.status, 7);
    ASSERT_UEQ(info.origin.id, a.id);
    weft_task all[4] = {b, c, d, chain[250]};
    for (unsigned i = 0; i < 4; i++) {
      ASSERT_ERR(weft_task_wait(all[i]), WEFT_ECANCELED);
      ASSERT_OK(weft_task_info_get(all[i], &info));
      ASSERT_EQ(info.state, WEFT_ECANCELED);
      ASSERT_EQ(info.status, 7);
      ASSERT_UEQ(info.origin.id, a.id);
    }
    ASSERT_EQ(atomic_load(&ran_count), 1); /* only e ran */
    weft_task rel[6] = {a, b, c, d, e, ev};
    for (unsigned i = 0; i < 6; i++) ASSERT_OK(weft_task_release(rel[i]));
    for (unsigned i = 0; i < 500; i++) ASSERT_OK(weft_task_release(chain[i]));
    /* A failed event cancels its successors too, and names itself. */
    ASSERT_OK(weft_event_create(pool, &ev));
    ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &ev, 1, &b));
    ASSERT_OK(weft_event_trigger(ev, -42));
    ASSERT_ERR(weft_task_wait(b), WEFT_ECANCELED);
    ASSERT_OK(weft_task_info_get(b, &info));
    ASSERT_EQ(info.status, -42);
    ASSERT_UEQ(info.origin.id, ev.id);
    ASSERT_ERR(weft_task_status(ev), WEFT_EFAILED);
    ASSERT_OK(weft_task_release(b));
    ASSERT_OK(weft_task_release(ev));
    ASSERT_EQ(atomic_load(&ran_count), 1);
    test_pool_free(pool);
  }
}

/* Failure against the launch: P fails with 7 while S is being launched
 * after it, so S's launcher finds P completed at its first look, links
 * before P completes, or finds it sealed between the look and the link (the
 * guard-free launch's three paths, docs/TASKS.md "Link (launch)"); timing
 * picks one each round. In every case S must complete canceled naming P and
 * never run, and T (after Q only) must run. From the main thread and from
 * inside a task, at 1, 2 and 5 workers. */
typedef struct race_set {
  weft_pool pool;
  unsigned n;
  weft_task *p, *s, *t;
} race_set;

static void race_launch(race_set *r) {
  int seven = 7;
  for (unsigned i = 0; i < r->n; i++) {
    weft_task q;
    if (weft_launch(r->pool, fail_task, &seven, sizeof seven, NULL, 0, &r->p[i]) != 0 ||
        weft_launch(r->pool, count_task, NULL, 0, NULL, 0, &q) != 0)
      abort();
    weft_task pq[2] = {r->p[i], q};
    if (weft_launch(r->pool, count_task, NULL, 0, pq, 2, &r->s[i]) != 0 ||
        weft_launch(r->pool, count_task, NULL, 0, &q, 1, &r->t[i]) != 0 ||
        weft_task_release(q) != 0)
      abort();
  }
}

static int race_task(weft_worker *w, void *p) {
  (void)w;
  race_set *r;
  memcpy(&r, p, sizeof r);
  race_launch(r);
  return 0;
}

TEST(task_failure_races) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    unsigned n = (unsigned)test_scaled(5000, 500);
    for (int inside = 0; inside < 2; inside++) {
      atomic_store(&ran_count, 0);
      race_set r = {pool, n, calloc(n, sizeof(weft_task)), calloc(n, sizeof(weft_task)),
                    calloc(n, sizeof(weft_task))};
      ASSERT(r.p && r.s && r.t);
      if (inside) {
        race_set *rp = &r;
        weft_task g;
        ASSERT_OK(weft_launch(pool, race_task, &rp, sizeof rp, NULL, 0, &g));
        ASSERT_OK(weft_task_wait(g));
        ASSERT_OK(weft_task_release(g));
      } else {
        race_launch(&r);
      }
      for (unsigned i = 0; i < n; i++) {
        weft_task_info info;
        ASSERT_ERR(weft_task_wait(r.s[i]), WEFT_ECANCELED);
        ASSERT_OK(weft_task_info_get(r.s[i], &info));
        ASSERT_EQ(info.status, 7);
        ASSERT_UEQ(info.origin.id, r.p[i].id);
        ASSERT_OK(weft_task_wait(r.t[i]));
        ASSERT_ERR(weft_task_status(r.p[i]), WEFT_EFAILED);
        ASSERT_OK(weft_task_release(r.p[i]));
        ASSERT_OK(weft_task_release(r.s[i]));
        ASSERT_OK(weft_task_release(r.t[i]));
      }
      ASSERT_EQ(atomic_load(&ran_count), 2 * n); /* every Q and T, no S */
      free(r.p);
      free(r.s);
      free(r.t);
    }
    test_pool_free(pool);
  }
}

TEST(task_cancel) {
  weft_pool pool = test_pool_new(2);
  atomic_store(&ran_count, 0);
  weft_task ev, t, u, v;
  ASSERT_OK(weft_event_create(pool, &ev));
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &ev, 1, &t));
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &t, 1, &u));
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &ev, 1, &v));
  ASSERT_EQ(weft_task_cancel(t), 1);
  ASSERT_EQ(weft_task_cancel(t), 0); /* completed already */
  /* Canceled at once, though its prerequisite is still pending. */
  ASSERT_ERR(weft_task_wait(t), WEFT_ECANCELED);
  ASSERT_ERR(weft_task_wait(u), WEFT_ECANCELED);
  weft_task_info info;
  ASSERT_OK(weft_task_info_get(u, &info));
  ASSERT_UEQ(info.origin.id, t.id);
  ASSERT_EQ(info.status, WEFT_ECANCELED);
  ASSERT_ERR(weft_task_status(v), WEFT_EPENDING);
  ASSERT_OK(weft_event_trigger(ev, 0));
  ASSERT_OK(weft_task_wait(v));
  ASSERT_EQ(atomic_load(&ran_count), 1);
  /* Too late: it ran. */
  ASSERT_EQ(weft_task_cancel(v), 0);
  ASSERT_OK(weft_task_status(v));
  /* An event canceled: triggering it afterwards is an error. */
  weft_task ev2;
  ASSERT_OK(weft_event_create(pool, &ev2));
  ASSERT_EQ(weft_task_cancel(ev2), 1);
  ASSERT_ERR(weft_event_trigger(ev2, 0), WEFT_EALREADY);
  weft_task rel[5] = {ev, t, u, v, ev2};
  for (unsigned i = 0; i < 5; i++) ASSERT_OK(weft_task_release(rel[i]));
  test_pool_free(pool);
}

/* ---- many prerequisites (hidden joins) */

TEST(task_many_prereqs) {
  weft_pool pool = test_pool_new(2);
  enum { N = 1000 };
  stamp_node *nodes = calloc(N + 1, sizeof *nodes);
  stamps_reset(nodes, N + 1);
  weft_task *h = calloc(N, sizeof *h);
  weft_task ev;
  ASSERT_OK(weft_event_create(pool, &ev));
  for (unsigned i = 0; i < N; i++) ASSERT_OK(weft_launch(pool, stamp_task, &i, sizeof i, &ev, 1, &h[i]));
  /* The stamp check covers MAXP prerequisites; the rest by the count. */
  unsigned last = N;
  nodes[N].npre = MAXP;
  for (unsigned q = 0; q < MAXP; q++) nodes[N].pre[q] = q * 150;
  weft_task sink;
  ASSERT_OK(weft_launch(pool, stamp_task, &last, sizeof last, h, N, &sink));
  test_sleep_ms(5);
  ASSERT_ERR(weft_task_status(sink), WEFT_EPENDING);
  ASSERT_OK(weft_event_trigger(ev, 0));
  ASSERT_OK(weft_task_wait(sink));
  uint64_t s = atomic_load(&nodes[N].start);
  for (unsigned i = 0; i < N; i++) {
    ASSERT_UGT(atomic_load(&nodes[i].end), 0);
    ASSERT_ULT(atomic_load(&nodes[i].end), s);
    ASSERT_OK(weft_task_release(h[i]));
  }
  ASSERT_EQ(atomic_load(&violations_), 0);
  /* A failure among many reaches the sink. */
  int bad = 5;
  for (unsigned i = 0; i < 40; i++) {
    if (i == 33) ASSERT_OK(weft_launch(pool, fail_task, &bad, sizeof bad, NULL, 0, &h[i]));
    else ASSERT_OK(weft_launch(pool, count_task, NULL, 0, NULL, 0, &h[i]));
  }
  weft_task sink2;
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, h, 40, &sink2));
  ASSERT_ERR(weft_task_wait(sink2), WEFT_ECANCELED);
  weft_task_info info;
  ASSERT_OK(weft_task_info_get(sink2, &info));
  ASSERT_UEQ(info.origin.id, h[33].id);
  ASSERT_EQ(info.status, 5);
  for (unsigned i = 0; i < 40; i++) ASSERT_OK(weft_task_release(h[i]));
  ASSERT_OK(weft_task_release(sink));
  ASSERT_OK(weft_task_release(sink2));
  ASSERT_OK(weft_task_release(ev));
  free(h);
  free(nodes);
  test_pool_free(pool);
}

/* ---- pipes */

static _Atomic int in_pipe;
static _Atomic unsigned pipe_overlaps;
static unsigned *pipe_order;
static _Atomic unsigned pipe_pos;

static int pipe_task(weft_worker *w, void *p) {
  (void)w;
  unsigned id;
  memcpy(&id, p, sizeof id);
  if (atomic_fetch_add(&in_pipe, 1) != 0) atomic_fetch_add(&pipe_overlaps, 1);
  pipe_order[atomic_fetch_add(&pipe_pos, 1)] = id;
  for (volatile int k = 0; k < 200; k++) {
  }
  atomic_fetch_sub(&in_pipe, 1);
  return id % 97 == 0 ? 3 : 0; /* failures do not stop the pipe */
}

typedef struct pipe_launcher {
  weft_pool pool;
  weft_pipe *pipe;
  unsigned base, n;
  weft_task *events; /* member i waits on events[i % 8] */
} pipe_launcher;

static void *pipe_launch_thread(void *p) {
  pipe_launcher *L = p;
  for (unsigned i = 0; i < L->n; i++) {
    unsigned id = L->base + i;
    weft_launch_opts o = {&L->events[i % 8], 1, L->pipe, 0};
    if (weft_launch_ex(L->pool, pipe_task, &id, sizeof id, &o, NULL) != 0) return (void *)1;
  }
  return NULL;
}

/* 2 to 20 prerequisites, with and without a pipe: the slots that do not
 * fit link through hidden joins (all but one slot directly, the rest
 * through a tree of joins). The sink starts after every prerequisite ended,
 * and a failure at any position reaches it, naming the failed task. */
TEST(task_prereq_counts) {
  weft_pool pool = test_pool_new(2);
  enum { MAXN = 20 };
  stamp_node *nodes = calloc(MAXN + 1, sizeof *nodes);
  ASSERT(nodes != NULL);
  weft_pipe *pipe;
  ASSERT_OK(weft_pipe_create(pool, &pipe));
  for (unsigned n = 2; n <= MAXN; n++) {
    for (int piped = 0; piped < 2; piped++) {
      for (int failing = -1; failing < (int)n; failing += (failing < 0 ? 1 : 3)) {
        stamps_reset(nodes, MAXN + 1);
        weft_task ev, h[MAXN], sink;
        ASSERT_OK(weft_event_create(pool, &ev));
        int bad = 40 + (int)n;
        for (unsigned i = 0; i < n; i++) {
          if ((int)i == failing) ASSERT_OK(weft_launch(pool, fail_task, &bad, sizeof bad, &ev, 1, &h[i]));
          else ASSERT_OK(weft_launch(pool, stamp_task, &i, sizeof i, &ev, 1, &h[i]));
        }
        unsigned last = MAXN;
        weft_launch_opts o = {h, n, piped ? pipe : NULL, 0};
        ASSERT_OK(weft_launch_ex(pool, stamp_task, &last, sizeof last, &o, &sink));
        ASSERT_ERR(weft_task_status(sink), WEFT_EPENDING);
        ASSERT_OK(weft_event_trigger(ev, 0));
        if (failing < 0) {
          ASSERT_OK(weft_task_wait(sink));
          uint64_t st = atomic_load(&nodes[MAXN].start);
          for (unsigned i = 0; i < n; i++) {
            ASSERT_UGT(atomic_load(&nodes[i].end), 0);
            ASSERT_ULT(atomic_load(&nodes[i].end), st);
          }
        } else {
          ASSERT_ERR(weft_task_wait(sink), WEFT_ECANCELED);
          weft_task_info info;
          ASSERT_OK(weft_task_info_get(sink, &info));
          ASSERT_UEQ(info.origin.id, h[failing].id);
          ASSERT_EQ(info.status, bad);
          ASSERT_EQ(atomic_load(&nodes[MAXN].runs), 0);
        }
        for (unsigned i = 0; i < n; i++) ASSERT_OK(weft_task_release(h[i]));
        ASSERT_OK(weft_task_release(sink));
        ASSERT_OK(weft_task_release(ev));
      }
    }
  }
  weft_pipe_destroy(pipe);
  free(nodes);
  test_pool_free(pool);
}

TEST(task_pipes) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    unsigned nw = test_worker_counts[k];
    weft_pool pool = test_pool_new(nw);
    enum { T = 4 };
    unsigned per = (unsigned)test_scaled(2000, 200);
    pipe_order = calloc((size_t)T * per + 1, sizeof *pipe_order); /* + the tail */
    atomic_store(&pipe_pos, 0);
    atomic_store(&pipe_overlaps, 0);
    weft_pipe *pipe;
    ASSERT_OK(weft_pipe_create(pool, &pipe));
    weft_task ev[8];
    for (unsigned e = 0; e < 8; e++) ASSERT_OK(weft_event_create(pool, &ev[e]));
    pipe_launcher L[T];
    pthread_t th[T];
    for (unsigned t = 0; t < T; t++) {
      L[t] = (pipe_launcher){pool, pipe, t * per, per, ev};
      ASSERT_EQ(pthread_create(&th[t], NULL, pipe_launch_thread, &L[t]), 0);
    }
    /* Trigger the events in reverse order while members are launched. */
    for (unsigned e = 8; e-- > 0;) {
      test_sleep_ms(1);
      ASSERT_OK(weft_event_trigger(ev[e], 0));
    }
    for (unsigned t = 0; t < T; t++) {
      void *ret;
      pthread_join(th[t], &ret);
      ASSERT_NULL(ret);
    }
    /* The last member: a task after the pipe's newest. */
    weft_task tail;
    unsigned sentinel = T * per;
    weft_launch_opts o = {NULL, 0, pipe, 0};
    ASSERT_OK(weft_launch_ex(pool, pipe_task, &sentinel, sizeof sentinel, &o, &tail));
    ASSERT_OK(weft_task_wait(tail));
    ASSERT_EQ(atomic_load(&pipe_pos), T * per + 1);
    ASSERT_EQ(atomic_load(&pipe_overlaps), 0);
    /* Each launcher's members started in its launch order; the tail last. */
    unsigned next[T] = {0};
    for (unsigned q = 0; q < T * per; q++) {
      unsigned id = pipe_order[q], t = id / per;
      ASSERT_ULT(t, T);
      ASSERT_EQ(id - t * per, next[t]);
      next[t]++;
    }
    ASSERT_EQ(pipe_order[T * per], sentinel);
    ASSERT_OK(weft_task_release(tail));
    for (unsigned e = 0; e < 8; e++) ASSERT_OK(weft_task_release(ev[e]));
    weft_pipe_destroy(pipe);
    free(pipe_order);
    test_pool_free(pool);
  }
}

/* A pipe member canceled before its turn completes canceled when its turn
 * comes, not earlier: the member after it still starts after the one
 * before it (found by the fuzzer: an early completion let it jump ahead). */
TEST(task_pipe_cancel) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    pipe_order = calloc(8, sizeof *pipe_order);
    atomic_store(&pipe_pos, 0);
    atomic_store(&pipe_overlaps, 0);
    weft_pipe *pipe;
    ASSERT_OK(weft_pipe_create(pool, &pipe));
    weft_task ev, a, b, c;
    ASSERT_OK(weft_event_create(pool, &ev));
    unsigned ia = 1, ib = 2, ic = 3;
    weft_launch_opts oa = {&ev, 1, pipe, 0}, o = {NULL, 0, pipe, 0};
    ASSERT_OK(weft_launch_ex(pool, pipe_task, &ia, sizeof ia, &oa, &a)); /* held by ev */
    ASSERT_OK(weft_launch_ex(pool, pipe_task, &ib, sizeof ib, &o, &b));
    ASSERT_OK(weft_launch_ex(pool, pipe_task, &ic, sizeof ic, &o, &c));
    ASSERT_EQ(weft_task_cancel(b), 1);
    ASSERT_EQ(weft_task_cancel(b), 0);
    test_sleep_ms(10);
    ASSERT_ERR(weft_task_status(b), WEFT_EPENDING); /* its turn has not come */
    ASSERT_ERR(weft_task_status(c), WEFT_EPENDING);
    ASSERT_EQ(atomic_load(&pipe_pos), 0);
    ASSERT_OK(weft_event_trigger(ev, 0));
    ASSERT_OK(weft_task_wait(c));
    ASSERT_ERR(weft_task_wait(b), WEFT_ECANCELED);
    ASSERT_OK(weft_task_status(a));
    ASSERT_EQ(atomic_load(&pipe_pos), 2);
    ASSERT_EQ(pipe_order[0], 1);
    ASSERT_EQ(pipe_order[1], 3);
    ASSERT_EQ(atomic_load(&pipe_overlaps), 0);
    weft_task rel[4] = {ev, a, b, c};
    for (unsigned i = 0; i < 4; i++) ASSERT_OK(weft_task_release(rel[i]));
    weft_pipe_destroy(pipe);
    free(pipe_order);
    test_pool_free(pool);
  }
}

/* weft_event_check: what a library that completes events it is handed
 * must refuse up front (weft_mpi_watch_event uses it). */
TEST(task_event_check) {
  weft_pool pool = test_pool_new(2), other = test_pool_new(1);
  weft_task ev, ev2, t, done, gone, stale;
  ASSERT_OK(weft_event_create(pool, &ev));
  ASSERT_OK(weft_event_check(pool, ev));
  ASSERT_OK(weft_event_create(other, &ev2));
  ASSERT_ERR(weft_event_check(pool, ev2), WEFT_EINVAL); /* another pool's */
  ASSERT_OK(weft_event_check(other, ev2));
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &ev, 1, &t));
  ASSERT_ERR(weft_event_check(pool, t), WEFT_EINVAL); /* a task, pending */
  ASSERT_OK(weft_event_create(pool, &done));
  ASSERT_OK(weft_event_trigger(done, 0));
  ASSERT_ERR(weft_event_check(pool, done), WEFT_EALREADY);
  ASSERT_OK(weft_event_create(pool, &gone));
  ASSERT_EQ(weft_task_cancel(gone), 1);
  ASSERT_ERR(weft_event_check(pool, gone), WEFT_EALREADY);
  ASSERT_OK(weft_event_create(pool, &stale));
  ASSERT_OK(weft_event_trigger(stale, 0));
  ASSERT_OK(weft_task_release(stale));
  ASSERT_ERR(weft_event_check(pool, stale), WEFT_ESTALE);
  ASSERT_ERR(weft_event_check(pool, (weft_task){0}), WEFT_ESTALE);
  ASSERT_OK(weft_event_trigger(ev, 0));
  ASSERT_OK(weft_task_wait(t));
  ASSERT_ERR(weft_event_check(pool, t), WEFT_EINVAL); /* a task, completed */
  ASSERT_OK(weft_event_trigger(ev2, 0));
  weft_task hs[] = {ev, ev2, t, done, gone};
  for (unsigned k = 0; k < 5; k++) ASSERT_OK(weft_task_release(hs[k]));
  test_pool_free(other);
  test_pool_free(pool);
}

/* ---- children */

static _Atomic unsigned children_done;

static int child_task(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  for (volatile int k = 0; k < 2000; k++) {
  }
  atomic_fetch_add(&children_done, 1);
  return 0;
}

typedef struct parent_arg {
  unsigned nchildren;
  weft_task ev; /* attached when nonzero */
  int fail_child;
} parent_arg;

static int parent_task(weft_worker *w, void *p) {
  parent_arg *a = p;
  weft_pool pool = weft_worker_pool(w);
  weft_launch_opts o = {NULL, 0, NULL, WEFT_LAUNCH_CHILD};
  for (unsigned i = 0; i < a->nchildren; i++)
    if (weft_launch_ex(pool, child_task, NULL, 0, &o, NULL) != 0) return 1;
  if (a->fail_child) {
    int v = a->fail_child;
    if (weft_launch_ex(pool, fail_task, &v, sizeof v, &o, NULL) != 0) return 1;
  }
  if (a->ev.id && weft_task_attach(w, a->ev) != 0) return 2;
  return 0;
}

static int after_parent_task(weft_worker *w, void *p) {
  (void)w;
  unsigned want;
  memcpy(&want, p, sizeof want);
  return atomic_load(&children_done) == want ? 0 : 11;
}

TEST(task_children) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    atomic_store(&children_done, 0);
    weft_task ev;
    ASSERT_OK(weft_event_create(pool, &ev));
    parent_arg pa = {100, ev, 0};
    weft_task parent, after;
    ASSERT_OK(weft_launch(pool, parent_task, &pa, sizeof pa, NULL, 0, &parent));
    unsigned want = 100;
    ASSERT_OK(weft_launch(pool, after_parent_task, &want, sizeof want, &parent, 1, &after));
    test_sleep_ms(10);
    /* The attached event holds the parent open. */
    ASSERT_ERR(weft_task_status(parent), WEFT_EPENDING);
    ASSERT_OK(weft_event_trigger(ev, 0));
    ASSERT_OK(weft_task_wait(after));
    ASSERT_OK(weft_task_status(parent));
    ASSERT_EQ(atomic_load(&children_done), 100);
    ASSERT_OK(weft_task_release(parent));
    ASSERT_OK(weft_task_release(after));
    ASSERT_OK(weft_task_release(ev));
    /* A failing child fails the parent and cancels its successor. */
    parent_arg pb = {10, {0}, 9};
    ASSERT_OK(weft_launch(pool, parent_task, &pb, sizeof pb, NULL, 0, &parent));
    ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &parent, 1, &after));
    ASSERT_ERR(weft_task_wait(parent), WEFT_EFAILED);
    ASSERT_ERR(weft_task_wait(after), WEFT_ECANCELED);
    weft_task_info info;
    ASSERT_OK(weft_task_info_get(after, &info));
    ASSERT_EQ(info.status, 9);
    ASSERT_OK(weft_task_release(parent));
    ASSERT_OK(weft_task_release(after));
    test_pool_free(pool);
  }
}

/* Children around the batches in which a body adds their units to its
 * count (task.c's CREDIT, 1024), with failed child launches (a stale
 * prerequisite: the unit goes back unused) among them: the parent must
 * complete exactly when its last child has, neither early (a successor
 * that finds a child not done) nor never (a hang). */
typedef struct many_arg {
  unsigned nchildren;
  weft_task stale; /* a released handle: every 97th launch names it */
} many_arg;

static int quick_child(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  atomic_fetch_add(&children_done, 1);
  return 0;
}

static int many_parent_task(weft_worker *w, void *p) {
  many_arg *a = p;
  weft_pool pool = weft_worker_pool(w);
  weft_launch_opts o = {NULL, 0, NULL, WEFT_LAUNCH_CHILD};
  weft_launch_opts bad = {&a->stale, 1, NULL, WEFT_LAUNCH_CHILD};
  for (unsigned i = 0; i < a->nchildren; i++) {
    if (i % 97 == 5 && weft_launch_ex(pool, quick_child, NULL, 0, &bad, NULL) != WEFT_ESTALE)
      return 3;
    if (weft_launch_ex(pool, quick_child, NULL, 0, &o, NULL) != 0) return 1;
  }
  return 0;
}

TEST(task_children_many) {
  static const unsigned counts[] = {0, 1, 1023, 1024, 1025, 2048, 3077};
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    weft_task stale;
    ASSERT_OK(weft_launch(pool, quick_child, NULL, 0, NULL, 0, &stale));
    ASSERT_OK(weft_task_wait(stale));
    ASSERT_OK(weft_task_release(stale));
    for (unsigned c = 0; c < sizeof counts / sizeof counts[0]; c++) {
      for (int rep = 0; rep < 3; rep++) {
        atomic_store(&children_done, 0);
        many_arg a = {counts[c], stale};
        weft_task parent, after;
        ASSERT_OK(weft_launch(pool, many_parent_task, &a, sizeof a, NULL, 0, &parent));
        ASSERT_OK(weft_launch(pool, after_parent_task, &counts[c], sizeof counts[c], &parent, 1,
                              &after));
        ASSERT_OK(weft_task_wait(after));
        ASSERT_OK(weft_task_status(parent));
        ASSERT_EQ(atomic_load(&children_done), counts[c]);
        ASSERT_OK(weft_task_release(parent));
        ASSERT_OK(weft_task_release(after));
      }
    }
    test_pool_free(pool);
  }
}

/* ---- waiting inside tasks */

typedef struct waiter_arg {
  weft_task target;
  long expect;
} waiter_arg;

static int waiter_task(weft_worker *w, void *p) {
  (void)w;
  waiter_arg *a = p;
  int rc = weft_task_wait(a->target);
  if (rc) return 100 + rc;
  long r[3];
  if (weft_task_result(a->target, r, sizeof r) || r[2] != a->expect) return 50;
  return 0;
}

static int launch_and_wait_task(weft_worker *w, void *p) {
  /* Launches a task and waits for it from inside: on one worker this only
   * works if the wait runs it (nothing else could). */
  long *n = p;
  weft_pool pool = weft_worker_pool(w);
  long a[3] = {*n, 1, 0};
  weft_task t;
  if (weft_launch(pool, add_task, a, sizeof a, NULL, 0, &t)) return 1;
  if (weft_task_wait(t)) return 2;
  long r[3];
  if (weft_task_result(t, r, sizeof r)) return 3;
  weft_task_release(t);
  n[1] = r[2];
  return 0;
}

TEST(task_wait_inside) {
  for (unsigned k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool pool = test_pool_new(test_worker_counts[k]);
    long n[2] = {41, 0};
    weft_task t;
    ASSERT_OK(weft_launch(pool, launch_and_wait_task, n, sizeof n, NULL, 0, &t));
    ASSERT_OK(weft_task_wait(t));
    ASSERT_OK(weft_task_result(t, n, sizeof n));
    ASSERT_EQ(n[1], 42);
    ASSERT_OK(weft_task_release(t));
    /* Waiting (inside) on a task held back by an event another thread
     * triggers later: the worker keeps working meanwhile. */
    _Atomic int flag = 0;
    weft_task ev, target, w1;
    ASSERT_OK(weft_event_create(pool, &ev));
    long a[3] = {2, 3, 0};
    ASSERT_OK(weft_launch(pool, add_task, a, sizeof a, &ev, 1, &target));
    waiter_arg wa = {target, 5};
    ASSERT_OK(weft_launch(pool, waiter_task, &wa, sizeof wa, NULL, 0, &w1));
    atomic_store(&ran_count, 0);
    for (unsigned i = 0; i < 200; i++) ASSERT_OK(weft_launch(pool, count_task, NULL, 0, NULL, 0, NULL));
    trigger_arg ta = {ev, &flag, 20};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, trigger_thread, &ta), 0);
    ASSERT_OK(weft_task_wait(w1));
    pthread_join(th, NULL);
    weft_task rel[3] = {ev, target, w1};
    for (unsigned i = 0; i < 3; i++) ASSERT_OK(weft_task_release(rel[i]));
    /* Waiting on a failed task from inside gives its state. */
    int six = 6;
    weft_task f;
    ASSERT_OK(weft_launch(pool, fail_task, &six, sizeof six, NULL, 0, &f));
    waiter_arg wf = {f, 0};
    ASSERT_OK(weft_launch(pool, waiter_task, &wf, sizeof wf, NULL, 0, &w1));
    ASSERT_ERR(weft_task_wait(w1), WEFT_EFAILED);
    weft_task_info info;
    ASSERT_OK(weft_task_info_get(w1, &info));
    ASSERT_EQ(info.status, 100 + WEFT_EFAILED);
    ASSERT_OK(weft_task_release(f));
    ASSERT_OK(weft_task_release(w1));
    test_pool_free(pool);
    ASSERT_EQ(atomic_load(&ran_count), 200);
  }
}

/* ---- threading modes */

TEST(task_modes) {
  for (unsigned m = 0; m < TEST_N_MODES; m++) {
    test_mode_pool mp;
    test_mode_new(&mp, test_modes[m], 2, NULL);
    enum { N = 300 };
    stamp_node *nodes = calloc(N, sizeof *nodes);
    stamps_reset(nodes, N);
    weft_task h[N];
    for (unsigned i = 0; i < N; i++) {
      weft_task pre[2];
      unsigned np = 0;
      if (i >= 1) pre[np++] = h[i - 1];
      if (i >= 7) pre[np++] = h[i / 2];
      nodes[i].npre = np;
      if (i >= 1) nodes[i].pre[0] = i - 1;
      if (i >= 7) nodes[i].pre[1] = i / 2;
      ASSERT_OK(weft_launch(mp.pool, stamp_task, &i, sizeof i, pre, np, &h[i]));
    }
    ASSERT_OK(weft_task_wait(h[N - 1]));
    for (unsigned i = 0; i < N; i++) {
      ASSERT_EQ(atomic_load(&nodes[i].runs), 1);
      ASSERT_OK(weft_task_release(h[i]));
    }
    ASSERT_EQ(atomic_load(&violations_), 0);
    /* Tasks left running or stuck at destroy: destroy runs what can run and
     * cancels what waits on an event nobody will trigger. */
    atomic_store(&ran_count, 0);
    weft_task ev;
    ASSERT_OK(weft_event_create(mp.pool, &ev));
    for (unsigned i = 0; i < 50; i++) ASSERT_OK(weft_launch(mp.pool, count_task, NULL, 0, NULL, 0, NULL));
    for (unsigned i = 0; i < 50; i++) ASSERT_OK(weft_launch(mp.pool, count_task, NULL, 0, &ev, 1, NULL));
    test_mode_free(&mp);
    ASSERT_EQ(atomic_load(&ran_count), 50);
    free(nodes);
  }
}

/* ---- memory: launches far beyond what is alive at once stay bounded */

static int noop_task(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  return 0;
}

typedef struct mem_run {
  size_t total;
  unsigned window;
  long rss_first, rss_warm;
  int rc;
} mem_run;

/* Launches `total` tasks from inside the pool (the fast path), keeping at
 * most `window` handles: the oldest is waited for and released first. */
static int mem_driver(weft_worker *w, void *p) {
  mem_run *m;
  memcpy(&m, p, sizeof m);
  weft_pool pool = weft_worker_pool(w);
  weft_task *ring = calloc(m->window, sizeof *ring);
  if (!ring) return 1;
  for (size_t i = 0; i < m->total && !m->rc; i++) {
    weft_task *slot = &ring[i % m->window];
    if (slot->id) {
      if ((m->rc = weft_task_wait(*slot)) != 0 || (m->rc = weft_task_release(*slot)) != 0) break;
    }
    /* Half with a prerequisite: the one launched just before. */
    weft_task *prev = i ? &ring[(i - 1) % m->window] : NULL;
    m->rc = weft_launch(pool, noop_task, NULL, 0, prev, (i & 1) && prev ? 1 : 0, slot);
    if (i == m->window) m->rss_first = test_rss_kib();
    if (i == 3 * (size_t)m->window) m->rss_warm = test_rss_kib();
  }
  for (unsigned k = 0; k < m->window && !m->rc; k++)
    if (ring[k].id && ((m->rc = weft_task_wait(ring[k])) || (m->rc = weft_task_release(ring[k])))) break;
  free(ring);
  return m->rc != 0;
}

TEST(task_memory_bounded) {
  weft_pool pool = test_pool_new(2);
  /* 10^8 launches with at most 10^5 alive (the numbers); 10^6 under
   * sanitizers and emulators, where resident memory is not measured. */
  size_t total = test_sanitized() || test_emulated() ? test_scaled(1000000, 200000)
                                                     : test_scaled(100000000, 1000000);
  mem_run m = {total, 100000, -1, -1, 0};
  mem_run *mp = &m;
  double t0 = test_now();
  weft_task drv;
  ASSERT_OK(weft_launch(pool, mem_driver, &mp, sizeof mp, NULL, 0, &drv));
  ASSERT_OK(weft_task_wait(drv));
  ASSERT_OK(weft_task_release(drv));
  ASSERT_OK(m.rc);
  long rss1 = test_rss_kib();
  test_log("%zu tasks launched, %u alive at most, in %.1f s: RSS %ld KiB after the first window, "
           "%ld after three, %ld at the end", m.total, m.window, test_now() - t0, m.rss_first,
           m.rss_warm, rss1);
  if (test_have_proc() && !test_emulated() && !test_sanitized() && m.rss_first > 0) {
    /* 10^5 records are 12.5 MiB; allow twice that plus the free lists'
     * slack over what the first window already needed. */
    ASSERT_LT(rss1 - m.rss_first, 32 * 1024);
  }
  test_pool_free(pool);
}

/* ---- the throttle when a launcher's tasks become ready elsewhere. A
 * driver task launches blocks of a random DAG; every task of block b also
 * waits for event b, which a plain thread triggers once the driver is a
 * block further on. So nothing the driver launches is ever ready at its
 * launch: its tasks become ready on the shared stack and on the worker that
 * runs them. A throttle that only ran tasks ready on the launcher's own
 * worker let the driver run arbitrarily far ahead (bench/dyn's random DAG
 * at 2 workers: 400,000-700,000 records in flight, 3x the time); the
 * launcher must help wherever tasks are ready and keep what is in flight
 * near THROTTLE (256) per worker. */

#define TH_BLOCK 256u
#define TH_RING 1024u /* handles kept; prerequisites come from the last 512 */

typedef struct th_run {
  weft_pool pool;
  unsigned nblocks;
  weft_task *ev;
  _Atomic unsigned launched; /* blocks the driver has launched */
  _Atomic unsigned triggered;
  _Atomic uint64_t done;
  uint64_t max_in_flight;
  int rc;
} th_run;

static _Atomic uint64_t th_sink_; /* keeps th_task's work from being optimised away */

static int th_task(weft_worker *w, void *p) {
  (void)w;
  th_run *r;
  uint64_t x;
  memcpy(&r, p, sizeof r);
  memcpy(&x, (char *)p + sizeof r, sizeof x);
  for (unsigned k = 0; k < 64; k++) x = splitmix64(x); /* a few hundred ns */
  atomic_store_explicit(&th_sink_, x, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
  return 0;
}

static int th_driver(weft_worker *w, void *p) {
  th_run *r;
  memcpy(&r, p, sizeof r);
  weft_pool pool = weft_worker_pool(w);
  weft_task ring[TH_RING] = {{0}};
  uint64_t x = 0x5eed, launched = 0;
  for (unsigned b = 0; b < r->nblocks && !r->rc; b++) {
    /* At most two blocks wait for their events at any time. */
    while (b >= 2 && atomic_load(&r->triggered) < b - 1) sched_yield();
    for (unsigned k = 0; k < TH_BLOCK && !r->rc; k++, launched++) {
      weft_task pre[4];
      unsigned np = 0;
      pre[np++] = r->ev[b];
      x = splitmix64(x);
      unsigned want = launched ? 1 + (unsigned)(x % 3) : 0;
      uint64_t window = launched < 512 ? launched : 512;
      for (unsigned q = 0; q < want; q++) {
        x = splitmix64(x);
        pre[np++] = ring[(launched - 1 - x % window) % TH_RING];
      }
      weft_task *slot = &ring[launched % TH_RING];
      if (slot->id && (r->rc = weft_task_release(*slot)) != 0) break;
      struct {
        th_run *r;
        uint64_t x;
      } a = {r, x};
      r->rc = weft_launch(pool, th_task, &a, sizeof a, pre, np, slot);
      uint64_t live = launched + 1 - atomic_load_explicit(&r->done, memory_order_relaxed);
      if (live > r->max_in_flight) r->max_in_flight = live;
    }
    atomic_store(&r->launched, b + 1);
  }
  for (unsigned k = 0; k < TH_RING; k++)
    if (ring[k].id && !r->rc) r->rc = weft_task_release(ring[k]);
  return r->rc != 0;
}

static void *th_trigger(void *p) {
  const struct timespec nap = {0, 50000}; /* leaves the cores to the pool */
  th_run *r = p;
  for (unsigned b = 0; b < r->nblocks; b++) {
    unsigned after = b + 2 < r->nblocks ? b + 2 : r->nblocks;
    while (atomic_load(&r->launched) < after) nanosleep(&nap, NULL);
    if (weft_event_trigger(r->ev[b], 0) != 0) return (void *)1;
    atomic_store(&r->triggered, b + 1);
  }
  return NULL;
}

TEST(task_throttle_elsewhere) {
  const unsigned workers[] = {2, 3};
  for (unsigned k = 0; k < 2; k++) {
    for (unsigned rep = 0; rep < 3; rep++) {
      weft_pool pool = test_pool_new(workers[k]);
      th_run r;
      memset(&r, 0, sizeof r);
      r.pool = pool;
      r.nblocks = (unsigned)test_scaled(128, 32);
      r.ev = calloc(r.nblocks, sizeof *r.ev);
      ASSERT_NOT_NULL(r.ev);
      for (unsigned b = 0; b < r.nblocks; b++) ASSERT_OK(weft_event_create(pool, &r.ev[b]));
      th_run *rp = &r;
      pthread_t th;
      ASSERT_EQ(pthread_create(&th, NULL, th_trigger, &r), 0);
      weft_task drv;
      ASSERT_OK(weft_launch(pool, th_driver, &rp, sizeof rp, NULL, 0, &drv));
      ASSERT_OK(weft_task_wait(drv));
      ASSERT_OK(weft_task_release(drv));
      void *ret;
      pthread_join(th, &ret);
      ASSERT_NULL(ret);
      ASSERT_OK(r.rc);
      test_pool_free(pool); /* waits for every task */
      ASSERT_UEQ(atomic_load(&r.done), (uint64_t)r.nblocks * TH_BLOCK);
      test_log("%u workers: %u tasks, at most %llu in flight", workers[k], r.nblocks * TH_BLOCK,
               (unsigned long long)r.max_in_flight);
      /* Two blocks waiting for their events, THROTTLE per worker, the
       * counts of other workers not yet handed in, and what lands while the
       * launcher's last look found nothing: 2,560 at 2 workers (measured
       * 512-900; without the help, 23,000 of the 32,768). Only when every
       * worker has a core: a worker the OS took off its core keeps the
       * tasks it made ready out of reach (3 workers on the CI box's 2 cores
       * went from 512 to 10,000 in flight), and the launcher then launches
       * on, as it does when the tasks in flight wait for events. */
      if (workers[k] <= weft_core_count())
        ASSERT_ULE(r.max_in_flight, 2u * TH_BLOCK + 4u * 256u * workers[k]);
      free(r.ev);
    }
  }
}

/* ---- random dynamic DAGs from several threads, inside and outside tasks,
 * with events and pipes mixed in. */

typedef struct dag_ctx {
  weft_pool pool;
  unsigned base, n;      /* node indices [base, base + n) */
  weft_task *h;          /* handles, indexed by node */
  uint64_t seed;
  weft_pipe *pipe;
  weft_task ev;
} dag_ctx;

static void dag_build(dag_ctx *c) {
  uint64_t x = c->seed;
  for (unsigned k = 0; k < c->n; k++) {
    unsigned i = c->base + k;
    stamp_node *n = &nodes_[i];
    weft_task pre[MAXP];
    unsigned np = 0;
    x = splitmix64(x);
    unsigned want = k ? (unsigned)(x % 4) : 0;
    for (unsigned q = 0; q < want; q++) {
      x = splitmix64(x);
      unsigned j = c->base + (unsigned)(x % k);
      pre[np] = c->h[j];
      n->pre[np++] = j;
    }
    n->npre = np;
    weft_launch_opts o = {pre, np, NULL, 0};
    if (x % 17 == 0 && c->ev.id) {
      pre[np] = c->ev; /* an event; not a stamp prerequisite */
      o.nafter = np + 1;
    }
    if (x % 13 == 0) o.pipe = c->pipe;
    if (weft_launch_ex(c->pool, stamp_task, &i, sizeof i, &o, &c->h[i]) != 0) abort();
  }
}

static void *dag_thread(void *p) {
  dag_build(p);
  return NULL;
}

static int dag_task(weft_worker *w, void *p) {
  (void)w;
  dag_ctx *c;
  memcpy(&c, p, sizeof c);
  dag_build(c);
  return 0;
}

TEST(task_random_dags) {
  unsigned counts[3] = {1, 2, 5};
  for (unsigned k = 0; k < 3; k++) {
    weft_pool pool = test_pool_new(counts[k]);
    enum { OUT = 3, IN = 3, PARTS = OUT + IN };
    unsigned per = (unsigned)test_scaled(4000, 300);
    unsigned total = PARTS * per;
    stamp_node *nodes = calloc(total, sizeof *nodes);
    stamps_reset(nodes, total);
    weft_task *h = calloc(total, sizeof *h);
    weft_pipe *pipe;
    ASSERT_OK(weft_pipe_create(pool, &pipe));
    weft_task ev;
    ASSERT_OK(weft_event_create(pool, &ev));
    dag_ctx c[PARTS];
    for (unsigned t = 0; t < PARTS; t++)
      c[t] = (dag_ctx){pool, t * per, per, h, 1234567u + t * 7919u + k, pipe, ev};
    pthread_t th[OUT];
    weft_task inside[IN];
    for (unsigned t = 0; t < OUT; t++) ASSERT_EQ(pthread_create(&th[t], NULL, dag_thread, &c[t]), 0);
    for (unsigned t = 0; t < IN; t++) {
      dag_ctx *cp = &c[OUT + t];
      ASSERT_OK(weft_launch(pool, dag_task, &cp, sizeof cp, NULL, 0, &inside[t]));
    }
    test_sleep_ms(2);
    ASSERT_OK(weft_event_trigger(ev, 0));
    for (unsigned t = 0; t < OUT; t++) pthread_join(th[t], NULL);
    for (unsigned t = 0; t < IN; t++) {
      ASSERT_OK(weft_task_wait(inside[t]));
      ASSERT_OK(weft_task_release(inside[t]));
    }
    for (unsigned i = 0; i < total; i++) {
      ASSERT_OK(weft_task_wait(h[i]));
      ASSERT_EQ(atomic_load(&nodes[i].runs), 1);
      ASSERT_OK(weft_task_release(h[i]));
    }
    ASSERT_EQ(atomic_load(&violations_), 0);
    ASSERT_OK(weft_task_release(ev));
    weft_pipe_destroy(pipe);
    free(h);
    free(nodes);
    test_pool_free(pool);
  }
}

/* A HOST pool destroyed before any of its workers entered: nothing it was
 * given can ever run (entering is refused once destroy begins), so destroy
 * cancels the launched tasks instead of waiting for them for good. */
TEST(task_host_never_entered) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = 2;
  weft_pool pool;
  ASSERT_OK(weft_pool_create(&pool, &cfg));
  atomic_store(&ran_count, 0);
  weft_task ev, t, u;
  ASSERT_OK(weft_event_create(pool, &ev));
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, NULL, 0, &t));
  ASSERT_OK(weft_launch(pool, count_task, NULL, 0, &ev, 1, &u));
  weft_pipe *pipe;
  ASSERT_OK(weft_pipe_create(pool, &pipe));
  weft_launch_opts o = {&t, 1, pipe, 0};
  for (unsigned i = 0; i < 10; i++) ASSERT_OK(weft_launch_ex(pool, count_task, NULL, 0, &o, NULL));
  ASSERT_EQ(weft_task_cancel(u), 1);
  weft_pipe_destroy(pipe);
  double t0 = test_now();
  ASSERT_OK(weft_pool_destroy(pool)); /* returns: nothing waits for a worker that cannot come */
  test_log("destroy took %.3f s", test_now() - t0);
  ASSERT_EQ(atomic_load(&ran_count), 0);
  ASSERT_ERR(weft_task_status(t), WEFT_ESTALE); /* handles die with the pool */
  ASSERT_ERR(weft_worker_enter(pool, 0), WEFT_EBADPOOL);
}
