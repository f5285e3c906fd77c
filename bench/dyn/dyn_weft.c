/* dyn_weft - weft on the one-shot shapes of dyn_common.h. Variants:
 *   graph-oneshot  every repetition: weft_graph_create, each task added with
 *                  the edges from its predecessors as it is created,
 *                  weft_graph_run, weft_graph_destroy (all timed)
 *   graph-reused   the graph is built once (untimed) and run once per
 *                  repetition (weft's design point, for comparison)
 *   launch         weft launched tasks: every repetition, one task launches
 *                  every task in index order after its predecessors' handles
 *                  (weft_launch from inside the pool, the fast path), gives
 *                  each handle back once its last successor is launched, and
 *                  launches the sinks as its children, so waiting for it
 *                  waits for everything
 *   seq            no runtime: the launch variant's own loop (predecessor
 *                  lists, the handle array, the last-successor test that
 *                  decides when a handle is given back) with each task run
 *                  in place of its launch (index order is a topological
 *                  order). The floor of any runtime that a program of the
 *                  launch variant's shape could use. */
#include "dyn_common.h" /* first: it sets _POSIX_C_SOURCE */

#include <weft.h>

typedef struct ctx {
  weft_pool pool;
  weft_node *nodes; /* the handle of each task, as a program would keep them */
  uint32_t *left;   /* launch, seq: successors of each task not launched yet */
  weft_graph *g;    /* graph-reused: the one graph */
} ctx;

static int node_fn(weft_worker *w, void *args) {
  (void)w;
  uint32_t v;
  memcpy(&v, args, sizeof v);
  dn_task(v);
  return 0;
}

/* Creates the graph as a program discovering its work would: each task,
 * then an edge from each of its predecessors. */
static int build(ctx *c, weft_graph **out) {
  weft_graph *g;
  int rc = weft_graph_create(&g);
  if (rc) return rc;
  for (uint32_t v = 0; v < dn_g.n && !rc; v++) {
    rc = weft_graph_add(g, node_fn, &v, sizeof v, &c->nodes[v]);
    uint32_t buf[2];
    const uint32_t *p;
    unsigned np = dn_preds(v, buf, &p);
    for (unsigned k = 0; k < np && !rc; k++) rc = weft_graph_edge(g, c->nodes[p[k]], c->nodes[v]);
  }
  if (rc) {
    weft_graph_destroy(g);
    return rc;
  }
  *out = g;
  return 0;
}

static int run_checked(weft_pool pool, weft_graph *g) {
  weft_graph_result res;
  int rc = weft_graph_run(pool, g, &res);
  if (rc) {
    fprintf(stderr, "weft_graph_run: %s\n", weft_strerror(rc));
    return rc;
  }
  if (res.nodes_run != dn_g.n) {
    fprintf(stderr, "weft_graph_run: %llu nodes ran, expected %u\n",
            (unsigned long long)res.nodes_run, dn_g.n);
    exit(3);
  }
  return 0;
}

static double run_oneshot(void *p) {
  ctx *c = p;
  double t0 = dn_now_ms();
  weft_graph *g;
  int rc = build(c, &g);
  if (rc) {
    fprintf(stderr, "build: %s\n", weft_strerror(rc));
    return -1;
  }
  rc = run_checked(c->pool, g);
  weft_graph_destroy(g);
  double t1 = dn_now_ms();
  return rc ? -1 : t1 - t0;
}

static double run_reused(void *p) {
  ctx *c = p;
  double t0 = dn_now_ms();
  int rc = run_checked(c->pool, c->g);
  double t1 = dn_now_ms();
  return rc ? -1 : t1 - t0;
}

/* ------------------------------------------------------------------------
 * LAUNCH: weft launched tasks. */
_Static_assert(sizeof(weft_task) == sizeof(weft_node), "handles share the array");

typedef struct lctx {
  ctx *c;
  weft_task *h; /* handles of launched tasks whose successors are not all launched */
  uint32_t *left;
  int rc;
} lctx;

static int task_fn(weft_worker *w, void *args) {
  (void)w;
  uint32_t v;
  memcpy(&v, args, sizeof v);
  dn_task(v);
  return 0;
}

/* Each task's successor count, counted down as its successors are launched:
 * the handle goes back when it reaches 0 (timed, like oneTBB's join
 * counters are set in its variant). */
static void fill_left(uint32_t *left) {
  for (uint32_t u = 0; u < dn_g.n; u++) {
    uint32_t buf[2];
    const uint32_t *p;
    left[u] = dn_succs(u, buf, &p);
  }
}

static int generator(weft_worker *w, void *args) {
  lctx *L;
  memcpy(&L, args, sizeof L);
  weft_pool pool = weft_worker_pool(w);
  weft_launch_opts leaf = {NULL, 0, NULL, WEFT_LAUNCH_CHILD};
  for (uint32_t v = 0; v < dn_g.n; v++) {
    uint32_t buf[2];
    const uint32_t *p;
    unsigned np = dn_preds(v, buf, &p);
    weft_task pre[4];
    for (unsigned k = 0; k < np; k++) pre[k] = L->h[p[k]];
    uint32_t sb[2];
    const uint32_t *sp;
    int rc;
    if (dn_succs(v, sb, &sp) == 0) {
      leaf.after = pre;
      leaf.nafter = np;
      rc = weft_launch_ex(pool, task_fn, &v, sizeof v, &leaf, NULL);
    } else {
      rc = weft_launch(pool, task_fn, &v, sizeof v, pre, np, &L->h[v]);
    }
    if (rc) {
      L->rc = rc;
      return 1;
    }
    for (unsigned k = 0; k < np; k++)
      if (--L->left[p[k]] == 0) weft_task_release(L->h[p[k]]);
  }
  return 0;
}

static double run_seq(void *p) {
  ctx *c = p;
  weft_task *h = (weft_task *)(void *)c->nodes;
  uint64_t released = 0;
  double t0 = dn_now_ms();
  fill_left(c->left);
  for (uint32_t v = 0; v < dn_g.n; v++) {
    uint32_t buf[2];
    const uint32_t *p;
    unsigned np = dn_preds(v, buf, &p);
    weft_task pre[4];
    for (unsigned k = 0; k < np; k++) pre[k] = h[p[k]];
    dn_task(v);
    h[v].id = v + (np ? pre[0].id : 0); /* what launch would store */
    for (unsigned k = 0; k < np; k++)
      if (--c->left[p[k]] == 0) released += h[p[k]].id;
  }
  double t1 = dn_now_ms();
  /* Keep the bookkeeping from being optimized away. */
  if (released == 1) fprintf(stderr, "seq: %llu\n", (unsigned long long)released);
  return t1 - t0;
}

static double run_launch(void *p) {
  ctx *c = p;
  lctx L = {c, (weft_task *)(void *)c->nodes, c->left, 0}; /* same size: reuse the array */
  lctx *lp = &L;
  double t0 = dn_now_ms();
  fill_left(c->left);
  weft_task gen;
  int rc = weft_launch(c->pool, generator, &lp, sizeof lp, NULL, 0, &gen);
  if (!rc) rc = weft_task_wait(gen);
  if (!rc) rc = weft_task_release(gen);
  double t1 = dn_now_ms();
  if (rc || L.rc) {
    fprintf(stderr, "launch: %s\n", weft_strerror(rc ? rc : L.rc));
    return -1;
  }
  return t1 - t0;
}
/* --------------------------------------------------------------------- */

int main(int argc, char **argv) {
  dn_args a;
  if (dn_parse(argc, argv, &a, "graph-oneshot|graph-reused|launch|seq")) return 2;
  double (*one)(void *);
  if (strcmp(a.variant, "graph-oneshot") == 0) one = run_oneshot;
  else if (strcmp(a.variant, "graph-reused") == 0) one = run_reused;
  else if (strcmp(a.variant, "launch") == 0) one = run_launch;
  else if (strcmp(a.variant, "seq") == 0) one = run_seq;
  else {
    fprintf(stderr, "dyn_weft: unknown variant '%s'\n", a.variant);
    return 2;
  }
  ctx c = {{0}, NULL, NULL, NULL};
  c.nodes = dn_alloc((size_t)dn_g.n * sizeof *c.nodes);
  c.left = dn_alloc((size_t)dn_g.n * sizeof *c.left);
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = a.workers;
  int rc = weft_pool_create(&c.pool, &cfg);
  if (rc) {
    fprintf(stderr, "weft_pool_create: %s\n", weft_strerror(rc));
    return 2;
  }
  if (one == run_reused) {
    if ((rc = build(&c, &c.g))) {
      fprintf(stderr, "build: %s\n", weft_strerror(rc));
      return 2;
    }
    /* Two untimed runs: validation, and the strategy's first timings
     * (docs/GRAPHS.md) are not what a reused graph costs. */
    for (int k = 0; k < 2; k++)
      if (run_checked(c.pool, c.g)) return 2;
  }
  int status = dn_loop(&a, a.variant, one, &c);
  weft_graph_destroy(c.g);
  weft_pool_destroy(c.pool);
  free(c.nodes);
  return status;
}
