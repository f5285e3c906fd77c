/*
 * POSIX backend of the platform contract (src/prim.h): pthreads with stacks
 * placed in the pool's region, mmap/mprotect memory, clock_gettime, and a
 * Linux futex for wait/wake on an address.
 */
#define _GNU_SOURCE
#include "../prim.h"
#include "weft.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include "posix_common.h"

void weft__prim_wait32(uint32_t *addr, uint32_t expected) {
  /* EINTR, EAGAIN (value changed) and spurious returns are all fine: the
   * caller re-checks its condition. */
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void weft__prim_wait32_for(uint32_t *addr, uint32_t expected, uint64_t ns) {
  /* FUTEX_WAIT's timeout is relative (CLOCK_MONOTONIC). */
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, &ts, NULL, 0);
}

void weft__prim_wake32(uint32_t *addr, int all) {
  syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, all ? 0x7fffffff : 1, NULL, NULL, 0);
}
