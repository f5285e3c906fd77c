/* Root jobs: weft_run/weft_submit/weft_wait from outside, inline from a
 * worker of the same pool, across pools. */
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* --------------------------------------------- concurrent submitters */

enum { ROOT_THREADS = 4 };

typedef struct {
  weft_pool pool;
  int tid;
  size_t runs;
} root_thread_arg;

static void *root_thread(void *p) {
  root_thread_arg *a = p;
  for (size_t i = 0; i < a->runs; i++) {
    long n = (long)((size_t)a->tid * 7 + i) % 20 + 1;
    ASSERT_EQ(test_run_fib(a->pool, ((size_t)a->tid + i) & 1 ? fib_ffi : fib_macro, n), fib_seq(n));
  }
  return NULL;
}

TEST(roots_concurrent_threads) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    pthread_t th[ROOT_THREADS];
    root_thread_arg args[ROOT_THREADS];
    for (int t = 0; t < ROOT_THREADS; t++) {
      args[t].pool = p;
      args[t].tid = t;
      args[t].runs = test_scaled(400, 40);
      ASSERT_EQ(pthread_create(&th[t], NULL, root_thread, &args[t]), 0);
    }
    for (int t = 0; t < ROOT_THREADS; t++) ASSERT_EQ(pthread_join(th[t], NULL), 0);
    weft_worker_stats total;
    ASSERT_OK(weft_pool_stats_total(p, &total));
    ASSERT_UEQ(total.roots, ROOT_THREADS * args[0].runs);
    test_pool_free(p);
  }
}

/* -------------------------------------------------- submit then wait */

TEST(roots_submit_wait) {
  enum { NJ = 24 };
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    weft_job jobs[NJ];
    fib_t args[NJ];
    for (int round = 0; round < 3; round++) { /* job storage is reusable */
      for (int i = 0; i < NJ; i++) {
        args[i].n = 5 + (i * 5 + round) % 19;
        args[i].r = -1;
        ASSERT_OK(weft_submit(p, &jobs[i], (i & 1) ? fib_ffi : fib_macro, &args[i]));
      }
      for (int i = 0; i < NJ; i++) {
        int st = weft_job_status(&jobs[i]);
        if (st != WEFT_OK && st != WEFT_EPENDING)
          FAIL("weft_job_status returned %d (%s)", st, weft_strerror(st));
      }
      /* Wait in a different order from submission. */
      for (int j = 0; j < NJ; j++) {
        int i = (j * 7) % NJ;
        ASSERT_OK(weft_wait(&jobs[i]));
        ASSERT_OK(weft_job_status(&jobs[i]));
        ASSERT_EQ(args[i].r, fib_seq(args[i].n));
        ASSERT_OK(weft_wait(&jobs[i])); /* waiting again returns at once */
      }
    }
    test_pool_free(p);
  }
}

static atomic_int noargs_runs;

static void noargs_job(weft_worker *w, void *p) {
  (void)w;
  ASSERT_NULL(p);
  atomic_fetch_add(&noargs_runs, 1);
}

TEST(roots_bad_args) {
  weft_pool p = test_pool_new(2);
  weft_job job;
  memset(&job, 0, sizeof job);
  fib_t a = {5, 0};
  ASSERT_ERR(weft_submit(p, NULL, fib_ffi, &a), WEFT_EINVAL);
  ASSERT_ERR(weft_submit(p, &job, NULL, &a), WEFT_EINVAL);
  ASSERT_ERR(weft_job_status(NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_wait(NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_run(p, NULL, &a), WEFT_EINVAL);
  /* NULL args are passed through as NULL. */
  ASSERT_OK(weft_submit(p, &job, noargs_job, NULL));
  ASSERT_OK(weft_wait(&job));
  ASSERT_OK(weft_run(p, noargs_job, NULL));
  ASSERT_EQ(atomic_load(&noargs_runs), 2);
  test_pool_free(p);
}

/* ------------------------------------------- weft_run from a worker */

typedef struct {
  weft_worker *outer;
  long n, r;
  int inner_ran;
} inline_ctx;

static void inline_inner(weft_worker *w, void *p) {
  inline_ctx *c = p;
  ASSERT_PTR_EQ(w, c->outer); /* ran inline on the same worker */
  ASSERT_PTR_EQ(weft_current_worker(), c->outer);
  fib_t f = {c->n, -1};
  fib_macro(w, &f);
  c->r = f.r;
  c->inner_ran++;
}

static void inline_sum_range(weft_worker *w, size_t b, size_t e, void *ctx) {
  (void)w;
  _Atomic uint64_t *sum = ctx;
  uint64_t s = 0;
  for (size_t i = b; i < e; i++) s += i;
  atomic_fetch_add(sum, s);
}

static void inline_outer(weft_worker *w, void *p) {
  inline_ctx *c = p;
  c->outer = w;
  weft_pool self = weft_worker_pool(w);
  ASSERT_OK(weft_run(self, inline_inner, c));
  ASSERT_EQ(c->inner_ran, 1); /* done by the time weft_run returns */
  ASSERT_EQ(c->r, fib_seq(c->n));
  /* weft_run of a spawning task, and weft_pool_for, likewise. */
  fib_t f = {18, -1};
  ASSERT_OK(weft_run(self, fib_ffi, &f));
  ASSERT_EQ(f.r, fib_seq(18));
  _Atomic uint64_t sum = 0;
  ASSERT_OK(weft_pool_for(self, 0, 10000, 7, inline_sum_range, &sum));
  ASSERT_UEQ(atomic_load(&sum), 10000ull * 9999 / 2);
}

TEST(run_inline_from_worker) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int rep = 0; rep < 10; rep++) {
      inline_ctx c;
      memset(&c, 0, sizeof c);
      c.n = 15;
      ASSERT_OK(weft_run(p, inline_outer, &c));
      ASSERT_EQ(c.inner_ran, 1);
    }
    test_pool_free(p);
  }
}

/* ------------------------------------------------ pool A runs on pool B */

typedef struct {
  weft_pool a, b;
  long n, r;
  weft_worker *outer;
} cross_ctx;

static void cross_inner(weft_worker *w, void *p) {
  cross_ctx *c = p;
  ASSERT_UEQ(weft_worker_pool(w).id, c->b.id);
  ASSERT_PTR_NE(w, c->outer);
  ASSERT_PTR_EQ(weft_current_worker(), w);
  fib_t f = {c->n, -1};
  fib_ffi(w, &f);
  c->r = f.r;
}

static void cross_count_range(weft_worker *w, size_t b, size_t e, void *ctx) {
  cross_ctx *c = ctx;
  ASSERT_UEQ(weft_worker_pool(w).id, c->b.id);
  (void)b;
  (void)e;
}

static void cross_outer(weft_worker *w, void *p) {
  cross_ctx *c = p;
  ASSERT_UEQ(weft_worker_pool(w).id, c->a.id);
  c->outer = w;
  ASSERT_OK(weft_run(c->b, cross_inner, c));
  ASSERT_EQ(c->r, fib_seq(c->n));
  ASSERT_OK(weft_pool_for(c->b, 0, 1000, 10, cross_count_range, c));
  /* Back on our own worker; our pool still works from here. */
  ASSERT_PTR_EQ(weft_current_worker(), w);
  fib_t f = {12, -1};
  fib_macro(w, &f);
  ASSERT_EQ(f.r, fib_seq(12));
}

TEST(run_cross_pool) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    cross_ctx c;
    memset(&c, 0, sizeof c);
    c.a = test_pool_new(test_worker_counts[k]);
    c.b = test_pool_new(2);
    for (int rep = 0; rep < 20; rep++) {
      c.n = 10 + rep % 8;
      c.r = -1;
      ASSERT_OK(weft_run(c.a, cross_outer, &c));
      ASSERT_EQ(c.r, fib_seq(c.n));
    }
    test_pool_free(c.b);
    test_pool_free(c.a);
  }
}
