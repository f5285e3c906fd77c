/*
 * Portable POSIX backend of the platform contract (src/prim.h), for systems
 * without a futex (macOS, the BSDs, anything with pthreads and mmap). On
 * Linux it is picked with -DWEFT_PRIM=posix, and CI runs the whole suite on
 * it there.
 *
 *  - threads: pthreads, with the stack placed in the pool's region
 *    (pthread_attr_setstack), as in the futex backend.
 *  - memory: mmap(PROT_NONE) reserves, mprotect commits, munmap releases.
 *  - clock: clock_gettime(CLOCK_MONOTONIC); cores: sysconf.
 *  - wait/wake on an address: emulated, see below. On macOS the native
 *    primitive is used instead (os_sync_wait_on_address on 14.4 and later,
 *    __ulock_wait before): that code is compiled only on Apple systems and
 *    is NOT tested by this project's CI (SUPPORTED_PLATFORMS.md).
 *
 * Emulated wait-on-address. A fixed table of buckets, each a mutex and a
 * list of waiters; an address hashes to one bucket. A waiter is a node on
 * the waiting thread's stack holding the address, its own condition
 * variable and a "woken" flag.
 *
 *   wait32(addr, expected): lock the bucket; if *addr != expected, unlock
 *     and return; else link a node for addr and wait on its condition
 *     variable until a waker sets "woken" (it also unlinks the node).
 *   wake32(addr, all): lock the bucket; unlink and signal the first (or
 *     every) node whose address is addr; unlock.
 *
 * No lost wake-up. The contract's callers change *addr (or something the
 * waiter re-checks) and then call wake32. The waiter reads *addr while it
 * holds the bucket lock, and the waker takes the same lock before it looks
 * for waiters. The two critical sections are ordered by the lock:
 *   - the waker's comes first: its store to *addr happens before its
 *     unlock, which synchronizes with the waiter's lock, so the waiter's
 *     load sees the store (or a later value) and does not sleep;
 *   - the waiter's comes first: its node is linked before it releases the
 *     lock (pthread_cond_wait releases it atomically with starting to
 *     wait), so the waker finds the node and signals it; the waiter cannot
 *     miss the signal because "woken" is set under the same lock and the
 *     waiter re-checks it before every pthread_cond_wait.
 * A node is signalled under the bucket lock and the waiter destroys its
 * condition variable only after it re-acquired that lock, so the waker
 * never touches a destroyed condition variable. Per-waiter condition
 * variables make wake-one exact: addresses that share a bucket do not wake
 * each other's waiters (no thundering herd on a shared bucket).
 *
 * wake32 never dereferences addr (prim.h): it only compares it with the
 * nodes' addresses.
 */
#if defined(__linux__) || defined(__GNU__)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, POSIX 2008 under -std=c11 */
#endif
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE /* MAP_ANON, sysconf names */
#endif
#include "../prim.h"
#include "weft.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

/* ------------------------------------------------------------- threads */

#include "../unix/posix_common.h"

/* ----------------------------------------------------- wait / wake */

#if defined(__APPLE__) && !defined(WEFT_POSIX_EMULATED_WAIT)
/* Native wait-on-address on Apple systems. UNTESTED here: this project's CI
 * has no macOS machine. os_sync_wait_on_address is public API from macOS
 * 14.4; before that, the (private but stable since 10.12, used by libc++
 * and others) __ulock_wait/__ulock_wake system calls. */
#if defined(__has_include)
#if __has_include(<os/os_sync_wait_on_address.h>)
#include <os/os_sync_wait_on_address.h>
#define WEFT_HAVE_OS_SYNC 1
#endif
#endif

#define WEFT_UL_COMPARE_AND_WAIT 1u
#define WEFT_ULF_WAKE_ALL 0x00000100u
#define WEFT_ULF_NO_ERRNO 0x01000000u
extern int __ulock_wait(uint32_t operation, void *addr, uint64_t value, uint32_t timeout_us);
extern int __ulock_wake(uint32_t operation, void *addr, uint64_t wake_value);

void weft__prim_wait32(uint32_t *addr, uint32_t expected) {
#ifdef WEFT_HAVE_OS_SYNC
  if (__builtin_available(macOS 14.4, iOS 17.4, tvOS 17.4, watchOS 10.4, *)) {
    os_sync_wait_on_address(addr, expected, sizeof(uint32_t), OS_SYNC_WAIT_ON_ADDRESS_NONE);
    return;
  }
#endif
  __ulock_wait(WEFT_UL_COMPARE_AND_WAIT | WEFT_ULF_NO_ERRNO, addr, expected, 0);
}

void weft__prim_wait32_for(uint32_t *addr, uint32_t expected, uint64_t ns) {
  /* __ulock_wait's timeout is in microseconds, 0 meaning none. */
  uint64_t us = (ns + 999u) / 1000u;
  __ulock_wait(WEFT_UL_COMPARE_AND_WAIT | WEFT_ULF_NO_ERRNO, addr, expected,
               (uint32_t)(us == 0 ? 1 : us > 0xffffffffu ? 0xffffffffu : us));
}

void weft__prim_wake32(uint32_t *addr, int all) {
#ifdef WEFT_HAVE_OS_SYNC
  if (__builtin_available(macOS 14.4, iOS 17.4, tvOS 17.4, watchOS 10.4, *)) {
    if (all) os_sync_wake_by_address_all(addr, sizeof(uint32_t), OS_SYNC_WAKE_BY_ADDRESS_NONE);
    else os_sync_wake_by_address_any(addr, sizeof(uint32_t), OS_SYNC_WAKE_BY_ADDRESS_NONE);
    return;
  }
#endif
  __ulock_wake(WEFT_UL_COMPARE_AND_WAIT | WEFT_ULF_NO_ERRNO | (all ? WEFT_ULF_WAKE_ALL : 0u), addr,
               0);
}

#else /* the emulation */

#define BUCKETS 256u /* a power of two; a few waiters per pool, so plenty */

typedef struct waiter {
  struct waiter *next;
  const uint32_t *addr;
  pthread_cond_t cv;
  int woken; /* under the bucket lock */
} waiter;

typedef struct {
  pthread_mutex_t lock;
  waiter *head; /* waiters in arrival order (wake-one takes the oldest) */
  waiter **tail;
} bucket;

/* One bucket per 64-byte line where the mutex fits, so that waiters on
 * different buckets do not share a line. */
typedef union {
  bucket b;
  unsigned char pad[(sizeof(bucket) + 63) / 64 * 64];
} bucket_line;

static bucket_line table[BUCKETS];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void) {
  for (unsigned i = 0; i < BUCKETS; i++) {
    pthread_mutex_init(&table[i].b.lock, NULL);
    table[i].b.head = NULL;
    table[i].b.tail = &table[i].b.head;
  }
}

static bucket *bucket_of(const uint32_t *addr) {
  pthread_once(&table_once, table_init);
  uintptr_t a = (uintptr_t)addr >> 2;
  a ^= a >> 17;
  a *= (uintptr_t)0x9e3779b97f4a7c15ull;
  return &table[(a >> 24) & (BUCKETS - 1)].b;
}

/* deadline: NULL, or a CLOCK_REALTIME time (pthread_cond_timedwait's
 * clock) after which the waiter unlinks itself and returns. */
static void wait_until(uint32_t *addr, uint32_t expected, const struct timespec *deadline) {
  bucket *b = bucket_of(addr);
  pthread_mutex_lock(&b->lock);
  /* The compare, under the lock (see the no-lost-wake-up argument above).
   * The word is an atomic the scheduler accesses with __atomic/_Atomic
   * operations of the same size, so this load is one too. */
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) {
    pthread_mutex_unlock(&b->lock);
    return;
  }
  waiter me;
  me.next = NULL;
  me.addr = addr;
  me.woken = 0;
  pthread_cond_init(&me.cv, NULL);
  *b->tail = &me;
  b->tail = &me.next;
  while (!me.woken) {
    if (!deadline) {
      pthread_cond_wait(&me.cv, &b->lock);
    } else if (pthread_cond_timedwait(&me.cv, &b->lock, deadline) == ETIMEDOUT && !me.woken) {
      /* Timed out, not woken: unlink our own node (still under the lock,
       * so no waker holds it). */
      waiter **pp = &b->head;
      while (*pp != &me) pp = &(*pp)->next;
      *pp = me.next;
      if (b->tail == &me.next) b->tail = pp;
      break;
    }
  }
  pthread_mutex_unlock(&b->lock);
  pthread_cond_destroy(&me.cv);
}

void weft__prim_wait32(uint32_t *addr, uint32_t expected) { wait_until(addr, expected, NULL); }

void weft__prim_wait32_for(uint32_t *addr, uint32_t expected, uint64_t ns) {
  struct timespec d;
  clock_gettime(CLOCK_REALTIME, &d);
  uint64_t nsec = (uint64_t)d.tv_nsec + ns % 1000000000u;
  d.tv_sec += (time_t)(ns / 1000000000u + nsec / 1000000000u);
  d.tv_nsec = (long)(nsec % 1000000000u);
  wait_until(addr, expected, &d);
}

void weft__prim_wake32(uint32_t *addr, int all) {
  bucket *b = bucket_of(addr);
  pthread_mutex_lock(&b->lock);
  waiter **pp = &b->head;
  while (*pp) {
    waiter *w = *pp;
    if (w->addr != addr) {
      pp = &w->next;
      continue;
    }
    *pp = w->next; /* unlink */
    if (b->tail == &w->next) b->tail = pp;
    w->woken = 1;
    pthread_cond_signal(&w->cv);
    if (!all) break;
  }
  pthread_mutex_unlock(&b->lock);
}

#endif

