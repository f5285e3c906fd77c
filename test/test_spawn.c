/* Fork-join: spawn/sync through the FFI functions and the inline macros,
 * argument checks, ENOTASK, deep recursion, deque overflow. */
#include "helpers.h"

#include <stdatomic.h>
#include <string.h>

/* ---------------------------------------------------------------- fib */

static void fib_various(weft_fn fn) {
  static const long ns[] = {0, 1, 2, 3, 10, 20, 25};
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
      ASSERT_EQ(test_run_fib(p, fn, ns[i]), fib_seq(ns[i]));
    test_pool_free(p);
  }
}

TEST(spawn_fib_ffi) { fib_various(fib_ffi); }

TEST(spawn_fib_macro) { fib_various(fib_macro); }

/* --------------------------------------------- many children, LIFO syncs */

typedef struct {
  long idx, val;
  atomic_int *ran;
} child_t;

static void child_task(weft_worker *w, void *p) {
  child_t *c = p;
  atomic_fetch_add(&c->ran[c->idx], 1);
  fib_t f = {c->idx % 16, 0};
  if (c->idx & 1) {
    WEFT_SPAWN(w, fib_macro, &f);
    WEFT_SYNC(w, &f);
  } else {
    fib_ffi(w, &f);
  }
  c->val = c->idx * 1000 + f.r;
}

static long child_expect(long idx) { return idx * 1000 + fib_seq(idx % 16); }

enum { LIFO_K = 600 };

typedef struct {
  int use_macro;
} lifo_arg;

/* Spawns LIFO_K children and syncs them newest first. */
static void lifo_all(weft_worker *w, void *p) {
  lifo_arg *a = p;
  static atomic_int ran[LIFO_K];
  for (int i = 0; i < LIFO_K; i++) atomic_store(&ran[i], 0);
  child_t c[LIFO_K];
  for (int i = 0; i < LIFO_K; i++) {
    c[i].idx = i;
    c[i].val = -1;
    c[i].ran = ran;
    if (a->use_macro) WEFT_SPAWN(w, child_task, &c[i]);
    else ASSERT_OK(weft_spawn(w, child_task, &c[i], sizeof c[i]));
  }
  for (int i = LIFO_K - 1; i >= 0; i--) {
    if (a->use_macro) WEFT_SYNC(w, &c[i]);
    else ASSERT_OK(weft_sync(w, &c[i], sizeof c[i]));
    ASSERT_EQ(c[i].val, child_expect(i));
    ASSERT_EQ(atomic_load(&ran[i]), 1);
  }
  ASSERT_ERR(weft_sync(w, NULL, 0), WEFT_ENOTASK);
}

/* Interleaves spawns and syncs in a pseudo-random stack discipline. */
static void lifo_mixed(weft_worker *w, void *p) {
  lifo_arg *a = p;
  static atomic_int ran[LIFO_K];
  for (int i = 0; i < LIFO_K; i++) atomic_store(&ran[i], 0);
  child_t c[LIFO_K];
  int stack[LIFO_K];
  int depth = 0, next = 0, synced = 0;
  uint64_t rng = 12345;
  while (synced < LIFO_K) {
    rng = splitmix64(rng);
    int push = next < LIFO_K && (depth == 0 || (rng & 3) != 0);
    if (push) {
      c[next].idx = next;
      c[next].val = -1;
      c[next].ran = ran;
      if (a->use_macro) WEFT_SPAWN(w, child_task, &c[next]);
      else ASSERT_OK(weft_spawn(w, child_task, &c[next], sizeof c[next]));
      stack[depth++] = next++;
    } else {
      int i = stack[--depth];
      if (a->use_macro) WEFT_SYNC(w, &c[i]);
      else ASSERT_OK(weft_sync(w, &c[i], sizeof c[i]));
      ASSERT_EQ(c[i].val, child_expect(i));
      ASSERT_EQ(atomic_load(&ran[i]), 1);
      synced++;
    }
  }
  ASSERT_ERR(weft_sync(w, NULL, 0), WEFT_ENOTASK);
}

TEST(spawn_lifo_many) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int m = 0; m < 2; m++) {
      lifo_arg a = {m};
      ASSERT_OK(weft_run(p, lifo_all, &a));
      ASSERT_OK(weft_run(p, lifo_mixed, &a));
    }
    test_pool_free(p);
  }
}

/* ---------------------------------------------------------- deep chain */

typedef struct {
  long depth, r;
} chain_t;

static void chain_macro(weft_worker *w, void *p) {
  chain_t *a = p;
  if (a->depth == 0) {
    a->r = 0;
    return;
  }
  chain_t c = {a->depth - 1, -1};
  WEFT_SPAWN(w, chain_macro, &c);
  WEFT_SYNC(w, &c);
  a->r = c.r + 1;
}

static void chain_ffi(weft_worker *w, void *p) {
  chain_t *a = p;
  if (a->depth == 0) {
    a->r = 0;
    return;
  }
  chain_t c = {a->depth - 1, -1};
  ASSERT_OK(weft_spawn(w, chain_ffi, &c, sizeof c));
  ASSERT_OK(weft_sync(w, &c, sizeof c));
  a->r = c.r + 1;
}

TEST(spawn_deep_chain) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]); /* default 8 MiB stacks */
    for (int rep = 0; rep < 3; rep++) {
      chain_t a = {5000, -1};
      ASSERT_OK(weft_run(p, chain_macro, &a));
      ASSERT_EQ(a.r, 5000);
      chain_t b = {5000, -1};
      ASSERT_OK(weft_run(p, chain_ffi, &b));
      ASSERT_EQ(b.r, 5000);
    }
    test_pool_free(p);
  }
}

/* ------------------------------------------------------ argument errors */

static atomic_int err_child_runs;

typedef struct {
  long v;
} one_t;

static void err_child(weft_worker *w, void *p) {
  (void)w;
  one_t *a = p;
  atomic_fetch_add(&err_child_runs, 1);
  a->v = a->v * 2 + 1;
}

static void err_child_noargs(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  atomic_fetch_add(&err_child_runs, 1);
}

static void spawn_errors_task(weft_worker *w, void *p) {
  int *done = p;
  one_t a = {20};
  unsigned char big[64];
  memset(big, 0, sizeof big);

  ASSERT_ERR(weft_spawn(w, NULL, &a, sizeof a), WEFT_EINVAL);
  ASSERT_ERR(weft_spawn(w, err_child, big, WEFT_ARGS_MAX + 1), WEFT_E2BIG);
  ASSERT_ERR(weft_spawn(w, err_child, big, 49), WEFT_E2BIG);
  ASSERT_ERR(weft_spawn(w, err_child, NULL, sizeof a), WEFT_EINVAL);
  ASSERT_ERR(weft_spawn(NULL, err_child, &a, sizeof a), WEFT_EINVAL);
  /* On error nothing was spawned. */
  ASSERT_ERR(weft_sync(w, NULL, 0), WEFT_ENOTASK);
  ASSERT_EQ(atomic_load(&err_child_runs), 0);

  /* args NULL with size 0 is fine. */
  ASSERT_OK(weft_spawn(w, err_child_noargs, NULL, 0));
  ASSERT_OK(weft_sync(w, NULL, 0));
  ASSERT_EQ(atomic_load(&err_child_runs), 1);

  /* Bad sync arguments are rejected and leave the spawn outstanding. */
  ASSERT_OK(weft_spawn(w, err_child, &a, sizeof a));
  ASSERT_ERR(weft_sync(NULL, &a, sizeof a), WEFT_EINVAL);
  ASSERT_ERR(weft_sync(w, NULL, sizeof a), WEFT_EINVAL);
  ASSERT_ERR(weft_sync(w, big, WEFT_ARGS_MAX + 1), WEFT_E2BIG);
  ASSERT_OK(weft_sync(w, &a, sizeof a));
  ASSERT_EQ(a.v, 41);
  ASSERT_EQ(atomic_load(&err_child_runs), 2);
  ASSERT_ERR(weft_sync(w, &a, sizeof a), WEFT_ENOTASK);
  ASSERT_EQ(a.v, 41);
  *done = 1;
}

TEST(spawn_errors) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    atomic_store(&err_child_runs, 0);
    weft_pool p = test_pool_new(workers);
    int done = 0;
    ASSERT_OK(weft_run(p, spawn_errors_task, &done));
    ASSERT_EQ(done, 1);
    test_pool_free(p);
  }
}

/* ------------------------------------------- a full WEFT_ARGS_MAX block */

typedef struct {
  unsigned char b[WEFT_ARGS_MAX];
} max_t;

_Static_assert(sizeof(max_t) == WEFT_ARGS_MAX, "max_t fills a frame");

static unsigned char max_pattern(int i, int salt) { return (unsigned char)(i * 7 + 1 + salt); }

static void max_child(weft_worker *w, void *p) {
  (void)w;
  max_t *a = p;
  int salt = a->b[0] - 1; /* b[0] = max_pattern(0, salt) */
  for (int i = 0; i < WEFT_ARGS_MAX; i++) ASSERT_EQ(a->b[i], max_pattern(i, salt));
  for (int i = 0; i < WEFT_ARGS_MAX; i++) a->b[i] = (unsigned char)(255 - a->b[i]);
}

static void max_task(weft_worker *w, void *p) {
  (void)p;
  enum { K = 100 };
  max_t c[K];
  for (int k = 0; k < K; k++) {
    for (int i = 0; i < WEFT_ARGS_MAX; i++) c[k].b[i] = max_pattern(i, k);
    if (k & 1) WEFT_SPAWN(w, max_child, &c[k]);
    else ASSERT_OK(weft_spawn(w, max_child, &c[k], sizeof c[k]));
  }
  for (int k = K - 1; k >= 0; k--) {
    if (k & 1) WEFT_SYNC(w, &c[k]);
    else ASSERT_OK(weft_sync(w, &c[k], sizeof c[k]));
    for (int i = 0; i < WEFT_ARGS_MAX; i++)
      ASSERT_EQ(c[k].b[i], (unsigned char)(255 - max_pattern(i, k)));
  }
}

TEST(spawn_max_args) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int rep = 0; rep < 20; rep++) ASSERT_OK(weft_run(p, max_task, NULL));
    test_pool_free(p);
  }
}

/* ------------------------------------------------------------ ENOTASK */

static void enotask_task(weft_worker *w, void *p) {
  int *progress = p;
  one_t a = {5};
  ASSERT_ERR(weft_sync(w, NULL, 0), WEFT_ENOTASK);
  *progress = 1;
  ASSERT_ERR(weft_sync(w, &a, sizeof a), WEFT_ENOTASK);
  ASSERT_EQ(a.v, 5); /* nothing ran on it */
  *progress = 2;
  ASSERT_OK(weft_spawn(w, err_child, &a, sizeof a));
  ASSERT_OK(weft_sync(w, &a, sizeof a));
  ASSERT_EQ(a.v, 11);
  ASSERT_ERR(weft_sync(w, &a, sizeof a), WEFT_ENOTASK);
  ASSERT_EQ(a.v, 11);
  *progress = 3;
}

TEST(sync_enotask) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    atomic_store(&err_child_runs, 0);
    weft_pool p = test_pool_new(workers);
    int progress = 0;
    ASSERT_OK(weft_run(p, enotask_task, &progress));
    ASSERT_EQ(progress, 3);
    ASSERT_EQ(atomic_load(&err_child_runs), 1);
    /* The pool is fine afterwards. */
    ASSERT_EQ(test_run_fib(p, fib_ffi, 15), fib_seq(15));
    test_pool_free(p);
  }
}

/* A child task run inline by its parent's sync must not be able to sync the
 * parent's other outstanding spawns: "the calling task has no outstanding
 * spawn" is per task, not per deque. */
static atomic_int nested_x_runs, nested_y_runs;

static void nested_x(weft_worker *w, void *p) {
  (void)w;
  one_t *a = p;
  atomic_fetch_add(&nested_x_runs, 1);
  a->v += 100;
}

static void nested_y(weft_worker *w, void *p) {
  one_t *a = p;
  atomic_fetch_add(&nested_y_runs, 1);
  one_t dummy = {7};
  ASSERT_ERR(weft_sync(w, &dummy, sizeof dummy), WEFT_ENOTASK);
  ASSERT_EQ(dummy.v, 7);
  /* With one worker nobody else can have run x yet. */
  if (weft_pool_workers(weft_worker_pool(w)) == 1) ASSERT_EQ(atomic_load(&nested_x_runs), 0);
  /* Its own spawns still work. */
  one_t z = {1};
  ASSERT_OK(weft_spawn(w, err_child, &z, sizeof z));
  ASSERT_OK(weft_sync(w, &z, sizeof z));
  ASSERT_EQ(z.v, 3);
  a->v += 10;
}

static void nested_parent(weft_worker *w, void *p) {
  (void)p;
  for (int rep = 0; rep < 50; rep++) {
    atomic_store(&nested_x_runs, 0);
    atomic_store(&nested_y_runs, 0);
    one_t x = {1}, y = {2};
    ASSERT_OK(weft_spawn(w, nested_x, &x, sizeof x));
    ASSERT_OK(weft_spawn(w, nested_y, &y, sizeof y));
    ASSERT_OK(weft_sync(w, &y, sizeof y));
    ASSERT_EQ(y.v, 12);
    ASSERT_EQ(atomic_load(&nested_y_runs), 1);
    ASSERT_OK(weft_sync(w, &x, sizeof x));
    ASSERT_EQ(x.v, 101);
    ASSERT_EQ(atomic_load(&nested_x_runs), 1);
    ASSERT_ERR(weft_sync(w, NULL, 0), WEFT_ENOTASK);
  }
}

TEST(sync_enotask_nested) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    weft_pool p = test_pool_new(workers);
    ASSERT_OK(weft_run(p, nested_parent, NULL));
    test_pool_free(p);
  }
}

/* ------------------------------------------------------- deque overflow */

enum { WIDE_K = 1000 };

typedef struct {
  int use_macro;
} wide_arg;

static atomic_int wide_ran[WIDE_K];

static void wide_child(weft_worker *w, void *p) {
  (void)w;
  child_t *c = p;
  atomic_fetch_add(&wide_ran[c->idx], 1);
  c->val = c->idx * 3 + 1;
}

static void wide_task(weft_worker *w, void *p) {
  wide_arg *a = p;
  child_t c[WIDE_K];
  for (int i = 0; i < WIDE_K; i++) atomic_store(&wide_ran[i], 0);
  for (int i = 0; i < WIDE_K; i++) {
    c[i].idx = i;
    c[i].val = -1;
    c[i].ran = NULL;
    if (a->use_macro) WEFT_SPAWN(w, wide_child, &c[i]);
    else ASSERT_OK(weft_spawn(w, wide_child, &c[i], sizeof c[i]));
  }
  for (int i = WIDE_K - 1; i >= 0; i--) {
    if (a->use_macro) WEFT_SYNC(w, &c[i]);
    else ASSERT_OK(weft_sync(w, &c[i], sizeof c[i]));
    ASSERT_EQ(c[i].val, i * 3 + 1);
    ASSERT_EQ(atomic_load(&wide_ran[i]), 1);
  }
}

TEST(spawn_overflow) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    unsigned workers = test_worker_counts[k];
    weft_config cfg;
    weft_config_default(&cfg);
    cfg.workers = workers;
    cfg.deque_frames = 16;
    weft_pool p = test_pool_new_cfg(&cfg);

    for (int m = 0; m < 2; m++) {
      wide_arg a = {m};
      ASSERT_OK(weft_run(p, wide_task, &a));
    }
    for (int rep = 0; rep < 2; rep++) {
      chain_t c1 = {300, -1};
      ASSERT_OK(weft_run(p, chain_macro, &c1));
      ASSERT_EQ(c1.r, 300);
      chain_t c2 = {300, -1};
      ASSERT_OK(weft_run(p, chain_ffi, &c2));
      ASSERT_EQ(c2.r, 300);
    }
    ASSERT_EQ(test_run_fib(p, fib_ffi, 22), fib_seq(22));
    ASSERT_EQ(test_run_fib(p, fib_macro, 22), fib_seq(22));

    weft_worker_stats total;
    ASSERT_OK(weft_pool_stats_total(p, &total));
    test_log("workers %u: overflows %llu", workers, (unsigned long long)total.overflows);
    /* With one worker nobody can steal, so 1000 outstanding spawns in a
     * 16-frame deque must overflow. With thieves that is near-certain but
     * not guaranteed, so only the results are checked there. */
    if (workers == 1) ASSERT_UGT(total.overflows, 0);
    test_pool_free(p);
  }
}

/* --------------------------------------------------- worker identity */

typedef struct {
  weft_pool pool;
  unsigned workers;
  atomic_uint seen_mask;
} ident_ctx;

static void ident_range(weft_worker *w, size_t b, size_t e, void *p) {
  ident_ctx *c = p;
  (void)b;
  (void)e;
  ASSERT_PTR_EQ(weft_current_worker(), w);
  unsigned idx = weft_worker_index(w);
  ASSERT_LT(idx, c->workers);
  ASSERT_UEQ(weft_worker_pool(w).id, c->pool.id);
  atomic_fetch_or(&c->seen_mask, 1u << idx);
}

TEST(worker_identity) {
  ASSERT_NULL(weft_current_worker()); /* main thread is not a worker */
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    ident_ctx c;
    c.workers = test_worker_counts[k];
    c.pool = test_pool_new(c.workers);
    atomic_init(&c.seen_mask, 0);
    ASSERT_OK(weft_pool_for(c.pool, 0, 20000, 1, ident_range, &c));
    ASSERT(atomic_load(&c.seen_mask) != 0);
    test_log("workers %u: seen mask 0x%x", c.workers, atomic_load(&c.seen_mask));
    test_pool_free(c.pool);
    ASSERT_NULL(weft_current_worker());
  }
}
