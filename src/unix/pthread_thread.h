/*
 * pthread_thread.h - thread start/join for the pthread-based backends
 * (src/unix/prim.c and src/posix/prim.c). Included by exactly one backend
 * file per build, so the definitions are not static-duplicated anywhere.
 * The includer provides <pthread.h>, <limits.h>, <string.h>, prim.h, weft.h.
 */
#ifndef WEFT_PTHREAD_THREAD_H
#define WEFT_PTHREAD_THREAD_H

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

#endif
