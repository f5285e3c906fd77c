/*
 * posix_common.h - the parts of the platform contract the two POSIX
 * backends (src/unix/prim.c: futex waits; src/posix/prim.c: emulated waits)
 * share: thread start/join on pthreads, yield, clock, core count, page size
 * and reserve/commit/release with mmap. Included by exactly one backend file
 * per build, so its definitions exist once. The includer provides
 * <pthread.h>, <limits.h>, <string.h>, <sched.h>, <sys/mman.h>, <time.h>,
 * <unistd.h>, prim.h and weft.h.
 */
#ifndef WEFT_POSIX_COMMON_H
#define WEFT_POSIX_COMMON_H

/* The weft__thread outlives the thread, so it carries the entry and argument
 * to the trampoline: no allocation, nothing to free on failure. */
typedef struct {
  pthread_t tid;
  weft__thread_entry entry;
  void *arg;
} unix_thread;

_Static_assert(sizeof(unix_thread) <= sizeof(weft__thread), "weft__thread too small");

static void *trampoline(void *p) {
  unix_thread *ut = p;
  ut->entry(ut->arg);
  return NULL;
}

int weft__prim_thread_start(weft__thread *t, weft__thread_entry entry, void *arg,
                            void *stack, size_t stack_size) {
  unix_thread *ut = (unix_thread *)t;
  pthread_attr_t attr;
  memset(t, 0, sizeof *t);
  ut->entry = entry;
  ut->arg = arg;
  if (pthread_attr_init(&attr) != 0) return WEFT_ETHREAD;
#ifdef PTHREAD_STACK_MIN
  /* weft's minimum stack is 64 KiB; some targets want more (aarch64 glibc:
   * 128 KiB). Then the pool's stack is too small for pthreads to accept:
   * let pthreads allocate one of its minimum size instead. */
  if (stack_size < (size_t)PTHREAD_STACK_MIN) {
    stack = NULL;
    stack_size = (size_t)PTHREAD_STACK_MIN;
  }
#endif
  int rc = stack ? pthread_attr_setstack(&attr, stack, stack_size)
                 : pthread_attr_setstacksize(&attr, stack_size);
  if (rc == 0) rc = pthread_create(&ut->tid, &attr, trampoline, ut);
  pthread_attr_destroy(&attr);
  return rc == 0 ? 0 : WEFT_ETHREAD;
}

int weft__prim_thread_join(weft__thread *t) {
  return pthread_join(((unix_thread *)t)->tid, NULL) == 0 ? 0 : WEFT_ETHREAD;
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

#endif
