/* The per-worker scratch arena. */
#include "helpers.h"

#include <stdint.h>
#include <string.h>

typedef struct {
  int done;
} scratch_arg;

/* ------------------------------------------------------------ alignment */

enum { MAX_ALLOCS = 256 };

static void align_task(weft_worker *w, void *p) {
  scratch_arg *a = p;
  static const size_t sizes[] = {1, 3, 17, 100, 4097};
  unsigned char *ptrs[MAX_ALLOCS];
  size_t lens[MAX_ALLOCS];
  int n = 0;
  size_t m0 = weft_scratch_mark(w);

  for (size_t align = 0; align <= 4096; align = align ? align * 2 : 1) {
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      void *q = NULL;
      /* A one-byte allocation first, so the next one starts misaligned. */
      ASSERT_OK(weft_scratch_alloc(w, 1, 1, &q));
      ASSERT_NOT_NULL(q);
      *(unsigned char *)q = 0xee;
      void *out = NULL;
      ASSERT_OK(weft_scratch_alloc(w, sizes[s], align, &out));
      ASSERT_NOT_NULL(out);
      size_t eff = align ? align : 16;
      if ((uintptr_t)out % eff != 0)
        FAIL("scratch_alloc(size %zu, align %zu) returned %p", sizes[s], align, out);
      ASSERT(n < MAX_ALLOCS);
      ptrs[n] = out;
      lens[n] = sizes[s];
      memset(out, (n % 250) + 1, sizes[s]);
      n++;
    }
  }
  /* No allocation overlapped a later one. */
  for (int i = 0; i < n; i++)
    for (size_t j = 0; j < lens[i]; j++)
      if (ptrs[i][j] != (unsigned char)((i % 250) + 1))
        FAIL("allocation %d (%p, %zu bytes) overwritten at byte %zu", i, (void *)ptrs[i],
             lens[i], j);
  weft_scratch_reset(w, m0);
  ASSERT_UEQ(weft_scratch_mark(w), m0);
  a->done = 1;
}

TEST(scratch_align) {
  weft_pool p = test_pool_new(1);
  scratch_arg a = {0};
  ASSERT_OK(weft_run(p, align_task, &a));
  ASSERT_EQ(a.done, 1);
  test_pool_free(p);
}

/* ----------------------------------------------------------- mark/reset */

static void mark_task(weft_worker *w, void *p) {
  scratch_arg *a = p;
  size_t m0 = weft_scratch_mark(w);
  void *p1 = NULL, *p2 = NULL, *p3 = NULL;

  ASSERT_OK(weft_scratch_alloc(w, 100, 16, &p1));
  size_t m1 = weft_scratch_mark(w);
  ASSERT_UGE(m1, m0 + 100);
  weft_scratch_reset(w, m0);
  ASSERT_UEQ(weft_scratch_mark(w), m0);
  ASSERT_OK(weft_scratch_alloc(w, 100, 16, &p2));
  ASSERT_PTR_EQ(p2, p1); /* memory reused */

  /* Nested marks. */
  size_t ma = weft_scratch_mark(w);
  void *x = NULL, *y = NULL, *x2 = NULL;
  ASSERT_OK(weft_scratch_alloc(w, 1000, 64, &x));
  ASSERT_OK(weft_scratch_alloc(w, 1000, 64, &y));
  ASSERT_PTR_NE(x, y);
  weft_scratch_reset(w, ma);
  ASSERT_OK(weft_scratch_alloc(w, 1000, 64, &x2));
  ASSERT_PTR_EQ(x2, x);

  /* A mark above the current top is ignored. */
  size_t high = weft_scratch_mark(w);
  weft_scratch_reset(w, m0);
  weft_scratch_reset(w, high);
  ASSERT_UEQ(weft_scratch_mark(w), m0);
  ASSERT_OK(weft_scratch_alloc(w, 100, 16, &p3));
  ASSERT_PTR_EQ(p3, p1);

  /* Reuse many times over: resetting must not leak. */
  size_t reps = test_scaled(100000, 1000);
  for (size_t i = 0; i < reps; i++) {
    size_t m = weft_scratch_mark(w);
    void *q = NULL;
    ASSERT_OK(weft_scratch_alloc(w, 4096, 16, &q));
    memset(q, (int)(i & 0xff), 4096);
    weft_scratch_reset(w, m);
  }
  weft_scratch_reset(w, m0);
  a->done = 1;
}

TEST(scratch_mark_reset) {
  weft_pool p = test_pool_new(1);
  scratch_arg a = {0};
  ASSERT_OK(weft_run(p, mark_task, &a));
  ASSERT_EQ(a.done, 1);
  test_pool_free(p);
}

/* ----------------------------------------------------------- exhaustion */

enum { SMALL_SCRATCH = 64 * 1024 };

static void exhaust_task(weft_worker *w, void *p) {
  scratch_arg *a = p;
  size_t m0 = weft_scratch_mark(w);
  void *out = &out;

  ASSERT_ERR(weft_scratch_alloc(w, 1 << 20, 16, &out), WEFT_ENOMEM);
  ASSERT_NULL(out);
  out = &out;
  ASSERT_ERR(weft_scratch_alloc(w, SIZE_MAX, 16, &out), WEFT_ENOMEM);
  ASSERT_NULL(out);
  out = &out;
  ASSERT_ERR(weft_scratch_alloc(w, SIZE_MAX - 8, 4096, &out), WEFT_ENOMEM);
  ASSERT_NULL(out);

  /* Fill it up in 1 KiB pieces. */
  size_t n = 0;
  for (;;) {
    out = &out;
    int rc = weft_scratch_alloc(w, 1024, 16, &out);
    if (rc == WEFT_ENOMEM) {
      ASSERT_NULL(out);
      break;
    }
    ASSERT_OK(rc);
    memset(out, 0x5a, 1024);
    n++;
    ASSERT_ULE(n * 1024, SMALL_SCRATCH);
  }
  ASSERT_UGT(n, 0);
  /* Reset makes it usable again. */
  weft_scratch_reset(w, m0);
  out = NULL;
  ASSERT_OK(weft_scratch_alloc(w, 1024, 16, &out));
  ASSERT_NOT_NULL(out);
  weft_scratch_reset(w, m0);
  a->done = 1;
}

TEST(scratch_exhaust) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 1;
  cfg.scratch_size = SMALL_SCRATCH;
  weft_pool p = test_pool_new_cfg(&cfg);
  for (int rep = 0; rep < 3; rep++) {
    scratch_arg a = {0};
    ASSERT_OK(weft_run(p, exhaust_task, &a));
    ASSERT_EQ(a.done, 1);
  }
  test_pool_free(p);
}

/* ---------------------------------------------------------- bad args */

static void bad_args_task(weft_worker *w, void *p) {
  scratch_arg *a = p;
  void *out = NULL;
  ASSERT_ERR(weft_scratch_alloc(w, 16, 3, &out), WEFT_EINVAL);
  ASSERT_ERR(weft_scratch_alloc(w, 16, 6, &out), WEFT_EINVAL);
  ASSERT_ERR(weft_scratch_alloc(w, 16, 12, &out), WEFT_EINVAL);
  ASSERT_ERR(weft_scratch_alloc(w, 16, 8192, &out), WEFT_EINVAL);
  ASSERT_ERR(weft_scratch_alloc(w, 16, (size_t)1 << 40, &out), WEFT_EINVAL);
  ASSERT_ERR(weft_scratch_alloc(w, 16, 16, NULL), WEFT_EINVAL);
  ASSERT_ERR(weft_scratch_alloc(NULL, 16, 16, &out), WEFT_EINVAL);
  /* And good arguments still work afterwards. */
  ASSERT_OK(weft_scratch_alloc(w, 16, 4096, &out));
  ASSERT_EQ((uintptr_t)out % 4096, 0);
  a->done = 1;
}

TEST(scratch_bad_args) {
  weft_pool p = test_pool_new(1);
  scratch_arg a = {0};
  ASSERT_OK(weft_run(p, bad_args_task, &a));
  ASSERT_EQ(a.done, 1);
  test_pool_free(p);
}

/* -------------------------------------- released when a root returns */

typedef struct {
  size_t mark_at_start;
} root_scratch_arg;

static void leaky_root(weft_worker *w, void *p) {
  root_scratch_arg *a = p;
  a->mark_at_start = weft_scratch_mark(w);
  void *out = NULL;
  ASSERT_OK(weft_scratch_alloc(w, 8192, 16, &out)); /* never reset */
  memset(out, 1, 8192);
}

TEST(scratch_root_release) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 1;
  cfg.scratch_size = SMALL_SCRATCH;
  weft_pool p = test_pool_new_cfg(&cfg);
  root_scratch_arg first = {0};
  ASSERT_OK(weft_run(p, leaky_root, &first));
  /* 64 KiB / 8 KiB: without the automatic release the arena would run out
   * after a few runs. */
  for (int i = 0; i < 50; i++) {
    root_scratch_arg a = {0};
    ASSERT_OK(weft_run(p, leaky_root, &a));
    ASSERT_UEQ(a.mark_at_start, first.mark_at_start);
  }
  test_pool_free(p);
}
