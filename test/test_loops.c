/* weft_parallel_for / weft_pool_for. */
#include "helpers.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One loop: every index of [begin, end) must be visited exactly once, by
 * chunks that lie inside the range and hold at most `grain` indices. */
typedef struct {
  size_t begin, end, grain;
  _Atomic uint32_t *count; /* count[i - begin] */
  _Atomic uint64_t sum;    /* sum of indices, mod 2^64 */
  _Atomic uint64_t chunks; /* non-empty ones */
} loop_ctx;

static void loop_body(weft_worker *w, size_t b, size_t e, void *p) {
  loop_ctx *c = p;
  ASSERT_NOT_NULL(w);
  ASSERT_PTR_EQ(weft_current_worker(), w);
  size_t g = c->grain ? c->grain : 1;
  /* An empty chunk is pointless but harmless ("at most grain indices"). */
  if (!(c->begin <= b && b <= e && e <= c->end && e - b <= g))
    FAIL("bad chunk [%zu, %zu) for range [%zu, %zu) grain %zu", b, e, c->begin, c->end,
         c->grain);
  uint64_t s = 0;
  for (size_t i = b; i < e; i++) {
    atomic_fetch_add_explicit(&c->count[i - c->begin], 1, memory_order_relaxed);
    s += (uint64_t)i;
  }
  atomic_fetch_add_explicit(&c->sum, s, memory_order_relaxed);
  if (b < e) atomic_fetch_add_explicit(&c->chunks, 1, memory_order_relaxed);
}

static void loop_reset(loop_ctx *c, size_t begin, size_t end, size_t grain) {
  c->begin = begin;
  c->end = end;
  c->grain = grain;
  for (size_t i = 0; i < end - begin; i++) atomic_store_explicit(&c->count[i], 0, memory_order_relaxed);
  atomic_store(&c->sum, 0);
  atomic_store(&c->chunks, 0);
}

static void loop_check(loop_ctx *c, const char *how, unsigned workers) {
  size_t n = c->end - c->begin;
  uint64_t expect = 0;
  for (size_t i = c->begin; i < c->end; i++) expect += (uint64_t)i;
  for (size_t i = 0; i < n; i++) {
    uint32_t v = atomic_load_explicit(&c->count[i], memory_order_relaxed);
    if (v != 1)
      FAIL("%s, %u workers, range [%zu, %zu) grain %zu: index %zu visited %u times", how,
           workers, c->begin, c->end, c->grain, c->begin + i, v);
  }
  ASSERT_UEQ(atomic_load(&c->sum), expect);
  size_t g = c->grain ? c->grain : 1;
  ASSERT_UGE(atomic_load(&c->chunks), (n + g - 1) / g);
  ASSERT_ULE(atomic_load(&c->chunks), n);
}

static void loop_in_task(weft_worker *w, void *p) {
  loop_ctx *c = p;
  ASSERT_OK(weft_parallel_for(w, c->begin, c->end, c->grain, loop_body, c));
}

static void run_loops(int via_pool_for) {
  static const size_t grains[] = {0, 1, 7, 1000};
  size_t big = test_scaled(1000000, 20000);
  struct {
    size_t b, e;
  } ranges[] = {
      {0, 0}, {10, 10}, {5, 6}, {3, 3 + big}, {SIZE_MAX - 5000, SIZE_MAX},
  };
  loop_ctx c;
  c.count = calloc(big + 1, sizeof *c.count);
  ASSERT_NOT_NULL(c.count);
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    unsigned workers = test_worker_counts[k];
    weft_pool p = test_pool_new(workers);
    for (size_t g = 0; g < sizeof grains / sizeof grains[0]; g++) {
      for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        loop_reset(&c, ranges[r].b, ranges[r].e, grains[g]);
        if (via_pool_for)
          ASSERT_OK(weft_pool_for(p, c.begin, c.end, c.grain, loop_body, &c));
        else
          ASSERT_OK(weft_run(p, loop_in_task, &c));
        loop_check(&c, via_pool_for ? "weft_pool_for" : "weft_parallel_for", workers);
      }
    }
    test_pool_free(p);
  }
  free(c.count);
}

TEST(loop_parallel_for) { run_loops(0); }

TEST(loop_pool_for) { run_loops(1); }

/* ----------------------------------------------------------- errors */

static atomic_int err_calls;

static void err_body(weft_worker *w, size_t b, size_t e, void *ctx) {
  (void)w;
  (void)b;
  (void)e;
  (void)ctx;
  atomic_fetch_add(&err_calls, 1);
}

static void loop_errors_task(weft_worker *w, void *p) {
  int *done = p;
  ASSERT_ERR(weft_parallel_for(w, 10, 5, 1, err_body, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_parallel_for(w, 1, 0, 0, err_body, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_parallel_for(w, SIZE_MAX, 0, 1, err_body, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_parallel_for(w, 0, 10, 1, NULL, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_parallel_for(NULL, 0, 10, 1, err_body, NULL), WEFT_EINVAL);
  *done = 1;
}

TEST(loop_errors) {
  weft_pool p = test_pool_new(2);
  ASSERT_ERR(weft_pool_for(p, 10, 5, 1, err_body, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_pool_for(p, 0, 10, 1, NULL, NULL), WEFT_EINVAL);
  int done = 0;
  ASSERT_OK(weft_run(p, loop_errors_task, &done));
  ASSERT_EQ(done, 1);
  weft_pool zero = {0};
  ASSERT_ERR(weft_pool_for(zero, 0, 10, 1, err_body, NULL), WEFT_EBADPOOL);
  ASSERT_EQ(atomic_load(&err_calls), 0);
  /* Also outside any task: weft_parallel_for needs a worker. */
  ASSERT_ERR(weft_parallel_for(NULL, 0, 10, 1, err_body, NULL), WEFT_EINVAL);
  ASSERT_EQ(atomic_load(&err_calls), 0);
  test_pool_free(p);
}

/* ----------------------------------------------------------- nested */

typedef struct {
  size_t inner_n, inner_grain;
  _Atomic uint32_t *count; /* outer * inner_n + inner */
} nest_ctx;

typedef struct {
  nest_ctx *nc;
  size_t outer;
} nest_row;

static void nest_inner(weft_worker *w, size_t b, size_t e, void *p) {
  (void)w;
  nest_row *row = p;
  for (size_t i = b; i < e; i++)
    atomic_fetch_add_explicit(&row->nc->count[row->outer * row->nc->inner_n + i], 1,
                              memory_order_relaxed);
}

static void nest_outer(weft_worker *w, size_t b, size_t e, void *p) {
  nest_ctx *nc = p;
  for (size_t o = b; o < e; o++) {
    nest_row row = {nc, o};
    ASSERT_OK(weft_parallel_for(w, 0, nc->inner_n, nc->inner_grain, nest_inner, &row));
  }
}

TEST(loop_nested) {
  enum { OUTER = 64 };
  nest_ctx nc;
  nc.inner_n = test_scaled(20000, 1000);
  nc.count = calloc(OUTER * nc.inner_n, sizeof *nc.count);
  ASSERT_NOT_NULL(nc.count);
  static const size_t inner_grains[] = {0, 37};
  static const size_t outer_grains[] = {1, 5};
  for (int k = 0; k < N_WORKER_COUNTS; k++) {
    weft_pool p = test_pool_new(test_worker_counts[k]);
    for (int gi = 0; gi < 2; gi++) {
      nc.inner_grain = inner_grains[gi];
      for (size_t i = 0; i < OUTER * nc.inner_n; i++) atomic_store(&nc.count[i], 0);
      ASSERT_OK(weft_pool_for(p, 0, OUTER, outer_grains[gi], nest_outer, &nc));
      for (size_t i = 0; i < OUTER * nc.inner_n; i++) {
        uint32_t v = atomic_load(&nc.count[i]);
        if (v != 1)
          FAIL("%u workers: (outer %zu, inner %zu) visited %u times", test_worker_counts[k],
               i / nc.inner_n, i % nc.inner_n, v);
      }
    }
    test_pool_free(p);
  }
  free(nc.count);
}
