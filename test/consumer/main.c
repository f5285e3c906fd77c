/* A C program using an installed weft: parallel fib against a sequential
 * one, and the header's version against the package's (WEFT_EXPECT_VERSION,
 * when the build knows it). Exit status 0 only if both agree. */
#include <stdio.h>
#include <string.h>
#include <weft.h>

WEFT_TASK_1(long, pfib, long, n) {
  if (n < 2) return n;
  pfib_spawn(w, n - 1);
  long y = pfib(w, n - 2);
  return pfib_sync(w) + y;
}

static long sfib(long n) { return n < 2 ? n : sfib(n - 1) + sfib(n - 2); }

int main(void) {
  char version[32];
  snprintf(version, sizeof version, "%d.%d.%d", WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR,
           WEFT_VERSION_PATCH);
#ifdef WEFT_EXPECT_VERSION
  if (strcmp(version, WEFT_EXPECT_VERSION) != 0) {
    fprintf(stderr, "weft.h says %s, the package %s\n", version, WEFT_EXPECT_VERSION);
    return 1;
  }
#endif
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  weft_pool pool;
  int rc = weft_pool_create(&pool, &cfg);
  if (rc != WEFT_OK) {
    fprintf(stderr, "weft_pool_create: %s\n", weft_strerror(rc));
    return 1;
  }
  long par = -1;
  rc = pfib_run(pool, &par, 27);
  weft_pool_destroy(pool);
  long seq = sfib(27);
  printf("C:   weft %s: fib(27) = %ld on 2 workers, %ld sequentially\n", version, par, seq);
  return rc == WEFT_OK && par == seq ? 0 : 1;
}
