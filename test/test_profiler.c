/* Profiler callbacks. */
#include "helpers.h"

#include <stdatomic.h>
#include <string.h>

enum { PROF_MAX = 16 };

typedef struct {
  unsigned workers;
  _Atomic int bad_user;
  _Atomic int bad_index;
  _Atomic int bad_order; /* sleep while asleep, or wake while awake */
  _Atomic int bad_steal;
  _Atomic unsigned start[PROF_MAX], stop[PROF_MAX];
  _Atomic unsigned sleep[PROF_MAX], wake[PROF_MAX];
  _Atomic unsigned asleep[PROF_MAX];
  _Atomic unsigned steals;
} prof_ctx;

static prof_ctx *the_ctx; /* to check the user pointer against */

static int index_ok(prof_ctx *c, unsigned worker) {
  if (worker >= c->workers || worker >= PROF_MAX) {
    atomic_fetch_add(&c->bad_index, 1);
    return 0;
  }
  return 1;
}

static void on_start(void *user, unsigned worker) {
  prof_ctx *c = user;
  if (c != the_ctx) {
    atomic_fetch_add(&the_ctx->bad_user, 1);
    return;
  }
  if (index_ok(c, worker)) atomic_fetch_add(&c->start[worker], 1);
}

static void on_stop(void *user, unsigned worker) {
  prof_ctx *c = user;
  if (c != the_ctx) {
    atomic_fetch_add(&the_ctx->bad_user, 1);
    return;
  }
  if (index_ok(c, worker)) atomic_fetch_add(&c->stop[worker], 1);
}

static void on_sleep(void *user, unsigned worker) {
  prof_ctx *c = user;
  if (c != the_ctx) {
    atomic_fetch_add(&the_ctx->bad_user, 1);
    return;
  }
  if (!index_ok(c, worker)) return;
  atomic_fetch_add(&c->sleep[worker], 1);
  if (atomic_exchange(&c->asleep[worker], 1) != 0) atomic_fetch_add(&c->bad_order, 1);
}

static void on_wake(void *user, unsigned worker) {
  prof_ctx *c = user;
  if (c != the_ctx) {
    atomic_fetch_add(&the_ctx->bad_user, 1);
    return;
  }
  if (!index_ok(c, worker)) return;
  atomic_fetch_add(&c->wake[worker], 1);
  if (atomic_exchange(&c->asleep[worker], 0) != 1) atomic_fetch_add(&c->bad_order, 1);
}

static void on_steal(void *user, unsigned thief, unsigned victim) {
  prof_ctx *c = user;
  if (c != the_ctx) {
    atomic_fetch_add(&the_ctx->bad_user, 1);
    return;
  }
  if (thief == victim || thief >= c->workers || victim >= c->workers)
    atomic_fetch_add(&c->bad_steal, 1);
  atomic_fetch_add(&c->steals, 1);
}

static unsigned sum_of(_Atomic unsigned *a, unsigned n) {
  unsigned s = 0;
  for (unsigned i = 0; i < n; i++) s += atomic_load(&a[i]);
  return s;
}

static weft_pool prof_pool(prof_ctx *c, unsigned workers, unsigned spin_rounds) {
  memset(c, 0, sizeof *c);
  c->workers = workers;
  the_ctx = c;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  cfg.spin_rounds = spin_rounds;
  cfg.profiler.user = c;
  cfg.profiler.worker_start = on_start;
  cfg.profiler.worker_stop = on_stop;
  cfg.profiler.sleep = on_sleep;
  cfg.profiler.wake = on_wake;
  cfg.profiler.steal = on_steal;
  return test_pool_new_cfg(&cfg);
}

static void check_clean(prof_ctx *c) {
  ASSERT_EQ(atomic_load(&c->bad_user), 0);
  ASSERT_EQ(atomic_load(&c->bad_index), 0);
  ASSERT_EQ(atomic_load(&c->bad_order), 0);
  ASSERT_EQ(atomic_load(&c->bad_steal), 0);
}

TEST(profiler_start_stop) {
  static prof_ctx c;
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    unsigned workers = test_worker_counts[k];
    weft_pool p = prof_pool(&c, workers, 512);
    /* create waited for every worker to start */
    for (unsigned i = 0; i < workers; i++) {
      ASSERT_EQ(atomic_load(&c.start[i]), 1);
      ASSERT_EQ(atomic_load(&c.stop[i]), 0);
    }
    ASSERT_EQ(test_run_fib(p, fib_ffi, 20), fib_seq(20));
    ASSERT_EQ(test_run_fib(p, fib_macro, 20), fib_seq(20));
    test_pool_free(p);
    for (unsigned i = 0; i < workers; i++) {
      ASSERT_EQ(atomic_load(&c.start[i]), 1);
      ASSERT_EQ(atomic_load(&c.stop[i]), 1);
    }
    ASSERT_EQ(sum_of(c.start, PROF_MAX), workers);
    ASSERT_EQ(sum_of(c.stop, PROF_MAX), workers);
    check_clean(&c);
  }
}

TEST(profiler_sleep_wake) {
  static prof_ctx c;
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    unsigned workers = test_worker_counts[k];
    weft_pool p = prof_pool(&c, workers, 0);
    for (int round = 0; round < 3; round++) {
      /* Let the workers fall asleep (see stats_idle_sleep_wake). */
      test_sleep_ms(100);
      for (int i = 0; sum_of(c.sleep, PROF_MAX) == 0 && i < 100; i++) test_sleep_ms(100);
      ASSERT_GT(sum_of(c.sleep, PROF_MAX), 0);
      for (int i = 0; i < 30; i++) {
        if (i % 3 == 0) test_sleep_ms(1);
        ASSERT_EQ(test_run_fib(p, (i & 1) ? fib_ffi : fib_macro, 16), fib_seq(16));
      }
    }
    test_pool_free(p);

    unsigned sleeps = sum_of(c.sleep, PROF_MAX), wakes = sum_of(c.wake, PROF_MAX);
    test_log("%u workers: sleep %u wake %u steal %u", workers, sleeps, wakes,
             atomic_load(&c.steals));
    ASSERT_GT(sleeps, 0);
    ASSERT_LE(wakes, sleeps);
    ASSERT_GE(wakes + workers, sleeps);
    for (unsigned i = 0; i < workers; i++) {
      unsigned s = atomic_load(&c.sleep[i]), w = atomic_load(&c.wake[i]);
      if (!(w <= s && s <= w + 1)) FAIL("worker %u: sleep %u, wake %u", i, s, w);
    }
    if (workers == 1) ASSERT_EQ(atomic_load(&c.steals), 0);
    check_clean(&c);
  }
}
