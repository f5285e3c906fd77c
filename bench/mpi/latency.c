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
  weft_pool_destroy(g_pool);
  if (weft_mpi_finalize(g_mpi)) die("finalize");
  free(lat);
  return 0;
}
