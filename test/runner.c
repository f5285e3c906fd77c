/*
 * runner.c - main() of weft_tests.
 *
 *   weft_tests              run every test, each in its own process; print
 *                           one line per test and a final "N passed, N failed"
 *   weft_tests NAME         run one test in this process (what ctest does)
 *   weft_tests NAME NAME..  run the named tests, each in its own process
 *   weft_tests --list       list the test names, one per line
 *   weft_tests --labels     list "name<TAB>labels"
 *
 * Exit status: 0 if every test that ran passed, 1 otherwise, 2 on bad usage.
 * In the multi-test modes each child process gets WEFT_TEST_TIMEOUT seconds
 * (default 120) before it is killed with SIGALRM and counted as failed.
 *
 * Windows: the children are started with _spawnv and get no timeout of
 * their own (ctest's TIMEOUT still applies to each test it runs); the rest
 * is the same. The only platform #ifdefs of the tests are in this file.
 */
#include "runner.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <process.h>
#include <windows.h>
#else
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

typedef struct test_entry {
  const char *name;
  const char *labels;
  void (*fn)(void);
} test_entry;

#define TEST_ENTRY(name, labels) void test_##name(void);
#include "list.h"
#undef TEST_ENTRY

static const test_entry tests[] = {
#define TEST_ENTRY(name, labels) {#name, labels, test_##name},
#include "list.h"
#undef TEST_ENTRY
};

#define NTESTS (sizeof tests / sizeof tests[0])

static const char *current_test = "?";
static double scale = 1.0;
static atomic_flag failing = ATOMIC_FLAG_INIT;

/* ------------------------------------------------------------ assertions */

void test_fail_(const char *file, int line, const char *fmt, ...) {
  if (atomic_flag_test_and_set(&failing)) {
    /* Another thread is already reporting a failure and will end the
     * process; do not interleave output or race it to _Exit. */
    for (;;) test_sleep_ms(1000);
  }
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "FAIL [%s] %s:%d: ", current_test, file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  /* _Exit, not exit: other threads (weft workers) may still be running and
   * must not see atexit handlers or static destructors run under them. */
  _Exit(1);
}

void test_log(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  printf("  [%s] %s\n", current_test, buf);
  fflush(stdout);
}

/* --------------------------------------------------------------- helpers */

double test_scale(void) { return scale; }

size_t test_scaled(size_t n, size_t min) {
  double v = (double)n * scale;
  size_t r = v < 1.0 ? 0 : (size_t)v;
  return r < min ? min : r;
}

int test_sanitized(void) {
#ifdef WEFT_TEST_SANITIZED
  return 1;
#else
  return 0;
#endif
}

int test_emulated(void) {
  const char *e = getenv("WEFT_TEST_EMULATED");
  return e && strcmp(e, "1") == 0;
}

int test_have_proc(void) {
#ifdef _WIN32
  return 0;
#else
  return 1;
#endif
}

void test_sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0) {
  }
}

double test_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void init_scale(void) {
#ifdef WEFT_TEST_DEFAULT_SCALE
  scale = WEFT_TEST_DEFAULT_SCALE;
#endif
  const char *e = getenv("WEFT_TEST_SCALE");
  if (e && *e) {
    char *end = NULL;
    double v = strtod(e, &end);
    if (end != e && v > 0.0) scale = v;
    else fprintf(stderr, "weft_tests: ignoring bad WEFT_TEST_SCALE=%s\n", e);
  }
}

/* ---------------------------------------------------------------- runner */

static const test_entry *find_test(const char *name) {
  for (size_t i = 0; i < NTESTS; i++)
    if (strcmp(tests[i].name, name) == 0) return &tests[i];
  return NULL;
}

static int run_in_process(const test_entry *t) {
  current_test = t->name;
  double t0 = test_now();
  t->fn();
  /* (a child of the multi-test mode stays quiet: its parent reports) */
  const char *child = getenv("WEFT_TEST_CHILD");
  if (!child || strcmp(child, "1") != 0) printf("ok - %s (%.2f s)\n", t->name, test_now() - t0);
  fflush(stdout);
  return 0;
}

static char self_path[4096];

static void find_self(const char *argv0) {
#ifdef _WIN32
  long n = (long)GetModuleFileNameA(NULL, self_path, sizeof self_path - 1);
  if (n >= (long)sizeof self_path - 1) n = 0; /* truncated */
#else
  ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
#endif
  if (n > 0) {
    self_path[n] = '\0';
  } else {
    snprintf(self_path, sizeof self_path, "%s", argv0);
  }
}

#ifndef _WIN32
static unsigned timeout_seconds(void) {
  const char *e = getenv("WEFT_TEST_TIMEOUT");
  if (e && *e) {
    long v = strtol(e, NULL, 10);
    if (v > 0) return (unsigned)v;
  }
  return 120;
}
#endif

/* Runs one test in a child process (fork + exec of this binary with the
 * test's name). Returns 1 if it passed. */
static int run_in_child(const test_entry *t, size_t index, size_t total, const char *argv0) {
  double t0 = test_now();
  fflush(stdout);
  fflush(stderr);
#ifdef _WIN32
  (void)argv0;
  char *args[3];
  char quoted[4200]; /* _spawnv joins argv with spaces: quote the path */
  snprintf(quoted, sizeof quoted, "\"%s\"", self_path);
  args[0] = quoted;
  args[1] = (char *)t->name;
  args[2] = NULL;
  _putenv("WEFT_TEST_CHILD=1");
  intptr_t code = _spawnv(_P_WAIT, self_path, (const char *const *)args);
  double dt = test_now() - t0;
  if (code == 0) {
    printf("[%zu/%zu] pass %s (%.2f s)\n", index, total, t->name, dt);
    fflush(stdout);
    return 1;
  }
  printf("[%zu/%zu] FAIL %s (exit status %ld, %.2f s)\n", index, total, t->name, (long)code, dt);
  fflush(stdout);
  return 0;
#else
  pid_t pid = fork();
  if (pid < 0) {
    perror("weft_tests: fork");
    return 0;
  }
  if (pid == 0) {
    char *args[3];
    args[0] = (char *)argv0;
    args[1] = (char *)t->name;
    args[2] = NULL;
    alarm(timeout_seconds()); /* survives exec: a hang ends with SIGALRM */
    setenv("WEFT_TEST_CHILD", "1", 1);
    execv(self_path, args);
    execvp(argv0, args);
    perror("weft_tests: exec");
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  double dt = test_now() - t0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    printf("[%zu/%zu] pass %s (%.2f s)\n", index, total, t->name, dt);
    fflush(stdout);
    return 1;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    printf("[%zu/%zu] FAIL %s (killed by signal %d%s, %.2f s)\n", index, total, t->name, sig,
           sig == SIGALRM ? ": timeout" : "", dt);
  } else {
    printf("[%zu/%zu] FAIL %s (exit status %d, %.2f s)\n", index, total, t->name,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, dt);
  }
  fflush(stdout);
  return 0;
#endif
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: weft_tests [--list | --labels | NAME...]\n"
          "  no argument: run every test, each in its own process\n"
          "  NAME: run that test in this process; several NAMEs: each in a child\n"
          "env: WEFT_TEST_SCALE (workload factor), WEFT_TEST_TIMEOUT (seconds per\n"
          "     child test in multi-test mode, default 120)\n");
}

int main(int argc, char **argv) {
  init_scale();
  setvbuf(stdout, NULL, _IOLBF, 0);
  find_self(argv[0]);

  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (size_t i = 0; i < NTESTS; i++) printf("%s\n", tests[i].name);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--labels") == 0) {
    for (size_t i = 0; i < NTESTS; i++) printf("%s\t%s\n", tests[i].name, tests[i].labels);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' || !find_test(argv[i])) {
      fprintf(stderr, "weft_tests: unknown test or option '%s' (try --list)\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  if (argc == 2) return run_in_process(find_test(argv[1]));

  size_t total = argc > 1 ? (size_t)(argc - 1) : NTESTS;
  size_t passed = 0, failed = 0;
  if (scale != 1.0) printf("weft_tests: workload scale %g\n", scale);
  for (size_t i = 0; i < total; i++) {
    const test_entry *t = argc > 1 ? find_test(argv[i + 1]) : &tests[i];
    if (run_in_child(t, i + 1, total, argv[0])) passed++;
    else failed++;
  }
  printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? 1 : 0;
}
