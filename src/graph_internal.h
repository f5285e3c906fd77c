/*
 * graph_internal.h - what graph.c (building, validation, the DOT dump) and
 * graph_run.c (runs) share: the graph's records and structure, and the few
 * functions one calls in the other. The design is in graph.c's header
 * comment and docs/GRAPHS.md.
 */
#ifndef WEFT_GRAPH_INTERNAL_H
#define WEFT_GRAPH_INTERNAL_H

#include "dispatch.h"
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>

#define CHUNK_BYTES ((size_t)128 * 1024) /* node records or edges, cache-line aligned */
#define NODE_CHUNK_SHIFT 12
#define NODE_CHUNK ((uint32_t)1 << NODE_CHUNK_SHIFT)
#define EDGE_CHUNK_SHIFT 14
#define EDGE_CHUNK ((uint64_t)1 << EDGE_CHUNK_SHIFT)
#define ARENA_CHUNK ((size_t)64 * 1024)

#define NONE 0xffffffffu
#define SINGLE 0x80000000u /* successor entry flag: in-degree 1 (or a root) */
#define MAX_NODES 0x7fffffffu
#define MAX_SLOTS 0x7ffffffeu /* edges + nodes (roots); bit 31 of node.end is a flag */
#define ARGS_INLINE 16u        /* argument blocks up to this size live in the node */
#define BIG_ARGS 0x80000000u   /* node.end flag: args.p points to the block */

/* Successors whose node line is prefetched while a node runs. */
#define PREFETCH_SUCC 4u
#define PREFETCH_MIN_SUCC 3u
/* A range of successor slots longer than this is split in halves. */
#define SPLIT_MIN 32u

/* graph.state */
#define ST_RUNNING 1u
#define ST_CANCEL 2u
/* graph.stop: (generation << 2) | one of */
#define STOP_GO 0u
#define STOP_FAILED 1u
#define STOP_CANCELED 2u

/* A node: everything a run needs of it in half a cache line. begin/end (its
 * successor slots) are written by build_csr. An argument block of up to
 * ARGS_INLINE bytes is stored here; a bigger one (up to WEFT_ARGS_MAX) lives
 * in the graph's arena and args.p points to it (BIG_ARGS set in end). Names
 * live in a side table per chunk. */
typedef struct node_rec {
  weft_node_fn fn;
  uint32_t begin, end;
  union {
    unsigned char b[ARGS_INLINE];
    void *p;
    uint64_t align_[2];
  } args;
} node_rec;

_Static_assert(sizeof(node_rec) == 32, "a node is half a cache line");

/* A successor slot as runs read it: the successor (SINGLE flag included)
 * and its own successor range, so that going from a node to the next one
 * is one load, not a chain of three (slot -> node record -> its range):
 * on a chain of tiny nodes that chain was 2/3 of the time. */
typedef struct succ_rec {
  uint32_t s;
  uint32_t begin, end;
} succ_rec;

typedef struct edge_rec {
  uint32_t from, to;
} edge_rec;

_Static_assert(NODE_CHUNK * sizeof(node_rec) == CHUNK_BYTES &&
                   EDGE_CHUNK * sizeof(edge_rec) == CHUNK_BYTES, "one chunk size");

/* One worker's count of node functions called in the current run, written
 * by that worker only; a line apart from the others'. */
typedef struct ran_slot {
  uint64_t v;
  char pad_[WEFT__CACHE_LINE - sizeof(uint64_t)];
} ran_slot;

/* The arena: names and argument blocks over ARGS_INLINE. */
typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t used, cap;
  alignas(16) char data[];
} arena_chunk;

struct weft_graph {
  /* Memory: kept by weft_graph_clear, and with the whole graph when a
   * destroyed graph is kept for the next weft_graph_create (graph.c). */
  struct weft_graph *prev, *next; /* the registry of live graphs, or the kept ones */
  node_rec **nchunks;  /* chunks of NODE_CHUNK nodes */
  const char ***names; /* per node chunk: NULL until a node in it is named */
  size_t nchunks_len, nchunks_cap;
  edge_rec **echunks; /* chunks of EDGE_CHUNK edges, in insertion order */
  size_t echunks_len, echunks_cap;
  arena_chunk *arena;     /* list of chunks */
  arena_chunk *arena_cur; /* the chunk being filled; the ones after it are empty */
  succ_rec *rsucc;        /* CSR successor slots as shared runs read them (build_csr) */
  uint32_t *ord_node;     /* ordered runs: position -> node, unless ord_forward */
  uint32_t *indeg;
  _Atomic uint32_t *join;
  _Atomic uint32_t *link;
  struct ran_slot *ran; /* node functions called, per worker index */
  size_t rsucc_cap, ord_node_cap, indeg_cap, join_cap, link_cap, ran_cap; /* bytes (reserve) */

  /* The graph: weft_graph_create zeroes everything from here on. */
  uint32_t serial;
  uint32_t nnodes;
  uint64_t nedges;
  uint64_t nback; /* edges from a later node to an earlier one (from > to) */

  int broken; /* first failed build call's code, or 0 */
  weft_node bad[2];
  size_t nbad;

  int checked; /* compiled arrays and check_rc reflect the graph */
  int check_rc;
  weft_graph_error check_err;

  int csr_ok;      /* rsucc, indeg, join, node ranges and roots are built */
  int ord_forward; /* node order is a topological order */
  uint32_t roots_begin, roots_end;
  int counters_dirty;
  /* Strategy choice (drive): ns per node of the last timed run of each. */
  uint64_t cost_ordered, cost_shared;
  uint32_t runs_since_probe;
  uint64_t runs_ordered, runs_shared; /* counts, for tests */
  int adapted;     /* the first run (adapt_run) is done */
  int trace_nodes; /* this run's traces record every node (run_once) */

  /* run */
  unsigned nran; /* workers of the pool the series runs on */
  unsigned depth_limit;
  int solo; /* the run's pool has one worker: no other thread touches join[] */
  uint32_t gen;
  int fail_status;
  uint32_t fail_node;
  _Atomic uint32_t state; /* gen << 2 | ST_* */
  alignas(WEFT__CACHE_LINE) _Atomic uint32_t stop;
  alignas(WEFT__CACHE_LINE) _Atomic uint32_t defer_head;
  char pad_[WEFT__CACHE_LINE - sizeof(uint32_t)];
};

/* ------------------------------------------------------------ shared helpers */

static inline weft_node make_node(const weft_graph *g, uint32_t idx) {
  return (weft_node){((uint64_t)g->serial << 32) | idx};
}

static inline int node_index(const weft_graph *g, weft_node n, uint32_t *idx) {
  uint32_t i = (uint32_t)n.id;
  if ((uint32_t)(n.id >> 32) != g->serial || i >= g->nnodes) return 0;
  *idx = i;
  return 1;
}

static inline node_rec *rec_in(node_rec *const *chunks, uint32_t i) {
  return &chunks[i >> NODE_CHUNK_SHIFT][i & (NODE_CHUNK - 1)];
}

static inline node_rec *node_at(const weft_graph *g, uint32_t i) { return rec_in(g->nchunks, i); }

static inline void *args_of(node_rec *r) { return (r->end & BIG_ARGS) ? r->args.p : r->args.b; }

/* The end of a node's successor slots (end without its BIG_ARGS flag). */
static inline uint32_t succ_end(const node_rec *r) { return r->end & ~BIG_ARGS; }

static inline edge_rec *edge_at(const weft_graph *g, uint64_t k) {
  return &g->echunks[k >> EDGE_CHUNK_SHIFT][k & (EDGE_CHUNK - 1)];
}

static inline const char *name_of(const weft_graph *g, uint32_t i) {
  const char **c = g->names[i >> NODE_CHUNK_SHIFT];
  return c ? c[i & (NODE_CHUNK - 1)] : NULL;
}

static inline int is_running(const weft_graph *g) {
  return (atomic_load_explicit(&g->state, memory_order_acquire) & ST_RUNNING) != 0;
}

/* graph.c: every allocation graph code makes (tests: a re-run makes none). */
extern _Atomic uint64_t weft__graph_alloc_count;
/* graph.c: makes *p an array of at least `bytes` (old contents dropped);
 * validation without the busy check (the caller holds the graph); the
 * shared runs' CSR arrays; join counters back to the in-degrees; claiming
 * and releasing the graph for a run. */
int weft__graph_reserve(void **p, size_t *cap_bytes, size_t bytes);
int weft__graph_prepare(weft_graph *g, weft_graph_error *err);
int weft__graph_build_csr(weft_graph *g);
void weft__graph_reset_counters(weft_graph *g);
int weft__graph_claim(weft_graph *g);
void weft__graph_release(weft_graph *g);

#endif
