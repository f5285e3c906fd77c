/*
 * loop.c - parallel-for by recursive halving: a task keeps the lower half of
 * its range and spawns the upper half until the range fits the grain, so the
 * oldest (largest) halves sit at the bottom of the deque where thieves take.
 */
#include "trace.h"

typedef struct {
  size_t begin, end, grain;
  weft_range_fn fn;
  void *ctx;
} range_args;

_Static_assert(sizeof(range_args) <= WEFT_ARGS_MAX, "range_args must fit a frame");

static void range_task(weft_worker *w, void *p) {
  range_args a = *(range_args *)p;
  range_args halves[64]; /* at most one split per bit of size_t */
  unsigned n = 0;
  while (a.end - a.begin > a.grain) {
    size_t mid = a.begin + (a.end - a.begin) / 2;
    halves[n] = a;
    halves[n].begin = mid;
    WEFT_SPAWN(w, range_task, &halves[n]);
    n++;
    a.end = mid;
  }
  a.fn(w, a.begin, a.end, a.ctx);
  while (n-- > 0) WEFT_SYNC(w, &halves[n]);
}

int weft_parallel_for(weft_worker *w, size_t begin, size_t end, size_t grain, weft_range_fn fn,
                      void *ctx) {
  if (!w || !fn || begin > end) return WEFT_EINVAL;
  if (begin == end) return 0;
  range_args a = {begin, end, grain ? grain : 1, fn, ctx};
  range_task(w, &a);
  return 0;
}

typedef struct {
  range_args a;
  int rc;
} pool_for_args;

static void pool_for_task(weft_worker *w, void *p) {
  pool_for_args *pa = p;
  pa->rc = weft_parallel_for(w, pa->a.begin, pa->a.end, pa->a.grain, pa->a.fn, pa->a.ctx);
}

int weft_pool_for(weft_pool pool, size_t begin, size_t end, size_t grain, weft_range_fn fn,
                  void *ctx) {
  if (!fn || begin > end) return WEFT_EINVAL;
  pool_for_args pa = {{begin, end, grain, fn, ctx}, 0};
  int rc = weft_run(pool, pool_for_task, &pa);
  return rc ? rc : pa.rc;
}

const char *weft__loop_fn_name(const void *fn) {
  if (fn == (const void *)range_task) return "parallel_for range";
  if (fn == (const void *)pool_for_task) return "pool_for";
  return NULL;
}
