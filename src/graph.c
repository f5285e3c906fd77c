/*
 * graph.c - task graphs: reusable dependency DAGs on the fork-join core.
 * This file: building, validation and the DOT dump.
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
 * Runs (the shared join-counter engine, ordered runs, the strategy) are in
 * graph_run.c; what both files share is graph_internal.h.
 */
#include "graph_internal.h"

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

static void *xrealloc(void *p, size_t n) {
  atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
  return realloc(p, n ? n : 1);
}

/* Node and edge chunks, and the shared runs' arrays, come from the memory
 * of destroyed graphs first (graph_cache.c: a graph built, run once and
 * destroyed, again and again, does not fault in fresh pages each time). */
#define NODE_CHUNK_BYTES (NODE_CHUNK * sizeof(node_rec))
#define EDGE_CHUNK_BYTES (EDGE_CHUNK * sizeof(edge_rec))

static void *chunk_get(int kind) {
  atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
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
  atomic_fetch_add_explicit(&weft__graph_alloc_count, 1, memory_order_relaxed);
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
int weft__graph_build_csr(weft_graph *g) {
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
  int rc = weft__graph_build_csr(g);
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
int weft__graph_prepare(weft_graph *g, weft_graph_error *err) {
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
  if (!g) {
    if (err) {
      err->code = WEFT_EINVAL;
      snprintf(err->message, sizeof err->message, "graph is NULL");
    }
    return WEFT_EINVAL;
  }
  int rc = weft__graph_claim(g);
  if (rc) {
    if (err) {
      err->code = rc;
      snprintf(err->message, sizeof err->message, "graph is running");
    }
    return rc;
  }
  rc = weft__graph_prepare(g, err);
  weft__graph_release(g);
  return rc;
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
