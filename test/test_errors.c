/* Error strings, config defaults, core count. */
#include "helpers.h"

#include <limits.h>
#include <string.h>

TEST(strerror_codes) {
  static const int codes[] = {WEFT_EINVAL,   WEFT_E2BIG,  WEFT_ENOMEM,
                              WEFT_EBADPOOL, WEFT_ELIMIT, WEFT_ETHREAD,
                              WEFT_EDEADLK,  WEFT_ENOTASK, WEFT_EPENDING,
                              WEFT_ESTALE,   WEFT_EFAILED, WEFT_EALREADY};
  const size_t n = sizeof codes / sizeof codes[0];

  /* The documented text for unknown codes, for several unknown values. */
  const char *unknown = weft_strerror(-1000);
  ASSERT_STR_EQ(unknown, "unknown weft error");
  ASSERT_STR_EQ(weft_strerror(1), "unknown weft error");
  ASSERT_STR_EQ(weft_strerror(-13), "unknown weft error");
  ASSERT_STR_EQ(weft_strerror(INT_MIN), "unknown weft error");
  ASSERT_STR_EQ(weft_strerror(INT_MAX), "unknown weft error");

  const char *ok = weft_strerror(WEFT_OK);
  ASSERT_NOT_NULL(ok);
  ASSERT_GT(strlen(ok), 0);

  for (size_t i = 0; i < n; i++) {
    const char *s = weft_strerror(codes[i]);
    ASSERT_NOT_NULL(s);
    ASSERT_GT(strlen(s), 0);
    if (strcmp(s, unknown) == 0) FAIL("code %d has the unknown-code string", codes[i]);
    if (strcmp(s, ok) == 0) FAIL("code %d has the same string as WEFT_OK: \"%s\"", codes[i], s);
    for (size_t j = 0; j < i; j++)
      if (strcmp(s, weft_strerror(codes[j])) == 0)
        FAIL("codes %d and %d share the string \"%s\"", codes[i], codes[j], s);
  }
  /* The codes are the documented, distinct, negative values. */
  for (size_t i = 0; i < n; i++) ASSERT_EQ(codes[i], -(long long)(i + 1));
}

TEST(config_defaults) {
  weft_config cfg;
  memset(&cfg, 0xab, sizeof cfg);
  weft_config_default(&cfg);
  ASSERT_EQ(cfg.workers, 0);
  ASSERT_UEQ(cfg.stack_size, 8u << 20);
  ASSERT_UEQ(cfg.deque_frames, 65536);
  ASSERT_UEQ(cfg.scratch_size, 16u << 20);
  ASSERT_EQ(cfg.spin_rounds, 512);
  ASSERT_NULL(cfg.profiler.user);
  ASSERT(cfg.profiler.worker_start == NULL);
  ASSERT(cfg.profiler.worker_stop == NULL);
  ASSERT(cfg.profiler.sleep == NULL);
  ASSERT(cfg.profiler.wake == NULL);
  ASSERT(cfg.profiler.steal == NULL);
}

TEST(core_count) {
  unsigned n = weft_core_count();
  ASSERT_GE(n, 1);
  ASSERT_LE(n, 1u << 20);
  ASSERT_EQ(weft_core_count(), n); /* stable */
}
