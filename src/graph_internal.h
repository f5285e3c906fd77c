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

#ifndef WEFT__UNLIKELY /* weft.h defines them for GNU C only */
#define WEFT__LIKELY(x) (x)
#define WEFT__UNLIKELY(x) (x)
#endif

#define NODE_CHUNK_SHIFT 12
#define NODE_CHUNK ((uint32_t)1 << NODE_CHUNK_SHIFT)
#define EDGE_CHUNK_SHIFT 16
#define EDGE_CHUNK ((uint64_t)1 << EDGE_CHUNK_SHIFT)
#define STR_CHUNK ((size_t)64 * 1024)

#define NONE 0xffffffffu
#define SINGLE 0x80000000u /* successor entry flag: in-degree 1 (or a root) */
#define MAX_NODES 0x7fffffffu
#define MAX_SLOTS 0x7ffffffeu /* edges + nodes (roots); bit 31 of node.end is a flag */
#define ARGS_INLINE 16u        /* argument blocks up to this size live in the node */
#define BIG_ARGS 0x80000000u   /* node.end flag: args.p points to the block */
#define BIG_CHUNK_SHIFT 12
#define BIG_CHUNK ((uint32_t)1 << BIG_CHUNK_SHIFT)

/* Successors whose node line is prefetched while a node runs. */
#define PREFETCH_SUCC 4u
#define PREFETCH_MIN_SUCC 3u
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 1, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif
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
 * successor slots) are written by validation. An argument block of up to
 * ARGS_INLINE bytes is stored here; a bigger one (up to WEFT_ARGS_MAX) lives
 * in the "big" arena and args.p points to it (BIG_ARGS set in end). Names
 * live in a side table. */
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

typedef struct big_args {
  union {
    unsigned char b[WEFT_ARGS_MAX];
    uint64_t align_;
  } u;
} big_args;

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

/* One worker's count of node functions called in the current run; own
 * cache line, written by that worker only. */
typedef struct ran_slot {
  uint64_t v;
  char pad_[WEFT__CACHE_LINE - sizeof(uint64_t)];
} ran_slot;

typedef struct str_chunk {
  struct str_chunk *next;
  size_t used, cap;
  char data[];
} str_chunk;

struct weft_graph {
  struct weft_graph *reg_prev, *reg_next; /* the registry of live graphs (traces) */
  uint32_t serial;
  uint32_t nnodes;
  uint64_t nedges;
  node_rec **nchunks;
  size_t nchunks_len, nchunks_cap;
  const char ***names; /* per node chunk: NULL until a node in it is named */
  big_args **bchunks;  /* argument blocks > ARGS_INLINE, chunks of BIG_CHUNK */
  size_t bchunks_len, bchunks_cap;
  uint32_t nbig;
  edge_rec **echunks;
  size_t echunks_len, echunks_cap;
  str_chunk *strs;    /* string arena: list of chunks */
  str_chunk *str_cur; /* chunk being filled */

  int broken; /* first failed build call's code, or 0 */
  weft_node bad[2];
  size_t nbad;

  int checked; /* compiled arrays and check_rc reflect the graph */
  int check_rc;
  weft_graph_error check_err;

  uint64_t nback;   /* edges from a later node to an earlier one (from > to) */
  succ_rec *rsucc;  /* CSR successor slots as shared runs read them (build_csr) */
  size_t rsucc_cap; /* bytes, as every arr_reserve capacity */
  int csr_ok;       /* rsucc, indeg, join, node ranges and roots are built */
  uint32_t *ord_node;       /* ordered runs: position -> node, unless ord_forward */
  size_t ord_node_cap;
  /* Strategy choice (drive): ns per node of the last timed run of each. */
  uint64_t cost_ordered, cost_shared;
  uint32_t runs_since_probe;
  uint64_t runs_ordered, runs_shared; /* counts, for tests */
  int trace_nodes;          /* this run's traces record every node (run_once) */
  int ord_forward;          /* node order is a topological order */
  int adapted;              /* the first run (adapt_run) is done */
  uint32_t *indeg;
  _Atomic uint32_t *join;
  _Atomic uint32_t *link;
  size_t indeg_cap, join_cap, link_cap; /* bytes */
  uint32_t roots_begin, roots_end;
  int counters_dirty;

  /* run */
  struct ran_slot *ran; /* node functions called, per worker index */
  unsigned nran;
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
  weft_node n = {((uint64_t)g->serial << 32) | idx};
  return n;
}

static inline int node_index(const weft_graph *g, weft_node n, uint32_t *idx) {
  uint32_t i = (uint32_t)n.id;
  if ((uint32_t)(n.id >> 32) != g->serial || i >= g->nnodes) return 0;
  *idx = i;
  return 1;
}

static inline node_rec *node_at(const weft_graph *g, uint32_t i) {
  return &g->nchunks[i >> NODE_CHUNK_SHIFT][i & (NODE_CHUNK - 1)];
}

static inline const char *name_of(const weft_graph *g, uint32_t i) {
  const char **c = g->names[i >> NODE_CHUNK_SHIFT];
  return c ? c[i & (NODE_CHUNK - 1)] : NULL;
}

static inline edge_rec *edge_at(const weft_graph *g, uint64_t i) {
  return &g->echunks[i >> EDGE_CHUNK_SHIFT][i & (EDGE_CHUNK - 1)];
}

/* Trace hooks around a node call: one branch on a register when off. */
#define NODE_BEGIN(tb, r, idx, g)                                                            \
  do {                                                                                      \
    if (WEFT__UNLIKELY((tb) != NULL))                                                       \
      weft__tput((tb), WEFT__TBEGIN(WEFT__CAT_NODE), (uint64_t)(uintptr_t)(r)->fn, (idx),   \
                 (g)->serial);                                                              \
  } while (0)
/* Coarse traces of graphs with short nodes: one slice per stretch of nodes
 * (a dispatch loop), its END carrying how many ran. */
#define TRACE_NODE_NS 2000u
#define SEG_BEGIN(tb, ntb, g)                                                                \
  do {                                                                                      \
    if (WEFT__UNLIKELY((tb) != NULL && (ntb) == NULL))                                      \
      weft__tput((tb), WEFT__TBEGIN(WEFT__CAT_NODES), 0, 0, (g)->serial);                   \
  } while (0)
#define SEG_END(tb, ntb, count)                                                              \
  do {                                                                                      \
    if (WEFT__UNLIKELY((tb) != NULL && (ntb) == NULL))                                      \
      weft__tput((tb), WEFT__EV_END, 0, (uint32_t)(count), 0);                              \
  } while (0)
#define NODE_END(tb)                                                                        \
  do {                                                                                      \
    if (WEFT__UNLIKELY((tb) != NULL)) weft__tput((tb), WEFT__EV_END, 0, 0, 0);              \
  } while (0)

static inline int is_running(const weft_graph *g) {
  return (atomic_load_explicit(&g->state, memory_order_acquire) & ST_RUNNING) != 0;
}

/* graph.c: every allocation graph code makes (tests: a re-run makes none). */
extern _Atomic uint64_t weft__graph_alloc_count;
/* graph.c: validation without the busy check (the caller holds the graph);
 * the shared runs' CSR arrays; claiming and releasing the graph for a run. */
int weft__graph_prepare(weft_graph *g, weft_graph_error *err);
int weft__graph_build_csr(weft_graph *g);
int weft__graph_claim(weft_graph *g);
void weft__graph_release(weft_graph *g);

#endif
