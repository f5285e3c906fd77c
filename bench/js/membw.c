/*
 * membw.c - the physical ceiling of bench/js/ceiling.mjs's loops, natively:
 * axpy (y += 0.5 x) and a sum over 10^7 doubles on 1..T threads, each thread
 * a contiguous part, started together at a barrier. If T threads are not
 * much faster than one, the loop is bound by the memory, and no pool (weft's,
 * a message pool, raw workers) can do better in any language.
 *
 *   cc -O2 -pthread -o membw bench/js/membw.c && ./membw 2 [reps]
 *
 * The sum is one dependent chain of additions per thread (no -ffast-math),
 * as the JavaScript loops are: bound by the adder's latency, not the memory.
 * Prints one JSON line per loop and thread count: median and best ms.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 10000000
#define MAXT 64

static double *x, *y;
static int nthreads, op; /* op: 0 axpy, 1 sum, -1 stop */
static volatile double sums[MAXT];
static pthread_barrier_t start, done;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void part(int k) {
  size_t lo = (size_t)N * k / nthreads, hi = (size_t)N * (k + 1) / nthreads;
  if (op == 0) {
    for (size_t i = lo; i < hi; i++) y[i] += 0.5 * x[i];
  } else {
    double s = 0;
    for (size_t i = lo; i < hi; i++) s += x[i];
    sums[k] = s;
  }
}

static void *thread_main(void *arg) {
  int k = (int)(long)arg;
  for (;;) {
    pthread_barrier_wait(&start);
    if (op < 0) return NULL;
    part(k);
    pthread_barrier_wait(&done);
  }
}

static int cmp(const void *a, const void *b) {
  double d = *(const double *)a - *(const double *)b;
  return (d > 0) - (d < 0);
}

int main(int argc, char **argv) {
  int maxt = argc > 1 ? atoi(argv[1]) : 2, reps = argc > 2 ? atoi(argv[2]) : 21;
  if (maxt < 1 || maxt > MAXT || reps < 1 || reps > 1000) {
    fprintf(stderr, "usage: membw [threads 1..%d] [reps 1..1000]\n", MAXT);
    return 2;
  }
  x = malloc(sizeof(double) * N);
  y = malloc(sizeof(double) * N);
  if (!x || !y) return 1;
  for (int i = 0; i < N; i++) {
    x[i] = (i % 1000) / 2.0;
    y[i] = 1;
  }
  double *ts = malloc(sizeof(double) * reps);
  for (nthreads = 1; nthreads <= maxt; nthreads++) {
    pthread_t th[MAXT];
    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    pthread_barrier_init(&done, NULL, (unsigned)nthreads);
    for (int k = 1; k < nthreads; k++) pthread_create(&th[k], NULL, thread_main, (void *)(long)k);
    for (op = 0; op < 2; op++) {
      for (int r = -3; r < reps; r++) { /* 3 warm-up runs */
        double t0 = now_ms();
        pthread_barrier_wait(&start);
        part(0);
        pthread_barrier_wait(&done);
        if (r >= 0) ts[r] = now_ms() - t0;
      }
      qsort(ts, (size_t)reps, sizeof *ts, cmp);
      double s = 0;
      for (int k = 0; k < nthreads; k++) s += sums[k];
      printf("{\"loop\":\"%s\",\"threads\":%d,\"median_ms\":%.3f,\"best_ms\":%.3f,\"check\":%.17g}\n",
             op ? "sum" : "axpy", nthreads, ts[reps / 2], ts[0], op ? s : y[N - 1]);
    }
    op = -1;
    pthread_barrier_wait(&start);
    for (int k = 1; k < nthreads; k++) pthread_join(th[k], NULL);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&done);
  }
  return 0;
}
