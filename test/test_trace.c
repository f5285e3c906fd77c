/* Timeline traces: the API's errors and counts (the traces of real runs are
 * checked by test/check_trace.py: ctest trace_check). */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

static int count_sink(void *user, const char *data, size_t len) {
  (void)data;
  *(size_t *)user += len;
  return 0;
}

static int failing_sink(void *user, const char *data, size_t len) {
  (void)user;
  (void)data;
  (void)len;
  return 42;
}

TEST(trace_errors) {
  weft_pool pool = test_pool_new(2);
  size_t bytes = 0;
  uint64_t rec = 0, drop = 0;
  ASSERT_EQ(weft_trace_write(pool, count_sink, &bytes), WEFT_EINVAL); /* never traced */
  ASSERT_EQ(weft_trace_counts(pool, 0, &rec, &drop), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_start(pool, 0, 0), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_start(pool, 3, 0), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_COARSE, 8), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_COARSE, ((size_t)1 << 26) + 1), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_name(pool, NULL, "x"), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_name(pool, (const void *)fib_ffi, "fib"), 0); /* before a start */
  ASSERT_EQ(weft_trace_name(pool, (const void *)fib_ffi, NULL), 0);  /* removed */
  ASSERT_EQ(weft_trace_name(pool, (const void *)fib_ffi, "fib \"ffi\""), 0);
  ASSERT_EQ(weft_trace_write(pool, NULL, NULL), WEFT_EINVAL);
  ASSERT_EQ(weft_trace_stop(pool), 0); /* not tracing: nothing to do */

  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_COARSE, 100), 0); /* rounded up to 128 */
  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_FINE, 0), WEFT_EBUSY);
  ASSERT_EQ(test_run_fib(pool, fib_ffi, 20), fib_seq(20));
  ASSERT_EQ(weft_trace_stop(pool), 0);
  ASSERT_EQ(weft_trace_counts(pool, 3, &rec, &drop), WEFT_EINVAL); /* workers + 1 */
  ASSERT_EQ(weft_trace_counts(pool, 2, &rec, &drop), 0);            /* outside: the submit */
  ASSERT_EQ(rec, 1);
  ASSERT_EQ(drop, 0);
  uint64_t total = 0;
  for (unsigned i = 0; i < 2; i++) {
    ASSERT_EQ(weft_trace_counts(pool, i, &rec, NULL), 0);
    total += rec;
  }
  ASSERT(total >= 2); /* the root job's begin and end at least */
  ASSERT_EQ(weft_trace_write(pool, failing_sink, NULL), 42);
  ASSERT_EQ(weft_trace_write(pool, count_sink, &bytes), 0);
  ASSERT(bytes > 100);

  /* A restart with the same size forgets the old events. */
  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_COARSE, 128), 0);
  ASSERT_EQ(weft_trace_stop(pool), 0);
  ASSERT_EQ(weft_trace_counts(pool, 2, &rec, &drop), 0);
  ASSERT_EQ(rec, 0);

  /* A tiny ring drops and says how many: fine level, 16 events, fib(15)
   * has 986 spawns, two events each. */
  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_FINE, 16), 0);
  ASSERT_EQ(test_run_fib(pool, fib_ffi, 15), fib_seq(15));
  ASSERT_EQ(weft_trace_stop(pool), 0);
  uint64_t dropped = 0, recorded = 0;
  for (unsigned i = 0; i < 2; i++) {
    ASSERT_EQ(weft_trace_counts(pool, i, &rec, &drop), 0);
    recorded += rec;
    dropped += drop;
    /* Past the 16 the ring holds; plus one when the worker was writing an
     * event as the stop copied its ring (a sleep after fib returned: its
     * slot is claimed, not yet whole, so it is not in the copy). A worker
     * writes one event at a time, so never more. (ASan, ~1 run in 300.) */
    uint64_t over = rec > 16 ? rec - 16 : 0;
    ASSERT(drop == over || drop == over + 1);
  }
  ASSERT(recorded >= 2 * (uint64_t)fib_spawn_count(15));
  ASSERT(dropped > 0);
  bytes = 0;
  ASSERT_EQ(weft_trace_write(pool, count_sink, &bytes), 0);

  test_pool_free(pool);
  ASSERT_EQ(weft_trace_start(pool, WEFT_TRACE_COARSE, 0), WEFT_EBADPOOL);
  ASSERT_EQ(weft_trace_stop(pool), WEFT_EBADPOOL);
  ASSERT_EQ(weft_trace_name(pool, (const void *)fib_ffi, "x"), WEFT_EBADPOOL);
  ASSERT_EQ(weft_trace_write(pool, count_sink, &bytes), WEFT_EBADPOOL);
  ASSERT_EQ(weft_trace_counts(pool, 0, NULL, NULL), WEFT_EBADPOOL);
}
