/* Per-worker statistics, idle sleep and wake-up. */
#include "helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Counters are read field by field while workers may still be finishing
 * their bookkeeping for a job that has already completed ("consistent-enough
 * snapshot"), so wait until the invariants of a quiet pool hold, for at
 * most ~2 s, and return the last reading. The caller asserts on it. */
static weft_worker_stats settled_total(weft_pool p) {
  weft_worker_stats t;
  for (int tries = 0;; tries++) {
    ASSERT_OK(weft_pool_stats_total(p, &t));
    if ((t.tasks_run == t.spawns + t.roots && t.stolen_from == t.steals) || tries >= 2000)
      return t;
    test_sleep_ms(1);
  }
}

static void check_fib_stats(unsigned workers, weft_fn fn, const char *how) {
  const long n = 20;
  weft_pool p = test_pool_new(workers);

  weft_worker_stats t;
  ASSERT_OK(weft_pool_stats_total(p, &t));
  ASSERT_UEQ(t.spawns, 0);
  ASSERT_UEQ(t.tasks_run, 0);
  ASSERT_UEQ(t.roots, 0);

  /* Runs 1 and 2: fib(20), the exact-count case. Run 3: a bigger fib, so
   * that thieves get a real share and steals/stolen_from are exercised. */
  const long big = test_sanitized() ? 24 : 27;
  uint64_t expect_spawns = 0;
  for (uint64_t run = 1; run <= 3; run++) {
    long m = run < 3 ? n : big;
    ASSERT_EQ(test_run_fib(p, fn, m), fib_seq(m));
    expect_spawns += (uint64_t)fib_spawn_count(m);
    t = settled_total(p);
    test_log("%s, %u workers, run %llu: spawns %llu tasks_run %llu roots %llu steals %llu "
             "stolen_from %llu leapfrogs %llu overflows %llu",
             how, workers, (unsigned long long)run, (unsigned long long)t.spawns,
             (unsigned long long)t.tasks_run, (unsigned long long)t.roots,
             (unsigned long long)t.steals, (unsigned long long)t.stolen_from,
             (unsigned long long)t.leapfrogs, (unsigned long long)t.overflows);
    ASSERT_UEQ(t.spawns, expect_spawns);
    ASSERT_UEQ(t.roots, run);
    ASSERT_UEQ(t.tasks_run, t.spawns + t.roots);
    ASSERT_ULE(t.steals, t.spawns);
    ASSERT_UEQ(t.stolen_from, t.steals);
    ASSERT_UEQ(t.overflows, 0); /* fib recursion is far from filling 65536 frames */
    if (workers == 1) {
      ASSERT_UEQ(t.steals, 0);
      ASSERT_UEQ(t.stolen_from, 0);
      ASSERT_UEQ(t.leapfrogs, 0);
    }
    /* The total is the sum of the per-worker counters. */
    weft_worker_stats s = test_stats_sum(p);
    ASSERT_UEQ(s.spawns, t.spawns);
    ASSERT_UEQ(s.tasks_run, t.tasks_run);
    ASSERT_UEQ(s.roots, t.roots);
    ASSERT_UEQ(s.steals, t.steals);
    ASSERT_UEQ(s.stolen_from, t.stolen_from);
    ASSERT_UEQ(s.overflows, t.overflows);
  }
  test_pool_free(p);
}

TEST(stats_fib_exact) {
  ASSERT_EQ(fib_spawn_count(20), 10945); /* the counter itself, spot-checked */
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    check_fib_stats(test_worker_counts[k], fib_ffi, "ffi");
    check_fib_stats(test_worker_counts[k], fib_macro, "macro");
  }
}

TEST(stats_errors) {
  weft_pool p = test_pool_new(2);
  weft_worker_stats s;
  ASSERT_ERR(weft_pool_stats(p, 2, &s), WEFT_EINVAL);
  ASSERT_ERR(weft_pool_stats(p, 1000, &s), WEFT_EINVAL);
  ASSERT_ERR(weft_pool_stats(p, (unsigned)-1, &s), WEFT_EINVAL);
  ASSERT_ERR(weft_pool_stats(p, 0, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_pool_stats_total(p, NULL), WEFT_EINVAL);
  ASSERT_OK(weft_pool_stats(p, 0, &s));
  ASSERT_OK(weft_pool_stats(p, 1, &s));
  test_pool_free(p);
}

/* ------------------------------------------------------ idle and wake */

static uint64_t sleeps_sum(weft_pool p) { return test_stats_sum(p).sleeps; }

/* Waits (up to ~10 s) until some worker has gone to sleep. Asserts the
 * behaviour (workers block when idle), not a time: 300 ms is the expected
 * case, the rest is slack for a loaded machine. */
static uint64_t wait_for_sleep(weft_pool p) {
  test_sleep_ms(300);
  uint64_t s = sleeps_sum(p);
  for (int i = 0; s == 0 && i < 100; i++) {
    test_sleep_ms(100);
    s = sleeps_sum(p);
  }
  return s;
}

static void idle_then_work(unsigned workers, unsigned spin_rounds) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  cfg.spin_rounds = spin_rounds;
  weft_pool p = test_pool_new_cfg(&cfg);
  ASSERT_EQ(test_run_fib(p, fib_ffi, 15), fib_seq(15));

  uint64_t s = wait_for_sleep(p);
  weft_worker_stats t;
  ASSERT_OK(weft_pool_stats_total(p, &t));
  test_log("%u workers, spin_rounds %u: sleeps %llu (total %llu)", workers, spin_rounds,
           (unsigned long long)s, (unsigned long long)t.sleeps);
  ASSERT_UGT(s, 0);
  ASSERT_UGT(t.sleeps, 0);

  /* Wake-up works: a lost wake-up hangs here (and the ctest TIMEOUT fails
   * the test). */
  for (int i = 0; i < 100; i++) {
    test_sleep_ms(2);
    long n = 10 + i % 6;
    ASSERT_EQ(test_run_fib(p, (i & 1) ? fib_ffi : fib_macro, n), fib_seq(n));
  }
  test_pool_free(p);
}

TEST(stats_idle_sleep_wake) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) idle_then_work(test_worker_counts[k], 512);
  idle_then_work(2, 0);
}

/* Several outside threads submitting with pauses, workers that sleep at
 * once: many sleep/wake transitions racing with submissions. */
typedef struct {
  weft_pool pool;
  int tid;
  size_t runs;
} waker_arg;

static void *waker_thread(void *p) {
  waker_arg *a = p;
  uint64_t rng = (uint64_t)a->tid + 1;
  for (size_t i = 0; i < a->runs; i++) {
    rng = splitmix64(rng);
    if (rng % 4 != 0) test_sleep_ms((unsigned)(rng >> 32) % 3);
    long n = (long)(rng >> 40) % 14;
    if (rng & 16) {
      ASSERT_EQ(test_run_fib(a->pool, (rng & 32) ? fib_ffi : fib_macro, n), fib_seq(n));
    } else {
      weft_job job;
      fib_t f = {n, -1};
      ASSERT_OK(weft_submit(a->pool, &job, fib_macro, &f));
      ASSERT_OK(weft_wait(&job));
      ASSERT_EQ(f.r, fib_seq(n));
    }
  }
  return NULL;
}

TEST(sleep_wake_concurrent) {
  static const unsigned counts[] = {1, 2, 5};
  for (int k = 0; k < 3; k++) {
    weft_config cfg;
    weft_config_default(&cfg);
    cfg.workers = counts[k];
    cfg.spin_rounds = 0;
    weft_pool p = test_pool_new_cfg(&cfg);
    enum { NT = 3 };
    pthread_t th[NT];
    waker_arg args[NT];
    for (int t = 0; t < NT; t++) {
      args[t].pool = p;
      args[t].tid = t;
      args[t].runs = test_scaled(300, 50);
      ASSERT_EQ(pthread_create(&th[t], NULL, waker_thread, &args[t]), 0);
    }
    for (int t = 0; t < NT; t++) ASSERT_EQ(pthread_join(th[t], NULL), 0);
    test_pool_free(p);
  }
}
