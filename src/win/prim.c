/*
 * Win32 backend of the platform contract (src/prim.h), Windows 8 and later.
 *
 *  - threads: CreateThread. Windows cannot run a thread on memory the
 *    caller provides, so the stack address from the pool is ignored and its
 *    size used as the thread's reserved stack (STACK_SIZE_PARAM_IS_A_
 *    RESERVATION; Windows commits it as it grows, with its own guard page).
 *  - wait/wake on an address: WaitOnAddress / WakeByAddressSingle /
 *    WakeByAddressAll (synchronization API; link synchronization.lib, or
 *    -lsynchronization with mingw-w64). WaitOnAddress compares the word and
 *    enqueues the thread atomically with respect to WakeByAddress*, which
 *    is the contract's no-lost-wake-up rule; it may return spuriously. The
 *    wake calls do not dereference the address.
 *  - memory: VirtualAlloc(MEM_RESERVE) reserves, VirtualAlloc(MEM_COMMIT)
 *    commits (zero-filled), VirtualFree(MEM_RELEASE) releases.
 *  - clock: QueryPerformanceCounter; cores: GetSystemInfo; yield:
 *    SwitchToThread.
 *
 * Built and tested in CI with Debian's mingw-w64 under wine
 * (SUPPORTED_PLATFORMS.md); native Windows is expected to work, untested.
 */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0602 /* Windows 8: WaitOnAddress */
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "../prim.h"
#include "weft.h"

#include <stdatomic.h>
#include <string.h>

/* Headers without the address-wait API (old mingw-w64): CMake finds out
 * and defines WEFT_DECLARE_WAITONADDRESS; the functions themselves live in
 * api-ms-win-core-synch-l1-2-0.dll, which libsynchronization imports. */
#ifdef WEFT_DECLARE_WAITONADDRESS
WINBASEAPI BOOL WINAPI WaitOnAddress(volatile VOID *Address, PVOID CompareAddress,
                                     SIZE_T AddressSize, DWORD dwMilliseconds);
WINBASEAPI VOID WINAPI WakeByAddressSingle(PVOID Address);
WINBASEAPI VOID WINAPI WakeByAddressAll(PVOID Address);
#endif

/* ------------------------------------------------------------- threads */

typedef struct {
  HANDLE handle;
  weft__thread_entry entry;
  void *arg;
} win_thread;

_Static_assert(sizeof(win_thread) <= sizeof(weft__thread), "weft__thread too small");

static DWORD WINAPI trampoline(LPVOID p) {
  win_thread *wt = p;
  wt->entry(wt->arg);
  return 0;
}

int weft__prim_thread_start(weft__thread *t, weft__thread_entry entry, void *arg,
                            void *stack, size_t stack_size) {
  (void)stack; /* see above: Windows places the stack itself */
  win_thread *wt = (win_thread *)t;
  memset(t, 0, sizeof *t);
  wt->entry = entry;
  wt->arg = arg;
  wt->handle = CreateThread(NULL, stack_size, trampoline, wt, STACK_SIZE_PARAM_IS_A_RESERVATION,
                            NULL);
  return wt->handle ? 0 : WEFT_ETHREAD;
}

int weft__prim_thread_join(weft__thread *t) {
  win_thread *wt = (win_thread *)t;
  if (WaitForSingleObject(wt->handle, INFINITE) != WAIT_OBJECT_0) return WEFT_ETHREAD;
  CloseHandle(wt->handle);
  wt->handle = NULL;
  return 0;
}

/* ----------------------------------------------------- wait / wake */

void weft__prim_wait32(uint32_t *addr, uint32_t expected) {
  /* FALSE on timeout only (none here); a changed value returns at once. */
  WaitOnAddress((volatile VOID *)addr, &expected, sizeof expected, INFINITE);
}

void weft__prim_wait32_for(uint32_t *addr, uint32_t expected, uint64_t ns) {
  DWORD ms = (DWORD)((ns + 999999u) / 1000000u); /* milliseconds, rounded up */
  WaitOnAddress((volatile VOID *)addr, &expected, sizeof expected, ms ? ms : 1);
}

void weft__prim_wake32(uint32_t *addr, int all) {
  if (all) WakeByAddressAll((PVOID)addr);
  else WakeByAddressSingle((PVOID)addr);
}

void weft__prim_yield(void) { SwitchToThread(); }

/* ---------------------------------------------------------- clock, cores */

uint64_t weft__prim_now_ns(void) {
  /* Fixed at boot: racing first calls store the same value. */
  static _Atomic uint64_t freq;
  uint64_t f = atomic_load_explicit(&freq, memory_order_relaxed);
  if (f == 0) {
    LARGE_INTEGER li;
    QueryPerformanceFrequency(&li);
    f = (uint64_t)li.QuadPart;
    atomic_store_explicit(&freq, f, memory_order_relaxed);
  }
  LARGE_INTEGER now;
  QueryPerformanceCounter(&now);
  uint64_t c = (uint64_t)now.QuadPart;
  /* split so that c * 1e9 cannot overflow */
  return c / f * 1000000000u + c % f * 1000000000u / f;
}

unsigned weft__prim_core_count(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwNumberOfProcessors > 0 ? (unsigned)si.dwNumberOfProcessors : 1u;
}

size_t weft__prim_page_size(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwPageSize ? (size_t)si.dwPageSize : 4096u;
}

/* ---------------------------------------------------------------- memory */

void *weft__prim_reserve(size_t size) {
  return VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
}

int weft__prim_commit(void *addr, size_t size) {
  return VirtualAlloc(addr, size, MEM_COMMIT, PAGE_READWRITE) ? 0 : WEFT_ENOMEM;
}

void weft__prim_release(void *addr, size_t size) {
  (void)size;
  VirtualFree(addr, 0, MEM_RELEASE);
}
