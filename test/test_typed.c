/* Typed tasks: WEFT_TASK_1..4 (arguments in registers, NAME_spawn /
 * NAME_sync / NAME_task / NAME_run). */
#include "helpers.h"

#include <stdatomic.h>
#include <stdint.h>

#ifndef WEFT_TASK_1
#error "weft.h does not provide the typed-task macros with this compiler"
#endif

WEFT_TASK_1(long, tfib, long, n) {
  if (n < 2) return n;
  tfib_spawn(w, n - 1);
  long y = tfib(w, n - 2);
  return tfib_sync(w) + y;
}

/* Sum of [lo, hi) by halving; depth counts the recursion, to check a third
 * argument of a different type travels intact. */
WEFT_TASK_3(uint64_t, tsum, uint64_t, lo, uint64_t, hi, int, depth) {
  ASSERT_LT(depth, 64);
  if (hi - lo <= 16) {
    uint64_t s = 0;
    for (uint64_t i = lo; i < hi; i++) s += i;
    return s;
  }
  uint64_t mid = lo + (hi - lo) / 2;
  tsum_spawn(w, lo, mid, depth + 1);
  uint64_t right = tsum(w, mid, hi, depth + 1);
  return tsum_sync(w) + right;
}

/* Mixed small argument types; each child returns a checksum of its own
 * arguments, so a mix-up between frames or fields shows. */
static long mix_expect(int a, char b, short c, long d) {
  return (long)a * 1000003L + (long)b * 1009L + (long)c * 17L + d;
}

/* (Parameter names must not collide with the macro's locals: a, f, w,
 * pool, ret.) */
WEFT_TASK_4(long, tmix, int, ia, char, cb, short, sc, long, ld) {
  if (ia > 0) {
    tmix_spawn(w, ia - 1, (char)(cb + 1), (short)(sc - 3), ld + 7);
    long inner = tmix_sync(w);
    ASSERT_EQ(inner, mix_expect(ia - 1, (char)(cb + 1), (short)(sc - 3), ld + 7));
  }
  return mix_expect(ia, cb, sc, ld);
}

WEFT_TASK_2(int, tpair, int, x, int, y) {
  (void)w;
  return x * 31 + y;
}

/* Spawns k typed children before syncing any of them. */
WEFT_TASK_1(long, twide, int, k) {
  for (int i = 0; i < k; i++) tpair_spawn(w, i, k - i);
  long sum = 0;
  for (int i = k - 1; i >= 0; i--) {
    int r = tpair_sync(w);
    ASSERT_EQ(r, i * 31 + (k - i));
    sum += r;
  }
  return sum;
}

static long twide_expect(int k) {
  long s = 0;
  for (int i = 0; i < k; i++) s += i * 31 + (k - i);
  return s;
}

/* A plain task that spawns typed tasks (and uses every generated function:
 * clang warns about unused ones). */
typedef struct {
  int k;
  long r;
} twide_outer_t;

static void twide_outer(weft_worker *w, void *p) {
  twide_outer_t *o = p;
  twide_spawn(w, o->k);
  twide_spawn(w, o->k + 1);
  long r2 = twide_sync(w);
  long r1 = twide_sync(w);
  ASSERT_EQ(r2, twide_expect(o->k + 1));
  o->r = r1;
}

TEST(typed_fib) {
  static const long ns[] = {0, 1, 2, 10, 20, 25};
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
      long r = -1;
      ASSERT_OK(tfib_run(p, &r, ns[i]));
      ASSERT_EQ(r, fib_seq(ns[i]));
      /* NAME_task is a plain weft_fn over NAME_args. */
      tfib_args a;
      a.a1 = ns[i];
      a.ret = -1;
      ASSERT_OK(weft_run(p, tfib_task, &a));
      ASSERT_EQ(a.ret, fib_seq(ns[i]));
    }
    test_pool_free(p);
  }
}

TEST(typed_args) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int rep = 0; rep < 5; rep++) {
      uint64_t lo = 1000u * (uint64_t)rep, hi = lo + 200000;
      uint64_t s = 0, expect = 0;
      for (uint64_t i = lo; i < hi; i++) expect += i;
      ASSERT_OK(tsum_run(p, &s, lo, hi, 0));
      ASSERT_UEQ(s, expect);

      long m = 0;
      ASSERT_OK(tmix_run(p, &m, 40, 'A', 1000, 123456789L));
      ASSERT_EQ(m, mix_expect(40, 'A', 1000, 123456789L));

      long wsum = 0;
      ASSERT_OK(twide_run(p, &wsum, 500));
      ASSERT_EQ(wsum, twide_expect(500));
    }
    twide_outer_t o = {300, -1};
    ASSERT_OK(weft_run(p, twide_outer, &o));
    ASSERT_EQ(o.r, twide_expect(300));
    int pr = -1;
    ASSERT_OK(tpair_run(p, &pr, 3, 4));
    ASSERT_EQ(pr, 3 * 31 + 4);
    /* A NULL result pointer is allowed by NAME_run. */
    ASSERT_OK(tfib_run(p, NULL, 10));
    test_pool_free(p);
  }
}

TEST(typed_overflow) {
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    unsigned workers = test_worker_counts[k];
    weft_config cfg;
    weft_config_default(&cfg);
    cfg.workers = workers;
    cfg.deque_frames = 16;
    weft_pool p = test_pool_new_cfg(&cfg);
    long r = -1;
    ASSERT_OK(tfib_run(p, &r, 22));
    ASSERT_EQ(r, fib_seq(22));
    long wsum = 0;
    ASSERT_OK(twide_run(p, &wsum, 1000));
    ASSERT_EQ(wsum, twide_expect(1000));
    long m = 0;
    ASSERT_OK(tmix_run(p, &m, 200, 0, 0, 1));
    ASSERT_EQ(m, mix_expect(200, 0, 0, 1));
    weft_worker_stats t;
    ASSERT_OK(weft_pool_stats_total(p, &t));
    if (workers == 1) ASSERT_UGT(t.overflows, 0);
    test_pool_free(p);
  }
}

TEST(typed_stats) {
  /* Typed spawns are counted like the others: one per tfib call with n >= 2. */
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    long r = -1;
    ASSERT_OK(tfib_run(p, &r, 20));
    ASSERT_EQ(r, fib_seq(20));
    weft_worker_stats t;
    ASSERT_OK(weft_pool_stats_total(p, &t));
    for (int tries = 0; t.tasks_run != t.spawns + t.roots && tries < 2000; tries++) {
      test_sleep_ms(1);
      ASSERT_OK(weft_pool_stats_total(p, &t));
    }
    ASSERT_UEQ(t.spawns, fib_spawn_count(20));
    ASSERT_UEQ(t.roots, 1);
    ASSERT_UEQ(t.tasks_run, t.spawns + t.roots);
    test_pool_free(p);
  }
}
