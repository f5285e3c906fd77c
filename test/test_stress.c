/* Stress: every spawned task runs exactly once; irregular trees against a
 * sequential oracle; many repeated root runs. */
#include "helpers.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- exactly once */

/* A complete 4-ary heap-shaped tree of eo_n nodes: node i has children
 * 4i+1 .. 4i+4 (those < eo_n). Every node bumps its own counter; each task
 * returns the size of its subtree. */
static _Atomic uint32_t *eo_counters;
static uint64_t eo_n;

typedef struct {
  uint64_t id;
  uint64_t count;
} eo_t;

static void eo_macro(weft_worker *w, void *p) {
  eo_t *a = p;
  atomic_fetch_add_explicit(&eo_counters[a->id], 1, memory_order_relaxed);
  eo_t c[4];
  int k = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t cid = a->id * 4 + 1 + (uint64_t)i;
    if (cid >= eo_n) break;
    c[k].id = cid;
    c[k].count = 0;
    WEFT_SPAWN(w, eo_macro, &c[k]);
    k++;
  }
  uint64_t count = 1;
  while (k > 0) {
    k--;
    WEFT_SYNC(w, &c[k]);
    count += c[k].count;
  }
  a->count = count;
}

static void eo_ffi(weft_worker *w, void *p) {
  eo_t *a = p;
  atomic_fetch_add_explicit(&eo_counters[a->id], 1, memory_order_relaxed);
  eo_t c[4];
  int k = 0;
  for (int i = 0; i < 4; i++) {
    uint64_t cid = a->id * 4 + 1 + (uint64_t)i;
    if (cid >= eo_n) break;
    c[k].id = cid;
    c[k].count = 0;
    ASSERT_OK(weft_spawn(w, eo_ffi, &c[k], sizeof c[k]));
    k++;
  }
  uint64_t count = 1;
  while (k > 0) {
    k--;
    ASSERT_OK(weft_sync(w, &c[k], sizeof c[k]));
    count += c[k].count;
  }
  a->count = count;
}

TEST(stress_exactly_once) {
  eo_n = test_scaled((size_t)1 << 20, (size_t)1 << 12);
  eo_counters = calloc(eo_n, sizeof *eo_counters);
  ASSERT_NOT_NULL(eo_counters);
  uint64_t total_tasks = 0;
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int run = 0; run < 4; run++) {
      eo_t root = {0, 0};
      ASSERT_OK(weft_run(p, (run & 1) ? eo_ffi : eo_macro, &root));
      ASSERT_UEQ(root.count, eo_n);
      for (uint64_t i = 0; i < eo_n; i++) {
        uint32_t v = atomic_load_explicit(&eo_counters[i], memory_order_relaxed);
        if (v != 1)
          FAIL("workers %u run %d: task %llu ran %u times (expected exactly once)",
               test_worker_counts[k], run, (unsigned long long)i, v);
        atomic_store_explicit(&eo_counters[i], 0, memory_order_relaxed);
      }
      total_tasks += eo_n;
    }
    test_pool_free(p);
  }
  test_log("%llu tasks checked", (unsigned long long)total_tasks);
  free(eo_counters);
  eo_counters = NULL;
}

/* ------------------------------------------------------ hash tree sum */

/* An irregular tree: node shape and value come from splitmix64 of its id.
 * The first 3 levels have fan-out 3, below that 0..3 children (mean 1.5),
 * cut at maxdepth. */
typedef struct {
  uint64_t id;
  uint32_t depth, maxdepth;
  uint64_t sum, count;
} ht_t;

static unsigned ht_shape(uint64_t id, uint32_t depth, uint32_t maxdepth, uint64_t *value) {
  uint64_t h = splitmix64(id);
  *value = h >> 40;
  if (depth >= maxdepth) return 0;
  if (depth < 3) return 3;
  return (unsigned)((h >> 8) % 4);
}

static void ht_seq(uint64_t id, uint32_t depth, uint32_t maxdepth, uint64_t *sum,
                   uint64_t *count) {
  uint64_t v;
  unsigned k = ht_shape(id, depth, maxdepth, &v);
  *sum += v;
  *count += 1;
  for (unsigned i = 0; i < k; i++) ht_seq(id * 4 + 1 + i, depth + 1, maxdepth, sum, count);
}

static void ht_task(weft_worker *w, void *p) {
  ht_t *a = p;
  uint64_t v;
  unsigned k = ht_shape(a->id, a->depth, a->maxdepth, &v);
  ht_t c[3];
  for (unsigned i = 0; i < k; i++) {
    c[i].id = a->id * 4 + 1 + i;
    c[i].depth = a->depth + 1;
    c[i].maxdepth = a->maxdepth;
    c[i].sum = 0;
    c[i].count = 0;
    ASSERT_OK(weft_spawn(w, ht_task, &c[i], sizeof c[i]));
  }
  uint64_t sum = v, count = 1;
  for (unsigned i = k; i-- > 0;) {
    ASSERT_OK(weft_sync(w, &c[i], sizeof c[i]));
    sum += c[i].sum;
    count += c[i].count;
  }
  a->sum = sum;
  a->count = count;
}

TEST(stress_hash_tree) {
  /* Pick the depth that gives about `target` nodes (deterministic). */
  uint64_t target = test_scaled(1000000, 5000);
  uint32_t maxdepth = 4;
  uint64_t seq_sum = 0, seq_count = 0;
  for (; maxdepth < 64; maxdepth++) {
    seq_sum = seq_count = 0;
    ht_seq(0, 0, maxdepth, &seq_sum, &seq_count);
    if (seq_count >= target) break;
  }
  test_log("maxdepth %u: %llu nodes", maxdepth, (unsigned long long)seq_count);
  ASSERT_UGE(seq_count, 1000);

  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int run = 0; run < 3; run++) {
      ht_t root = {0, 0, maxdepth, 0, 0};
      ASSERT_OK(weft_run(p, ht_task, &root));
      ASSERT_UEQ(root.count, seq_count);
      ASSERT_UEQ(root.sum, seq_sum);
    }
    test_pool_free(p);
  }
}

/* ------------------------------------------------------- fib repeated */

TEST(stress_fib_repeat) {
  size_t big = test_scaled(30, 3), small = test_scaled(500, 50);
  const long f22 = fib_seq(22), f8 = fib_seq(8);
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (size_t i = 0; i < big; i++)
      ASSERT_EQ(test_run_fib(p, (i & 1) ? fib_ffi : fib_macro, 22), f22);
    for (size_t i = 0; i < small; i++)
      ASSERT_EQ(test_run_fib(p, (i & 1) ? fib_ffi : fib_macro, 8), f8);
    test_pool_free(p);
  }
}
