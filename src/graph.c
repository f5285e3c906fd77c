/*
 * graph.c - task graphs: reusable dependency DAGs on the fork-join core.
 *
 * Build: nodes (function, successor range, argument block of up to 16
 * bytes; bigger blocks in a side arena) are 32-byte records in chunks of
 * 4096, edges (from, to) pairs in chunks of 65536, names in a string arena:
 * adding allocates only when a chunk fills.
 *
 * Validate ("compile"): adding counts the edges that go from a later node
 * to an earlier one; with none, the order of addition is a topological
 * order and there is nothing to check. Otherwise Kahn's algorithm over the
 * CSR arrays gives the order or, on a cycle, a backward walk inside the
 * nodes Kahn could not remove extracts one. The CSR arrays (each node's
 * range of successor slots, written into its record, the slots, the
 * in-degrees and the join counters: build_csr) are made when a shared run
 * or Kahn first needs them, so a graph run once in order (one worker) pays
 * for neither. All of it is kept until the graph changes, so runs allocate
 * nothing.
 *
 * Run: docs/GRAPHS.md has the full argument. In short, a task processes a
 * node, then decrements its successors' join counters; of the successors
 * that became ready it keeps one to run next in the same loop (a chain is a
 * loop, never a recursion) and spawns the others. When nothing is ready it
 * takes its own newest spawn back (if no thief can see it) and continues
 * with it in the same loop; only a frame a thief could take is synced
 * through the core's slow path. A successor with in-degree 1 needs no
 * atomic (its only predecessor makes it ready), a pool of one worker needs
 * no atomic at all, and a join counter that reaches 0 is put back to the
 * in-degree by the task that saw it, so a clean run leaves the counters
 * ready for the next one with no reset pass. Two limits keep the fork-join
 * discipline safe on a fixed stack and a fixed deque:
 *   - depth: a per-thread count of graph tasks on the stack. At the limit a
 *     task spawns nothing; ready nodes it cannot run itself go to the run's
 *     deferred stack (a lock-free LIFO of node indices, each node pushed at
 *     most once per run, so no ABA), which every task drains, inline, when
 *     it has nothing else;
 *   - deque room: a task spawns only while the worker's deque has more than
 *     WEFT__DISPATCH_RESERVE free frames; otherwise it defers too.
 * Both limits, and the push / take-back / join steps, are dispatch.h's,
 * shared with launched tasks (task.c).
 * Wide fan-outs (and the roots) are split by recursive halving into range
 * tasks so thieves share them.
 */
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

/* ------------------------------------------------------------ test hooks */

static _Atomic uint64_t alloc_count;
static _Atomic unsigned depth_seen;
static _Atomic uint64_t deferred_count;

/* Allocations made by graph code so far (tests: a re-run makes none). */
uint64_t weft__graph_allocs(void) { return atomic_load(&alloc_count); }
/* Deepest graph-task nesting on any thread since the last reset. */
unsigned weft__graph_depth_max(void) { return atomic_load(&depth_seen); }
void weft__graph_depth_reset(void) { atomic_store(&depth_seen, 0); }
/* Forces the depth limit of runs that start from now on (0: derived from
 * the stack size). Tests use it to drive the deferred path. */
static _Atomic unsigned depth_override;
void weft__graph_set_depth_limit(unsigned lim) { atomic_store(&depth_override, lim); }
/* Nodes that went through a deferred stack so far. */
uint64_t weft__graph_deferred(void) { return atomic_load(&deferred_count); }
/* Whether every join counter equals its in-degree (valid compiled graph). */
int weft__graph_counters_clean(const weft_graph *g) {
  if (!g->csr_ok) return 1; /* no counters built (only ordered runs so far) */
  for (uint32_t i = 0; i < g->nnodes; i++)
    if (atomic_load_explicit(&g->join[i], memory_order_relaxed) != g->indeg[i]) return 0;
  return 1;
}

static void *xmalloc(size_t n) {
  atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
  return malloc(n ? n : 1);
}

static void *xrealloc(void *p, size_t n) {
  atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
  return realloc(p, n ? n : 1);
}

/* Node and edge chunks, and the shared runs' arrays, come from the memory
 * of destroyed graphs first (graph_cache.c: a graph built, run once and
 * destroyed, again and again, does not fault in fresh pages each time). */
#define NODE_CHUNK_BYTES (NODE_CHUNK * sizeof(node_rec))
#define EDGE_CHUNK_BYTES (EDGE_CHUNK * sizeof(edge_rec))

static void *chunk_get(int kind) {
  atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
  size_t size = kind == WEFT__GC_NODES ? NODE_CHUNK_BYTES : EDGE_CHUNK_BYTES;
  void *p = weft__gcache_chunk_get(kind, size);
  if (p) return p;
  return kind == WEFT__GC_NODES ? weft__aligned_alloc(WEFT__CACHE_LINE, size) : malloc(size);
}

static void chunk_put(int kind, void *p) {
  size_t size = kind == WEFT__GC_NODES ? NODE_CHUNK_BYTES : EDGE_CHUNK_BYTES;
  if (!p || weft__gcache_chunk_put(kind, p, size)) return;
  if (kind == WEFT__GC_NODES) weft__aligned_free(p);
  else free(p);
}

/* Makes *p an array of at least `bytes` (old contents dropped). */
static int arr_reserve(int kind, void **p, size_t *cap_bytes, size_t bytes) {
  if (bytes <= *cap_bytes) return 0;
  atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
  size_t got = bytes;
  void *q = weft__gcache_array_get(kind, bytes, &got);
  if (!q && !(q = malloc(bytes))) return WEFT_ENOMEM;
  free(*p);
  *p = q;
  *cap_bytes = got;
  return 0;
}

/* ---------------------------------------------------------------- handles */

/* Live graphs, for weft_trace_write: a trace names a node by (graph serial,
 * index) and looks the name up here, so a graph destroyed before the trace
 * is written costs its names, never a dangling read. Only create, destroy
 * and trace writing take the lock. */
static weft_graph *registry;
static _Atomic uint32_t registry_lock;

static void reg_lock(void) {
  uint32_t z;
  do {
    z = 0;
    if (atomic_compare_exchange_weak_explicit(&registry_lock, &z, 1, memory_order_acquire,
                                              memory_order_relaxed))
      return;
    weft__prim_yield();
  } while (1);
}

static void reg_unlock(void) { atomic_store_explicit(&registry_lock, 0, memory_order_release); }

const char *weft__graph_trace_name(uint32_t serial, uint32_t node, char *buf, size_t size) {
  const char *r = NULL;
  reg_lock();
  for (weft_graph *g = registry; g; g = g->reg_next) {
    if (g->serial != serial) continue;
    if (node < g->nnodes && g->names && node >> NODE_CHUNK_SHIFT < g->nchunks_len) {
      const char **c = g->names[node >> NODE_CHUNK_SHIFT];
      const char *nm = c ? c[node & (NODE_CHUNK - 1)] : NULL;
      if (nm) {
        size_t n = strlen(nm);
        if (n >= size) n = size - 1;
        memcpy(buf, nm, n);
        buf[n] = 0;
        r = buf;
      }
    }
    break;
  }
  reg_unlock();
  return r;
}

static _Atomic uint32_t serial_counter;

static uint32_t new_serial(void) {
  uint32_t s;
  do {
    s = atomic_fetch_add_explicit(&serial_counter, 1, memory_order_relaxed) + 1;
  } while (s == 0);
  return s;
}

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

/* Records the first failed build call; returns code. */
static int broke(weft_graph *g, int code, const weft_node *bad, size_t nbad) {
  if (!g->broken) {
    g->broken = code;
    g->nbad = nbad;
    for (size_t i = 0; i < nbad && i < 2; i++) g->bad[i] = bad[i];
  }
  g->checked = 0;
  return code;
}

/* ------------------------------------------------------------------ build */

int weft_graph_create(weft_graph **out) {
  if (!out) return WEFT_EINVAL;
  *out = NULL;
  weft_graph *g = xmalloc(sizeof *g);
  if (!g) return WEFT_ENOMEM;
  memset(g, 0, sizeof *g);
  g->serial = new_serial();
  reg_lock();
  g->reg_next = registry;
  if (registry) registry->reg_prev = g;
  registry = g;
  reg_unlock();
  atomic_init(&g->state, 0);
  atomic_init(&g->stop, 0);
  atomic_init(&g->defer_head, NONE);
  *out = g;
  return 0;
}

void weft_graph_destroy(weft_graph *g) {
  if (!g) return;
  reg_lock();
  if (g->reg_prev) g->reg_prev->reg_next = g->reg_next;
  else registry = g->reg_next;
  if (g->reg_next) g->reg_next->reg_prev = g->reg_prev;
  reg_unlock();
  /* Last chunk first: the cache is a stack, so the next graph gets them back
   * in this order (node order = address order, as when they were new). */
  for (size_t i = g->nchunks_len; i-- > 0;) {
    chunk_put(WEFT__GC_NODES, g->nchunks[i]);
    free((void *)g->names[i]);
  }
  free(g->nchunks);
  free((void *)g->names);
  for (size_t i = 0; i < g->bchunks_len; i++) free(g->bchunks[i]);
  free(g->bchunks);
  for (size_t i = g->echunks_len; i-- > 0;) chunk_put(WEFT__GC_EDGES, g->echunks[i]);
  free(g->echunks);
  for (str_chunk *c = g->strs, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  weft__gcache_array_put(WEFT__GC_RSUCC, g->rsucc, g->rsucc_cap);
  free(g->ord_node);
  weft__gcache_array_put(WEFT__GC_INDEG, g->indeg, g->indeg_cap);
  weft__gcache_array_put(WEFT__GC_JOIN, (void *)g->join, g->join_cap);
  weft__gcache_array_put(WEFT__GC_LINK, (void *)g->link, g->link_cap);
  weft__aligned_free(g->ran);
  free(g);
}

int weft_graph_clear(weft_graph *g) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  g->nnodes = 0;
  g->nedges = 0;
  g->nback = 0;
  g->nbig = 0;
  for (str_chunk *c = g->strs; c; c = c->next) c->used = 0;
  g->str_cur = g->strs;
  g->broken = 0;
  g->nbad = 0;
  g->checked = 0;
  g->serial = new_serial();
  return 0;
}

/* Makes room for pointer number `len` in a growable pointer array. */
static int grow_ptrs(void ***arr, size_t *cap, size_t len) {
  if (len < *cap) return 0;
  size_t ncap = *cap ? *cap * 2 : 16;
  void **p = xrealloc(*arr, ncap * sizeof *p);
  if (!p) return WEFT_ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

int weft_graph_add(weft_graph *g, weft_node_fn fn, const void *args, size_t size,
                   weft_node *out) {
  if (out) out->id = 0;
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  if (!fn || (!args && size)) return broke(g, WEFT_EINVAL, NULL, 0);
  if (size > WEFT_ARGS_MAX) return broke(g, WEFT_E2BIG, NULL, 0);
  uint32_t i = g->nnodes;
  if (i >= MAX_NODES || (uint64_t)i + 1 + g->nedges > MAX_SLOTS)
    return broke(g, WEFT_ENOMEM, NULL, 0);
  uint32_t c = i >> NODE_CHUNK_SHIFT;
  if ((i & (NODE_CHUNK - 1)) == 0 && c >= g->nchunks_len) {
    /* A new chunk (chunks survive weft_graph_clear and are reused). */
    if (g->nchunks_len == g->nchunks_cap) {
      size_t cap = g->nchunks_cap;
      if (grow_ptrs((void ***)&g->nchunks, &cap, g->nchunks_len))
        return broke(g, WEFT_ENOMEM, NULL, 0);
      const char ***nm = xrealloc((void *)g->names, cap * sizeof *nm);
      if (!nm) return broke(g, WEFT_ENOMEM, NULL, 0); /* nchunks grew: harmless */
      g->names = nm;
      g->nchunks_cap = cap;
    }
    node_rec *chunk = chunk_get(WEFT__GC_NODES);
    if (!chunk) return broke(g, WEFT_ENOMEM, NULL, 0);
    g->names[g->nchunks_len] = NULL;
    g->nchunks[g->nchunks_len++] = chunk;
  }
  unsigned char *block;
  uint32_t big = 0;
  if (size > ARGS_INLINE) {
    uint32_t b = g->nbig, bc = b >> BIG_CHUNK_SHIFT;
    if ((b & (BIG_CHUNK - 1)) == 0 && bc >= g->bchunks_len) {
      if (grow_ptrs((void ***)&g->bchunks, &g->bchunks_cap, g->bchunks_len))
        return broke(g, WEFT_ENOMEM, NULL, 0);
      big_args *chunk = xmalloc(BIG_CHUNK * sizeof *chunk);
      if (!chunk) return broke(g, WEFT_ENOMEM, NULL, 0);
      g->bchunks[g->bchunks_len++] = chunk;
    }
    block = g->bchunks[bc][b & (BIG_CHUNK - 1)].u.b;
    memset(block, 0, WEFT_ARGS_MAX);
    g->nbig = b + 1;
    big = BIG_ARGS;
  }
  node_rec *r = node_at(g, i);
  r->fn = fn;
  r->begin = 0;
  r->end = big;
  const char **nm = g->names[c];
  if (nm) nm[i & (NODE_CHUNK - 1)] = NULL; /* a chunk reused after clear */
  memset(&r->args, 0, sizeof r->args);
  if (big) r->args.p = block;
  else block = r->args.b;
  if (size) memcpy(block, args, size);
  g->nnodes = i + 1;
  g->checked = 0;
  if (out) *out = make_node(g, i);
  return 0;
}

/* Copies s into the string arena. Chunks are kept in a list; str_cur is the
 * one being filled, and every chunk after it is empty (weft_graph_clear
 * empties them all and starts again at the head). */
static const char *store_string(weft_graph *g, const char *s) {
  size_t len = strlen(s) + 1;
  str_chunk *c = g->str_cur;
  while (c && c->cap - c->used < len) {
    if (!c->next || c->next->cap < len) break;
    c = c->next; /* an emptied chunk that is big enough */
  }
  if (!c || c->cap - c->used < len) {
    size_t cap = len > STR_CHUNK ? len : STR_CHUNK;
    str_chunk *nc = xmalloc(sizeof *nc + cap);
    if (!nc) return NULL;
    nc->used = 0;
    nc->cap = cap;
    if (c) {
      nc->next = c->next;
      c->next = nc;
    } else {
      nc->next = g->strs;
      g->strs = nc;
    }
    c = nc;
  }
  g->str_cur = c;
  char *dst = c->data + c->used;
  memcpy(dst, s, len);
  c->used += len;
  return dst;
}

int weft_graph_name(weft_graph *g, weft_node node, const char *name) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  uint32_t i;
  if (!node_index(g, node, &i)) return broke(g, WEFT_EFOREIGN, &node, 1);
  const char *copy = NULL;
  if (name && !(copy = store_string(g, name))) return broke(g, WEFT_ENOMEM, NULL, 0);
  uint32_t c = i >> NODE_CHUNK_SHIFT;
  if (!g->names[c]) {
    if (!name) return 0;
    const char **tab = xmalloc(NODE_CHUNK * sizeof *tab);
    if (!tab) return broke(g, WEFT_ENOMEM, NULL, 0);
    memset((void *)tab, 0, NODE_CHUNK * sizeof *tab);
    g->names[c] = tab;
  }
  g->names[c][i & (NODE_CHUNK - 1)] = copy;
  /* Names appear in a cached cycle report: recheck (a valid graph keeps its
   * compiled arrays). */
  if (g->check_rc != 0) g->checked = 0;
  return 0;
}

const char *weft_graph_node_name(const weft_graph *g, weft_node node) {
  uint32_t i;
  if (!g || !node_index(g, node, &i)) return NULL;
  return name_of(g, i);
}

int weft_graph_node_args(weft_graph *g, weft_node node, void **out) {
  if (!g || !out) return WEFT_EINVAL;
  uint32_t i;
  if (!node_index(g, node, &i)) {
    *out = NULL;
    return WEFT_EFOREIGN;
  }
  node_rec *r = node_at(g, i);
  *out = (r->end & BIG_ARGS) ? r->args.p : (void *)r->args.b;
  return 0;
}

void weft_graph_count(const weft_graph *g, size_t *nodes, size_t *edges) {
  if (nodes) *nodes = g ? g->nnodes : 0;
  if (edges) *edges = g ? (size_t)g->nedges : 0;
}

/* Checks one edge; on error marks the graph broken and returns the code. */
static int check_edge(weft_graph *g, weft_node from, weft_node to, uint32_t *f, uint32_t *t) {
  weft_node pair[2] = {from, to};
  int okf = node_index(g, from, f), okt = node_index(g, to, t);
  if (!okf || !okt) return broke(g, WEFT_EFOREIGN, pair, 2);
  if (*f == *t) return broke(g, WEFT_ECYCLE, pair, 1);
  return 0;
}

static int push_edge(weft_graph *g, uint32_t f, uint32_t t) {
  uint64_t i = g->nedges;
  uint64_t c = i >> EDGE_CHUNK_SHIFT;
  if ((i & (EDGE_CHUNK - 1)) == 0 && c >= g->echunks_len) {
    if (grow_ptrs((void ***)&g->echunks, &g->echunks_cap, g->echunks_len)) return WEFT_ENOMEM;
    edge_rec *chunk = chunk_get(WEFT__GC_EDGES);
    if (!chunk) return WEFT_ENOMEM;
    g->echunks[g->echunks_len++] = chunk;
  }
  edge_rec *e = edge_at(g, i);
  e->from = f;
  e->to = t;
  g->nedges = i + 1;
  g->nback += f > t; /* (validation: no backward edge, no cycle) */
  return 0;
}

int weft_graph_edge(weft_graph *g, weft_node from, weft_node to) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  uint32_t f, t;
  int rc = check_edge(g, from, to, &f, &t);
  if (rc) return rc;
  if (g->nedges + g->nnodes + 1 > MAX_SLOTS || push_edge(g, f, t))
    return broke(g, WEFT_ENOMEM, NULL, 0);
  g->checked = 0;
  return 0;
}

int weft_graph_edges(weft_graph *g, const weft_node *from, const weft_node *to, size_t n) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  if (n == 0) return 0;
  if (!from || !to) return broke(g, WEFT_EINVAL, NULL, 0);
  uint32_t f, t;
  for (size_t k = 0; k < n; k++) {
    int rc = check_edge(g, from[k], to[k], &f, &t);
    if (rc) return rc;
  }
  if (n > MAX_SLOTS || g->nedges + g->nnodes + n > MAX_SLOTS)
    return broke(g, WEFT_ENOMEM, NULL, 0);
  uint64_t before = g->nedges, back = g->nback;
  for (size_t k = 0; k < n; k++) {
    node_index(g, from[k], &f);
    node_index(g, to[k], &t);
    if (push_edge(g, f, t)) {
      g->nedges = before; /* all or nothing */
      g->nback = back;
      return broke(g, WEFT_ENOMEM, NULL, 0);
    }
  }
  g->checked = 0;
  return 0;
}

/* ------------------------------------------------------------- validation */

/* Name of node i for messages: its name or "n<i>". */
static const char *label(const weft_graph *g, uint32_t i, char tmp[16]) {
  const char *nm = name_of(g, i);
  if (nm) return nm;
  snprintf(tmp, 16, "n%u", (unsigned)i);
  return tmp;
}

static void msg_append(weft_graph_error *e, const char *s) {
  size_t len = strlen(e->message), room = sizeof e->message - 1 - len;
  size_t n = strlen(s);
  if (n > room) n = room;
  memcpy(e->message + len, s, n);
  e->message[len + n] = '\0';
}

static void fill_broken(const weft_graph *g, weft_graph_error *e) {
  memset(e, 0, sizeof *e);
  e->code = g->broken;
  char tmp[16];
  uint32_t idx = 0;
  switch (g->broken) {
    case WEFT_EFOREIGN:
      e->count = g->nbad;
      for (size_t i = 0; i < g->nbad; i++) {
        e->nodes[i] = g->bad[i];
        e->names[i] = node_index(g, g->bad[i], &idx) ? name_of(g, idx) : NULL;
      }
      snprintf(e->message, sizeof e->message, "a build call named a node of another graph");
      if (g->nbad == 2) {
        int a = node_index(g, g->bad[0], &idx);
        const char *la = a ? label(g, idx, tmp) : "<foreign>";
        char buf[200];
        snprintf(buf, sizeof buf, ": edge %s -> ", la);
        msg_append(e, buf);
        int b = node_index(g, g->bad[1], &idx);
        msg_append(e, b ? label(g, idx, tmp) : "<foreign>");
      }
      break;
    case WEFT_ECYCLE:
      e->count = 1;
      e->cycle_length = 1;
      e->nodes[0] = g->bad[0];
      node_index(g, g->bad[0], &idx);
      e->names[0] = name_of(g, idx);
      snprintf(e->message, sizeof e->message, "self-edge: ");
      msg_append(e, label(g, idx, tmp));
      msg_append(e, " -> ");
      msg_append(e, label(g, idx, tmp));
      break;
    default:
      snprintf(e->message, sizeof e->message, "a build call failed: %s",
               weft_strerror(g->broken));
      break;
  }
}

static int reserve(void **p, size_t *cap, size_t need, size_t elem) {
  (void)elem;
  if (need <= *cap) return 0;
  void *q = xrealloc(*p, need * elem);
  if (!q) return WEFT_ENOMEM;
  *p = q;
  *cap = need;
  return 0;
}

/* Extracts one cycle among the nodes Kahn left (rem[i] > 0) into e.
 * Every such node has a predecessor that is also left, so walking
 * backwards from any of them must revisit a node. */
static int extract_cycle(weft_graph *g, const _Atomic uint32_t *rem, weft_graph_error *e) {
  uint32_t n = g->nnodes;
  uint32_t *pstart = xmalloc(((size_t)n + 1) * sizeof *pstart);
  uint32_t *pos = xmalloc((size_t)n * sizeof *pos);
  uint32_t *path = xmalloc((size_t)n * sizeof *path);
  uint32_t *preds = NULL;
  int rc = WEFT_ENOMEM;
  if (!pstart || !pos || !path) goto out;
#define LEFT(i) (atomic_load_explicit(&rem[i], memory_order_relaxed) > 0)
  /* Reverse CSR restricted to edges between left nodes. */
  memset(pstart, 0, ((size_t)n + 1) * sizeof *pstart);
  uint64_t m = 0;
  for (uint64_t k = 0; k < g->nedges; k++) {
    edge_rec *ed = edge_at(g, k);
    if (LEFT(ed->from) && LEFT(ed->to)) {
      pstart[ed->to + 1]++;
      m++;
    }
  }
  for (uint32_t i = 0; i < n; i++) pstart[i + 1] += pstart[i];
  preds = xmalloc((m ? m : 1) * sizeof *preds);
  if (!preds) goto out;
  for (uint32_t i = 0; i < n; i++) pos[i] = pstart[i]; /* fill cursors */
  for (uint64_t k = 0; k < g->nedges; k++) {
    edge_rec *ed = edge_at(g, k);
    if (LEFT(ed->from) && LEFT(ed->to)) preds[pos[ed->to]++] = ed->from;
  }
  uint32_t v = 0;
  while (!LEFT(v)) v++;
#undef LEFT
  for (uint32_t i = 0; i < n; i++) pos[i] = NONE;
  uint32_t len = 0;
  while (pos[v] == NONE) {
    pos[v] = len;
    path[len++] = v;
    v = preds[pstart[v]]; /* a left node has a left predecessor */
  }
  /* path[pos[v]..len) walked predecessors: reversed, it is the cycle. */
  uint32_t first = pos[v], clen = len - first;
  /* Forward order: cyc[k] = path[len - 1 - k] ... rotate to the lowest index. */
  uint32_t lo = 0;
  for (uint32_t k = 1; k < clen; k++)
    if (path[len - 1 - k] < path[len - 1 - lo]) lo = k;
  memset(e, 0, sizeof *e);
  e->code = WEFT_ECYCLE;
  e->cycle_length = clen;
  e->count = clen < WEFT_GRAPH_ERROR_NODES ? clen : WEFT_GRAPH_ERROR_NODES;
  e->truncated = clen > WEFT_GRAPH_ERROR_NODES;
  snprintf(e->message, sizeof e->message, "cycle of %u node%s: ", (unsigned)clen,
           clen == 1 ? "" : "s");
  char tmp[16];
  for (uint32_t k = 0; k < clen; k++) {
    uint32_t node = path[len - 1 - (lo + k) % clen];
    if (k < e->count) {
      e->nodes[k] = make_node(g, node);
      e->names[k] = name_of(g, node);
    }
    if (k < 8) {
      msg_append(e, label(g, node, tmp));
      msg_append(e, " -> ");
    } else if (k == 8) {
      msg_append(e, "... -> ");
    }
  }
  msg_append(e, label(g, path[len - 1 - lo], tmp));
  rc = WEFT_ECYCLE;
out:
  free(pstart);
  free(pos);
  free(path);
  free(preds);
  return rc;
}

/* The shared runs' arrays, from the edge list: each node's range of
 * successor slots (written into its record), the slots as runs read them
 * (successor, SINGLE flag, the successor's own range: the flag and range
 * are known here, so one scatter pass writes the final slot), the
 * in-degrees, the join counters (= in-degrees) and the roots' slots after
 * the edges'. Two passes over the edges, one over the nodes. Built when a
 * shared run (or Kahn, for a graph with a backward edge) first needs them:
 * a graph only ever run in order never pays for them (on this VM first
 * touching 12 bytes a slot made validation several times slower). */
static int build_csr(weft_graph *g) {
  uint32_t n = g->nnodes;
  uint64_t ne = g->nedges;
  size_t nb = (size_t)n * sizeof(uint32_t);
  /* (n more slots after the roots': a first run's hand-off, adapt_run) */
  if (arr_reserve(WEFT__GC_RSUCC, (void **)&g->rsucc, &g->rsucc_cap,
                  ((size_t)ne + 2 * (size_t)n) * sizeof *g->rsucc) ||
      arr_reserve(WEFT__GC_INDEG, (void **)&g->indeg, &g->indeg_cap, nb) ||
      arr_reserve(WEFT__GC_JOIN, (void **)&g->join, &g->join_cap, nb) ||
      arr_reserve(WEFT__GC_LINK, (void **)&g->link, &g->link_cap, nb))
    return WEFT_ENOMEM;
  /* link[] counts out-degrees, then is each node's fill cursor. */
  uint32_t *indeg = g->indeg, *cur = (uint32_t *)(void *)g->link;
  _Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "link doubles as cursors");
  memset(indeg, 0, (size_t)n * sizeof *indeg);
  memset(cur, 0, (size_t)n * sizeof *cur);
  for (uint64_t k = 0; k < ne; k++) {
    const edge_rec *ed = edge_at(g, k);
    cur[ed->from]++;
    indeg[ed->to]++;
  }
  succ_rec *rs = g->rsucc;
  uint32_t at = 0, nroots = 0;
  for (uint32_t i = 0; i < n; i++) {
    node_rec *r = node_at(g, i);
    uint32_t d = cur[i];
    r->begin = at;
    r->end = (at + d) | (r->end & BIG_ARGS);
    cur[i] = at;
    at += d;
    atomic_store_explicit(&g->join[i], indeg[i], memory_order_relaxed);
    if (indeg[i] == 0) rs[ne + nroots++] = (succ_rec){i | SINGLE, r->begin, at};
  }
  for (uint64_t k = 0; k < ne; k++) {
    const edge_rec *ed = edge_at(g, k);
    const node_rec *t = node_at(g, ed->to);
    rs[cur[ed->from]++] =
        (succ_rec){ed->to | (indeg[ed->to] == 1 ? SINGLE : 0), t->begin, t->end & ~BIG_ARGS};
  }
  g->roots_begin = (uint32_t)ne;
  g->roots_end = (uint32_t)ne + nroots;
  g->counters_dirty = 0;
  g->csr_ok = 1;
  return 0;
}

/* Checks for a cycle and prepares the ordered runs' order. Edges are
 * counted as they are added: when none goes from a later node to an earlier
 * one (the usual way to build, each node after its predecessors) the order
 * of addition is a topological order, there is no cycle, and nothing is
 * left to do. Otherwise Kahn's algorithm (FIFO) over the CSR arrays gives
 * the order, or leaves the nodes of some cycle, one of which is extracted
 * for the report. */
static int compile(weft_graph *g, weft_graph_error *e) {
  uint32_t n = g->nnodes;
  g->csr_ok = 0;
  g->ord_forward = g->nback == 0;
  g->cost_ordered = g->cost_shared = 0;
  g->adapted = 0;
  g->runs_since_probe = 0;
  if (g->ord_forward) return 0;
  int rc = build_csr(g);
  if (rc) return rc;
  if (reserve((void **)&g->ord_node, &g->ord_node_cap, n, sizeof *g->ord_node)) return WEFT_ENOMEM;
  _Atomic uint32_t *rem = g->join; /* remaining in-degrees */
  uint32_t *queue = g->ord_node, qh = 0, qt = 0;
  for (uint32_t k = g->roots_begin; k < g->roots_end; k++) queue[qt++] = g->rsucc[k].s & ~SINGLE;
  while (qh < qt) {
    const node_rec *r = node_at(g, queue[qh++]);
    for (uint32_t s = r->begin, end = r->end & ~BIG_ARGS; s < end; s++) {
      uint32_t v = g->rsucc[s].s & ~SINGLE;
      uint32_t left = atomic_load_explicit(&rem[v], memory_order_relaxed) - 1;
      atomic_store_explicit(&rem[v], left, memory_order_relaxed);
      if (left == 0) queue[qt++] = v;
    }
  }
  if (qt < n) rc = extract_cycle(g, rem, e);
  for (uint32_t i = 0; i < n; i++)
    atomic_store_explicit(&g->join[i], g->indeg[i], memory_order_relaxed);
  return rc;
}

/* Validation without the busy check (the caller holds the graph). */
static int prepare(weft_graph *g, weft_graph_error *err) {
  if (g->broken) {
    if (err) fill_broken(g, err);
    return g->broken;
  }
  if (!g->checked) {
    memset(&g->check_err, 0, sizeof g->check_err);
    int rc = compile(g, &g->check_err);
    if (rc == WEFT_ENOMEM) {
      if (err) {
        memset(err, 0, sizeof *err);
        err->code = rc;
        snprintf(err->message, sizeof err->message, "out of memory while validating");
      }
      return rc;
    }
    g->check_rc = rc;
    g->check_err.code = rc;
    if (rc == 0) snprintf(g->check_err.message, sizeof g->check_err.message, "ok");
    g->checked = 1;
  }
  if (err) *err = g->check_err;
  return g->check_rc;
}

/* Claims the graph for a run or a validation: ST_RUNNING, new generation. */
static int claim(weft_graph *g) {
  uint32_t s = atomic_load_explicit(&g->state, memory_order_relaxed);
  for (;;) {
    if (s & ST_RUNNING) return WEFT_EBUSY;
    uint32_t ns = (((s >> 2) + 1) << 2) | ST_RUNNING;
    if (atomic_compare_exchange_weak_explicit(&g->state, &s, ns, memory_order_seq_cst,
                                              memory_order_relaxed)) {
      g->gen = ns >> 2;
      return 0;
    }
  }
}

static void release(weft_graph *g) {
  atomic_store_explicit(&g->state, g->gen << 2, memory_order_seq_cst);
}

int weft_graph_validate(weft_graph *g, weft_graph_error *err) {
  if (err) memset(err, 0, sizeof *err);
  if (!g) {
    if (err) {
      err->code = WEFT_EINVAL;
      snprintf(err->message, sizeof err->message, "graph is NULL");
    }
    return WEFT_EINVAL;
  }
  int rc = claim(g);
  if (rc) {
    if (err) {
      err->code = rc;
      snprintf(err->message, sizeof err->message, "graph is running");
    }
    return rc;
  }
  rc = prepare(g, err);
  release(g);
  return rc;
}

/* -------------------------------------------------------------------- run */

typedef struct gtask {
  weft_graph *g;
  uint32_t node; /* NONE: a range task */
  uint32_t begin, end;
} gtask;

_Static_assert(sizeof(gtask) <= WEFT_ARGS_MAX, "gtask must fit a frame");

static void gtask_fn(weft_worker *w, void *p);
static void run_task(weft_worker *w, const gtask *a);

static inline int gspawn(weft_worker *w, weft_graph *g, uint32_t node, uint32_t begin,
                         uint32_t end) {
  gtask a = {g, node, begin, end};
  return weft__dispatch_push(w, gtask_fn, &a, sizeof a);
}

static inline int gpop(weft_worker *w, gtask *out) {
  return weft__dispatch_pop(w, out, sizeof *out);
}

static void defer_push(weft_graph *g, uint32_t s) {
  atomic_fetch_add_explicit(&deferred_count, 1, memory_order_relaxed);
  uint32_t head = atomic_load_explicit(&g->defer_head, memory_order_relaxed);
  do {
    atomic_store_explicit(&g->link[s], head, memory_order_relaxed);
  } while (!atomic_compare_exchange_weak_explicit(&g->defer_head, &head, s, memory_order_release,
                                                  memory_order_relaxed));
}

/* Pops a deferred node or returns NONE. No ABA: a node is pushed at most
 * once per run, and its link never changes after its push. */
static uint32_t defer_pop(weft_graph *g) {
  uint32_t head = atomic_load_explicit(&g->defer_head, memory_order_acquire);
  while (head != NONE) {
    uint32_t next = atomic_load_explicit(&g->link[head], memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&g->defer_head, &head, next, memory_order_acquire,
                                              memory_order_acquire))
      return head;
  }
  return NONE;
}

static void fail_run(weft_graph *g, uint32_t node, int status) {
  uint32_t v = atomic_load_explicit(&g->stop, memory_order_relaxed);
  while ((v & 3u) == STOP_GO) {
    if (atomic_compare_exchange_weak_explicit(&g->stop, &v, v | STOP_FAILED, memory_order_relaxed,
                                              memory_order_relaxed)) {
      g->fail_node = node;
      g->fail_status = status;
      return;
    }
  }
}

static inline int can_spawn(weft_worker *w) { return weft__dispatch_room(w); }

/* The heart of a run: executes `node` (unless NONE), then works through
 * successor slots [begin, end), continuing with one ready node at a time.
 * Other ready nodes are spawned (or deferred). When nothing is ready, it
 * takes back its own newest spawn and continues with it in the same loop (no
 * recursion: only a stolen frame is waited for, see weft__dispatch_join), then the
 * deferred stack; when both are empty it returns. Adds the node functions it
 * called to its worker's slot. */
static inline __attribute__((always_inline)) void
process_impl(weft_worker *w, weft_graph *g, uint32_t node, uint32_t begin, uint32_t end,
             unsigned depth, weft__tbuf *const tb, weft__tbuf *const ntb) {
  node_rec *const *chunks = g->nchunks;
  const succ_rec *succ = g->rsucc;
  const uint32_t *indeg = g->indeg;
  _Atomic uint32_t *join = g->join;
  const int deep = depth >= g->depth_limit;
  const int solo = g->solo;
  unsigned spawned = 0;
  uint64_t ran = 0;
  SEG_BEGIN(tb, ntb, g);
  for (;;) {
    if (node != NONE) {
      if (WEFT__UNLIKELY(atomic_load_explicit(&g->stop, memory_order_relaxed) & 3u)) break;
      /* [begin, end) is already the node's own range (from its slot). */
      node_rec *r = &chunks[node >> NODE_CHUNK_SHIFT][node & (NODE_CHUNK - 1)];
      /* A node with several successors: start loading the first few (their
       * lines and join counters) while it runs. Chains, trees and grids are
       * faster without (the hardware prefetcher follows them already). */
      if (end - begin >= PREFETCH_MIN_SUCC) {
        for (uint32_t k = begin; k < begin + PREFETCH_SUCC && k < end; k++) {
          uint32_t s = succ[k].s & ~SINGLE;
          PREFETCH(&chunks[s >> NODE_CHUNK_SHIFT][s & (NODE_CHUNK - 1)]);
          PREFETCH(&join[s]);
        }
      }
      NODE_BEGIN(ntb, r, node, g);
      int rc = r->fn(w, (r->end & BIG_ARGS) ? r->args.p : (void *)r->args.b);
      NODE_END(ntb);
      ran++;
      if (WEFT__UNLIKELY(rc != 0)) {
        fail_run(g, node, rc);
        break;
      }
      node = NONE;
    } else if (WEFT__UNLIKELY(atomic_load_explicit(&g->stop, memory_order_relaxed) & 3u)) {
      break; /* a range, while stopping: skip it */
    }
    /* A wide fan-out: give the upper halves to thieves. */
    while (end - begin > SPLIT_MIN && !deep && can_spawn(w)) {
      uint32_t mid = begin + (end - begin) / 2;
      if (gspawn(w, g, NONE, mid, end) != 0) break;
      spawned++;
      end = mid;
    }
    uint32_t nbegin = 0, nend = 0;
    for (uint32_t k = begin; k < end; k++) {
      uint32_t s = succ[k].s;
      if (s & SINGLE) {
        s &= ~SINGLE;
      } else if (!solo) {
        if (atomic_fetch_sub_explicit(&join[s], 1, memory_order_acq_rel) != 1) continue;
        /* Last predecessor: nobody else touches the counter this run. */
        atomic_store_explicit(&join[s], indeg[s], memory_order_relaxed);
      } else {
        /* One worker: this thread is the only one that touches join[] during
         * the run, so a plain decrement will do (a locked RMW costs ~20
         * cycles and serializes the pipeline). */
        uint32_t left = atomic_load_explicit(&join[s], memory_order_relaxed) - 1;
        atomic_store_explicit(&join[s], left ? left : indeg[s], memory_order_relaxed);
        if (left) continue;
      }
      if (node == NONE) {
        node = s;
        nbegin = succ[k].begin;
        nend = succ[k].end;
        continue;
      }
      if (!deep && can_spawn(w) && gspawn(w, g, s, succ[k].begin, succ[k].end) == 0) {
        spawned++;
        continue;
      }
      defer_push(g, s);
    }
    if (node != NONE) {
      begin = nbegin;
      end = nend;
      continue;
    }
    /* Nothing ready here: our newest spawn, unless a thief took it. */
    begin = end = 0;
    while (spawned > 0) {
      gtask a;
      spawned--;
      if (gpop(w, &a)) {
        node = a.node;
        begin = a.begin;
        end = a.end;
        break;
      }
      weft__dispatch_join(w);
    }
    if (node != NONE || begin != end) continue;
    /* Then deferred nodes; if there are none, this task is done (and has
     * nothing outstanding). */
    if (atomic_load_explicit(&g->defer_head, memory_order_relaxed) == NONE) break;
    node = defer_pop(g);
    if (node == NONE) break;
    const node_rec *dr = &chunks[node >> NODE_CHUNK_SHIFT][node & (NODE_CHUNK - 1)];
    begin = dr->begin;
    end = dr->end & ~BIG_ARGS;
  }
  g->ran[w->index].v += ran;
  SEG_END(tb, ntb, ran);
  /* Stopping: drop what we can take back (those nodes must not run), wait
   * for what thieves took. */
  while (spawned > 0) {
    gtask a;
    spawned--;
    if (!gpop(w, &a)) weft__dispatch_join(w);
  }
}

/* Two copies of the loop: without a trace (no trace code at all in the
 * per-node path) and with one. */
static WEFT__NOINLINE void process_traced(weft_worker *w, weft_graph *g, uint32_t node,
                                          uint32_t begin, uint32_t end, unsigned depth,
                                          weft__tbuf *tb) {
  process_impl(w, g, node, begin, end, depth, tb, g->trace_nodes ? tb : NULL);
}

static void process(weft_worker *w, weft_graph *g, uint32_t node, uint32_t begin, uint32_t end,
                    unsigned depth) {
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL)) process_traced(w, g, node, begin, end, depth, tb);
  else process_impl(w, g, node, begin, end, depth, NULL, NULL);
}

static void run_task(weft_worker *w, const gtask *a) {
  unsigned d = weft__dispatch_depth + 1;
  weft__dispatch_depth = d;
  if (WEFT__UNLIKELY(d > atomic_load_explicit(&depth_seen, memory_order_relaxed)))
    atomic_store_explicit(&depth_seen, d, memory_order_relaxed); /* a test probe: races ok */
  process(w, a->g, a->node, a->begin, a->end, d);
  weft__dispatch_depth = d - 1;
}

static void gtask_fn(weft_worker *w, void *p) { run_task(w, (const gtask *)p); }

static unsigned depth_limit_for(const weft_worker *w) {
  unsigned forced = atomic_load_explicit(&depth_override, memory_order_relaxed);
  return forced ? forced : weft__dispatch_depth_limit(w->pool);
}

/* ------------------------------------------------------------ ordered run
 *
 * The calling worker runs every node itself, in the compiled topological
 * order: no join counters, no spawns, no other worker involved (they stay
 * free for other work). Used when sharing the nodes would cost more than
 * it saves (drive() decides by timing both ways) and always on a pool of
 * one worker, where there is nobody to share with. Nodes may still spawn
 * and sync children, which other workers steal as usual. */
static void ord_run(weft_worker *w, weft_graph *g, uint32_t from) {
  node_rec *const *chunks = g->nchunks;
  const uint32_t n = g->nnodes;
  const uint32_t *order = g->ord_forward ? NULL : g->ord_node;
  weft__tbuf *const tb = weft__tracing(w);
  weft__tbuf *const ntb = g->trace_nodes ? tb : NULL;
  SEG_BEGIN(tb, ntb, g);
  uint32_t p = from;
  for (; p < n; p++) {
    if (WEFT__UNLIKELY(atomic_load_explicit(&g->stop, memory_order_relaxed) & 3u)) break;
    uint32_t v = order ? order[p] : p;
    node_rec *r = &chunks[v >> NODE_CHUNK_SHIFT][v & (NODE_CHUNK - 1)];
    NODE_BEGIN(ntb, r, v, g);
    int rc = r->fn(w, (r->end & BIG_ARGS) ? r->args.p : (void *)r->args.b);
    NODE_END(ntb);
    if (WEFT__UNLIKELY(rc != 0)) {
      fail_run(g, v, rc);
      p++;
      break;
    }
  }
  g->ran[w->index].v += p - from;
  SEG_END(tb, ntb, p - from);
}

/* ------------------------------------------------------------ first runs
 *
 * The first run of a graph built in order, on a pool of several workers,
 * when nothing is known of its nodes yet: it starts in order, timing the
 * nodes at node 4, 8, 16, ... ADAPT_NODES. While they cost under
 * ORDERED_PROBE_NS each, sharing them would cost more than it gives (see
 * "the strategy" below) and the run goes on in order, building no
 * successor arrays at all: a graph built, run once and destroyed pays for
 * nothing else. Once they prove slower, the rest is shared: the successor
 * arrays are built, the finished prefix [0, p) is subtracted from the join
 * counters (no other thread touches them yet), and the nodes it made ready
 * (and the roots after it) become the slots the shared run starts from,
 * after the roots' slots. A prefix node's own counter, and a ready node's,
 * drop to 0 here and are put back to the in-degree, as a run does. */
#define ADAPT_NODES 4096u
#define ORDERED_PROBE_NS 1000u
enum { RUN_SHARED = 0, RUN_ORDERED = 1, RUN_ADAPT = 2 }; /* pick_way */

static _Atomic int strategy_override; /* test hook: 0 auto, 1 ordered, 2 shared, 3 hand-off */
void weft__graph_force_strategy(int s) { atomic_store(&strategy_override, s); }

/* Hands the rest of the run, after the first p nodes (in index order), to a
 * shared run. */
static void hand_off(weft_worker *w, weft_graph *g, uint32_t p) {
  succ_rec *rs = g->rsucc;
  _Atomic uint32_t *join = g->join;
  const uint32_t base = g->roots_end;
  uint32_t k = 0;
  for (uint32_t s = g->roots_begin; s < g->roots_end; s++)
    if ((rs[s].s & ~SINGLE) >= p) rs[base + k++] = rs[s];
  for (uint32_t u = 0; u < p; u++) {
    const node_rec *r = node_at(g, u);
    for (uint32_t s = r->begin, e = r->end & ~BIG_ARGS; s < e; s++) {
      uint32_t v = rs[s].s & ~SINGLE;
      uint32_t left = atomic_load_explicit(&join[v], memory_order_relaxed) - 1;
      if (left) {
        atomic_store_explicit(&join[v], left, memory_order_relaxed);
        continue;
      }
      atomic_store_explicit(&join[v], g->indeg[v], memory_order_relaxed);
      if (v >= p) rs[base + k++] = (succ_rec){v | SINGLE, rs[s].begin, rs[s].end};
    }
  }
  unsigned d = weft__dispatch_depth + 1;
  weft__dispatch_depth = d;
  process(w, g, NONE, base, base + k, d);
  weft__dispatch_depth = d - 1;
}

/* The first run (see above). Returns 1 if it handed off to a shared run. */
static int adapt_run(weft_worker *w, weft_graph *g) {
  node_rec *const *chunks = g->nchunks;
  const uint32_t n = g->nnodes;
  uint32_t forced = 0;
  if (atomic_load_explicit(&strategy_override, memory_order_relaxed) == 3)
    forced = g->gen % 3 == 0 ? n / 2 : 1 + g->gen % 13; /* tests: hand off here */
  weft__tbuf *const stb = weft__tracing(w);
  weft__tbuf *const tb = g->trace_nodes ? stb : NULL;
  SEG_BEGIN(stb, tb, g);
  uint64_t t0 = weft__prim_now_ns();
  uint32_t p = 0, check = 4; /* (not 1: one cold node's time says little) */
  int handing = 0;
  while (p < n && p < ADAPT_NODES) {
    if (WEFT__UNLIKELY(atomic_load_explicit(&g->stop, memory_order_relaxed) & 3u)) break;
    node_rec *r = &chunks[p >> NODE_CHUNK_SHIFT][p & (NODE_CHUNK - 1)];
    NODE_BEGIN(tb, r, p, g);
    int rc = r->fn(w, (r->end & BIG_ARGS) ? r->args.p : (void *)r->args.b);
    NODE_END(tb);
    p++;
    if (WEFT__UNLIKELY(rc != 0)) {
      fail_run(g, p - 1, rc);
      break;
    }
    if (forced ? p == forced : p == check) {
      check *= 2;
      handing = forced || weft__prim_now_ns() - t0 >= (uint64_t)p * ORDERED_PROBE_NS;
      if (handing) break;
    }
  }
  g->ran[w->index].v += p;
  SEG_END(stb, tb, p);
  if (atomic_load_explicit(&g->stop, memory_order_relaxed) & 3u) return 0;
  if (handing && p < n && (g->csr_ok || build_csr(g) == 0)) {
    hand_off(w, g, p);
    return 1;
  }
  /* (no memory for the successor arrays: the rest in order, as correct) */
  if (p < n) ord_run(w, g, p);
  return 0;
}

/* One run of a claimed, valid graph. */
static int run_once(weft_worker *w, weft_graph *g, weft_graph_result *res, int *way) {
  if (g->counters_dirty && g->csr_ok) { /* (without the CSR there are none) */
    for (uint32_t i = 0; i < g->nnodes; i++)
      atomic_store_explicit(&g->join[i], g->indeg[i], memory_order_relaxed);
    g->counters_dirty = 0;
  }
  atomic_store_explicit(&g->defer_head, NONE, memory_order_relaxed);
  atomic_store_explicit(&g->stop, g->gen << 2, memory_order_seq_cst);
  /* A cancel that raced the reset above left its bit in state. */
  if (atomic_load_explicit(&g->state, memory_order_seq_cst) & ST_CANCEL) {
    res->nodes_skipped = g->nnodes;
    return WEFT_ECANCELED;
  }
  for (unsigned i = 0; i < g->nran; i++) g->ran[i].v = 0;
  /* Traces: every node when nodes are long enough that two events each
   * cost little (the last runs' time per node), else one slice per stretch
   * of nodes a worker ran; every node at the fine level. */
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL)) {
    uint64_t cost = *way == RUN_SHARED ? g->cost_shared : g->cost_ordered;
    if (!cost) cost = g->cost_shared > g->cost_ordered ? g->cost_shared : g->cost_ordered;
    g->trace_nodes = __atomic_load_n(&tb->fine, __ATOMIC_RELAXED) ||
                     cost >= (uint64_t)TRACE_NODE_NS * g->nnodes;
  } else {
    g->trace_nodes = 0;
  }
  if (*way == RUN_ADAPT) {
    g->adapted = 1;
    *way = adapt_run(w, g) ? RUN_SHARED : RUN_ADAPT; /* (for note_cost) */
  } else if (*way == RUN_ORDERED) {
    ord_run(w, g, 0);
  } else {
    unsigned d = weft__dispatch_depth + 1;
    weft__dispatch_depth = d;
    process(w, g, NONE, g->roots_begin, g->roots_end, d);
    weft__dispatch_depth = d - 1;
  }
  /* Every task of the run was synced: their counts are visible. */
  uint64_t ran = 0;
  for (unsigned i = 0; i < g->nran; i++) ran += g->ran[i].v;
  res->nodes_run += ran;
  uint32_t stop = atomic_load_explicit(&g->stop, memory_order_acquire) & 3u;
  if (stop == STOP_GO) return 0; /* complete: every counter was put back */
  /* Stopped (even if every node happened to run: a canceled run says so,
   * and a node that failed after the cancel did not decrement). */
  g->counters_dirty = 1;
  res->nodes_skipped = g->nnodes - ran;
  if (stop == STOP_FAILED) {
    res->status = g->fail_status;
    res->node = make_node(g, g->fail_node);
    return WEFT_ENODE_FAILED;
  }
  return WEFT_ECANCELED;
}

/* ---------------------------------------------------------- the strategy
 *
 * A run either shares the nodes among the workers (join counters, work
 * stealing: process()) or runs them all, in order, on the calling worker
 * (ord_run). Sharing pays an atomic decrement per joining edge, a spawn per
 * extra ready node and cache lines moving between cores; on nodes of a few
 * nanoseconds that costs more than a second core gives back (measured: a
 * 1024x1024 wavefront of counter increments ran 1.6x slower on 2 workers
 * than on 1). A graph is built to be run many times, so it times both:
 *   - the first run of a graph built in order starts in order and shares
 *     the rest once its nodes prove to cost ORDERED_PROBE_NS or more
 *     (adapt_run above: a graph run once in order builds nothing more);
 *     the next run then shares;
 *   - the first run of another graph shares (the right choice for nodes of
 *     any real size);
 *   - if a shared run cost under ORDERED_PROBE_NS per node and worker, the
 *     next run is ordered; from then on each run uses the cheaper of the
 *     two last costs, and every PROBE_EVERY runs the other way is timed
 *     again (the pool's load or the nodes' work may have changed).
 * A pool of one worker always runs in order: there is no one to share with.
 * The choice affects speed only: both ways run each node once, after its
 * predecessors, with the same failure and cancel rules. */
#define PROBE_EVERY 64u

static int pick_way(weft_graph *g, unsigned nworkers) {
  int forced = atomic_load_explicit(&strategy_override, memory_order_relaxed);
  if (forced == 3) return g->ord_forward ? RUN_ADAPT : RUN_SHARED;
  if (forced) return forced == 1;
  if (nworkers == 1) return 1;
  if (!g->adapted && g->cost_shared == 0 && g->cost_ordered == 0 && g->ord_forward)
    return RUN_ADAPT;
  if (g->cost_shared == 0) return 0;
  if (g->cost_ordered == 0) {
    /* Probe only when nodes are small enough for sharing to be the cost. */
    return g->cost_shared * nworkers < (uint64_t)ORDERED_PROBE_NS * g->nnodes;
  }
  int better = g->cost_ordered < g->cost_shared;
  if (++g->runs_since_probe >= PROBE_EVERY) {
    g->runs_since_probe = 0;
    return !better;
  }
  return better;
}

void weft__graph_strategy_counts(const weft_graph *g, uint64_t *ordered, uint64_t *shared) {
  *ordered = g->runs_ordered;
  *shared = g->runs_shared;
}

static void note_cost(weft_graph *g, int way, uint64_t ns) {
  int ordered = way != RUN_SHARED;
  if (ordered) g->runs_ordered++;
  else g->runs_shared++;
  /* A first run that stayed in order is not a price: it ran on cold caches
   * (and touched the nodes' data first), and charging it to the ordered way
   * made reused graphs of tiny nodes run shared until the next probe. The
   * next run shares and the one after runs in order, as for other graphs. */
  if (way == RUN_ADAPT) return;
  uint64_t *c = ordered ? &g->cost_ordered : &g->cost_shared;
  if (ns == 0) ns = 1;
  /* The last run, lightly smoothed: one slow run (a preempted worker) must
   * not flip the choice for PROBE_EVERY runs. */
  *c = *c ? (*c + ns) / 2 : ns;
}

typedef struct drive_args {
  weft_graph *g;
  int (*done)(void *ctx, uint64_t completed);
  void *ctx;
  uint64_t n; /* used when done is NULL */
  weft_graph_result res;
  int rc;
} drive_args;

/* Runs the series on worker w; the graph is claimed by the caller. */
static void drive(weft_worker *w, drive_args *a) {
  weft_graph *g = a->g;
  int rc = prepare(g, NULL);
  if (rc) {
    a->rc = rc;
    return;
  }
  g->depth_limit = depth_limit_for(w);
  g->solo = w->pool->nworkers == 1;
  unsigned nw = w->pool->nworkers;
  if (g->nran < nw) {
    /* Per-worker counts: allocated on the first run on a pool this big. */
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    ran_slot *r = weft__aligned_alloc(WEFT__CACHE_LINE, nw * sizeof *r);
    if (!r) {
      a->rc = WEFT_ENOMEM;
      return;
    }
    weft__aligned_free(g->ran);
    g->ran = r;
    g->nran = nw;
  }
  for (uint64_t k = 0;; k++) {
    if (a->done ? a->done(a->ctx, k) != 0 : k >= a->n) break;
    if (g->nnodes == 0) {
      if (atomic_load_explicit(&g->state, memory_order_seq_cst) & ST_CANCEL) {
        rc = WEFT_ECANCELED;
        break;
      }
      a->res.iterations++;
      continue;
    }
    int way = pick_way(g, nw);
    if (way == RUN_SHARED && !g->csr_ok && (rc = build_csr(g)) != 0) break;
    uint64_t t0 = weft__prim_now_ns();
    rc = run_once(w, g, &a->res, &way);
    if (rc) break;
    note_cost(g, way, weft__prim_now_ns() - t0);
    a->res.iterations++;
  }
  a->rc = rc;
}

static void drive_task(weft_worker *w, void *p) { drive(w, (drive_args *)p); }

const char *weft__graph_fn_name(const void *fn) {
  if (fn == (const void *)gtask_fn) return "graph: ready nodes";
  if (fn == (const void *)drive_task) return "graph run";
  return NULL;
}

static int run_series(weft_pool pool, weft_worker *w, drive_args *a, weft_graph_result *res) {
  memset(&a->res, 0, sizeof a->res);
  a->rc = 0;
  int rc = claim(a->g);
  if (rc == 0) {
    if (w) {
      drive(w, a);
    } else {
      rc = weft_run(pool, drive_task, a);
    }
    release(a->g);
    if (rc == 0) rc = a->rc;
  }
  if (res) *res = a->res;
  return rc;
}

int weft_graph_run(weft_pool pool, weft_graph *g, weft_graph_result *res) {
  return weft_graph_run_n(pool, g, 1, res);
}

int weft_graph_run_n(weft_pool pool, weft_graph *g, uint64_t n, weft_graph_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!g) return WEFT_EINVAL;
  drive_args a = {g, NULL, NULL, n, {0, {0}, 0, 0, 0}, 0};
  return run_series(pool, NULL, &a, res);
}

int weft_graph_run_until(weft_pool pool, weft_graph *g, int (*done)(void *ctx, uint64_t completed),
                         void *ctx, weft_graph_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!g || !done) return WEFT_EINVAL;
  drive_args a = {g, done, ctx, 0, {0, {0}, 0, 0, 0}, 0};
  return run_series(pool, NULL, &a, res);
}

int weft_graph_run_in(weft_worker *w, weft_graph *g, weft_graph_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!w || !g) return WEFT_EINVAL;
  drive_args a = {g, NULL, NULL, 1, {0, {0}, 0, 0, 0}, 0};
  weft_pool none = {0};
  return run_series(none, w, &a, res);
}

int weft_graph_cancel(weft_graph *g) {
  if (!g) return WEFT_EINVAL;
  uint32_t s = atomic_load_explicit(&g->state, memory_order_seq_cst);
  do {
    if (!(s & ST_RUNNING)) return 0;
  } while (!atomic_compare_exchange_weak_explicit(&g->state, &s, s | ST_CANCEL,
                                                  memory_order_seq_cst, memory_order_seq_cst));
  /* Stop the current run of that same series only (generation match). */
  uint32_t go = (s >> 2) << 2 | STOP_GO;
  atomic_compare_exchange_strong_explicit(&g->stop, &go, go | STOP_CANCELED,
                                          memory_order_seq_cst, memory_order_relaxed);
  return 1;
}

/* -------------------------------------------------------------------- dot */

typedef struct out_t {
  char *buf;
  size_t cap, len;
} out_t;

static void put(out_t *o, const char *s, size_t n) {
  if (o->cap > 0 && o->len < o->cap - 1) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}

static void puts_(out_t *o, const char *s) { put(o, s, strlen(s)); }

static void put_quoted(out_t *o, const char *s) {
  put(o, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      put(o, esc, 2);
    } else if (c == '\n') {
      put(o, "\\n", 2);
    } else if (c < 0x20 || c == 0x7f) {
      put(o, " ", 1);
    } else {
      put(o, (const char *)&c, 1);
    }
  }
  put(o, "\"", 1);
}

int weft_graph_dot(const weft_graph *g, char *buf, size_t cap, size_t *needed) {
  if (needed) *needed = 0;
  if (!g || (!buf && cap > 0)) return WEFT_EINVAL;
  out_t o = {buf, cap, 0};
  char tmp[64];
  puts_(&o, "digraph weft {\n");
  for (uint32_t i = 0; i < g->nnodes; i++) {
    snprintf(tmp, sizeof tmp, "  n%u", (unsigned)i);
    puts_(&o, tmp);
    const char *nm = name_of(g, i);
    if (nm) {
      puts_(&o, " [label=");
      put_quoted(&o, nm);
      puts_(&o, "]");
    }
    puts_(&o, ";\n");
  }
  for (uint64_t k = 0; k < g->nedges; k++) {
    const edge_rec *e = edge_at(g, k);
    snprintf(tmp, sizeof tmp, "  n%u -> n%u;\n", (unsigned)e->from, (unsigned)e->to);
    puts_(&o, tmp);
  }
  puts_(&o, "}\n");
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  if (needed) *needed = o.len + 1;
  return 0;
}
