#include "helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const unsigned test_worker_counts[N_WORKER_COUNTS] = {1, 2, 5};

weft_pool test_pool_new_cfg(const weft_config *cfg) {
  weft_pool p = {0};
  ASSERT_OK(weft_pool_create(&p, cfg));
  ASSERT(p.id != 0);
  if (cfg->workers != 0) ASSERT_EQ(weft_pool_workers(p), cfg->workers);
  return p;
}

weft_pool test_pool_new(unsigned workers) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  return test_pool_new_cfg(&cfg);
}

void test_pool_free(weft_pool pool) { ASSERT_OK(weft_pool_destroy(pool)); }

void fib_ffi(weft_worker *w, void *p) {
  fib_t *a = p;
  if (a->n < 2) {
    a->r = a->n;
    return;
  }
  fib_t x = {a->n - 1, 0}, y = {a->n - 2, 0};
  ASSERT_OK(weft_spawn(w, fib_ffi, &x, sizeof x));
  fib_ffi(w, &y);
  ASSERT_OK(weft_sync(w, &x, sizeof x));
  a->r = x.r + y.r;
}

void fib_macro(weft_worker *w, void *p) {
  fib_t *a = p;
  if (a->n < 2) {
    a->r = a->n;
    return;
  }
  fib_t x = {a->n - 1, 0}, y = {a->n - 2, 0};
  WEFT_SPAWN(w, fib_macro, &x);
  fib_macro(w, &y);
  WEFT_SYNC(w, &x);
  a->r = x.r + y.r;
}

long fib_seq(long n) {
  long a = 0, b = 1;
  for (long i = 0; i < n; i++) {
    long t = a + b;
    a = b;
    b = t;
  }
  return a;
}

long fib_spawn_count(long n) {
  if (n < 2) return 0;
  return 1 + fib_spawn_count(n - 1) + fib_spawn_count(n - 2);
}

long test_run_fib(weft_pool pool, weft_fn fn, long n) {
  fib_t a = {n, -1};
  ASSERT_OK(weft_run(pool, fn, &a));
  return a.r;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Says once per test process that the /proc checks are skipped. */
static int no_proc(void) {
  static int told;
  if (test_have_proc()) return 0;
  if (!told) {
    told = 1;
    test_log("skipped: no /proc on this platform (thread count, RSS and address-space checks)");
  }
  return 1;
}

long test_thread_count(void) {
  if (no_proc()) return -1;
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static long proc_status_kib(const char *key) {
  if (no_proc()) return -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  size_t klen = strlen(key);
  long kib = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) == 0) {
      kib = strtol(line + klen, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

long test_rss_kib(void) { return proc_status_kib("VmRSS:"); }

long test_vm_kib(void) { return proc_status_kib("VmSize:"); }

weft_worker_stats test_stats_sum(weft_pool pool) {
  weft_worker_stats sum;
  memset(&sum, 0, sizeof sum);
  int n = weft_pool_workers(pool);
  ASSERT_GT(n, 0);
  for (int i = 0; i < n; i++) {
    weft_worker_stats s;
    ASSERT_OK(weft_pool_stats(pool, (unsigned)i, &s));
    sum.spawns += s.spawns;
    sum.tasks_run += s.tasks_run;
    sum.steals += s.steals;
    sum.steal_failures += s.steal_failures;
    sum.stolen_from += s.stolen_from;
    sum.leapfrogs += s.leapfrogs;
    sum.sleeps += s.sleeps;
    sum.overflows += s.overflows;
    sum.roots += s.roots;
  }
  return sum;
}

/* ------------------------------------------------------ threading modes */

const unsigned test_modes[TEST_N_MODES] = {WEFT_THREADS_POOL, WEFT_THREADS_CALLER,
                                           WEFT_THREADS_HOST};

const char *test_mode_name(unsigned mode) {
  switch (mode) {
    case WEFT_THREADS_POOL: return "pool threads";
    case WEFT_THREADS_CALLER: return "one-thread (caller)";
    case WEFT_THREADS_HOST: return "host threads";
    default: return "?";
  }
}

typedef struct {
  test_mode_pool *m;
  unsigned slot;
} host_arg;

static host_arg host_args[TEST_HOST_MAX]; /* one mode pool with host threads at a time */

static void *host_thread(void *p) {
  host_arg *a = p;
  a->m->host_rc[a->slot] = weft_worker_enter(a->m->pool, a->m->host_index[a->slot]);
  return NULL;
}

/* HOST pools: our own profiler counts the workers that have entered (so
 * that test_mode_new can wait for all) and forwards to the caller's. */
static void chain_start(void *u, unsigned wi) {
  test_mode_pool *m = u;
  atomic_fetch_add(&m->host_started, 1);
  if (m->user_prof.worker_start) m->user_prof.worker_start(m->user_prof.user, wi);
}
static void chain_stop(void *u, unsigned wi) {
  test_mode_pool *m = u;
  if (m->user_prof.worker_stop) m->user_prof.worker_stop(m->user_prof.user, wi);
}
static void chain_sleep(void *u, unsigned wi) {
  test_mode_pool *m = u;
  if (m->user_prof.sleep) m->user_prof.sleep(m->user_prof.user, wi);
}
static void chain_wake(void *u, unsigned wi) {
  test_mode_pool *m = u;
  if (m->user_prof.wake) m->user_prof.wake(m->user_prof.user, wi);
}
static void chain_steal(void *u, unsigned a, unsigned b) {
  test_mode_pool *m = u;
  if (m->user_prof.steal) m->user_prof.steal(m->user_prof.user, a, b);
}

void test_mode_new(test_mode_pool *m, unsigned mode, unsigned workers, const weft_config *cfg) {
  weft_config c;
  if (cfg) c = *cfg;
  else weft_config_default(&c);
  memset(m, 0, sizeof *m);
  m->mode = mode;
  c.threads = mode;
  if (mode == WEFT_THREADS_HOST) {
    m->user_prof = c.profiler;
    weft_profiler chained = {m, chain_start, chain_stop, chain_sleep, chain_wake, chain_steal};
    c.profiler = chained;
  }
  c.workers = mode == WEFT_THREADS_CALLER ? 0 : workers;
  if (mode == WEFT_THREADS_HOST) ASSERT(workers >= 1 && workers <= TEST_HOST_MAX);
  ASSERT_OK(weft_pool_create(&m->pool, &c));
  ASSERT_EQ(weft_pool_workers(m->pool), mode == WEFT_THREADS_CALLER ? 1 : (int)workers);
  if (mode != WEFT_THREADS_HOST) return;
  /* Entered in reverse order, as a host may: the pool does not care. */
  for (unsigned i = 0; i < workers; i++) {
    m->host_index[i] = workers - 1 - i;
    m->host_rc[i] = -1000;
    host_args[i].m = m;
    host_args[i].slot = i;
    ASSERT_EQ(pthread_create(&m->host[i], NULL, host_thread, &host_args[i]), 0);
    m->nhost++;
  }
  /* The pool would work with any of them in (see host_enter_late); tests
   * want all of them, and destroy must not race their entry. */
  double t0 = test_now();
  while (atomic_load(&m->host_started) < workers) {
    if (test_now() - t0 > 30) FAIL("host threads did not enter within 30 s");
    test_sleep_ms(1);
  }
}

void test_mode_free(test_mode_pool *m) {
  ASSERT_OK(weft_pool_destroy(m->pool));
  for (unsigned i = 0; i < m->nhost; i++) {
    ASSERT_EQ(pthread_join(m->host[i], NULL), 0);
    ASSERT_OK(m->host_rc[i]);
  }
  m->nhost = 0;
}
