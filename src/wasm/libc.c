/*
 * libc.c - the few C library functions the wasm32 build of weft needs, for a
 * freestanding target (no wasi-libc, no Emscripten): memory and string
 * helpers, a heap, snprintf.
 *
 * The heap: one boundary-tag, first-fit heap from __heap_base to the end of
 * linear memory, grown with memory.grow in steps of at least 1 MiB. Every
 * instance of the module (the page's main thread, every worker) shares it,
 * because they share the memory; a spin lock (never memory.atomic.wait: the
 * browser's main thread must not reach a wait) serialises it. Only this
 * allocator grows the memory. weft allocates rarely (pool regions, graph
 * chunks), never on the spawn/sync paths, so first fit is enough.
 *
 * A block is [header 16 bytes][payload]; header = {size of the whole block,
 * size of the previous block (0: first), state, aux}. Free blocks hold the
 * free-list links in their payload. A used block of size 0 ends the heap.
 * aligned_alloc over-allocates and puts a stub header (state ALIGNED, aux =
 * the real payload) right before the aligned pointer.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../spin.h"

#undef memcpy
#undef memmove
#undef memset

/* ---------------------------------------------------------------- memory */

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  __builtin_memcpy(dst, src, n); /* memory.copy with -mbulk-memory */
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n); /* memory.fill */
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

_Noreturn void abort(void) { __builtin_trap(); }

/* ------------------------------------------------------------------ heap */

#define HDR 16u
#define MIN_BLOCK 32u
#define GROW_MIN ((size_t)1 << 20)
#define WASM_PAGE 65536u

enum { B_FREE = 0, B_USED = 1, B_ALIGNED = 0xa1a1a1a1u };

typedef struct blk {
  uint32_t size;  /* whole block, header included; 0 = end marker */
  uint32_t prev;  /* size of the block before, 0 for the first */
  uint32_t state;
  uint32_t aux;
  /* free blocks only: */
  struct blk *next_free, *prev_free;
} blk;

extern unsigned char __heap_base;

static _Atomic uint32_t heap_lock;
static uintptr_t heap_lo;   /* first block */
static blk *heap_endb;      /* the end marker */
static blk *free_list;
static size_t heap_bytes;   /* bytes in blocks, for weft_wasm_heap_bytes */

/* src/spin.h: it never waits (here its pause and yield are no-ops). */
static void lock(void) { weft__spin_lock(&heap_lock); }
static void unlock(void) { weft__spin_unlock(&heap_lock); }

static blk *nextb(blk *b) { return (blk *)((char *)b + b->size); }
static blk *prevb(blk *b) { return b->prev ? (blk *)((char *)b - b->prev) : NULL; }

static void fl_insert(blk *b) {
  b->state = B_FREE;
  b->prev_free = NULL;
  b->next_free = free_list;
  if (free_list) free_list->prev_free = b;
  free_list = b;
}

static void fl_remove(blk *b) {
  if (b->prev_free) b->prev_free->next_free = b->next_free;
  else free_list = b->next_free;
  if (b->next_free) b->next_free->prev_free = b->prev_free;
}

/* Merges b (free, not in the list) with free neighbours; inserts the result. */
static void release_block(blk *b) {
  blk *n = nextb(b);
  if (n->size && n->state == B_FREE) {
    fl_remove(n);
    b->size += n->size;
  }
  blk *p = prevb(b);
  if (p && p->state == B_FREE) {
    fl_remove(p);
    p->size += b->size;
    b = p;
  }
  nextb(b)->prev = b->size;
  fl_insert(b);
}

/* Grows memory so that a free block of at least `need` bytes ends the heap. */
static int grow(size_t need) {
  if (!heap_lo) {
    uintptr_t lo = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
    uintptr_t end = (uintptr_t)__builtin_wasm_memory_size(0) * WASM_PAGE;
    if (end < lo + 2 * HDR + MIN_BLOCK) {
      if (__builtin_wasm_memory_grow(0, 1) == (size_t)-1) return -1;
      end += WASM_PAGE;
    }
    heap_lo = lo;
    blk *first = (blk *)lo;
    first->size = (uint32_t)(end - HDR - lo);
    first->prev = 0;
    heap_endb = (blk *)(end - HDR);
    heap_endb->size = 0;
    heap_endb->prev = first->size;
    heap_endb->state = B_USED;
    fl_insert(first);
    heap_bytes = first->size;
    if (first->size >= need) return 0;
  }
  size_t want = need < GROW_MIN ? GROW_MIN : need;
  size_t pages = (want + WASM_PAGE - 1) / WASM_PAGE;
  size_t old = __builtin_wasm_memory_grow(0, pages);
  if (old == (size_t)-1) return -1;
  uintptr_t new_end = (uintptr_t)(old + pages) * WASM_PAGE;
  /* The old end marker becomes a free block reaching the new end marker. */
  blk *b = heap_endb;
  b->size = (uint32_t)(new_end - HDR - (uintptr_t)b);
  heap_bytes += b->size;
  heap_endb = (blk *)(new_end - HDR);
  heap_endb->size = 0;
  heap_endb->state = B_USED;
  heap_endb->prev = b->size;
  release_block(b);
  return 0;
}

static void *alloc_locked(size_t n) {
  if (n > 0x7fff0000u) return NULL;
  uint32_t sz = (uint32_t)((n + HDR + 15) & ~(size_t)15);
  if (sz < MIN_BLOCK) sz = MIN_BLOCK;
  for (int tries = 0; tries < 2; tries++) {
    for (blk *b = free_list; b; b = b->next_free) {
      if (b->size < sz) continue;
      fl_remove(b);
      if (b->size - sz >= MIN_BLOCK) {
        blk *rest = (blk *)((char *)b + sz);
        rest->size = b->size - sz;
        rest->prev = sz;
        b->size = sz;
        nextb(rest)->prev = rest->size;
        fl_insert(rest);
      }
      b->state = B_USED;
      b->aux = 0;
      return (char *)b + HDR;
    }
    if (grow((size_t)sz + HDR)) return NULL;
  }
  return NULL;
}

void *malloc(size_t n) {
  lock();
  void *p = alloc_locked(n);
  unlock();
  return p;
}

void *aligned_alloc(size_t align, size_t n) {
  if (align <= 16) return malloc(n);
  if (align & (align - 1)) return NULL;
  lock();
  char *raw = alloc_locked(n + align + HDR);
  char *p = NULL;
  if (raw) {
    p = (char *)(((uintptr_t)raw + HDR + align - 1) & ~(uintptr_t)(align - 1));
    blk *stub = (blk *)(p - HDR);
    stub->state = B_ALIGNED;
    stub->aux = (uint32_t)(uintptr_t)raw;
  }
  unlock();
  return p;
}

void free(void *p) {
  if (!p) return;
  lock();
  blk *b = (blk *)((char *)p - HDR);
  if (b->state == B_ALIGNED) b = (blk *)((char *)(uintptr_t)b->aux - HDR);
  if (b->state != B_USED) abort(); /* double free or a pointer not from malloc */
  release_block(b);
  unlock();
}

/* Usable bytes behind p. */
static size_t usable(void *p) {
  blk *b = (blk *)((char *)p - HDR);
  if (b->state == B_ALIGNED) {
    char *raw = (char *)(uintptr_t)b->aux;
    blk *rb = (blk *)(raw - HDR);
    return rb->size - HDR - (size_t)((char *)p - raw);
  }
  return b->size - HDR;
}

void *calloc(size_t n, size_t size) {
  if (size && n > (size_t)-1 / size) return NULL;
  void *p = malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *realloc(void *p, size_t n) {
  if (!p) return malloc(n);
  size_t have = usable(p);
  if (n <= have) return p;
  void *q = malloc(n);
  if (!q) return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}

/* Bytes the heap spans (tests check it stays bounded over create/destroy). */
__attribute__((export_name("weft_wasm_heap_bytes"))) size_t weft_wasm_heap_bytes(void) {
  lock();
  size_t n = heap_bytes;
  unlock();
  return n;
}

/* Bytes in free blocks. */
__attribute__((export_name("weft_wasm_heap_free"))) size_t weft_wasm_heap_free(void) {
  lock();
  size_t n = 0;
  for (blk *b = free_list; b; b = b->next_free) n += b->size;
  unlock();
  return n;
}

/* --------------------------------------------------------------- snprintf */

typedef struct {
  char *buf;
  size_t cap, len;
} out_t;

static void put(out_t *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void put_u(out_t *o, unsigned long long v, unsigned base) {
  char tmp[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n) put(o, tmp[--n]);
}

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap) {
  out_t o = {buf, cap, 0};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      put(&o, *f);
      continue;
    }
    f++;
    int lng = 0;
    while (*f == 'l' || *f == 'z') {
      lng++; /* z and l are 32 bits on wasm32, ll is 64 */
      f++;
    }
    switch (*f) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      while (*s) put(&o, *s++);
      break;
    }
    case 'c': put(&o, (char)va_arg(ap, int)); break;
    case 'd':
    case 'i': {
      long long v = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
      if (v < 0) {
        put(&o, '-');
        put_u(&o, (unsigned long long)0 - (unsigned long long)v, 10);
      } else {
        put_u(&o, (unsigned long long)v, 10);
      }
      break;
    }
    case 'u':
    case 'x': {
      unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                             : lng    ? va_arg(ap, unsigned long)
                                      : va_arg(ap, unsigned);
      put_u(&o, v, *f == 'x' ? 16 : 10);
      break;
    }
    case 'p':
      put(&o, '0');
      put(&o, 'x');
      put_u(&o, (uintptr_t)va_arg(ap, void *), 16);
      break;
    case '%': put(&o, '%'); break;
    case '\0': f--; break;
    default: put(&o, '%'); put(&o, *f); break;
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
  return (int)o.len;
}

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}
