/*
 * latency.c - from a message's arrival to the start of the task that
 * depends on it (2 ranks on one machine: CLOCK_MONOTONIC is one clock for
 * both). Rank 0 waits for rank 1's "ready", sleeps 100-400 us (so rank 1's
 * workers have gone idle), stamps the time and sends the stamp; rank 1
 * records (start of the dependent task - stamp). Modes of rank 1:
 *   raw   no weft: MPI_Recv, spinning inside MPI (the floor: MPI's own
 *         latency)
 *   idle  weft_mpi_irecv + a task launched after its event, the pool idle
 *         (workers asleep; one naps and polls every interval)
 *   busy  the same while every worker runs a stream of ~20 us filler tasks
 *         (polls happen between tasks)
 * Prints one JSON line per mode: median and 90th percentile in us.
 * Usage: mpirun -np 2 latency [--workers W] [--reps K] [--interval US]
 */
#include "mpi_common.h"

#include <weft.h>
#include <weft_mpi.h>

#include <stdatomic.h>
#include <unistd.h>

static weft_mpi *g_mpi;
static weft_pool g_pool;
static _Atomic int g_stop;

typedef struct start_arg {
  const double *stamp;
  double *lat;
} start_arg;

static int start_fn(weft_worker *w, void *p) {
  (void)w;
  double t = now_s();
  start_arg *a = p;
  *a->lat = t - *a->stamp;
  return 0;
}

static int filler_fn(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  double end = now_s() + 20e-6;
  volatile double x = 1;
  while (now_s() < end) x = x * 1.0000001;
  if (!atomic_load(&g_stop)) weft_launch(g_pool, filler_fn, NULL, 0, NULL, 0, NULL);
  return 0;
}

static void sleep_us(long us) {
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, NULL);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int workers = 2, reps = 300, interval = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--workers") && i + 1 < argc) workers = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--interval") && i + 1 < argc) interval = atoi(argv[++i]);
  }
  int level;
  if (weft_mpi_init(&argc, &argv, &level)) die("weft_mpi_init");
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_nranks);
  if (g_nranks != 2) die("latency runs on exactly 2 ranks");
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = (unsigned)workers;
  cfg.progress.interval_us = (unsigned)interval;
  if (weft_mpi_create(&g_mpi, &cfg)) die("weft_mpi_create");
  if (weft_pool_create(&g_pool, &cfg)) die("weft_pool_create");
  if (weft_mpi_bind(g_mpi, g_pool)) die("weft_mpi_bind");
  const char *modes[3] = {"raw", "idle", "busy"};
  double *lat = malloc(sizeof(double) * (size_t)reps);
  unsigned seed = 7;
  for (int mode = 0; mode < 3; mode++) {
    if (mode == 2 && g_rank == 1)
      for (int k = 0; k < workers; k++) weft_launch(g_pool, filler_fn, NULL, 0, NULL, 0, NULL);
    for (int k = 0; k < reps; k++) {
      char ready = 1;
      if (g_rank == 0) {
        double stamp;
        MPI_Recv(&ready, 1, MPI_CHAR, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        seed = seed * 1103515245u + 12345u;
        sleep_us(100 + (long)(seed >> 8) % 300);
        stamp = now_s();
        MPI_Send(&stamp, 1, MPI_DOUBLE, 1, 2, MPI_COMM_WORLD);
      } else if (mode == 0) {
        double stamp;
        MPI_Send(&ready, 1, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
        MPI_Recv(&stamp, 1, MPI_DOUBLE, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        lat[k] = now_s() - stamp;
      } else {
        double stamp;
        weft_task ev, t;
        if (weft_mpi_irecv(g_mpi, &stamp, 1, MPI_DOUBLE, 0, 2, MPI_COMM_WORLD, &ev)) die("irecv");
        start_arg sa = {&stamp, &lat[k]};
        if (weft_launch(g_pool, start_fn, &sa, sizeof sa, &ev, 1, &t)) die("launch");
        weft_mpi_lock(g_mpi); /* this thread's own MPI call, beside the polling workers */
        MPI_Send(&ready, 1, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
        weft_mpi_unlock(g_mpi);
        if (weft_task_wait(t) != WEFT_OK) die("latency task failed");
        weft_task_release(t);
        weft_task_release(ev);
      }
    }
    if (mode == 2 && g_rank == 1) atomic_store(&g_stop, 1);
    if (g_rank == 1) {
      qsort(lat, (size_t)reps, sizeof *lat, cmp_d);
      printf("{\"bench\": \"latency\", \"variant\": \"%s\", \"np\": 2, \"workers\": %d, "
             "\"interval_us\": %d, \"reps\": %d, \"median_us\": %.1f, \"p90_us\": %.1f}\n",
             mode == 0 ? "mpi-recv" : mode == 1 ? "weft-idle" : "weft-busy", workers,
             interval ? interval : 50, reps, lat[reps / 2] * 1e6, lat[reps * 9 / 10] * 1e6);
      fflush(stdout);
    }
    (void)modes;
    MPI_Barrier(MPI_COMM_WORLD);
  }
  /* The cost of one poll (MPI_Testsome over k requests that are not
   * complete: what every poll pays, in MPI) and the memory an outstanding
   * request takes (weft_mpi's arrays, its event's record, MPI's request):
   * resident set growth over 65536 posted receives. */
  if (g_rank == 1) {
    int ks[3] = {16, 256, 4096};
    for (int q = 0; q < 3; q++) {
      int k = ks[q];
      MPI_Request *rq = malloc(sizeof *rq * (size_t)k);
      int *buf = malloc(sizeof(int) * (size_t)k), *idx = malloc(sizeof(int) * (size_t)k), out;
      weft_mpi_lock(g_mpi);
      for (int i = 0; i < k; i++) MPI_Irecv(&buf[i], 1, MPI_INT, 0, 99, MPI_COMM_WORLD, &rq[i]);
      int polls = 20000 / (k / 16);
      double t0 = now_s();
      for (int i = 0; i < polls; i++) MPI_Testsome(k, rq, &out, idx, MPI_STATUSES_IGNORE);
      double per = (now_s() - t0) / polls;
      for (int i = 0; i < k; i++) MPI_Cancel(&rq[i]);
      MPI_Waitall(k, rq, MPI_STATUSES_IGNORE);
      weft_mpi_unlock(g_mpi);
      printf("{\"bench\": \"poll-cost\", \"variant\": \"testsome\", \"np\": 2, \"workers\": %d, "
             "\"requests\": %d, \"us_per_poll\": %.3f}\n", workers, k, per * 1e6);
      free(rq);
      free(buf);
      free(idx);
    }
    /* What waiting costs: process CPU time over 1 s of an idle pool, with
     * nothing outstanding (workers asleep) and with one receive outstanding
     * (one worker naps and polls every interval). */
    double cpu[2];
    for (int q = 0; q < 2; q++) {
      int v = 0;
      weft_task e = {0};
      if (q && weft_mpi_irecv(g_mpi, &v, 1, MPI_INT, 0, 97, MPI_COMM_WORLD, &e)) die("irecv");
      sleep_us(100000);
      struct timespec c0, c1;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
      sleep_us(999999);
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
      cpu[q] = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
      if (q) {
        weft_mpi_cancel_all(g_mpi);
        weft_task_wait(e);
        weft_task_release(e);
      }
    }
    printf("{\"bench\": \"idle-cpu\", \"variant\": \"napper\", \"np\": 2, \"workers\": %d, "
           "\"cpu_pct_nothing_outstanding\": %.2f, \"cpu_pct_one_outstanding\": %.2f}\n", workers,
           cpu[0] * 100, cpu[1] * 100);
    enum { K = 65536 };
    int *buf = malloc(sizeof(int) * K);
    weft_task *ev = malloc(sizeof *ev * K);
    long page = sysconf(_SC_PAGESIZE), r0 = 0, r1 = 0, dummy;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (fp && fscanf(fp, "%ld %ld", &dummy, &r0) != 2) r0 = 0;
    if (fp) fclose(fp);
    for (int i = 0; i < K; i++)
      if (weft_mpi_irecv(g_mpi, &buf[i], 1, MPI_INT, 0, 98, MPI_COMM_WORLD, &ev[i])) die("irecv");
    fp = fopen("/proc/self/statm", "r");
    if (fp && fscanf(fp, "%ld %ld", &dummy, &r1) != 2) r1 = 0;
    if (fp) fclose(fp);
    weft_mpi_cancel_all(g_mpi);
    while (weft_mpi_outstanding(g_mpi) > 0) weft_mpi_poll(g_mpi);
    for (int i = 0; i < K; i++) weft_task_release(ev[i]);
    printf("{\"bench\": \"request-memory\", \"variant\": \"weft_mpi_irecv\", \"np\": 2, "
           "\"workers\": %d, \"requests\": %d, \"bytes_per_request\": %.0f}\n", workers, K,
           (double)(r1 - r0) * page / K);
    free(buf);
    free(ev);
    fflush(stdout);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  weft_pool_destroy(g_pool);
  if (weft_mpi_finalize(g_mpi)) die("finalize");
  free(lat);
  return 0;
}
