/*
 * runner.h - a plain test runner in the style of libuv's: no framework.
 *
 * A test is a function defined with TEST(name) in any test .c file and
 * listed once in test/list.h (CMake reads that list to register each test
 * with ctest, and refuses to configure if a TEST() is missing from it).
 *
 * Assertions print file:line, the failing expression and the values, then
 * end the process with a non-zero status. They may be used on any thread,
 * including inside weft tasks. The runner runs every test in its own process.
 */
#ifndef WEFT_TEST_RUNNER_H
#define WEFT_TEST_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TEST(name)             \
  void test_##name(void);      \
  void test_##name(void)

#if defined(__MINGW32__)
/* mingw-w64: the tests build with __USE_MINGW_ANSI_STDIO=1 (C99 formats
 * such as %zu), which stdio.h names gnu_printf here. */
#include <stdio.h>
#define TEST_PRINTF_(f, a) __attribute__((format(__MINGW_PRINTF_FORMAT, f, a)))
#elif defined(__GNUC__) || defined(__clang__)
#define TEST_PRINTF_(f, a) __attribute__((format(printf, f, a)))
#else
#define TEST_PRINTF_(f, a)
#endif

/* Reports a failure and ends the process (exit status 1). */
_Noreturn void test_fail_(const char *file, int line, const char *fmt, ...) TEST_PRINTF_(3, 4);

/* Informational output, prefixed with the test name (stdout, line-buffered). */
void test_log(const char *fmt, ...) TEST_PRINTF_(1, 2);

/* Workload scale factor: 1.0 normally; smaller in sanitizer builds
 * (WEFT_TEST_SANITIZED); the environment variable WEFT_TEST_SCALE (a positive
 * number) overrides both. */
double test_scale(void);

/* n * test_scale(), but at least `min`. */
size_t test_scaled(size_t n, size_t min);

/* Nonzero in sanitizer builds. */
int test_sanitized(void);

/* Nonzero when the tests run under an emulator (qemu-user, wine): the
 * environment variable WEFT_TEST_EMULATED=1, which ctest sets in a
 * cross-build with CMAKE_CROSSCOMPILING_EMULATOR. Process-level measurements
 * (RSS, address space) then include the emulator's own and are skipped. */
int test_emulated(void);

/* Nonzero where /proc/self describes this process (not on Windows, where
 * wine would even show a Linux /proc of its own). */
int test_have_proc(void);

void test_sleep_ms(unsigned ms);
double test_now(void); /* monotonic seconds */

#define ASSERT(expr)                                                         \
  do {                                                                       \
    if (!(expr)) test_fail_(__FILE__, __LINE__, "assertion failed: %s", #expr); \
  } while (0)

#define FAIL(...) test_fail_(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT_CMP_(a, op, b, T, fmt)                                          \
  do {                                                                         \
    T a_ = (T)(a);                                                             \
    T b_ = (T)(b);                                                             \
    if (!(a_ op b_))                                                           \
      test_fail_(__FILE__, __LINE__, "assertion failed: %s %s %s (" fmt " %s " fmt ")", \
                 #a, #op, #b, a_, #op, b_);                                    \
  } while (0)

/* Signed integer comparisons (values printed as long long). */
#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b, long long, "%lld")
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b, long long, "%lld")
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b, long long, "%lld")
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b, long long, "%lld")
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b, long long, "%lld")
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b, long long, "%lld")

/* Unsigned comparisons (values printed as unsigned long long). */
#define ASSERT_UEQ(a, b) ASSERT_CMP_(a, ==, b, unsigned long long, "%llu")
#define ASSERT_UNE(a, b) ASSERT_CMP_(a, !=, b, unsigned long long, "%llu")
#define ASSERT_ULT(a, b) ASSERT_CMP_(a, <, b, unsigned long long, "%llu")
#define ASSERT_ULE(a, b) ASSERT_CMP_(a, <=, b, unsigned long long, "%llu")
#define ASSERT_UGT(a, b) ASSERT_CMP_(a, >, b, unsigned long long, "%llu")
#define ASSERT_UGE(a, b) ASSERT_CMP_(a, >=, b, unsigned long long, "%llu")

#define ASSERT_PTR_EQ(a, b) ASSERT_CMP_(a, ==, b, const void *, "%p")
#define ASSERT_PTR_NE(a, b) ASSERT_CMP_(a, !=, b, const void *, "%p")
#define ASSERT_NULL(a) ASSERT_PTR_EQ(a, NULL)
#define ASSERT_NOT_NULL(a) ASSERT_PTR_NE(a, NULL)

#define ASSERT_STR_EQ(a, b)                                                    \
  do {                                                                         \
    const char *a_ = (a);                                                      \
    const char *b_ = (b);                                                      \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                       \
      test_fail_(__FILE__, __LINE__, "assertion failed: %s == %s (\"%s\" vs \"%s\")", \
                 #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
  } while (0)

#endif /* WEFT_TEST_RUNNER_H */
