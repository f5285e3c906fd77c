/*
 * prim.h - the platform contract. Every OS call the scheduler makes goes
 * through these functions; each backend implements all of them in one file
 * (src/unix/prim.c, src/win/prim.c, src/wasm/prim.c), picked by the build.
 * The scheduler itself contains no platform #ifdefs.
 *
 * Rules every backend must honour:
 *  - weft__prim_wait32 returns when *addr != expected at the moment of the
 *    call's atomic compare, when woken, or spuriously. It must never sleep
 *    past a weft__prim_wake32 that happened after the compare (no lost
 *    wake-ups): this is the futex/WaitOnAddress/memory.atomic.wait32 rule.
 *  - weft__prim_wake32 must not dereference addr: the scheduler wakes a
 *    waiter right after the store that lets it free the word (a finished
 *    job, a host worker leaving a pool being destroyed), so the memory may
 *    already be gone; a wake that finds no waiter does nothing.
 *  - memory from weft__prim_reserve is address space only; weft__prim_commit
 *    makes a page-aligned sub-range readable and writable and zero-filled on
 *    first touch.
 *  - a thread started with weft__prim_thread_start runs entry(arg) on the
 *    given stack (or its own if stack is NULL) and is joinable once.
 */
#ifndef WEFT_PRIM_H
#define WEFT_PRIM_H

#include <stddef.h>
#include <stdint.h>

/* Opaque thread storage, big enough for any backend's handle. */
typedef struct weft__thread {
  uint64_t opaque[4];
} weft__thread;

typedef void (*weft__thread_entry)(void *arg);

/* Starts a thread running entry(arg). stack/stack_size name memory the pool
 * reserved (lowest address, size); a backend that cannot place stacks may
 * ignore them and use stack_size alone. Returns 0 or WEFT_ETHREAD. */
int weft__prim_thread_start(weft__thread *t, weft__thread_entry entry, void *arg,
                            void *stack, size_t stack_size);

/* Waits for the thread to finish. Returns 0 or WEFT_ETHREAD. */
int weft__prim_thread_join(weft__thread *t);

/* Blocks while *addr == expected (see the rule above). */
void weft__prim_wait32(uint32_t *addr, uint32_t expected);

/* weft__prim_wait32 that also returns after about `ns` nanoseconds (the
 * progress hook's nap, sleep.c). A timeout is one more allowed spurious
 * return; the no-lost-wake-up rule is the same. */
void weft__prim_wait32_for(uint32_t *addr, uint32_t expected, uint64_t ns);

/* Wakes one (all == 0) or every (all != 0) waiter on addr. */
void weft__prim_wake32(uint32_t *addr, int all);

/* Gives the core to another runnable thread, if any. */
void weft__prim_yield(void);

/* Monotonic clock in nanoseconds. */
uint64_t weft__prim_now_ns(void);

/* Online cores, >= 1. */
unsigned weft__prim_core_count(void);

/* Page size in bytes (a power of two). */
size_t weft__prim_page_size(void);

/* Reserves size bytes of address space (page multiple). NULL on failure. */
void *weft__prim_reserve(size_t size);

/* Makes [addr, addr+size) usable. Returns 0 or WEFT_ENOMEM. */
int weft__prim_commit(void *addr, size_t size);

/* Returns a whole reservation to the system. */
void weft__prim_release(void *addr, size_t size);

#endif
