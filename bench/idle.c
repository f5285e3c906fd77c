/*
 * idle.c - how much CPU does an idle weft pool burn?
 *
 * Creates a pool with one worker per core (or argv[2] workers), runs one
 * trivial root task so every worker has been woken at least once, then sleeps
 * for argv[1] seconds (default 3) without submitting work and reports the
 * process CPU time (user + system, getrusage) spent during that window, as a
 * percentage of one core. A well-behaved pool should stay well under 1%.
 *
 * Output: one JSON line:
 *   {"bench":"idle","impl":"weft","workers":W,"seconds":S,"cpu_ms":C,
 *    "cpu_pct_one_core":P, ...}
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <sys/resource.h>
#endif

#include <weft.h>

static double cpu_ms(void) {
#if defined(_WIN32)
  FILETIME created, exited, kernel, user; /* 100 ns units */
  GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user);
  ULARGE_INTEGER k = {{kernel.dwLowDateTime, kernel.dwHighDateTime}};
  ULARGE_INTEGER u = {{user.dwLowDateTime, user.dwHighDateTime}};
  return (double)(k.QuadPart + u.QuadPart) * 1e-4;
#else
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec * 1e-3 +
         (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec * 1e-3;
#endif
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void nothing(weft_worker *w, void *args) {
  (void)w;
  (void)args;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3.0;
  unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
  if (seconds <= 0) seconds = 3.0;

  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers; /* 0 = one per core */
  weft_pool pool;
  int err = weft_pool_create(&pool, &cfg);
  if (err != WEFT_OK) {
    fprintf(stderr, "idle: weft_pool_create: %s\n", weft_strerror(err));
    return 2;
  }
  err = weft_run(pool, nothing, NULL);
  if (err != WEFT_OK) {
    fprintf(stderr, "idle: weft_run: %s\n", weft_strerror(err));
    return 2;
  }
  int nworkers = weft_pool_workers(pool);

  double c0 = cpu_ms(), t0 = now_ms();
  struct timespec req;
  req.tv_sec = (time_t)seconds;
  req.tv_nsec = (long)((seconds - (double)req.tv_sec) * 1e9);
  while (nanosleep(&req, &req) != 0) {
  }
  double c1 = cpu_ms(), t1 = now_ms();

  weft_worker_stats st;
  int have_stats = weft_pool_stats_total(pool, &st) == WEFT_OK;
  err = weft_pool_destroy(pool);
  if (err != WEFT_OK) {
    fprintf(stderr, "idle: weft_pool_destroy: %s\n", weft_strerror(err));
    return 2;
  }

  double wall = t1 - t0, cpu = c1 - c0;
  printf("{\"bench\":\"idle\",\"impl\":\"weft\",\"workers\":%d,\"seconds\":%.3f,"
         "\"cpu_ms\":%.3f,\"cpu_pct_one_core\":%.4f",
         nworkers, wall / 1e3, cpu, 100.0 * cpu / wall);
  if (have_stats)
    printf(",\"sleeps\":%llu,\"steal_failures\":%llu", (unsigned long long)st.sleeps,
           (unsigned long long)st.steal_failures);
  printf("}\n");
  return 0;
}
