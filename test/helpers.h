/*
 * helpers.h - weft-specific helpers shared by the tests: result assertions
 * for weft calls, pool construction, fib tasks and their sequential oracles,
 * and process probes (thread count, RSS).
 */
#ifndef WEFT_TEST_HELPERS_H
#define WEFT_TEST_HELPERS_H

#include <weft.h>

#include <pthread.h>
#include <stdatomic.h>

#include "runner.h"

/* expr must return WEFT_OK. */
#define ASSERT_OK(expr)                                                           \
  do {                                                                            \
    int r_ = (expr);                                                              \
    if (r_ != WEFT_OK)                                                            \
      test_fail_(__FILE__, __LINE__, "%s returned %d (%s), expected WEFT_OK", #expr, \
                 r_, weft_strerror(r_));                                          \
  } while (0)

/* expr must return the error code `code`. */
#define ASSERT_ERR(expr, code)                                                    \
  do {                                                                            \
    int r_ = (expr);                                                              \
    int c_ = (code);                                                              \
    if (r_ != c_)                                                                 \
      test_fail_(__FILE__, __LINE__, "%s returned %d (%s), expected %s = %d (%s)", \
                 #expr, r_, weft_strerror(r_), #code, c_, weft_strerror(c_));     \
  } while (0)

/* The worker counts "various" tests run with: one, the 2 cores of the CI
 * box, and more workers than cores. */
#define N_WORKER_COUNTS 3
extern const unsigned test_worker_counts[N_WORKER_COUNTS];

/* Creates a pool (default config, `workers` workers), asserting success. */
weft_pool test_pool_new(unsigned workers);
/* Creates a pool from cfg, asserting success. */
weft_pool test_pool_new_cfg(const weft_config *cfg);
/* Destroys a pool, asserting success. */
void test_pool_free(weft_pool pool);

/* ------------------------------------------------------------------ fib */

typedef struct {
  long n, r;
} fib_t;

/* fib through the FFI functions weft_spawn / weft_sync. */
void fib_ffi(weft_worker *w, void *p);
/* fib through the inline macros WEFT_SPAWN / WEFT_SYNC. */
void fib_macro(weft_worker *w, void *p);
/* Sequential oracle. */
long fib_seq(long n);
/* Number of spawns fib_ffi/fib_macro make for n: one per call with n >= 2,
 * counted by walking the same recursion sequentially. */
long fib_spawn_count(long n);
/* weft_run(pool, fn, {n}) and return the result (asserts weft_run succeeds). */
long test_run_fib(weft_pool pool, weft_fn fn, long n);

/* ---------------------------------------------------------------- misc */

uint64_t splitmix64(uint64_t x);

/* Number of threads of this process (/proc/self/task), or -1. */
long test_thread_count(void);
/* Resident set size in KiB (/proc/self/status VmRSS), or -1. */
long test_rss_kib(void);
/* Virtual address space in KiB (/proc/self/status VmSize), or -1. */
long test_vm_kib(void);

/* Sums weft_pool_stats over every worker (asserting each call succeeds). */
weft_worker_stats test_stats_sum(weft_pool pool);

/* ------------------------------------------------------ threading modes */

/* A pool in any weft_config.threads mode, for tests that loop over modes:
 * POOL (the pool's own threads), CALLER (no threads: the caller runs it)
 * and HOST (threads "the host owns": pthreads started here, each calling
 * weft_worker_enter). test_mode_free destroys the pool and, for HOST,
 * checks that every host thread's weft_worker_enter returned WEFT_OK. */
#define TEST_N_MODES 3
#define TEST_HOST_MAX 8
extern const unsigned test_modes[TEST_N_MODES];

typedef struct test_mode_pool {
  weft_pool pool;
  unsigned mode;
  unsigned nhost;                   /* host threads started */
  pthread_t host[TEST_HOST_MAX];
  int host_rc[TEST_HOST_MAX];       /* weft_worker_enter's results */
  unsigned host_index[TEST_HOST_MAX];
  weft_profiler user_prof;          /* the caller's, chained from ours */
  _Atomic unsigned host_started;    /* worker_start calls seen */
} test_mode_pool;

const char *test_mode_name(unsigned mode);
/* workers: for POOL and HOST (at most TEST_HOST_MAX); CALLER always has 1.
 * cfg may be NULL (defaults); its workers/threads fields are overridden. */
void test_mode_new(test_mode_pool *m, unsigned mode, unsigned workers, const weft_config *cfg);
void test_mode_free(test_mode_pool *m);

#endif /* WEFT_TEST_HELPERS_H */
