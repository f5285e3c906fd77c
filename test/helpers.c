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

long test_thread_count(void) {
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
