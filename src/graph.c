/*
 * graph.c - task graphs: reusable dependency DAGs on the fork-join core.
 * This file: building, validation and the DOT dump.
 *
 * Build: nodes (function, successor range, argument block of up to 16
 * bytes) are 32-byte records in chunks of 4096, edges (from, to) pairs in
 * chunks of 16384, names and bigger argument blocks in an arena: all of it
 * is kept by weft_graph_clear, and a destroyed graph is kept whole for the
 * next weft_graph_create.
 *
 * Validate ("compile"): adding counts the edges that go from a later node
 * to an earlier one; with none, the order of addition is a topological
 * order and there is nothing to check. Otherwise Kahn's algorithm over the
 * CSR arrays (build_csr) gives the order or, on a cycle, a backward walk
 * inside the nodes Kahn could not remove extracts one. Nothing is
 * recompiled until the graph changes, so runs allocate nothing.
 *
 * Runs (the shared join-counter engine, ordered runs, the strategy) are in
 * graph_run.c; what both files share is graph_internal.h.
 */
#include "graph_internal.h"

#include <stdarg.h>

/* ------------------------------------------------------------ test hooks */

_Atomic uint64_t weft__graph_alloc_count;

/* Allocations made by graph code so far (tests: a re-run makes none). */
uint64_t weft__graph_allocs(void) { return atomic_load(&weft__graph_alloc_count); }
/* Whether every join counter equals its in-degree (valid compiled graph). */
int weft__graph_counters_clean(const weft_graph *g) {
  if (!g->csr_ok) return 1; /* no counters built (only ordered runs so far) */
  for (uint32_t i = 0; i < g->nnodes; i++)
    if (atomic_load_explicit(&g->join[i], memory_order_relaxed) != g->indeg[i]) return 0;
  return 1;
}

static void *xmalloc(size_t n) {
  atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
  return malloc(n ? n : 1);
}

/* Makes *p an array of at least `bytes` (old contents dropped). */
int weft__graph_reserve(void **p, size_t *cap_bytes, size_t bytes) {
  if (bytes <= *cap_bytes && *p) return 0;
  void *q = xmalloc(bytes);
  if (!q) return WEFT_ENOMEM;
  free(*p);
  *p = q;
  *cap_bytes = bytes;
  return 0;
}

/* ---------------------------------------------------------------- handles */

/* Live graphs, for weft_trace_write: a trace names a node by (graph serial,
 * index) and looks the name up here, so a graph destroyed before the trace
 * is written costs its names, never a dangling read. The same lock guards
 * the kept graphs (below). Only create, destroy and trace writing take it. */
static weft_graph *registry;
static _Atomic uint32_t registry_lock; /* src/spin.h */

static void reg_lock(void) { weft__spin_lock(&registry_lock); }

static void reg_unlock(void) { weft__spin_unlock(&registry_lock); }

const char *weft__graph_trace_name(uint32_t serial, uint32_t node, char *buf, size_t size) {
  const char *r = NULL;
  reg_lock();
  for (weft_graph *g = registry; g; g = g->next) {
    if (g->serial != serial) continue;
    const char *nm = node < g->nnodes ? name_of(g, node) : NULL;
    if (nm) snprintf(buf, size, "%s", nm);
    r = nm ? buf : NULL;
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

/* Destroyed graphs are kept, whole and cleared, for the next
 * weft_graph_create, up to KEEP_BYTES of memory in all: a program that
 * builds a graph, runs it once and destroys it, again and again (work
 * discovered as it goes), would otherwise build every graph on fresh
 * pages: glibc gives blocks this big back to the system, and on this VM
 * faulting them in (and unmapping them at destroy) was two thirds of the
 * time of building a 1M-node wavefront. Graphs kept at exit are still
 * reachable (no leak). */
#define KEEP_BYTES ((size_t)128 << 20)
static weft_graph *kept;
static size_t kept_bytes;

static size_t keep_limit = KEEP_BYTES; /* under the registry lock */

/* Everything free_graph frees, as allocated: the struct, node and edge
 * chunks with weft__aligned_alloc's slack, the chunk pointer arrays
 * (nchunks and names share nchunks_cap), a table of NODE_CHUNK name
 * pointers per node chunk that has a name (a quarter of the chunk), arena
 * chunks with their headers, the arrays of runs. Left out: malloc's own
 * header and rounding, 16 bytes or so for each of a graph's blocks: a few
 * small ones (the struct, the three pointer arrays, ran) and one per 32 KiB
 * or more of the rest, so under 0.1 % of what is counted here. */
static size_t graph_bytes(const weft_graph *g) {
  size_t chunk = CHUNK_BYTES + WEFT__CACHE_LINE + sizeof(void *); /* weft__aligned_alloc */
  size_t b = sizeof *g + (g->nchunks_len + g->echunks_len) * chunk +
             (2 * g->nchunks_cap + g->echunks_cap) * sizeof(void *) + g->rsucc_cap +
             g->ord_node_cap + g->indeg_cap + g->join_cap + g->link_cap + g->ran_cap;
  for (size_t i = 0; i < g->nchunks_len; i++)
    if (g->names[i]) b += NODE_CHUNK * sizeof *g->names[i];
  for (arena_chunk *c = g->arena; c; c = c->next) b += sizeof *c + c->cap;
  return b;
}

static void free_graph(weft_graph *g) {
  for (size_t i = 0; i < g->nchunks_len; i++) {
    weft__aligned_free(g->nchunks[i]);
    free((void *)g->names[i]);
  }
  free(g->nchunks);
  free((void *)g->names);
  for (size_t i = 0; i < g->echunks_len; i++) weft__aligned_free(g->echunks[i]);
  free(g->echunks);
  for (arena_chunk *c = g->arena, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(g->rsucc);
  free(g->ord_node);
  free(g->indeg);
  free((void *)g->join);
  free((void *)g->link);
  free(g->ran);
  free(g);
}

/* Tests: sets the limit on the memory of kept graphs (0: KEEP_BYTES) and
 * frees every graph kept so far, so that a test starts from none. */
void weft__graph_set_keep_limit(size_t bytes) {
  reg_lock();
  weft_graph *g = kept;
  kept = NULL;
  kept_bytes = 0;
  keep_limit = bytes ? bytes : KEEP_BYTES;
  reg_unlock();
  for (weft_graph *next; g; g = next) {
    next = g->next;
    free_graph(g);
  }
}

int weft_graph_create(weft_graph **out) {
  if (!out) return WEFT_EINVAL;
  *out = NULL;
  reg_lock();
  weft_graph *g = kept;
  if (g) {
    kept = g->next;
    kept_bytes -= graph_bytes(g);
  }
  reg_unlock();
  if (!g) {
    if (!(g = xmalloc(sizeof *g))) return WEFT_ENOMEM;
    memset(g, 0, sizeof *g);
  }
  memset(&g->serial, 0, sizeof *g - offsetof(weft_graph, serial));
  atomic_init(&g->state, 0);
  atomic_init(&g->stop, 0);
  atomic_init(&g->defer_head, NONE);
  weft_graph_clear(g); /* (the arena emptied, a serial) */
  reg_lock();
  g->prev = NULL;
  g->next = registry;
  if (registry) registry->prev = g;
  registry = g;
  reg_unlock();
  *out = g;
  return 0;
}

void weft_graph_destroy(weft_graph *g) {
  if (!g) return;
  size_t bytes = graph_bytes(g);
  reg_lock();
  if (g->prev) g->prev->next = g->next;
  else registry = g->next;
  if (g->next) g->next->prev = g->prev;
  int keep = kept_bytes + bytes <= keep_limit;
  if (keep) {
    g->next = kept;
    kept = g;
    kept_bytes += bytes;
  }
  reg_unlock();
  if (!keep) free_graph(g);
}

int weft_graph_clear(weft_graph *g) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  g->nnodes = 0;
  g->nedges = g->nback = 0;
  for (arena_chunk *c = g->arena; c; c = c->next) c->used = 0;
  g->arena_cur = g->arena;
  g->broken = 0; /* (bad[] and nbad describe a broken graph only) */
  g->checked = 0;
  g->serial = new_serial();
  return 0;
}

/* Makes room for `need` elements in a growable array. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) ncap *= 2;
  atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
  void *p = ncap <= SIZE_MAX / elem ? realloc(*arr, ncap * elem) : NULL;
  if (!p) return WEFT_ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

/* Node and edge chunks: fixed blocks, so that a graph grows without moving
 * what it holds (a growing array would be copied wherever malloc cannot
 * extend it in place). */
static void *new_chunk(void) {
  atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
  return weft__aligned_alloc(WEFT__CACHE_LINE, CHUNK_BYTES);
}

/* `len` bytes (16-aligned) from the arena. Chunks are kept in a list;
 * arena_cur is the one being filled, and every chunk after it is empty
 * (weft_graph_clear empties them all and starts again at the head), so
 * when it is full the next one, if big enough, has room. */
static void *arena_alloc(weft_graph *g, size_t len) {
  len = (len + 15) & ~(size_t)15;
  arena_chunk *c = g->arena_cur;
  if (c && c->cap - c->used < len && c->next && c->next->cap >= len) c = c->next;
  if (!c || c->cap - c->used < len) {
    size_t cap = len > ARENA_CHUNK ? len : ARENA_CHUNK;
    arena_chunk *nc = xmalloc(sizeof *nc + cap);
    if (!nc) return NULL;
    nc->used = 0;
    nc->cap = cap;
    if (c) {
      nc->next = c->next;
      c->next = nc;
    } else {
      nc->next = g->arena;
      g->arena = nc;
    }
    c = nc;
  }
  g->arena_cur = c;
  c->used += len;
  return c->data + c->used - len;
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
  if (i >> NODE_CHUNK_SHIFT >= g->nchunks_len) {
    /* A new chunk (chunks survive weft_graph_clear and are reused). The
     * two arrays grow alike: nchunks_cap is theirs once both have grown. */
    size_t len = g->nchunks_len, cap = g->nchunks_cap;
    if (grow((void **)&g->nchunks, &cap, len + 1, sizeof *g->nchunks) ||
        grow((void **)&g->names, &g->nchunks_cap, len + 1, sizeof *g->names) ||
        !(g->nchunks[len] = new_chunk()))
      return broke(g, WEFT_ENOMEM, NULL, 0);
    g->names[len] = NULL;
    g->nchunks_len = len + 1;
  }
  node_rec *r = node_at(g, i);
  const char **names = g->names[i >> NODE_CHUNK_SHIFT];
  int big = size > ARGS_INLINE;
  unsigned char *block = big ? arena_alloc(g, WEFT_ARGS_MAX) : r->args.b;
  if (!block) return broke(g, WEFT_ENOMEM, NULL, 0);
  memset(block, 0, big ? WEFT_ARGS_MAX : ARGS_INLINE);
  if (big) r->args.p = block;
  if (size) memcpy(block, args, size);
  r->fn = fn;
  r->begin = 0;
  r->end = big ? BIG_ARGS : 0;
  if (names) names[i & (NODE_CHUNK - 1)] = NULL; /* a chunk reused after clear */
  g->nnodes = i + 1;
  g->checked = 0;
  if (out) *out = make_node(g, i);
  return 0;
}

int weft_graph_name(weft_graph *g, weft_node node, const char *name) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  uint32_t i;
  if (!node_index(g, node, &i)) return broke(g, WEFT_EFOREIGN, &node, 1);
  char *copy = NULL;
  if (name) {
    size_t len = strlen(name) + 1;
    if (!(copy = arena_alloc(g, len))) return broke(g, WEFT_ENOMEM, NULL, 0);
    memcpy(copy, name, len);
  }
  const char ***tab = &g->names[i >> NODE_CHUNK_SHIFT];
  if (!*tab) {
    if (!name) return 0;
    atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
    if (!(*tab = calloc(NODE_CHUNK, sizeof **tab))) return broke(g, WEFT_ENOMEM, NULL, 0);
  }
  (*tab)[i & (NODE_CHUNK - 1)] = copy;
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
  *out = args_of(node_at(g, i));
  return 0;
}

void weft_graph_count(const weft_graph *g, size_t *nodes, size_t *edges) {
  if (nodes) *nodes = g ? g->nnodes : 0;
  if (edges) *edges = g ? (size_t)g->nedges : 0;
}

/* The batch is checked first and room made for all of it: all or nothing. */
static inline int add_edges(weft_graph *g, const weft_node *from, const weft_node *to, size_t n) {
  if (!g) return WEFT_EINVAL;
  if (is_running(g)) return WEFT_EBUSY;
  if (n == 0) return 0;
  if (!from || !to) return broke(g, WEFT_EINVAL, NULL, 0);
  uint32_t f = 0, t = 0;
  for (size_t k = 0; k < n; k++) {
    int okf = node_index(g, from[k], &f), okt = node_index(g, to[k], &t);
    weft_node pair[2] = {from[k], to[k]};
    if (!okf || !okt) return broke(g, WEFT_EFOREIGN, pair, 2);
    if (f == t) return broke(g, WEFT_ECYCLE, pair, 1);
  }
  if (n > MAX_SLOTS || g->nedges + g->nnodes + n > MAX_SLOTS)
    return broke(g, WEFT_ENOMEM, NULL, 0);
  for (; g->echunks_len <= (g->nedges + n - 1) >> EDGE_CHUNK_SHIFT; g->echunks_len++)
    if (grow((void **)&g->echunks, &g->echunks_cap, g->echunks_len + 1, sizeof *g->echunks) ||
        !(g->echunks[g->echunks_len] = new_chunk()))
      return broke(g, WEFT_ENOMEM, NULL, 0);
  for (size_t k = 0; k < n; k++) {
    node_index(g, from[k], &f);
    node_index(g, to[k], &t);
    *edge_at(g, g->nedges++) = (edge_rec){f, t};
    g->nback += f > t; /* (validation: no backward edge, no cycle) */
  }
  g->checked = 0;
  return 0;
}

int weft_graph_edge(weft_graph *g, weft_node from, weft_node to) {
  return add_edges(g, &from, &to, 1);
}

int weft_graph_edges(weft_graph *g, const weft_node *from, const weft_node *to, size_t n) {
  return add_edges(g, from, to, n);
}

/* ------------------------------------------------------------- validation */

/* Name of node i for messages: its name or "n<i>". */
static const char *label(const weft_graph *g, uint32_t i, char tmp[16]) {
  const char *nm = name_of(g, i);
  if (nm) return nm;
  snprintf(tmp, 16, "n%u", (unsigned)i);
  return tmp;
}

typedef struct out_t {
  char *buf;
  size_t cap, len;
} out_t;

/* Appends as snprintf would, counting what does not fit (messages, DOT). */
static void put(out_t *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

static void fill_broken(const weft_graph *g, weft_graph_error *e) {
  memset(e, 0, sizeof *e);
  e->code = g->broken;
  e->count = g->nbad;
  char tmp[2][16];
  const char *lab[2] = {"<foreign>", "<foreign>"};
  for (size_t i = 0; i < g->nbad; i++) {
    uint32_t idx;
    e->nodes[i] = g->bad[i];
    if (!node_index(g, g->bad[i], &idx)) continue;
    e->names[i] = name_of(g, idx);
    lab[i] = label(g, idx, tmp[i]);
  }
  if (g->broken == WEFT_ECYCLE) {
    e->cycle_length = 1;
    snprintf(e->message, sizeof e->message, "self-edge: %s -> %s", lab[0], lab[0]);
  } else if (g->broken == WEFT_EFOREIGN) {
    snprintf(e->message, sizeof e->message, "a build call named a node of another graph%s%s%s%s",
             g->nbad == 2 ? ": edge " : "", g->nbad == 2 ? lab[0] : "",
             g->nbad == 2 ? " -> " : "", g->nbad == 2 ? lab[1] : "");
  } else {
    snprintf(e->message, sizeof e->message, "a build call failed: %s", weft_strerror(g->broken));
  }
}

/* Extracts one cycle among the nodes Kahn left (rem[i] > 0) into e, in
 * validation's own arrays. Every such node has a predecessor that is also
 * left, so pred[] keeps one per left node (the first in edge order) and
 * walking it backwards from any left node must revisit a node: the
 * stretch between the two visits, reversed, is a cycle. */
static void extract_cycle(weft_graph *g, const _Atomic uint32_t *rem, weft_graph_error *e) {
  uint32_t n = g->nnodes, v = 0;
  uint32_t *pred = g->ord_node, *mark = (uint32_t *)(void *)g->link; /* both free now */
#define LEFT(i) (atomic_load_explicit(&rem[i], memory_order_relaxed) > 0)
  for (uint64_t k = g->nedges; k-- > 0;) {
    edge_rec *ed = edge_at(g, k);
    if (LEFT(ed->from) && LEFT(ed->to)) pred[ed->to] = ed->from;
  }
  while (!LEFT(v)) v++;
#undef LEFT
  memset(mark, 0, (size_t)n * sizeof *mark);
  while (!mark[v]) {
    mark[v] = 1;
    v = pred[v];
  }
  /* v is on the cycle: mark[] becomes each cycle node's successor on it. */
  uint32_t clen = 0, lo = v, x = v;
  do {
    mark[pred[x]] = x;
    x = pred[x];
    if (x < lo) lo = x;
    clen++;
  } while (x != v);
  memset(e, 0, sizeof *e);
  e->code = WEFT_ECYCLE;
  e->cycle_length = clen;
  e->count = clen < WEFT_GRAPH_ERROR_NODES ? clen : WEFT_GRAPH_ERROR_NODES;
  e->truncated = clen > WEFT_GRAPH_ERROR_NODES;
  out_t o = {e->message, sizeof e->message, 0};
  put(&o, "cycle of %u node%s: ", (unsigned)clen, clen == 1 ? "" : "s");
  char tmp[16];
  x = lo; /* edge order from the lowest index */
  for (uint32_t k = 0; k < clen; k++, x = mark[x]) {
    if (k < e->count) {
      e->nodes[k] = make_node(g, x);
      e->names[k] = name_of(g, x);
    }
    if (k <= 8) put(&o, k < 8 ? "%s -> " : "... -> ", label(g, x, tmp));
  }
  put(&o, "%s", label(g, lo, tmp));
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
int weft__graph_build_csr(weft_graph *g) {
  uint32_t n = g->nnodes;
  uint64_t ne = g->nedges;
  size_t nb = (size_t)n * sizeof(uint32_t);
  /* (n more slots after the roots': a first run's hand-off, adapt_run) */
  size_t slots = ((size_t)ne + 2 * (size_t)n) * sizeof *g->rsucc;
  if (weft__graph_reserve((void **)&g->rsucc, &g->rsucc_cap, slots) ||
      weft__graph_reserve((void **)&g->indeg, &g->indeg_cap, nb) ||
      weft__graph_reserve((void **)&g->join, &g->join_cap, nb) ||
      weft__graph_reserve((void **)&g->link, &g->link_cap, nb))
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
    if (indeg[i] == 0) rs[ne + nroots++] = (succ_rec){i | SINGLE, r->begin, at};
  }
  for (uint64_t k = 0; k < ne; k++) {
    const edge_rec *ed = edge_at(g, k);
    const node_rec *t = node_at(g, ed->to);
    rs[cur[ed->from]++] =
        (succ_rec){ed->to | (indeg[ed->to] == 1 ? SINGLE : 0), t->begin, succ_end(t)};
  }
  g->roots_begin = (uint32_t)ne;
  g->roots_end = (uint32_t)ne + nroots;
  weft__graph_reset_counters(g);
  g->csr_ok = 1;
  return 0;
}

void weft__graph_reset_counters(weft_graph *g) {
  for (uint32_t i = 0; i < g->nnodes; i++)
    atomic_store_explicit(&g->join[i], g->indeg[i], memory_order_relaxed);
  g->counters_dirty = 0;
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
  int rc = weft__graph_build_csr(g);
  if (rc) return rc;
  if (weft__graph_reserve((void **)&g->ord_node, &g->ord_node_cap, (size_t)n * sizeof *g->ord_node))
    return WEFT_ENOMEM;
  _Atomic uint32_t *rem = g->join; /* remaining in-degrees */
  uint32_t *queue = g->ord_node, qh = 0, qt = 0;
  for (uint32_t k = g->roots_begin; k < g->roots_end; k++) queue[qt++] = g->rsucc[k].s & ~SINGLE;
  while (qh < qt) {
    const node_rec *r = node_at(g, queue[qh++]);
    for (uint32_t s = r->begin, end = succ_end(r); s < end; s++) {
      uint32_t v = g->rsucc[s].s & ~SINGLE;
      uint32_t left = atomic_load_explicit(&rem[v], memory_order_relaxed) - 1;
      atomic_store_explicit(&rem[v], left, memory_order_relaxed);
      if (left == 0) queue[qt++] = v;
    }
  }
  if (qt < n) extract_cycle(g, rem, e);
  weft__graph_reset_counters(g);
  return qt < n ? WEFT_ECYCLE : 0;
}

/* Validation without the busy check (the caller holds the graph). */
int weft__graph_prepare(weft_graph *g, weft_graph_error *err) {
  if (g->broken) {
    if (err) fill_broken(g, err);
    return g->broken;
  }
  if (!g->checked) {
    memset(&g->check_err, 0, sizeof g->check_err);
    int rc = compile(g, &g->check_err);
    g->check_rc = g->check_err.code = rc;
    if (rc != WEFT_ECYCLE)
      snprintf(g->check_err.message, sizeof g->check_err.message, "%s",
               rc ? "out of memory while validating" : "ok");
    g->checked = rc != WEFT_ENOMEM; /* (no memory: try again next time) */
  }
  if (err) *err = g->check_err;
  return g->check_rc;
}

/* Claims the graph for a run or a validation: ST_RUNNING, new generation. */
int weft__graph_claim(weft_graph *g) {
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

void weft__graph_release(weft_graph *g) {
  atomic_store_explicit(&g->state, g->gen << 2, memory_order_seq_cst);
}

int weft_graph_validate(weft_graph *g, weft_graph_error *err) {
  if (err) memset(err, 0, sizeof *err);
  int rc = g ? weft__graph_claim(g) : WEFT_EINVAL;
  if (rc) {
    if (err) {
      err->code = rc;
      snprintf(err->message, sizeof err->message, g ? "graph is running" : "graph is NULL");
    }
    return rc;
  }
  rc = weft__graph_prepare(g, err);
  weft__graph_release(g);
  return rc;
}

/* -------------------------------------------------------------------- dot */

int weft_graph_dot(const weft_graph *g, char *buf, size_t cap, size_t *needed) {
  if (needed) *needed = 0;
  if (!g || (!buf && cap > 0)) return WEFT_EINVAL;
  out_t o = {buf, cap, 0};
  put(&o, "digraph weft {\n");
  for (uint32_t i = 0; i < g->nnodes; i++) {
    put(&o, "  n%u", (unsigned)i);
    const char *nm = name_of(g, i);
    if (nm) {
      put(&o, " [label=\"");
      for (; *nm; nm++) { /* quotes and backslashes escaped, controls as spaces */
        unsigned char c = (unsigned char)*nm;
        put(&o, c == '"' || c == '\\' ? "\\%c" : c == '\n' ? "\\n" : c < 0x20 || c == 0x7f ? " " : "%c", c);
      }
      put(&o, "\"]");
    }
    put(&o, ";\n");
  }
  for (uint64_t k = 0; k < g->nedges; k++) {
    const edge_rec *e = edge_at(g, k);
    put(&o, "  n%u -> n%u;\n", (unsigned)e->from, (unsigned)e->to);
  }
  put(&o, "}\n");
  if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
  if (needed) *needed = o.len + 1;
  return 0;
}
