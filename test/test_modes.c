/*
 * Threading modes (weft_config.threads): the same fork-join, root-job,
 * loop, graph and stats checks on a pool with its own threads, a one-thread
 * (CALLER) pool and a pool whose threads the host owns (HOST); then what is
 * particular to each mode: the caller runs CALLER jobs, several threads
 * share a CALLER pool, re-entry, host threads entering late or not at all.
 */
#include "helpers.h"
#include "internal.h" /* weft__worker_stack, WEFT__HOST_STACKS */

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Workers of the POOL and HOST pools in the loops (CALLER has 1). */
#define MODE_WORKERS 2

/* Its address identifies the running thread. */
static _Thread_local char thread_mark;

/* ------------------------------------------------------------ fork-join */

WEFT_TASK_1(long, tfib, long, n) {
  if (n < 2) return n;
  tfib_spawn(w, n - 1);
  long y = tfib(w, n - 2);
  return tfib_sync(w) + y;
}

typedef struct {
  unsigned char bytes[WEFT_ARGS_MAX];
} big_args;

static void big_task(weft_worker *w, void *p) {
  (void)w;
  big_args *a = p;
  for (unsigned i = 0; i < WEFT_ARGS_MAX; i++) a->bytes[i] = (unsigned char)(a->bytes[i] * 3 + 1);
}

/* Spawns n children at once, then syncs them in LIFO order. */
typedef struct {
  long n, sum;
} many_args;

static void leaf_square(weft_worker *w, void *p) {
  (void)w;
  long *v = p;
  *v = *v * *v;
}

static void many_task(weft_worker *w, void *p) {
  many_args *a = p;
  long vals[512];
  ASSERT(a->n <= 512);
  for (long i = 0; i < a->n; i++) {
    vals[i] = i;
    ASSERT_OK(weft_spawn(w, leaf_square, &vals[i], sizeof vals[i]));
  }
  a->sum = 0;
  for (long i = a->n; i-- > 0;) {
    ASSERT_OK(weft_sync(w, &vals[i], sizeof vals[i]));
    ASSERT_EQ(vals[i], i * i);
    a->sum += vals[i];
  }
  /* Nothing left to join in this task. */
  ASSERT_ERR(weft_sync(w, NULL, 0), WEFT_ENOTASK);
}

typedef struct {
  const char *mark; /* the submitting thread's mark (CALLER runs there) */
  unsigned mode;
  int checked;
} where_args;

static void where_task(weft_worker *w, void *p) {
  where_args *a = p;
  ASSERT_PTR_EQ(weft_current_worker(), w);
  ASSERT_UEQ(weft_worker_pool(w).id, weft_worker_pool(weft_current_worker()).id);
  if (a->mode == WEFT_THREADS_CALLER) {
    ASSERT_PTR_EQ(&thread_mark, a->mark);
    ASSERT_UEQ(weft_worker_index(w), 0);
  } else {
    ASSERT_PTR_NE(&thread_mark, a->mark);
  }
  a->checked = 1;
}

TEST(modes_fork_join) {
  for (int k = 0; k < TEST_N_MODES; k++) {
    unsigned mode = test_modes[k];
    test_mode_pool m;
    test_mode_new(&m, mode, MODE_WORKERS, NULL);
    test_log("%s", test_mode_name(mode));
    long n = (long)test_scaled(25, 18);
    ASSERT_EQ(test_run_fib(m.pool, fib_ffi, n), fib_seq(n));
    ASSERT_EQ(test_run_fib(m.pool, fib_macro, n), fib_seq(n));
    long r = -1;
    ASSERT_OK(tfib_run(m.pool, &r, n));
    ASSERT_EQ(r, fib_seq(n));

    many_args ma = {500, 0};
    ASSERT_OK(weft_run(m.pool, many_task, &ma));
    ASSERT_EQ(ma.sum, 499L * 500 * 999 / 6);

    big_args b;
    for (unsigned i = 0; i < WEFT_ARGS_MAX; i++) b.bytes[i] = (unsigned char)i;
    ASSERT_OK(weft_run(m.pool, big_task, &b));
    for (unsigned i = 0; i < WEFT_ARGS_MAX; i++) ASSERT_EQ(b.bytes[i], (unsigned char)(i * 3 + 1));

    where_args wa = {&thread_mark, mode, 0};
    ASSERT_OK(weft_run(m.pool, where_task, &wa));
    ASSERT_EQ(wa.checked, 1);
    ASSERT_NULL(weft_current_worker()); /* the caller is not left a worker */
    test_mode_free(&m);
  }
}

/* A tiny deque: spawns past its end run at once (overflow frames). */
TEST(modes_overflow) {
  for (int k = 0; k < TEST_N_MODES; k++) {
    weft_config cfg;
    weft_config_default(&cfg);
    cfg.deque_frames = 16;
    test_mode_pool m;
    test_mode_new(&m, test_modes[k], MODE_WORKERS, &cfg);
    long n = (long)test_scaled(22, 16);
    ASSERT_EQ(test_run_fib(m.pool, fib_ffi, n), fib_seq(n));
    ASSERT_EQ(test_run_fib(m.pool, fib_macro, n), fib_seq(n));
    many_args ma = {100, 0};
    ASSERT_OK(weft_run(m.pool, many_task, &ma));
    ASSERT_EQ(ma.sum, 99L * 100 * 199 / 6);
    weft_worker_stats t;
    ASSERT_OK(weft_pool_stats_total(m.pool, &t));
    ASSERT_UGT(t.overflows, 0);
    test_mode_free(&m);
  }
}

/* ------------------------------------------------------------ root jobs */

typedef struct {
  size_t mark_in;
  int sync_rc;
  int nested_ok;
  long fib;
} root_args;

static void scratch_root(weft_worker *w, void *p) {
  root_args *a = p;
  a->mark_in = weft_scratch_mark(w);
  void *mem;
  ASSERT_OK(weft_scratch_alloc(w, 1000, 64, &mem));
  memset(mem, 0xab, 1000);
  a->sync_rc = weft_sync(w, NULL, 0); /* a root job has no spawn to join */
  /* weft_run on the task's own pool runs inline. */
  fib_t f = {15, 0};
  ASSERT_OK(weft_run(weft_worker_pool(w), fib_macro, &f));
  a->fib = f.r;
  /* destroy and wait from inside: refused */
  ASSERT_ERR(weft_pool_destroy(weft_worker_pool(w)), WEFT_EDEADLK);
  a->nested_ok = 1;
}

typedef struct {
  weft_job job;
  long n, r;
} sub_args;

static void sub_task(weft_worker *w, void *p) {
  sub_args *a = p;
  fib_t f = {a->n, 0};
  fib_macro(w, &f);
  a->r = f.r;
}

typedef struct {
  sub_args s;
  int status_at_once;
} submit_in_task_args;

/* Submits a job from inside a task of the same pool: on CALLER it runs at
 * once (nested); otherwise another worker (or this one, later) runs it. */
static void submit_in_task(weft_worker *w, void *p) {
  submit_in_task_args *a = p;
  ASSERT_OK(weft_submit(weft_worker_pool(w), &a->s.job, sub_task, &a->s));
  a->status_at_once = weft_job_status(&a->s.job);
}

TEST(modes_roots) {
  for (int k = 0; k < TEST_N_MODES; k++) {
    unsigned mode = test_modes[k];
    test_mode_pool m;
    test_mode_new(&m, mode, MODE_WORKERS, NULL);
    test_log("%s", test_mode_name(mode));

    /* Scratch is released and ENOTASK holds at the root boundary. */
    for (int rep = 0; rep < 3; rep++) {
      root_args ra;
      memset(&ra, 0, sizeof ra);
      ASSERT_OK(weft_run(m.pool, scratch_root, &ra));
      ASSERT_UEQ(ra.mark_in, 0);
      ASSERT_ERR(ra.sync_rc, WEFT_ENOTASK);
      ASSERT_EQ(ra.fib, fib_seq(15));
      ASSERT_EQ(ra.nested_ok, 1);
    }

    /* submit / status / wait, many at once. */
    enum { NJ = 40 };
    sub_args *jobs = calloc(NJ, sizeof *jobs);
    ASSERT_NOT_NULL(jobs);
    for (int i = 0; i < NJ; i++) {
      jobs[i].n = 10 + i % 8;
      ASSERT_OK(weft_submit(m.pool, &jobs[i].job, sub_task, &jobs[i]));
      /* CALLER: submit ran it already. */
      if (mode == WEFT_THREADS_CALLER) ASSERT_OK(weft_job_status(&jobs[i].job));
    }
    for (int i = 0; i < NJ; i++) {
      ASSERT_OK(weft_wait(&jobs[i].job));
      ASSERT_OK(weft_job_status(&jobs[i].job));
      ASSERT_EQ(jobs[i].r, fib_seq(jobs[i].n));
    }
    free(jobs);

    /* submit from inside a task */
    submit_in_task_args st;
    memset(&st, 0, sizeof st);
    st.s.n = 12;
    ASSERT_OK(weft_run(m.pool, submit_in_task, &st));
    if (mode == WEFT_THREADS_CALLER) ASSERT_OK(st.status_at_once);
    ASSERT_OK(weft_wait(&st.s.job));
    ASSERT_EQ(st.s.r, fib_seq(12));
    test_mode_free(&m);
  }
}

/* ------------------------------------------------------------------ loops */

typedef struct {
  _Atomic unsigned char *hits;
  size_t n;
  _Atomic size_t calls;
} loop_ctx;

static void loop_body(weft_worker *w, size_t b, size_t e, void *p) {
  (void)w;
  loop_ctx *c = p;
  atomic_fetch_add(&c->calls, 1);
  for (size_t i = b; i < e; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void nested_body(weft_worker *w, size_t b, size_t e, void *p) {
  loop_ctx *c = p;
  /* each outer index i covers [i*64, i*64+64) with an inner loop */
  for (size_t i = b; i < e; i++) ASSERT_OK(weft_parallel_for(w, i * 64, i * 64 + 64, 8, loop_body, c));
}

static void check_hits(loop_ctx *c) {
  for (size_t i = 0; i < c->n; i++) {
    if (atomic_load(&c->hits[i]) != 1)
      FAIL("index %zu ran %u times", i, (unsigned)atomic_load(&c->hits[i]));
    atomic_store(&c->hits[i], 0);
  }
}

TEST(modes_loops) {
  for (int k = 0; k < TEST_N_MODES; k++) {
    test_mode_pool m;
    test_mode_new(&m, test_modes[k], MODE_WORKERS, NULL);
    loop_ctx c;
    c.n = test_scaled(1 << 16, 4096) / 64 * 64;
    c.hits = calloc(c.n, 1);
    ASSERT_NOT_NULL(c.hits);
    atomic_init(&c.calls, 0);
    ASSERT_OK(weft_pool_for(m.pool, 0, c.n, 100, loop_body, &c));
    check_hits(&c);
    ASSERT_UGE(atomic_load(&c.calls), c.n / 100);
    ASSERT_OK(weft_pool_for(m.pool, 0, c.n, 0, loop_body, &c)); /* grain 0 = 1 */
    check_hits(&c);
    ASSERT_OK(weft_pool_for(m.pool, 0, c.n / 64, 3, nested_body, &c));
    check_hits(&c);
    ASSERT_OK(weft_pool_for(m.pool, 5, 5, 1, loop_body, &c)); /* empty */
    free((void *)c.hits);
    test_mode_free(&m);
  }
}

/* ----------------------------------------------------------------- graphs */

#define GN 64

typedef struct gnode {
  struct gstate *st;
  uint32_t id;
} gnode;

typedef struct gstate {
  _Atomic uint64_t clock;
  _Atomic uint64_t done_at[GN]; /* 0 = not run; else the tick it finished */
  _Atomic unsigned runs[GN];
  uint32_t fail_id;             /* GN: none */
} gstate;

static int gnode_fn(weft_worker *w, void *p) {
  gnode *a = p;
  gstate *st = a->st;
  /* a little fork-join inside every node */
  fib_t f = {10 + a->id % 5, 0};
  fib_macro(w, &f);
  ASSERT_EQ(f.r, fib_seq(f.n));
  atomic_fetch_add(&st->runs[a->id], 1);
  atomic_store(&st->done_at[a->id], atomic_fetch_add(&st->clock, 1) + 1);
  return a->id == st->fail_id ? 7 : 0;
}

typedef struct {
  uint32_t from, to;
} gedge;

/* A random DAG on GN nodes: edges go from lower to higher index. */
static size_t make_dag(uint64_t seed, gedge *e, size_t cap) {
  size_t n = 0;
  for (uint32_t v = 1; v < GN; v++) {
    unsigned k = (unsigned)(splitmix64(seed + v) % 4);
    for (unsigned j = 0; j < k && n < cap; j++) {
      uint32_t u = (uint32_t)(splitmix64(seed * 31 + v * 7 + j) % v);
      e[n].from = u;
      e[n].to = v;
      n++;
    }
  }
  return n;
}

static void check_order(gstate *st, const gedge *e, size_t ne, unsigned runs) {
  for (uint32_t i = 0; i < GN; i++) ASSERT_EQ(atomic_load(&st->runs[i]), runs);
  for (size_t i = 0; i < ne; i++) ASSERT_ULT(atomic_load(&st->done_at[e[i].from]), atomic_load(&st->done_at[e[i].to]));
}

typedef struct {
  weft_graph *g;
  int rc;
} run_in_args;

static void run_in_task(weft_worker *w, void *p) {
  run_in_args *a = p;
  weft_graph_result res;
  a->rc = weft_graph_run_in(w, a->g, &res);
}

TEST(modes_graph) {
  static gstate st;
  gedge edges[GN * 4];
  for (int k = 0; k < TEST_N_MODES; k++) {
    test_mode_pool m;
    test_mode_new(&m, test_modes[k], MODE_WORKERS, NULL);
    for (uint64_t seed = 1; seed <= 3; seed++) {
      size_t ne = make_dag(seed, edges, GN * 4);
      weft_graph *g;
      ASSERT_OK(weft_graph_create(&g));
      weft_node nodes[GN];
      for (uint32_t i = 0; i < GN; i++) {
        gnode a = {&st, i};
        ASSERT_OK(weft_graph_add(g, gnode_fn, &a, sizeof a, &nodes[i]));
      }
      for (size_t i = 0; i < ne; i++) ASSERT_OK(weft_graph_edge(g, nodes[edges[i].from], nodes[edges[i].to]));

      memset(&st, 0, sizeof st);
      st.fail_id = GN;
      weft_graph_result res;
      ASSERT_OK(weft_graph_run(m.pool, g, &res));
      check_order(&st, edges, ne, 1);

      memset(&st, 0, sizeof st);
      st.fail_id = GN;
      ASSERT_OK(weft_graph_run_n(m.pool, g, 3, &res));
      ASSERT_UEQ(res.iterations, 3);
      for (uint32_t i = 0; i < GN; i++) ASSERT_EQ(atomic_load(&st.runs[i]), 3);

      memset(&st, 0, sizeof st);
      st.fail_id = GN;
      run_in_args ra = {g, -1};
      ASSERT_OK(weft_run(m.pool, run_in_task, &ra));
      ASSERT_OK(ra.rc);
      check_order(&st, edges, ne, 1);

      /* a failing node fails the run */
      memset(&st, 0, sizeof st);
      st.fail_id = GN / 2;
      ASSERT_ERR(weft_graph_run(m.pool, g, &res), WEFT_ENODE_FAILED);
      ASSERT_EQ(res.status, 7);
      weft_graph_destroy(g);
    }
    test_mode_free(&m);
  }
}

/* ------------------------------------------------------------------ stats */

TEST(modes_stats) {
  for (int k = 0; k < TEST_N_MODES; k++) {
    unsigned mode = test_modes[k];
    test_mode_pool m;
    test_mode_new(&m, mode, MODE_WORKERS, NULL);
    const long n = 20;
    for (uint64_t run = 1; run <= 3; run++) {
      ASSERT_EQ(test_run_fib(m.pool, run == 2 ? fib_macro : fib_ffi, n), fib_seq(n));
      weft_worker_stats t;
      /* settle: a worker may still be finishing its bookkeeping */
      for (int tries = 0;; tries++) {
        ASSERT_OK(weft_pool_stats_total(m.pool, &t));
        if ((t.tasks_run == t.spawns + t.roots && t.stolen_from == t.steals) || tries >= 2000) break;
        test_sleep_ms(1);
      }
      ASSERT_UEQ(t.spawns, run * (uint64_t)fib_spawn_count(n));
      ASSERT_UEQ(t.roots, run);
      ASSERT_UEQ(t.tasks_run, t.spawns + t.roots);
      ASSERT_UEQ(t.stolen_from, t.steals);
      if (mode == WEFT_THREADS_CALLER) {
        ASSERT_UEQ(t.steals, 0);
        ASSERT_UEQ(t.steal_failures, 0);
        ASSERT_UEQ(t.leapfrogs, 0);
        ASSERT_UEQ(t.sleeps, 0);
        weft_worker_stats s0;
        ASSERT_OK(weft_pool_stats(m.pool, 0, &s0));
        ASSERT_UEQ(s0.tasks_run, t.tasks_run);
        ASSERT_ERR(weft_pool_stats(m.pool, 1, &s0), WEFT_EINVAL);
      }
    }
    test_mode_free(&m);
  }
}

/* --------------------------------------------------------- CALLER only */

TEST(caller_config) {
  weft_config cfg;
  weft_config_default(&cfg);
  ASSERT_UEQ(cfg.threads, WEFT_THREADS_POOL);
  weft_pool p;
  cfg.threads = WEFT_THREADS_CALLER;
  cfg.workers = 2;
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);
  ASSERT_UEQ(p.id, 0);
  cfg.threads = 3;
  cfg.workers = 0;
  ASSERT_ERR(weft_pool_create(&p, &cfg), WEFT_EINVAL);
  cfg.threads = WEFT_THREADS_CALLER;
  cfg.workers = 1;
  long threads0 = test_thread_count();
  ASSERT_OK(weft_pool_create(&p, &cfg));
  ASSERT_EQ(weft_pool_workers(p), 1);
  if (threads0 > 0) ASSERT_EQ(test_thread_count(), threads0); /* no thread started */
  ASSERT_ERR(weft_worker_enter(p, 0), WEFT_EINVAL); /* not a HOST pool */
  ASSERT_OK(weft_pool_destroy(p));
  ASSERT_ERR(weft_pool_destroy(p), WEFT_EBADPOOL);
  fib_t f = {10, 0};
  ASSERT_ERR(weft_run(p, fib_ffi, &f), WEFT_EBADPOOL);
}

/* Several threads share one CALLER pool: jobs take turns on worker 0. */
typedef struct {
  weft_pool pool;
  _Atomic int *inside;
  _Atomic int *max_inside;
  int iters;
} share_args;

static void share_task(weft_worker *w, void *p) {
  share_args *a = p;
  int now = atomic_fetch_add(a->inside, 1) + 1;
  int mx = atomic_load(a->max_inside);
  while (now > mx && !atomic_compare_exchange_weak(a->max_inside, &mx, now)) {
  }
  fib_t f = {16, 0};
  fib_ffi(w, &f);
  ASSERT_EQ(f.r, fib_seq(16));
  atomic_fetch_sub(a->inside, 1);
}

static void *share_thread(void *p) {
  share_args *a = p;
  for (int i = 0; i < a->iters; i++) {
    if (i % 2) {
      ASSERT_OK(weft_run(a->pool, share_task, a));
    } else {
      weft_job job;
      ASSERT_OK(weft_submit(a->pool, &job, share_task, a));
      ASSERT_OK(weft_job_status(&job));
      ASSERT_OK(weft_wait(&job));
    }
    ASSERT_NULL(weft_current_worker());
  }
  return NULL;
}

TEST(caller_shared_by_threads) {
  test_mode_pool m;
  test_mode_new(&m, WEFT_THREADS_CALLER, 1, NULL);
  enum { NT = 4 };
  _Atomic int inside = 0, max_inside = 0;
  share_args a = {m.pool, &inside, &max_inside, (int)test_scaled(200, 20)};
  pthread_t th[NT];
  for (int i = 0; i < NT; i++) ASSERT_EQ(pthread_create(&th[i], NULL, share_thread, &a), 0);
  for (int i = 0; i < NT; i++) ASSERT_EQ(pthread_join(th[i], NULL), 0);
  ASSERT_EQ(atomic_load(&max_inside), 1);
  weft_worker_stats t;
  ASSERT_OK(weft_pool_stats_total(m.pool, &t));
  ASSERT_UEQ(t.roots, (uint64_t)NT * (uint64_t)a.iters);
  test_mode_free(&m);
}

/* Crossing pools from a task: CALLER inside POOL, CALLER inside CALLER,
 * and re-entry of a CALLER pool its thread is already running. */
typedef struct {
  weft_pool a, b; /* CALLER pools */
  int rc_reenter;
  int after_ok;
} cross_args;

static void cross_leaf(weft_worker *w, void *p) {
  (void)w;
  (void)p;
}

static void cross_in_b(weft_worker *w, void *p) {
  cross_args *c = p;
  ASSERT_UEQ(weft_worker_pool(w).id, c->b.id);
  c->rc_reenter = weft_run(c->a, cross_leaf, NULL); /* a is busy on this thread */
}

static void cross_in_a(weft_worker *w, void *p) {
  cross_args *c = p;
  ASSERT_OK(weft_run(c->b, cross_in_b, c));
  /* back on a's worker */
  ASSERT_PTR_EQ(weft_current_worker(), w);
  ASSERT_UEQ(weft_worker_pool(weft_current_worker()).id, c->a.id);
  c->after_ok = 1;
}

static void cross_from_pool(weft_worker *w, void *p) {
  cross_args *c = p;
  long r = test_run_fib(c->a, fib_macro, 18);
  ASSERT_EQ(r, fib_seq(18));
  ASSERT_PTR_EQ(weft_current_worker(), w); /* the POOL worker again */
}

TEST(caller_cross_pool) {
  cross_args c;
  memset(&c, 0, sizeof c);
  test_mode_pool a, b;
  test_mode_new(&a, WEFT_THREADS_CALLER, 1, NULL);
  c.a = a.pool;
  /* b's test_mode_pool must not share the static host slots: CALLER uses none */
  test_mode_new(&b, WEFT_THREADS_CALLER, 1, NULL);
  c.b = b.pool;
  ASSERT_OK(weft_run(c.a, cross_in_a, &c));
  ASSERT_ERR(c.rc_reenter, WEFT_EDEADLK);
  ASSERT_EQ(c.after_ok, 1);
  /* the locks were released: both still usable */
  ASSERT_EQ(test_run_fib(c.a, fib_ffi, 15), fib_seq(15));
  ASSERT_EQ(test_run_fib(c.b, fib_ffi, 15), fib_seq(15));

  weft_pool p = test_pool_new(2);
  ASSERT_OK(weft_run(p, cross_from_pool, &c));
  test_pool_free(p);
  test_mode_free(&b);
  test_mode_free(&a);
}

typedef struct {
  _Atomic unsigned start, stop, other;
} caller_prof;

static void cp_start(void *u, unsigned wi) {
  caller_prof *c = u;
  if (wi != 0) atomic_fetch_add(&c->other, 1);
  atomic_fetch_add(&c->start, 1);
}
static void cp_stop(void *u, unsigned wi) {
  caller_prof *c = u;
  if (wi != 0) atomic_fetch_add(&c->other, 1);
  atomic_fetch_add(&c->stop, 1);
}
static void cp_other(void *u, unsigned wi) {
  (void)wi;
  caller_prof *c = u;
  atomic_fetch_add(&c->other, 1);
}
static void cp_steal(void *u, unsigned a, unsigned b) {
  (void)a;
  (void)b;
  caller_prof *c = u;
  atomic_fetch_add(&c->other, 1);
}

TEST(caller_profiler) {
  static caller_prof cp;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.profiler.user = &cp;
  cfg.profiler.worker_start = cp_start;
  cfg.profiler.worker_stop = cp_stop;
  cfg.profiler.sleep = cp_other;
  cfg.profiler.wake = cp_other;
  cfg.profiler.steal = cp_steal;
  test_mode_pool m;
  test_mode_new(&m, WEFT_THREADS_CALLER, 1, &cfg);
  ASSERT_EQ(atomic_load(&cp.start), 0);
  for (int i = 0; i < 5; i++) ASSERT_EQ(test_run_fib(m.pool, fib_ffi, 15), fib_seq(15));
  test_mode_free(&m);
  ASSERT_EQ(atomic_load(&cp.start), 5);
  ASSERT_EQ(atomic_load(&cp.stop), 5);
  ASSERT_EQ(atomic_load(&cp.other), 0);
}

/* ----------------------------------------------------------- HOST only */

typedef struct {
  weft_pool pool;
  unsigned index;
  int rc;
  const char *mark;
} enter_args;

static void *enter_thread(void *p) {
  enter_args *a = p;
  __atomic_store_n(&a->mark, &thread_mark, __ATOMIC_RELEASE);
  a->rc = weft_worker_enter(a->pool, a->index);
  return NULL;
}

/* Starts n host threads, thread i entering as worker i of p. */
static void start_host_threads(weft_pool p, enter_args *a, pthread_t *th, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    a[i].pool = p;
    a[i].index = i;
    a[i].rc = -1000;
    a[i].mark = NULL;
    ASSERT_EQ(pthread_create(&th[i], NULL, enter_thread, &a[i]), 0);
  }
}

/* Joins them once p is destroyed: each entered before destroy began (OK)
 * or after (EBADPOOL); with `all_ok`, every one must have entered. */
static void join_host_threads(enter_args *a, pthread_t *th, unsigned n, bool all_ok) {
  for (unsigned i = 0; i < n; i++) {
    ASSERT_EQ(pthread_join(th[i], NULL), 0);
    if (all_ok) ASSERT_OK(a[i].rc);
    else ASSERT(a[i].rc == WEFT_OK || a[i].rc == WEFT_EBADPOOL);
  }
}

static void index_task(weft_worker *w, void *p) {
  enter_args *a = p;
  ASSERT_UEQ(weft_worker_index(w), a->index);
  ASSERT_PTR_EQ(&thread_mark, a->mark);
}

static void enter_from_worker(weft_worker *w, void *p) {
  (void)w;
  weft_pool *h = p;
  ASSERT_ERR(weft_worker_enter(*h, 0), WEFT_EINVAL); /* already a worker */
}

TEST(host_enter_errors) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = 2;
  weft_pool p;
  long threads0 = test_thread_count();
  ASSERT_OK(weft_pool_create(&p, &cfg));
  if (threads0 > 0) ASSERT_EQ(test_thread_count(), threads0); /* started none */
  ASSERT_ERR(weft_worker_enter(p, 2), WEFT_EINVAL);
  weft_pool zero = {0};
  ASSERT_ERR(weft_worker_enter(zero, 0), WEFT_EBADPOOL);

  enter_args a = {p, 1, -1000, NULL};
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, NULL, enter_thread, &a), 0);
  /* Only worker 1 is entered, so this job runs on it: once it has run,
   * index 1 is surely taken, and entering it again is refused. */
  ASSERT_OK(weft_run(p, index_task, &a));
  ASSERT_ERR(weft_worker_enter(p, 1), WEFT_EBUSY);
  /* A worker of another pool cannot enter. */
  weft_pool other = test_pool_new(1);
  ASSERT_OK(weft_run(other, enter_from_worker, &p));
  test_pool_free(other);
  /* The pool works with one of its two workers entered. */
  ASSERT_EQ(test_run_fib(p, fib_macro, 20), fib_seq(20));
  ASSERT_OK(weft_pool_destroy(p));
  ASSERT_EQ(pthread_join(th, NULL), 0);
  ASSERT_OK(a.rc);
  ASSERT_ERR(weft_worker_enter(p, 0), WEFT_EBADPOOL); /* after destroy */
}

/* Jobs submitted before any host thread enters wait for one. */
TEST(host_enter_late) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = 3;
  weft_pool p;
  ASSERT_OK(weft_pool_create(&p, &cfg)); /* returns: waits for nobody */
  sub_args s = {{0}, 20, 0};
  ASSERT_OK(weft_submit(p, &s.job, sub_task, &s));
  test_sleep_ms(50);
  ASSERT_ERR(weft_job_status(&s.job), WEFT_EPENDING);
  enter_args a[3];
  pthread_t th[3];
  start_host_threads(p, a, th, 3);
  ASSERT_OK(weft_wait(&s.job));
  ASSERT_EQ(s.r, fib_seq(20));
  ASSERT_OK(weft_pool_destroy(p));
  int entered = 0;
  for (unsigned i = 0; i < 3; i++) {
    ASSERT_EQ(pthread_join(th[i], NULL), 0);
    /* a thread that came after destroy began is turned away */
    ASSERT(a[i].rc == WEFT_OK || a[i].rc == WEFT_EBADPOOL);
    entered += a[i].rc == WEFT_OK;
  }
  ASSERT_GE(entered, 1); /* someone ran the job */
}

/* The host's threads, and only they, run the pool's tasks. */
typedef struct {
  const char *marks[TEST_HOST_MAX];
  unsigned nmarks;
  _Atomic unsigned foreign;
  _Atomic unsigned seen[TEST_HOST_MAX];
} host_ctx;

static host_ctx hctx;

static void host_check_thread(void) {
  for (unsigned i = 0; i < hctx.nmarks; i++) {
    if (hctx.marks[i] == &thread_mark) {
      atomic_fetch_add(&hctx.seen[i], 1);
      return;
    }
  }
  atomic_fetch_add(&hctx.foreign, 1);
}

static void host_fib(weft_worker *w, void *p) {
  fib_t *a = p;
  host_check_thread();
  if (a->n < 2) {
    a->r = a->n;
    return;
  }
  fib_t x = {a->n - 1, 0}, y = {a->n - 2, 0};
  WEFT_SPAWN(w, host_fib, &x);
  host_fib(w, &y);
  WEFT_SYNC(w, &x);
  a->r = x.r + y.r;
}

TEST(host_threads_run_pool) {
  enum { HW = 3 };
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = HW;
  cfg.spin_rounds = 64;
  weft_pool p;
  ASSERT_OK(weft_pool_create(&p, &cfg));
  enter_args a[HW];
  pthread_t th[HW];
  memset(&hctx, 0, sizeof hctx);
  start_host_threads(p, a, th, HW);
  /* wait until each host thread has published its mark */
  for (unsigned i = 0; i < HW; i++) {
    while (!__atomic_load_n(&a[i].mark, __ATOMIC_ACQUIRE)) test_sleep_ms(1);
    hctx.marks[i] = a[i].mark;
  }
  hctx.nmarks = HW;
  long n = (long)test_scaled(27, 20);
  for (int rep = 0; rep < 3; rep++) ASSERT_EQ(test_run_fib(p, host_fib, n), fib_seq(n));
  ASSERT_EQ(atomic_load(&hctx.foreign), 0);
  unsigned ran_on = 0;
  for (unsigned i = 0; i < HW; i++) ran_on += atomic_load(&hctx.seen[i]) > 0;
  test_log("tasks ran on %u of %u host threads", ran_on, HW);
  ASSERT_GE(ran_on, 1);
  ASSERT_OK(weft_pool_destroy(p));
  join_host_threads(a, th, HW, true);
}

/* Destroy while nobody ever entered, and while entered workers sleep. */
TEST(host_destroy) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = 4;
  for (int rep = 0; rep < 20; rep++) {
    weft_pool p;
    ASSERT_OK(weft_pool_create(&p, &cfg));
    enter_args a[4];
    pthread_t th[4];
    unsigned nin = (unsigned)rep % 5; /* 0..4 workers entered */
    start_host_threads(p, a, th, nin);
    if (rep % 3 == 0) test_sleep_ms(2); /* let some fall asleep */
    ASSERT_OK(weft_pool_destroy(p));
    join_host_threads(a, th, nin, false);
  }
}

/* ------------------------------------------------- stacks in the slices */

/* White-box: weft__worker_stack and WEFT__HOST_STACKS (src/internal.h), the
 * stacks the WebAssembly host runs its workers on (js/test checks that the
 * workers' stack pointers really are there). */

typedef struct {
  void *base[4];
  size_t size[4];
  _Atomic unsigned inside, outside;
} stack_ctx;

static stack_ctx sctx;

/* Records whether this call's frame lies in its worker's stack (an address
 * of a local stands for the stack pointer). */
static void stack_probe(weft_worker *w) {
  volatile char local = 0;
  uintptr_t a = (uintptr_t)&local;
  unsigned i = weft_worker_index(w);
  uintptr_t lo = (uintptr_t)sctx.base[i], hi = lo + sctx.size[i];
  if (a >= lo && a < hi) atomic_fetch_add(&sctx.inside, 1);
  else atomic_fetch_add(&sctx.outside, 1);
}

WEFT_TASK_1(long, sfib, long, n) {
  if (n < 2) {
    if (n == 1) stack_probe(w);
    return n;
  }
  sfib_spawn(w, n - 1);
  long y = sfib(w, n - 2);
  return sfib_sync(w) + y;
}

/* Gets every worker's stack; checks sizes, page alignment, no overlap, and
 * the errors. */
static void get_stacks(weft_pool p, unsigned n, size_t want) {
  memset(&sctx, 0, sizeof sctx);
  for (unsigned i = 0; i < n; i++) {
    ASSERT_OK(weft__worker_stack(p, i, &sctx.base[i], &sctx.size[i]));
    ASSERT_NOT_NULL(sctx.base[i]);
    ASSERT_UGE(sctx.size[i], want);
    ASSERT_ULT(sctx.size[i], want + 65536); /* rounded up to a page */
    ASSERT_UEQ((uintptr_t)sctx.base[i] % 4096, 0);
    for (unsigned j = 0; j < i; j++) {
      uintptr_t a = (uintptr_t)sctx.base[i], b = (uintptr_t)sctx.base[j];
      ASSERT(a >= b + sctx.size[j] || a + sctx.size[i] <= b);
    }
  }
  void *base;
  size_t size;
  ASSERT_ERR(weft__worker_stack(p, n, &base, &size), WEFT_EINVAL);
  ASSERT_ERR(weft__worker_stack(p, 0, NULL, &size), WEFT_EINVAL);
  ASSERT_ERR(weft__worker_stack(p, 0, &base, NULL), WEFT_EINVAL);
}

TEST(worker_stacks) {
  weft_config cfg;
  weft_config_default(&cfg);
  void *base;
  size_t size;
  long n = (long)test_scaled(22, 16), r;

  /* The pool's own threads: their stacks are in the slices, and tasks run
   * there (where the platform places thread stacks: not on Windows). */
  cfg.workers = 2;
  cfg.stack_size = (size_t)1 << 20;
  weft_pool p;
  ASSERT_OK(weft_pool_create(&p, &cfg));
  get_stacks(p, 2, cfg.stack_size);
  ASSERT_OK(sfib_run(p, &r, n));
  ASSERT_EQ(r, fib_seq(n));
#if !defined(_WIN32)
  ASSERT_UGT(atomic_load(&sctx.inside), 0);
  ASSERT_UEQ(atomic_load(&sctx.outside), 0);
#endif
  ASSERT_OK(weft_pool_destroy(p));
  ASSERT_ERR(weft__worker_stack(p, 0, &base, &size), WEFT_EBADPOOL);

  /* CALLER, and HOST without the flag: no stacks. */
  cfg.threads = WEFT_THREADS_CALLER;
  cfg.workers = 1;
  ASSERT_OK(weft_pool_create(&p, &cfg));
  ASSERT_ERR(weft__worker_stack(p, 0, &base, &size), WEFT_EINVAL);
  ASSERT_OK(weft_pool_destroy(p));
  cfg.threads = WEFT_THREADS_HOST;
  cfg.workers = 2;
  ASSERT_OK(weft_pool_create(&p, &cfg));
  ASSERT_ERR(weft__worker_stack(p, 0, &base, &size), WEFT_EINVAL);
  ASSERT_OK(weft_pool_destroy(p));

  /* HOST with WEFT__HOST_STACKS: a stack per slice; the pool works as any
   * HOST pool (here the host threads keep their own stacks: a native thread
   * may not run on one, see internal.h). */
  cfg.stack_size = (size_t)256 << 10;
  ASSERT_OK(weft__pool_create(&p, &cfg, WEFT__HOST_STACKS));
  get_stacks(p, 2, cfg.stack_size);
  enter_args a[2];
  pthread_t th[2];
  start_host_threads(p, a, th, 2);
  ASSERT_OK(sfib_run(p, &r, n));
  ASSERT_EQ(r, fib_seq(n));
  ASSERT_OK(weft_pool_destroy(p));
  join_host_threads(a, th, 2, false); /* one may come after the job ran */
  (void)sfib_task;
}
