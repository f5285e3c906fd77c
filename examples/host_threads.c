/*
 * host_threads.c - weft on threads the application owns.
 *
 * A host (a game engine with its own job threads, a runtime with its own
 * worker pool) often cannot let a library start threads: it owns them, names
 * them, pins them, sizes their stacks. With weft_config.threads =
 * WEFT_THREADS_HOST the pool starts none. Instead each host thread that the
 * application wants to lend calls
 *
 *     weft_worker_enter(pool, index);   // index in 0..workers-1
 *
 * which runs weft worker `index` on that thread (root jobs, stealing,
 * sleeping on wait-on-address when idle) until the pool is destroyed, and
 * then returns WEFT_OK so the thread goes back to the host. A thread that
 * comes to enter only after destroy began gets WEFT_EBADPOOL at once: it
 * gets its thread back too, and the pool never needed it.
 *
 * What creation waits for: nothing. weft_pool_create returns at once, so the
 * host may start (or hand over) its threads whenever it likes, before or
 * after submitting work; jobs submitted before any worker entered simply
 * wait in the pool's queue. Destroy waits for the submitted jobs and for
 * every weft_worker_enter that has begun to return.
 *
 * This program plays the host: its "engine threads" are plain pthreads that
 * do some engine work of their own first, then lend themselves to weft. The
 * main thread submits a fork-join job before any of them has entered, then
 * more work, and checks every result.
 *
 *   build/examples/host_threads [threads]    (default 3)
 */
#include <weft.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_HOST_THREADS 16

/* ------------------------------------------------------- the host's side */

typedef struct {
  weft_pool pool;
  unsigned index;
  int rc; /* what weft_worker_enter returned */
} engine_thread;

static void *engine_thread_main(void *p) {
  engine_thread *t = p;
  /* ... the engine's own start-up on this thread would go here ... */
  t->rc = weft_worker_enter(t->pool, t->index); /* returns at destroy */
  /* ... and the thread is the engine's again ... */
  return NULL;
}

/* ------------------------------------------------ fork-join work for weft */

typedef struct {
  long n, r;
} fib_args;

static void fib(weft_worker *w, void *p) {
  fib_args *a = p;
  if (a->n < 2) {
    a->r = a->n;
    return;
  }
  fib_args x = {a->n - 1, 0}, y = {a->n - 2, 0};
  WEFT_SPAWN(w, fib, &x); /* may be stolen by another engine thread */
  fib(w, &y);
  WEFT_SYNC(w, &x);
  a->r = x.r + y.r;
}

static long fib_seq(long n) {
  long a = 0, b = 1;
  for (long i = 0; i < n; i++) {
    long t = a + b;
    a = b;
    b = t;
  }
  return a;
}

typedef struct {
  const unsigned *v;
  unsigned long long sums[MAX_HOST_THREADS];
} sum_ctx;

static void add_range(weft_worker *w, size_t b, size_t e, void *p) {
  sum_ctx *c = p;
  unsigned long long s = 0;
  for (size_t i = b; i < e; i++) s += c->v[i];
  c->sums[weft_worker_index(w)] += s; /* each worker owns its slot */
}

static int check(const char *what, int ok) {
  printf("%-44s %s\n", what, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  unsigned nthreads = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
  if (nthreads < 1 || nthreads > MAX_HOST_THREADS) {
    fprintf(stderr, "usage: host_threads [1..%d]\n", MAX_HOST_THREADS);
    return 2;
  }

  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = nthreads;
  cfg.stack_size = (size_t)8 << 20; /* what our threads have (graph depth hint) */
  weft_pool pool;
  int rc = weft_pool_create(&pool, &cfg); /* starts no thread, waits for none */
  if (rc) {
    fprintf(stderr, "weft_pool_create: %s\n", weft_strerror(rc));
    return 1;
  }

  /* Work can be submitted before any host thread has entered: it waits. */
  fib_args early = {27, 0};
  weft_job job;
  rc = weft_submit(pool, &job, fib, &early);
  if (rc) {
    fprintf(stderr, "weft_submit: %s\n", weft_strerror(rc));
    return 1;
  }
  int bad = check("job pending while no thread is lent", weft_job_status(&job) == WEFT_EPENDING);

  /* Now the host starts its threads, and each lends itself to the pool. */
  engine_thread th[MAX_HOST_THREADS];
  pthread_t tid[MAX_HOST_THREADS];
  for (unsigned i = 0; i < nthreads; i++) {
    th[i].pool = pool;
    th[i].index = i;
    th[i].rc = -1;
    if (pthread_create(&tid[i], NULL, engine_thread_main, &th[i]) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      return 1;
    }
  }

  weft_wait(&job);
  bad |= check("fib(27) submitted before the threads entered", early.r == fib_seq(27));

  fib_args a = {30, 0};
  rc = weft_run(pool, fib, &a);
  bad |= check("fib(30) on the host's threads", rc == 0 && a.r == fib_seq(30));

  enum { N = 1 << 20 };
  unsigned *v = malloc(N * sizeof *v);
  if (!v) return 1;
  unsigned long long expect = 0;
  for (unsigned i = 0; i < N; i++) {
    v[i] = i * 2654435761u >> 7;
    expect += v[i];
  }
  sum_ctx c = {v, {0}};
  rc = weft_pool_for(pool, 0, N, 4096, add_range, &c);
  unsigned long long total = 0;
  unsigned used = 0;
  for (unsigned i = 0; i < nthreads; i++) {
    total += c.sums[i];
    used += c.sums[i] != 0;
  }
  bad |= check("parallel sum of 2^20 numbers", rc == 0 && total == expect);
  printf("(the sum ran on %u of %u host threads)\n", used, nthreads);
  free(v);

  /* Destroy stops the workers: every weft_worker_enter returns, WEFT_OK
   * for the threads that entered, WEFT_EBADPOOL for one that came late (a
   * loaded machine may not have scheduled it yet: the work above needed
   * only one). */
  rc = weft_pool_destroy(pool);
  bad |= check("weft_pool_destroy", rc == 0);
  int back = 1;
  unsigned entered = 0;
  for (unsigned i = 0; i < nthreads; i++) {
    pthread_join(tid[i], NULL);
    back &= th[i].rc == WEFT_OK || th[i].rc == WEFT_EBADPOOL;
    entered += th[i].rc == WEFT_OK;
  }
  bad |= check("every host thread got its thread back", back && entered >= 1);
  if (!back)
    for (unsigned i = 0; i < nthreads; i++)
      printf("  host thread %u: weft_worker_enter returned %s\n", i, weft_strerror(th[i].rc));
  printf("(%u of %u host threads had entered before the destroy)\n", entered, nthreads);
  return bad ? 1 : 0;
}
