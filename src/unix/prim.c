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

#include "pthread_thread.h"

void weft__prim_wait32(uint32_t *addr, uint32_t expected) {
  /* EINTR, EAGAIN (value changed) and spurious returns are all fine: the
   * caller re-checks its condition. */
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void weft__prim_wake32(uint32_t *addr, int all) {
  syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, all ? 0x7fffffff : 1, NULL, NULL, 0);
}

void weft__prim_yield(void) { sched_yield(); }

uint64_t weft__prim_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned weft__prim_core_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1u;
}

size_t weft__prim_page_size(void) {
  long n = sysconf(_SC_PAGESIZE);
  return n > 0 ? (size_t)n : 4096u;
}

void *weft__prim_reserve(size_t size) {
  void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int weft__prim_commit(void *addr, size_t size) {
  return mprotect(addr, size, PROT_READ | PROT_WRITE) == 0 ? 0 : WEFT_ENOMEM;
}

void weft__prim_release(void *addr, size_t size) { munmap(addr, size); }
