/*
 * spin.h - the one spin lock weft uses, and the pause it spins with.
 *
 * Where it is used: the spare task records (pool.lt_spare_lock) and the
 * outside threads' free list (pool.ext_lock) in task.c, the weft_trace_*
 * calls (pool.trace_lock, trace.c), the graph registry and the kept graphs
 * (graph.c), and in the wasm build the failure notes (wasm/host_task.c) and
 * the heap (wasm/libc.c). Not this lock: submit.c's solo_lock, held for a
 * whole root job, puts its waiters to sleep (a three-state futex lock).
 *
 * Why spin and not a futex/mutex: the sections are short (a list or bitmap
 * update, a batch of 256 records handed over, a ring slot, a first-fit heap
 * walk), the locks are rarely contended (task records move in batches; the
 * rest are API calls), and the lock must work on every thread of every
 * backend, including the browser's main thread in the wasm build, which
 * must never reach memory.atomic.wait: a lock that only spins never waits.
 * Nothing under any of them waits for another thread (no wait32, no join)
 * or takes these locks in two orders: the only nestings are ext_lock ->
 * lt_spare_lock and trace_lock -> graph registry, and in the wasm build
 * the heap's lock under any of them (malloc is called under several).
 *
 * Why it yields after 64 tries: a few sections are long. Carving a new
 * 512 KiB chunk of task records (reserve and commit: system calls; then
 * 4096 records initialised; once per 4096 records) runs under
 * lt_spare_lock. Under trace_lock, weft_trace_start/stop allocate and copy
 * the rings, and weft_trace_write calls the user's sink, which may block in
 * file I/O: the one section that can block, on a lock only the weft_trace_*
 * calls take, never a worker's scheduling loop. And a holder can be
 * descheduled anywhere: with more threads than cores a waiter that kept its
 * core would delay the very thread it waits for. So: 64 looks with a CPU
 * pause between them, long enough for any short section on another core,
 * then a weft__prim_yield before every further look. (In the wasm build the
 * pause and the yield are both no-ops: there it is a plain spin, as the
 * heap's and the notes' locks always were.)
 *
 * Test and test-and-set: a waiter watches the word with plain loads (the
 * line stays shared in its cache) and tries the exchange only once it reads
 * 0, so waiters do not pull the line away from the holder. Acquire on the
 * exchange that takes the lock, release on the store that frees it: the
 * section's writes are seen by the next holder.
 *
 * Header-only and free of the rest of weft (src/prim.h for the yield), so
 * the wasm libc can use it too.
 */
#ifndef WEFT_SPIN_H
#define WEFT_SPIN_H

#include "prim.h"

#include <stdatomic.h>
#include <stdint.h>

/* A CPU pause for spin-wait loops (no-op where there is none, e.g. wasm). */
static inline void weft__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

#define WEFT__SPIN_TRIES 64u /* failed looks with a pause before yielding */

/* Takes the lock *l (0 free, 1 held; a zeroed word is a free lock). */
static inline void weft__spin_lock(_Atomic uint32_t *l) {
  unsigned tries = 0;
  while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
    do {
      if (tries < WEFT__SPIN_TRIES) {
        tries++;
        weft__cpu_relax();
      } else {
        weft__prim_yield();
      }
    } while (atomic_load_explicit(l, memory_order_relaxed));
  }
}

static inline void weft__spin_unlock(_Atomic uint32_t *l) {
  atomic_store_explicit(l, 0, memory_order_release);
}

#endif
