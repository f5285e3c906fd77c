/*
 * graph_fuzz.c - libFuzzer harness for task graphs.
 *
 * Turns the input into a graph and checks the invariants the tests check:
 *   byte 0   flags: bit 0 free edges (else every edge goes from a lower to a
 *            higher rank: a DAG), bit 1 add edges in one batch, bit 2 name
 *            the nodes, bits 3-4 number of failing nodes, bit 5 cancel from
 *            a node, bit 6 run through run_n(3), bit 7 a foreign edge
 *   byte 1   node count - 1 (1..256 nodes)
 *   byte 2   rank permutation seed; its low bit picks the pool (1 worker,
 *            where join counters are plain, or 2 workers), bits 1-2 the
 *            way runs go (0/3 automatic, 1 in order, 2 shared)
 *   then     failing-node indices (bits 3-4 of them), then edge pairs
 * and then:
 *   - a self-edge or a foreign edge is rejected at once, and validation and
 *     runs report that error; nothing runs;
 *   - a cyclic graph (by an independent DFS here) gives WEFT_ECYCLE with a
 *     real cycle of the graph; nothing runs;
 *   - otherwise every node runs exactly once per run and after all of its
 *     predecessors finished; with failing nodes the run reports one of them
 *     with its status, and nothing runs after a failed node; a canceling
 *     node stops the run with WEFT_ECANCELED; a clean re-run completes.
 *
 * Build: cmake -DWEFT_BUILD_FUZZ=ON -DCMAKE_C_COMPILER=clang (see
 * scripts/test.sh), run: graph_fuzz -max_total_time=60 CORPUS_DIR.
 */
#include <weft.h>

void weft__graph_force_strategy(int s); /* src/graph.c test hook */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 256
#define MAXE 4096

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c)) {                                                               \
      fprintf(stderr, "graph_fuzz: check failed at line %d: %s\n", __LINE__, #c); \
      abort();                                                                \
    }                                                                         \
  } while (0)

static weft_pool pools[2]; /* 1 and 2 workers */
static weft_pool pool;
static _Atomic uint64_t seq;
static _Atomic uint64_t start_t[MAXN], finish_t[MAXN];
static _Atomic uint32_t count[MAXN];
static int fail_status[MAXN];
static int cancel_node = -1;
static weft_graph *current;

typedef struct {
  uint32_t idx;
} node_args;

static int node_fn(weft_worker *w, void *p) {
  (void)w;
  uint32_t i = ((node_args *)p)->idx;
  atomic_store(&start_t[i], atomic_fetch_add(&seq, 1) + 1);
  atomic_fetch_add(&count[i], 1);
  if ((int)i == cancel_node) CHECK(weft_graph_cancel(current) == 1);
  atomic_store(&finish_t[i], atomic_fetch_add(&seq, 1) + 1);
  return fail_status[i];
}

static void reset_marks(uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    atomic_store(&start_t[i], 0);
    atomic_store(&finish_t[i], 0);
    atomic_store(&count[i], 0);
  }
}

static uint32_t ran_total(uint32_t n) {
  uint32_t t = 0;
  for (uint32_t i = 0; i < n; i++) t += atomic_load(&count[i]);
  return t;
}

/* Independent cycle check: iterative DFS with colors. */
static int has_cycle(uint32_t n, const uint32_t *from, const uint32_t *to, size_t m) {
  static uint32_t start[MAXN + 1], adj[MAXE], stack[MAXN], it[MAXN];
  static uint8_t color[MAXN];
  memset(start, 0, sizeof start);
  for (size_t k = 0; k < m; k++) start[from[k] + 1]++;
  for (uint32_t i = 0; i < n; i++) start[i + 1] += start[i];
  uint32_t fill[MAXN + 1];
  memcpy(fill, start, sizeof fill);
  for (size_t k = 0; k < m; k++) adj[fill[from[k]]++] = to[k];
  memset(color, 0, sizeof color);
  for (uint32_t r = 0; r < n; r++) {
    if (color[r]) continue;
    uint32_t sp = 0;
    stack[sp++] = r;
    it[r] = start[r];
    color[r] = 1;
    while (sp) {
      uint32_t u = stack[sp - 1];
      if (it[u] < start[u + 1]) {
        uint32_t v = adj[it[u]++];
        if (color[v] == 1) return 1;
        if (color[v] == 0) {
          color[v] = 1;
          it[v] = start[v];
          stack[sp++] = v;
        }
      } else {
        color[u] = 2;
        sp--;
      }
    }
  }
  return 0;
}

static int is_edge(uint32_t u, uint32_t v, const uint32_t *from, const uint32_t *to, size_t m) {
  for (size_t k = 0; k < m; k++)
    if (from[k] == u && to[k] == v) return 1;
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  for (unsigned i = 0; i < 2; i++) {
    weft_config cfg;
    weft_config_default(&cfg);
    cfg.workers = i + 1;
    cfg.spin_rounds = 64;
    if (weft_pool_create(&pools[i], &cfg) != 0) abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  uint8_t flags = data[0];
  uint32_t n = (uint32_t)data[1] + 1;
  uint32_t perm_seed = data[2];
  pool = pools[perm_seed & 1];
  unsigned strategy = (perm_seed >> 1) & 3;
  weft__graph_force_strategy((int)strategy); /* 3: hand-off (graphs built in order) */
  size_t pos = 3;
  int free_edges = flags & 1, batch = flags & 2, named = flags & 4;
  uint32_t nfail = (flags >> 3) & 3;
  int do_cancel = (flags >> 5) & 1, use_run_n = (flags >> 6) & 1, foreign = (flags >> 7) & 1;

  /* rank permutation: index order is not the topological order */
  uint32_t rank[MAXN];
  for (uint32_t i = 0; i < n; i++) rank[i] = i;
  uint32_t x = perm_seed * 2654435761u + 1;
  for (uint32_t i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    uint32_t j = x % (i + 1), t = rank[i];
    rank[i] = rank[j];
    rank[j] = t;
  }

  memset(fail_status, 0, sizeof fail_status);
  cancel_node = -1;
  for (uint32_t k = 0; k < nfail && pos < size; k++) fail_status[data[pos++] % n] = 1 + (int)k;
  if (do_cancel && pos < size) cancel_node = (int)(data[pos++] % n);

  static uint32_t from[MAXE], to[MAXE];
  size_t m = 0;
  int self_edge = 0;
  for (; pos + 1 < size && m < MAXE; pos += 2) {
    uint32_t a = data[pos] % n, b = data[pos + 1] % n;
    if (!free_edges) {
      if (a == b) continue;
      if (rank[a] > rank[b]) {
        uint32_t t = a;
        a = b;
        b = t;
      }
    }
    if (a == b) self_edge = 1;
    from[m] = a;
    to[m] = b;
    m++;
  }

  weft_graph *g;
  CHECK(weft_graph_create(&g) == 0);
  current = g;
  weft_node nodes[MAXN];
  for (uint32_t i = 0; i < n; i++) {
    node_args a = {i};
    CHECK(weft_graph_add(g, node_fn, &a, sizeof a, &nodes[i]) == 0);
    if (named) {
      char nm[16];
      snprintf(nm, sizeof nm, "v%u", i);
      CHECK(weft_graph_name(g, nodes[i], nm) == 0);
    }
  }
  /* Edges: stop at the first rejected one (the graph is broken from there). */
  int build_rc = 0;
  if (batch) {
    static weft_node bf[MAXE], bt[MAXE];
    for (size_t k = 0; k < m; k++) {
      bf[k] = nodes[from[k]];
      bt[k] = nodes[to[k]];
    }
    build_rc = weft_graph_edges(g, bf, bt, m);
    if (build_rc) CHECK(build_rc == WEFT_ECYCLE && self_edge);
  } else {
    for (size_t k = 0; k < m; k++) {
      int rc = weft_graph_edge(g, nodes[from[k]], nodes[to[k]]);
      if (rc) {
        CHECK(rc == WEFT_ECYCLE && from[k] == to[k]);
        build_rc = rc;
        m = k; /* edges added so far */
        break;
      }
    }
  }
  if (foreign && !build_rc) {
    weft_graph *other;
    weft_node o;
    CHECK(weft_graph_create(&other) == 0);
    CHECK(weft_graph_add(other, node_fn, &(node_args){0}, sizeof(node_args), &o) == 0);
    build_rc = weft_graph_edge(g, nodes[0], o);
    CHECK(build_rc == WEFT_EFOREIGN);
    weft_graph_destroy(other);
  }
  size_t nn, ne;
  weft_graph_count(g, &nn, &ne);
  CHECK(nn == n);
  if (!build_rc) CHECK(ne == m);

  size_t dot_need = 0;
  CHECK(weft_graph_dot(g, NULL, 0, &dot_need) == 0 && dot_need > 0);

  reset_marks(n);
  weft_graph_error err;
  int vrc = weft_graph_validate(g, &err);
  weft_graph_result res;
  if (build_rc) {
    CHECK(vrc == build_rc && err.code == build_rc);
    CHECK(weft_graph_run(pool, g, &res) == build_rc);
    CHECK(ran_total(n) == 0 && res.nodes_run == 0);
    weft_graph_destroy(g);
    return 0;
  }
  size_t medges = m; /* the edges in the graph */
  if (has_cycle(n, from, to, medges)) {
    CHECK(vrc == WEFT_ECYCLE);
    CHECK(err.cycle_length >= 2 && err.count >= 1);
    uint32_t idx[WEFT_GRAPH_ERROR_NODES];
    for (size_t i = 0; i < err.count; i++) {
      idx[i] = (uint32_t)err.nodes[i].id; /* low 32 bits: the index */
      CHECK((err.nodes[i].id >> 32) == (nodes[0].id >> 32) && idx[i] < n);
    }
    size_t steps = err.truncated ? err.count - 1 : err.count;
    for (size_t i = 0; i < steps; i++)
      CHECK(is_edge(idx[i], idx[(i + 1) % err.count], from, to, medges));
    CHECK(weft_graph_run(pool, g, &res) == WEFT_ECYCLE);
    CHECK(ran_total(n) == 0);
    weft_graph_destroy(g);
    return 0;
  }
  CHECK(vrc == 0);

  int any_fail = 0;
  for (uint32_t i = 0; i < n; i++) any_fail |= fail_status[i] != 0;
  int rc = use_run_n ? weft_graph_run_n(pool, g, 3, &res) : weft_graph_run(pool, g, &res);
  uint32_t ran = ran_total(n);
  CHECK(res.nodes_run == ran);
  /* Whatever happened: nodes that ran respected their edges, and nothing
   * ran after a failed node. (With run_n the marks show the last run.) */
  for (size_t k = 0; k < medges; k++) {
    uint32_t u = from[k], v = to[k];
    if (!atomic_load(&count[v])) continue;
    CHECK(atomic_load(&count[u]) >= atomic_load(&count[v]));
    CHECK(atomic_load(&finish_t[u]) < atomic_load(&start_t[v]));
    CHECK(!fail_status[u]);
    CHECK((int)u != cancel_node);
  }
  if (rc == WEFT_ENODE_FAILED) {
    CHECK(any_fail);
    uint32_t f = (uint32_t)res.node.id;
    CHECK(f < n && res.node.id == nodes[f].id);
    CHECK(fail_status[f] != 0 && res.status == fail_status[f]);
    CHECK(atomic_load(&count[f]) >= 1);
    CHECK(res.iterations == 0 && res.nodes_skipped == n - ran);
  } else if (rc == WEFT_ECANCELED) {
    CHECK(cancel_node >= 0 && atomic_load(&count[cancel_node]) == 1);
    CHECK(res.nodes_skipped == n - ran && res.iterations == 0);
  } else {
    CHECK(rc == 0);
    /* A failing or canceling node always runs in a DAG run unless the
     * run stopped first: so there was none. */
    CHECK(!any_fail && cancel_node < 0);
    uint32_t runs = use_run_n ? 3 : 1;
    CHECK(res.iterations == runs && res.nodes_run == (uint64_t)runs * n);
    for (uint32_t i = 0; i < n; i++) CHECK(atomic_load(&count[i]) == runs);
  }
  /* The graph stays usable: a clean run completes. */
  memset(fail_status, 0, sizeof fail_status);
  cancel_node = -1;
  reset_marks(n);
  CHECK(weft_graph_run(pool, g, &res) == 0);
  CHECK(res.nodes_run == n && res.iterations == 1);
  for (uint32_t i = 0; i < n; i++) CHECK(atomic_load(&count[i]) == 1);
  for (size_t k = 0; k < medges; k++)
    CHECK(atomic_load(&finish_t[from[k]]) < atomic_load(&start_t[to[k]]));
  weft_graph_destroy(g);
  return 0;
}
