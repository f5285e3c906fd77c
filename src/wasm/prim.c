/*
 * WebAssembly backend of the platform contract (src/prim.h), for a wasm32
 * module built freestanding with -matomics -mbulk-memory on a shared,
 * imported memory (js/build.sh). Every thread is a JavaScript worker (Node
 * worker_threads or a Web Worker) holding its own instance of the module on
 * the same memory; js/README.md describes the whole arrangement.
 *
 *  - wait/wake: memory.atomic.wait32 / memory.atomic.notify. An instance
 *    marked "no wait" (the browser's main thread, where wait32 traps even
 *    when the value differs) returns at once instead: a spurious wake-up,
 *    which the contract allows. The JS host never lets the main thread
 *    reach a wait in the first place; this is a backstop.
 *  - threads: none (see below); the JavaScript host lends its workers to
 *    WEFT_THREADS_HOST pools. Each worker's instance has its own stack and
 *    TLS block, set up by the host before any C code runs on it.
 *  - clock and core count: imports from the host (performance.now(),
 *    navigator.hardwareConcurrency / os.availableParallelism()).
 *  - memory: reserve = aligned_alloc from the heap in src/wasm/libc.c
 *    (linear memory, grown with memory.grow); commit zero-fills the range
 *    (the heap reuses memory, and a commit is done once per range);
 *    release = free. There is no protection in linear memory: a stack
 *    overflow corrupts the memory below the stack.
 */
#include "../prim.h"
#include "weft.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WASM_EXPORT(name) __attribute__((export_name(#name))) name
#define WASM_IMPORT(mod, name) __attribute__((import_module(#mod), import_name(#name)))

WASM_IMPORT(weft, now_ms) double weft_host_now_ms(void);
WASM_IMPORT(weft, core_count) int weft_host_core_count(void);

/* Per instance (per thread): set on a thread that must never wait. */
static _Thread_local int no_wait;

void weft__prim_wait32(uint32_t *addr, uint32_t expected) {
  if (no_wait) return;
  __builtin_wasm_memory_atomic_wait32((int32_t *)addr, (int32_t)expected, -1);
}

void weft__prim_wait32_for(uint32_t *addr, uint32_t expected, uint64_t ns) {
  if (no_wait) return;
  __builtin_wasm_memory_atomic_wait32((int32_t *)addr, (int32_t)expected,
                                      ns > INT64_MAX ? INT64_MAX : (int64_t)ns);
}

void weft__prim_wake32(uint32_t *addr, int all) {
  __builtin_wasm_memory_atomic_notify((int32_t *)addr, all ? 0xffffffffu : 1u);
}

void weft__prim_yield(void) {}

uint64_t weft__prim_now_ns(void) { return (uint64_t)(weft_host_now_ms() * 1e6); }

unsigned weft__prim_core_count(void) {
  int n = weft_host_core_count();
  return n > 0 ? (unsigned)n : 1u;
}

size_t weft__prim_page_size(void) { return 4096; }

void *weft__prim_reserve(size_t size) { return aligned_alloc(4096, size); }

int weft__prim_commit(void *addr, size_t size) {
  memset(addr, 0, size);
  return 0;
}

void weft__prim_release(void *addr, size_t size) {
  (void)size;
  free(addr);
}

/* ---------------------------------------------------------------- threads
 *
 * A wasm thread is a JavaScript worker, and JavaScript cannot start one
 * synchronously, so this backend starts none: pools run in
 * WEFT_THREADS_HOST mode (each JS worker lends itself with
 * weft_worker_enter) or WEFT_THREADS_CALLER mode (one thread, no workers).
 * A WEFT_THREADS_POOL pool fails with WEFT_ETHREAD. */

int weft__prim_thread_start(weft__thread *t, weft__thread_entry entry, void *arg,
                            void *stack, size_t stack_size) {
  (void)t, (void)entry, (void)arg, (void)stack, (void)stack_size;
  return WEFT_ETHREAD;
}

int weft__prim_thread_join(weft__thread *t) {
  (void)t;
  return WEFT_ETHREAD;
}

/* Marks the calling instance as one that must never wait (see above). */
void WASM_EXPORT(weft_wasm_set_no_wait)(int on) { no_wait = on; }
