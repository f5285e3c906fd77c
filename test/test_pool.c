/* Pool lifecycle: create/destroy, configuration checks, bad handles,
 * deadlock detection, leaks across many create/destroy cycles. */
#include "helpers.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------ creation */

TEST(pool_create_default) {
  weft_config cfg;
  weft_config_default(&cfg);
  weft_pool p = {0};
  ASSERT_OK(weft_pool_create(&p, &cfg));
  ASSERT(p.id != 0);
  ASSERT_EQ(weft_pool_workers(p), weft_core_count());
  ASSERT_EQ(test_run_fib(p, fib_ffi, 18), fib_seq(18));
  ASSERT_EQ(test_run_fib(p, fib_macro, 18), fib_seq(18));
  ASSERT_OK(weft_pool_destroy(p));
}

TEST(pool_create_null_cfg) {
  weft_pool p = {0};
  ASSERT_OK(weft_pool_create(&p, NULL));
  ASSERT(p.id != 0);
  ASSERT_EQ(weft_pool_workers(p), weft_core_count());
  ASSERT_EQ(test_run_fib(p, fib_ffi, 18), fib_seq(18));
  ASSERT_OK(weft_pool_destroy(p));
}

static void record_index(weft_worker *w, void *p) {
  int *out = p;
  *out = (int)weft_worker_index(w);
}

TEST(pool_one_worker) {
  weft_pool p = test_pool_new(1);
  ASSERT_EQ(weft_pool_workers(p), 1);
  int index = -1;
  ASSERT_OK(weft_run(p, record_index, &index));
  ASSERT_EQ(index, 0);
  ASSERT_EQ(test_run_fib(p, fib_ffi, 20), fib_seq(20));
  ASSERT_EQ(test_run_fib(p, fib_macro, 20), fib_seq(20));
  test_pool_free(p);
}

TEST(pool_worker_counts) {
  static const unsigned counts[] = {1, 2, 3, 5, 8};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    weft_pool p = test_pool_new(counts[i]);
    ASSERT_EQ(weft_pool_workers(p), counts[i]);
    ASSERT_EQ(test_run_fib(p, fib_macro, 16), fib_seq(16));
    test_pool_free(p);
  }
}

TEST(pool_workers_zero_is_cores) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 0;
  weft_pool p = {0};
  ASSERT_OK(weft_pool_create(&p, &cfg));
  ASSERT_EQ(weft_pool_workers(p), weft_core_count());
  ASSERT_EQ(test_run_fib(p, fib_ffi, 15), fib_seq(15));
  test_pool_free(p);
}

TEST(pool_too_many_workers) {
  long threads0 = test_thread_count();
  weft_config cfg;
  weft_config_default(&cfg);
  weft_pool p = {0};
  cfg.workers = WEFT_MAX_WORKERS + 1;
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_ELIMIT);
  cfg.workers = UINT32_MAX;
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_ELIMIT);
  /* Nothing is left running. */
  ASSERT_EQ(test_thread_count(), threads0);
}

TEST(pool_bad_config) {
  long threads0 = test_thread_count();
  weft_config cfg;
  weft_pool p = {0};

  static const size_t bad_stacks[] = {0, 4096, 32 * 1024};
  for (size_t i = 0; i < sizeof bad_stacks / sizeof bad_stacks[0]; i++) {
    weft_config_default(&cfg);
    cfg.workers = 2;
    cfg.stack_size = bad_stacks[i];
    ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);
  }
  static const size_t bad_deques[] = {0, 1, 15};
  for (size_t i = 0; i < sizeof bad_deques / sizeof bad_deques[0]; i++) {
    weft_config_default(&cfg);
    cfg.workers = 2;
    cfg.deque_frames = bad_deques[i];
    ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);
  }
  ASSERT_EQ(test_thread_count(), threads0);

  /* The documented minimums themselves are accepted and work. */
  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.stack_size = 64 * 1024;
  cfg.deque_frames = 16;
  p = test_pool_new_cfg(&cfg);
  ASSERT_EQ(test_run_fib(p, fib_ffi, 15), fib_seq(15));
  ASSERT_EQ(test_run_fib(p, fib_macro, 15), fib_seq(15));
  test_pool_free(p);
}

TEST(pool_config_overflow) {
  /* "sizes that overflow" are documented as WEFT_EINVAL. */
  weft_config cfg;
  weft_pool p = {0};

  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.stack_size = SIZE_MAX;
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);

  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.deque_frames = SIZE_MAX / 2; /* * 64 bytes per frame overflows */
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);

  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.scratch_size = SIZE_MAX;
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);
}

TEST(pool_out_null) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  long threads0 = test_thread_count();
  ASSERT_ERR(weft_pool_create(NULL, &cfg), WEFT_EINVAL);
  ASSERT_ERR(weft_pool_create(NULL, NULL), WEFT_EINVAL);
  ASSERT_EQ(test_thread_count(), threads0);
}

/* ------------------------------------------------------ several pools */

typedef struct {
  weft_pool pool;
  int runs;
} several_arg;

static void *several_thread(void *p) {
  several_arg *a = p;
  for (int i = 0; i < a->runs; i++) {
    long n = 5 + i % 14;
    ASSERT_EQ(test_run_fib(a->pool, (i & 1) ? fib_ffi : fib_macro, n), fib_seq(n));
  }
  return NULL;
}

static void check_pool_identity(weft_worker *w, void *p) {
  weft_pool *expect = p;
  ASSERT_UEQ(weft_worker_pool(w).id, expect->id);
  ASSERT_PTR_EQ(weft_current_worker(), w);
}

TEST(pool_several_alive) {
  static const unsigned counts[] = {1, 2, 3, 5};
  enum { NP = 4 };
  weft_pool pools[NP];
  for (int i = 0; i < NP; i++) pools[i] = test_pool_new(counts[i]);
  for (int i = 0; i < NP; i++)
    for (int j = 0; j < i; j++) ASSERT_UNE(pools[i].id, pools[j].id);

  /* One at a time. */
  for (int i = 0; i < NP; i++) {
    ASSERT_EQ(weft_pool_workers(pools[i]), counts[i]);
    ASSERT_EQ(test_run_fib(pools[i], fib_ffi, 18), fib_seq(18));
    ASSERT_EQ(test_run_fib(pools[i], fib_macro, 18), fib_seq(18));
    ASSERT_OK(weft_run(pools[i], check_pool_identity, &pools[i]));
  }

  /* All at once, one submitting thread per pool. */
  pthread_t th[NP];
  several_arg args[NP];
  for (int i = 0; i < NP; i++) {
    args[i].pool = pools[i];
    args[i].runs = (int)test_scaled(60, 6);
    ASSERT_EQ(pthread_create(&th[i], NULL, several_thread, &args[i]), 0);
  }
  for (int i = 0; i < NP; i++) ASSERT_EQ(pthread_join(th[i], NULL), 0);

  /* Destroying one leaves the others working. */
  static const int order[NP] = {2, 0, 3, 1};
  for (int k = 0; k < NP; k++) {
    test_pool_free(pools[order[k]]);
    for (int m = k + 1; m < NP; m++)
      ASSERT_EQ(test_run_fib(pools[order[m]], fib_macro, 12), fib_seq(12));
  }
}

/* ------------------------------------------------------- bad handles */

static atomic_int bad_handle_calls;

static void must_not_run(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  atomic_fetch_add(&bad_handle_calls, 1);
}

static void must_not_run_range(weft_worker *w, size_t b, size_t e, void *ctx) {
  (void)w;
  (void)b;
  (void)e;
  (void)ctx;
  atomic_fetch_add(&bad_handle_calls, 1);
}

static void check_bad_handle(weft_pool p) {
  weft_worker_stats s;
  weft_job job;
  memset(&job, 0, sizeof job);
  ASSERT_ERR(weft_run(p, must_not_run, NULL), WEFT_EBADPOOL);
  ASSERT_ERR(weft_pool_workers(p), WEFT_EBADPOOL);
  ASSERT_ERR(weft_pool_stats(p, 0, &s), WEFT_EBADPOOL);
  ASSERT_ERR(weft_pool_stats_total(p, &s), WEFT_EBADPOOL);
  ASSERT_ERR(weft_submit(p, &job, must_not_run, NULL), WEFT_EBADPOOL);
  ASSERT_ERR(weft_pool_for(p, 0, 10, 1, must_not_run_range, NULL), WEFT_EBADPOOL);
  ASSERT_ERR(weft_pool_destroy(p), WEFT_EBADPOOL);
  ASSERT_EQ(atomic_load(&bad_handle_calls), 0);
}

static weft_config small_config(void) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.stack_size = 256 * 1024;
  cfg.deque_frames = 256;
  cfg.scratch_size = 64 * 1024;
  return cfg;
}

TEST(pool_use_after_destroy) {
  weft_config cfg = small_config();
  enum { ROUNDS = 20 };
  weft_pool old[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    weft_pool p = test_pool_new_cfg(&cfg);
    for (int j = 0; j < r; j++) ASSERT_UNE(p.id, old[j].id); /* never reused */
    ASSERT_EQ(test_run_fib(p, fib_ffi, 10), fib_seq(10));
    test_pool_free(p);
    check_bad_handle(p);
    old[r] = p;
    /* Old handles stay dead while a new pool (maybe in the same slot) lives. */
    weft_pool q = test_pool_new_cfg(&cfg);
    for (int j = 0; j <= r; j++) {
      ASSERT_UNE(q.id, old[j].id);
      check_bad_handle(old[j]);
    }
    ASSERT_EQ(test_run_fib(q, fib_macro, 10), fib_seq(10));
    test_pool_free(q);
    check_bad_handle(q);
  }
}

TEST(pool_zero_handle) {
  weft_pool zero = {0};
  check_bad_handle(zero);
  weft_pool junk1 = {UINT64_MAX};
  check_bad_handle(junk1);
  weft_pool junk2 = {0xdeadbeefcafef00dull};
  check_bad_handle(junk2);
  /* Still bad while a real pool exists. */
  weft_pool p = test_pool_new(1);
  check_bad_handle(zero);
  check_bad_handle(junk1);
  test_pool_free(p);
}

/* ------------------------------------------------ create/destroy loop */

TEST(pool_create_destroy_many) {
  weft_config cfg = small_config();
  /* Warm up: let libc/sanitizer runtimes allocate what they keep. */
  for (int i = 0; i < 3; i++) {
    weft_pool p = test_pool_new_cfg(&cfg);
    ASSERT_EQ(test_run_fib(p, fib_ffi, 12), fib_seq(12));
    test_pool_free(p);
  }
  /* The baseline once the thread count is steady: under qemu-user a joined
   * thread can stay listed in /proc/self/task for a moment. */
  long threads0 = test_thread_count();
  for (int steady = 0, tries = 0; steady < 5 && tries < 200; tries++) {
    test_sleep_ms(5);
    long t = test_thread_count();
    steady = t == threads0 ? steady + 1 : 0;
    threads0 = t;
  }
  long rss0 = test_rss_kib();
  long vm0 = test_vm_kib();

  size_t n = test_scaled(10000, 200);
  for (size_t i = 0; i < n; i++) {
    weft_pool p = test_pool_new_cfg(&cfg);
    if (i % 97 == 0) {
      ASSERT_EQ(test_run_fib(p, (i & 1) ? fib_ffi : fib_macro, 12), fib_seq(12));
      /* create waits until the workers run: they are threads of ours now. */
      if (threads0 > 0) ASSERT_GE(test_thread_count(), threads0 + 2);
    }
    test_pool_free(p);
  }

  /* Every worker thread is gone (destroy stops the workers; allow the
   * kernel a moment to reap threads that were detached rather than joined). */
  long threads = test_thread_count();
  for (int tries = 0; threads != threads0 && tries < 500; tries++) {
    test_sleep_ms(10);
    threads = test_thread_count();
  }
  long rss = test_rss_kib();
  long vm = test_vm_kib();
  test_log("%zu cycles: threads %ld -> %ld, VmRSS %ld -> %ld KiB, VmSize %ld -> %ld KiB", n,
           threads0, threads, rss0, rss, vm0, vm);
  if (threads0 > 0) ASSERT_EQ(threads, threads0);
  /* Without sanitizers a leak of pool memory shows as RSS growth. (Under
   * ASan, LeakSanitizer checks at exit instead, and its allocator quarantine
   * makes RSS meaningless.) */
  if (rss0 > 0 && !test_sanitized() && !test_emulated()) ASSERT_LE(rss, rss0 + 64 * 1024);
  /* A pool region that is never unmapped shows in the address space even
   * when its pages were never touched (and LeakSanitizer does not see mmap):
   * thousands of leaked regions would be gigabytes. */
  /* (qemu-user keeps ~280 KiB per thread that ever ran: skip both there.) */
  if (vm0 > 0 && !test_emulated()) ASSERT_LE(vm, vm0 + 256 * 1024);
}

/* ------------------------------------------------------- deadlocks */

static void destroy_own_pool(weft_worker *w, void *p) {
  int *rc = p;
  *rc = weft_pool_destroy(weft_worker_pool(w));
}

static void destroy_own_pool_nested(weft_worker *w, void *p) {
  int *rc = p;
  int inner = 1;
  ASSERT_OK(weft_spawn(w, destroy_own_pool, &inner, sizeof inner));
  ASSERT_OK(weft_sync(w, &inner, sizeof inner));
  *rc = inner;
}

TEST(pool_destroy_from_task) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    weft_pool p = test_pool_new(workers);
    int rc = 1;
    ASSERT_OK(weft_run(p, destroy_own_pool, &rc));
    ASSERT_ERR(rc, WEFT_EDEADLK);
    rc = 1;
    ASSERT_OK(weft_run(p, destroy_own_pool_nested, &rc));
    ASSERT_ERR(rc, WEFT_EDEADLK);
    /* The pool is intact. */
    ASSERT_EQ(weft_pool_workers(p), workers);
    ASSERT_EQ(test_run_fib(p, fib_ffi, 15), fib_seq(15));
    test_pool_free(p);
  }
}

typedef struct {
  weft_job job;
  atomic_int release;
  atomic_int job_ran;
  int wait_rc;
} wfw_ctx;

/* The job cannot finish before the task that waits on it says so: if
 * weft_wait blocked instead of failing, this would hang (ctest timeout). */
static void wfw_job(weft_worker *w, void *p) {
  (void)w;
  wfw_ctx *c = p;
  while (!atomic_load(&c->release)) sched_yield();
  atomic_fetch_add(&c->job_ran, 1);
}

static void wfw_task(weft_worker *w, void *p) {
  wfw_ctx *c = p;
  ASSERT_OK(weft_submit(weft_worker_pool(w), &c->job, wfw_job, c));
  c->wait_rc = weft_wait(&c->job);
  atomic_store(&c->release, 1);
}

TEST(pool_wait_from_worker) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    weft_pool p = test_pool_new(workers);
    static wfw_ctx c;
    memset(&c, 0, sizeof c);
    c.wait_rc = 1;
    ASSERT_OK(weft_run(p, wfw_task, &c));
    ASSERT_ERR(c.wait_rc, WEFT_EDEADLK);
    /* From outside the pool the wait works. */
    ASSERT_OK(weft_wait(&c.job));
    ASSERT_OK(weft_job_status(&c.job));
    ASSERT_EQ(atomic_load(&c.job_ran), 1);
    test_pool_free(p);
  }
}

/* destroy waits for every submitted job. */
TEST(pool_destroy_waits_jobs) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    enum { NJ = 8 };
    weft_job jobs[NJ];
    fib_t args[NJ];
    for (int i = 0; i < NJ; i++) {
      args[i].n = 16 + i % 6;
      args[i].r = -1;
      ASSERT_OK(weft_submit(p, &jobs[i], (i & 1) ? fib_ffi : fib_macro, &args[i]));
    }
    test_pool_free(p);
    for (int i = 0; i < NJ; i++) {
      ASSERT_OK(weft_job_status(&jobs[i]));
      ASSERT_EQ(args[i].r, fib_seq(args[i].n));
    }
  }
}

/* ---------------------------------------------------- live pool limit */

TEST(pool_live_limit) {
  /* "too many live pools" is WEFT_ELIMIT: create small pools until refused
   * (any other error fails), then check that destroying one frees a place. */
  enum { CAP = 2048 };
  static weft_pool pools[CAP];
  weft_config cfg = small_config();
  cfg.workers = 1;
  int n = 0, rc = 0;
  for (; n < CAP; n++) {
    rc = weft_pool_create(&pools[n], &cfg);
    if (rc != WEFT_OK) break;
  }
  test_log("%d live pools, then %s", n, rc ? weft_strerror(rc) : "(cap reached)");
  if (n < CAP) {
    ASSERT_ERR(rc, WEFT_ELIMIT);
    ASSERT_GE(n, 8);
    weft_pool extra = {0};
    ASSERT_ERR(weft_pool_create(&extra, &cfg), WEFT_ELIMIT);
    ASSERT_OK(weft_pool_destroy(pools[n / 2]));
    weft_pool again = {0};
    ASSERT_OK(weft_pool_create(&again, &cfg));
    ASSERT_EQ(test_run_fib(again, fib_ffi, 12), fib_seq(12));
    ASSERT_ERR(weft_pool_workers(pools[n / 2]), WEFT_EBADPOOL);
    pools[n / 2] = again;
  }
  for (int i = 0; i < n; i++) {
    if (i % 50 == 0) ASSERT_EQ(test_run_fib(pools[i], fib_macro, 10), fib_seq(10));
    ASSERT_OK(weft_pool_destroy(pools[i]));
  }
}

/* ------------------------------------- destroy racing with other users */

typedef struct {
  weft_pool pool;
  int tid;
  atomic_int *go;
  long ok_runs, bad_runs;
  weft_job jobs[4];
  fib_t job_args[4];
  int jobs_submitted;
} race_arg;

static void *race_thread(void *p) {
  race_arg *a = p;
  while (!atomic_load(a->go)) sched_yield();
  for (long i = 0;; i++) {
    long n = 3 + (i + a->tid) % 12;
    fib_t f = {n, -1};
    int rc;
    switch (i % 4) {
    case 0:
    case 1:
      rc = weft_run(a->pool, (i & 1) ? fib_ffi : fib_macro, &f);
      if (rc == WEFT_OK) ASSERT_EQ(f.r, fib_seq(n));
      break;
    case 2: {
      weft_worker_stats s;
      rc = weft_pool_stats_total(a->pool, &s);
      if (rc == WEFT_OK) rc = weft_pool_workers(a->pool) > 0 ? WEFT_OK : weft_pool_workers(a->pool);
      break;
    }
    default: {
      /* A job accepted by weft_submit must run even if destroy follows. */
      int j = a->jobs_submitted;
      if (j < 4) {
        a->job_args[j].n = n;
        a->job_args[j].r = -1;
        rc = weft_submit(a->pool, &a->jobs[j], fib_macro, &a->job_args[j]);
        if (rc == WEFT_OK) a->jobs_submitted++;
      } else {
        rc = weft_pool_workers(a->pool) > 0 ? WEFT_OK : WEFT_EBADPOOL;
      }
      break;
    }
    }
    if (rc == WEFT_EBADPOOL) {
      a->bad_runs++;
      return NULL; /* the pool is gone: it must stay gone */
    }
    ASSERT_OK(rc);
    a->ok_runs++;
  }
}

TEST(pool_destroy_race) {
  enum { NT = 3 };
  size_t rounds = test_scaled(40, 8);
  long total_ok = 0;
  for (size_t r = 0; r < rounds; r++) {
    weft_pool p = test_pool_new(1 + (unsigned)(r % 3));
    atomic_int go;
    atomic_init(&go, 0);
    pthread_t th[NT];
    race_arg args[NT];
    memset(args, 0, sizeof args);
    for (int t = 0; t < NT; t++) {
      args[t].pool = p;
      args[t].tid = t;
      args[t].go = &go;
      ASSERT_EQ(pthread_create(&th[t], NULL, race_thread, &args[t]), 0);
    }
    atomic_store(&go, 1);
    test_sleep_ms(1 + (unsigned)(r % 5)); /* let some calls get in first */
    ASSERT_OK(weft_pool_destroy(p));
    for (int t = 0; t < NT; t++) ASSERT_EQ(pthread_join(th[t], NULL), 0);
    check_bad_handle(p);
    for (int t = 0; t < NT; t++) {
      ASSERT_EQ(args[t].bad_runs, 1);
      total_ok += args[t].ok_runs;
      for (int j = 0; j < args[t].jobs_submitted; j++) {
        ASSERT_OK(weft_job_status(&args[t].jobs[j]));
        ASSERT_OK(weft_wait(&args[t].jobs[j]));
        ASSERT_EQ(args[t].job_args[j].r, fib_seq(args[t].job_args[j].n));
      }
    }
  }
  test_log("%zu rounds, %ld successful calls before destroy", rounds, total_ok);
}
