/*
 * graph_cache.c - the memory of destroyed task graphs, kept for the next.
 *
 * A program that builds a graph, runs it once and destroys it, again and
 * again (work discovered as it goes), would otherwise build every graph on
 * fresh pages: glibc gives blocks this big back to the system, and on this
 * VM faulting them in (and unmapping them at destroy) was two thirds of the
 * time of building a 1M-node wavefront. So graph.c gives its node and edge
 * chunks (fixed sizes) and its shared runs' arrays back here, and takes
 * them from here first. Chunks: one list per kind, threaded through the
 * blocks (a stack: graph.c pushes the last chunk first, so a new graph gets
 * them back in address order). Arrays: one spare per kind, the biggest
 * seen. At most CACHE_BYTES in all, process-wide, under a spinlock held for
 * one push or pop. Blocks cached at exit are still reachable (no leak).
 */
#include "internal.h"

#include <stdlib.h>

#define CACHE_BYTES ((size_t)128 << 20)

typedef struct cached_blk {
  struct cached_blk *next;
} cached_blk;

static atomic_flag lock = ATOMIC_FLAG_INIT;
static size_t bytes_held;
static cached_blk *chunks[WEFT__GC_CHUNK_KINDS];
static void *spare[WEFT__GC_ARRAY_KINDS];
static size_t spare_bytes[WEFT__GC_ARRAY_KINDS];

static void acquire(void) {
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
  }
}

static void release(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

void *weft__gcache_chunk_get(int kind, size_t size) {
  acquire();
  cached_blk *b = chunks[kind];
  if (b) {
    chunks[kind] = b->next;
    bytes_held -= size;
  }
  release();
  return b;
}

int weft__gcache_chunk_put(int kind, void *p, size_t size) {
  acquire();
  int keep = bytes_held + size <= CACHE_BYTES;
  if (keep) {
    cached_blk *b = p;
    b->next = chunks[kind];
    chunks[kind] = b;
    bytes_held += size;
  }
  release();
  return keep;
}

void *weft__gcache_array_get(int kind, size_t min_bytes, size_t *got) {
  void *p = NULL;
  acquire();
  if (spare[kind] && spare_bytes[kind] >= min_bytes) {
    p = spare[kind];
    *got = spare_bytes[kind];
    bytes_held -= spare_bytes[kind];
    spare[kind] = NULL;
    spare_bytes[kind] = 0;
  }
  release();
  return p;
}

void weft__gcache_array_put(int kind, void *p, size_t bytes) {
  void *drop = p;
  acquire();
  size_t old = spare_bytes[kind];
  if (bytes > old && bytes_held - old + bytes <= CACHE_BYTES) {
    drop = spare[kind];
    spare[kind] = p;
    spare_bytes[kind] = bytes;
    bytes_held = bytes_held - old + bytes;
  }
  release();
  free(drop);
}
