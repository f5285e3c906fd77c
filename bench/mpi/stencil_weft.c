/*
 * stencil_weft.c - the Jacobi stencil (mpi_common.h) on weft launched tasks,
 * halos as MPI messages whose requests are weft events (weft_mpi). Built
 * twice: stencil_weft_mpi, and stencil_weft (-DWEFT_NO_MPI: one rank, no
 * MPI at all: the baseline the np = 1 run is compared with).
 *
 * Iteration t reads buf[t % 2] and writes buf[(t + 1) % 2]. Tasks:
 *   tile(t, a, b)  after the units of t-1 at itself and its 4 neighbours
 *                  (they wrote what it reads and read what it overwrites);
 *   edge(t, a)     a tile row next to a neighbour rank, one task: after
 *                  the units of t-1 in rows a-1..a+1, the receive of halo t
 *                  (its ghost row) and the send of halo t-1 (whose buffer
 *                  it refills). Its body computes the row's tiles (the same
 *                  kernel calls), copies its output row into a send buffer
 *                  (two per side, by parity) and posts the send of halo
 *                  t+1 and the receive of halo t+2 into the ghost row it
 *                  has just read.
 * The messages' events are created by the launcher, before the tasks that
 * wait for them; the edge row's body posts the requests into them
 * (weft_mpi_isend_event / weft_mpi_irecv_event). Why the edge row posts
 * from its own body rather than from a posting task after it: a posting
 * task is just one more ready task, and the workers' depth-first order
 * (a completed task's successors run next) can leave it behind a whole
 * chain of interior tiles of later iterations, while the neighbour rank
 * waits idle for that halo (measured: a send posted 500 us after its row
 * was done; docs/MPI.md). No thread waits in MPI; only the edge rows wait
 * for a receive, and the interior tiles run while halos travel.
 */
#include "mpi_common.h"

#include <weft.h>
#ifndef WEFT_NO_MPI
#include <weft_mpi.h>
static weft_mpi *g_mpi;
static MPI_Comm g_comm;
#endif

typedef struct ctx_t {
  args_t a;
  strip_t s;
  int ntr, ntc;
  weft_pool pool;
  weft_task join;        /* after the last iteration's tiles and sends */
  double *sendbuf[2][2]; /* [up/down][iteration parity] */
  int erow[2];           /* the tile row next to the rank above / below, or -1 */
  weft_task *sev[2], *rev[2]; /* [side][t]: the events of halo t's send and receive */
} ctx_t;

/* Tile row a is one task: an edge row, or every row with --rows. */
static int is_row(const ctx_t *c, int a) {
  return c->a.rows || a == c->erow[0] || a == c->erow[1];
}

typedef struct targ {
  ctx_t *c;
  int t, a, b;
} targ;

/* Tile (a, b) of iteration t: the one kernel call of tile_fn and edge_cols. */
static void run_tile(ctx_t *c, int t, int a, int b) {
  int li0, li1, j0, j1;
  tile_bounds(&c->s, c->a.tr, c->a.tc, a, b, &li0, &li1, &j0, &j1);
  stencil_tile(&c->s, c->s.buf[t % 2], c->s.buf[(t + 1) % 2], li0, li1, j0, j1);
}

static int tile_fn(weft_worker *w, void *p) {
  (void)w;
  targ *g = p;
  run_tile(g->c, g->t, g->a, g->b);
  return 0;
}

#ifndef WEFT_NO_MPI
/* Tag of the row that travels in direction `up` (1: towards rank - 1) at
 * iteration t: unique per iteration (iters <= 16000). */
static int tag_of(int t, int up) { return 2 * t + up; }

/* Side d (0: the rank above, 1: below): posts the send of halo t from
 * sendbuf[d][t % 2], completing the event sev[d][t]. */
static void post_send(ctx_t *c, int d, int t) {
  const strip_t *s = &c->s;
  int rc = weft_mpi_isend_event(g_mpi, c->sendbuf[d][t % 2], s->n, MPI_DOUBLE,
                                d == 0 ? g_rank - 1 : g_rank + 1, tag_of(t, d == 0), g_comm,
                                c->sev[d][t]);
  if (rc) die(weft_mpi_strerror(rc)); /* its waiters would wait forever */
}

/* Posts the receive of halo t into the ghost row of buf[t % 2] (rev[d][t]). */
static void post_recv(ctx_t *c, int d, int t) {
  const strip_t *s = &c->s;
  double *ghost = s->buf[t % 2] + (d == 0 ? 0 : (size_t)(s->rows + 1) * s->n);
  int rc = weft_mpi_irecv_event(g_mpi, ghost, s->n, MPI_DOUBLE, d == 0 ? g_rank - 1 : g_rank + 1,
                                tag_of(t, d == 1), g_comm, c->rev[d][t]);
  if (rc) die(weft_mpi_strerror(rc));
}

/* Copies the edge row of buf[t % 2] (side d) into the send buffer of halo t. */
static void copy_row(ctx_t *c, int d, int t) {
  const strip_t *s = &c->s;
  const double *row = s->buf[t % 2] + (size_t)(d == 0 ? 1 : s->rows) * s->n;
  memcpy(c->sendbuf[d][t % 2], row, sizeof(double) * (size_t)s->n);
}

static void new_event(ctx_t *c, weft_task *ev) {
  int rc = weft_event_create(c->pool, ev);
  if (rc) die(weft_strerror(rc));
}
#endif

static void launch(ctx_t *c, weft_task_fn fn, targ g, const weft_task *after, size_t n,
                   weft_task *out) {
  int rc = weft_launch(c->pool, fn, &g, sizeof g, after, n, out);
  if (rc) die(weft_strerror(rc));
}

static void release_all(weft_task *t, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (t[k].id) {
      weft_task_release(t[k]);
      t[k].id = 0;
    }
}

static int join_noop(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  return 0;
}

/* An edge row (the tile row next to a neighbour rank) is one task: its
 * tiles (run_tile, split over the workers), then, from its own body, the
 * send of its output row (the halo of t + 1) and the receive of the halo
 * of t + 2 into the ghost row it has just read. */
static void edge_cols(weft_worker *w, size_t b0, size_t b1, void *p) {
  (void)w;
  const targ *g = p; /* the edge row's own arguments (b unused) */
  for (size_t b = b0; b < b1; b++) run_tile(g->c, g->t, g->a, (int)b);
}

static int edge_fn(weft_worker *w, void *p) {
  targ *g = p;
  ctx_t *c = g->c;
  int rc = weft_parallel_for(w, 0, (size_t)c->ntc, 1, edge_cols, g);
  if (rc) return rc;
#ifndef WEFT_NO_MPI
  for (int d = 0; d < 2; d++) {
    if (c->erow[d] != g->a) continue;
    if (g->t + 1 < c->a.iters) {
      copy_row(c, d, g->t + 1);
      post_send(c, d, g->t + 1);
    }
    if (g->t + 2 < c->a.iters) post_recv(c, d, g->t + 2);
  }
#endif
  return 0;
}

/* Handles of one iteration: u[a * ntc + b] for tile (a, b); an edge row's
 * task is u[a * ntc]. Adds to dep what unit (a, b) of the next iteration
 * must follow in this one: itself and its neighbours (a row task has every
 * tile of a neighbour row as a neighbour). Returns the new count. */
static size_t deps_prev(const ctx_t *c, const weft_task *u, int a, int b, weft_task *dep,
                        size_t k) {
  const int ntr = c->ntr, ntc = c->ntc;
  const int row = is_row(c, a);
  for (int da = -1; da <= 1; da++) {
    int x = a + da;
    if (x < 0 || x >= ntr) continue;
    if (is_row(c, x)) {
      dep[k++] = u[x * ntc];
    } else if (row) {
      for (int y = 0; y < ntc; y++) dep[k++] = u[x * ntc + y];
    } else {
      dep[k++] = u[x * ntc + b];
      if (da == 0 && b > 0) dep[k++] = u[x * ntc + b - 1];
      if (da == 0 && b < ntc - 1) dep[k++] = u[x * ntc + b + 1];
    }
  }
  return k;
}

/* Runs as a root job: launches every iteration's tasks (from a worker, so
 * launches use the worker's own lists and throttle when far ahead). The
 * events of the messages are created here, before the tasks that wait for
 * them; the edge row tasks post the requests (weft_mpi_*_event). */
static void launch_all(weft_worker *w, void *p) {
  (void)w;
  ctx_t *c = p;
  const int ntr = c->ntr, ntc = c->ntc, nt = ntr * ntc, T = c->a.iters;
  weft_task *tl[3]; /* unit handles of iterations t-2, t-1, t */
  for (int k = 0; k < 3; k++)
    if (!(tl[k] = calloc((size_t)nt, sizeof(weft_task)))) die("out of memory");
  weft_task *dep = malloc(sizeof *dep * (size_t)(3 * ntc + 8));
  if (!dep) die("out of memory");
#ifndef WEFT_NO_MPI
  /* Halo 0 (the initial edge rows) is sent from here; the receives of
   * halos 0 and 1 are posted here, the later ones by the edge rows. */
  for (int d = 0; d < 2; d++) {
    if (c->erow[d] < 0) continue;
    for (int t = 0; t < 2 && t < T; t++) new_event(c, &c->rev[d][t]);
    new_event(c, &c->sev[d][0]);
    copy_row(c, d, 0);
    post_send(c, d, 0);
    for (int t = 0; t < 2 && t < T; t++) post_recv(c, d, t);
  }
#endif
  for (int t = 0; t < T; t++) {
    weft_task *pr = tl[(t + 2) % 3], *cu = tl[t % 3]; /* t-1, t */
    /* Edge rows first (launch order is the order their successors are
     * linked, nothing more; what keeps the halo moving is that the edge
     * row posts its messages from its own body). */
    for (int a = 0; a < ntr; a++) {
      if (!is_row(c, a)) continue;
      size_t k = t > 0 ? deps_prev(c, pr, a, 0, dep, 0) : 0;
#ifndef WEFT_NO_MPI
      for (int d = 0; d < 2; d++) {
        if (c->erow[d] != a) continue;
        dep[k++] = c->rev[d][t];                        /* its ghost row */
        if (t > 0) dep[k++] = c->sev[d][t - 1];         /* its send buffer is free */
        if (t + 1 < T) new_event(c, &c->sev[d][t + 1]); /* what its body posts */
        if (t + 2 < T) new_event(c, &c->rev[d][t + 2]);
      }
#endif
      if (cu[a * ntc].id) weft_task_release(cu[a * ntc]); /* t-3's */
      launch(c, edge_fn, (targ){c, t, a, 0}, dep, k, &cu[a * ntc]);
#ifndef WEFT_NO_MPI
      for (int d = 0; d < 2; d++) {
        if (c->erow[d] != a) continue;
        weft_task_release(c->rev[d][t]);
        if (t > 0) weft_task_release(c->sev[d][t - 1]);
      }
#endif
    }
    for (int a = 0; a < ntr; a++) {
      if (is_row(c, a)) continue;
      for (int b = 0; b < ntc; b++) {
        size_t k = t > 0 ? deps_prev(c, pr, a, b, dep, 0) : 0;
        if (cu[a * ntc + b].id) weft_task_release(cu[a * ntc + b]); /* t-3's */
        launch(c, tile_fn, (targ){c, t, a, b}, dep, k, &cu[a * ntc + b]);
      }
    }
  }
  /* The join: the last iteration's units and the last send of each side
   * (the earlier ones come before edge rows of the last iteration). */
  weft_task *last = tl[(T - 1) % 3];
  size_t k = 0;
  weft_task *fin = malloc(sizeof *fin * (size_t)(nt + 2));
  if (!fin) die("out of memory");
  for (int i = 0; i < nt; i++)
    if (last[i].id) fin[k++] = last[i];
#ifndef WEFT_NO_MPI
  for (int d = 0; d < 2; d++)
    if (c->erow[d] >= 0) fin[k++] = c->sev[d][T - 1];
#endif
  int rc = weft_launch(c->pool, join_noop, NULL, 0, fin, k, &c->join);
  if (rc) die(weft_strerror(rc));
#ifndef WEFT_NO_MPI
  for (int d = 0; d < 2; d++)
    if (c->erow[d] >= 0) weft_task_release(c->sev[d][T - 1]);
#endif
  free(fin);
  free(dep);
  for (int q = 0; q < 3; q++) {
    release_all(tl[q], (size_t)nt);
    free(tl[q]);
  }
}

int main(int argc, char **argv) {
  args_t a = parse_args(argc, argv);
#ifndef WEFT_NO_MPI
  int level;
  int rc = weft_mpi_init(&argc, &argv, &level);
  if (rc) {
    fprintf(stderr, "weft_mpi_init: %s (MPI gave %s)\n", weft_mpi_strerror(rc),
            weft_mpi_level_name(level));
    return 2;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_nranks);
  MPI_Comm_dup(MPI_COMM_WORLD, &g_comm);
#endif
  if (a.iters > 16000) die("--iters at most 16000 (message tags)");
  if (a.n < 2 * g_nranks) die("--n too small for this many ranks");
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = (unsigned)a.workers;
#ifndef WEFT_NO_MPI
  cfg.progress.interval_us = (unsigned)a.interval; /* 0: the module's default */
  if ((rc = weft_mpi_create(&g_mpi, &cfg))) die(weft_mpi_strerror(rc));
#endif
  ctx_t c;
  memset(&c, 0, sizeof c);
  c.a = a;
  if (weft_pool_create(&c.pool, &cfg)) die("weft_pool_create");
#ifndef WEFT_NO_MPI
  if (weft_mpi_bind(g_mpi, c.pool)) die("weft_mpi_bind");
#endif
  double *times = malloc(sizeof(double) * (size_t)a.reps);
  int ok = 1;
  for (int rep = 0; rep < a.reps; rep++) {
    c.s = strip_new(a.n, g_rank, g_nranks);
    c.ntr = tiles_r(&c.s, a.tr);
    c.ntc = tiles_c(&c.s, a.tc);
    const int comm = g_nranks > 1 && !a.nocomm;
    c.erow[0] = comm && g_rank > 0 ? 0 : -1;
    c.erow[1] = comm && g_rank < g_nranks - 1 ? c.ntr - 1 : -1;
    for (int d = 0; d < 2; d++)
      for (int q = 0; q < 2; q++)
        if (!(c.sendbuf[d][q] = malloc(sizeof(double) * (size_t)a.n))) die("out of memory");
    for (int d = 0; d < 2; d++)
      if (!(c.sev[d] = calloc((size_t)a.iters, sizeof(weft_task))) ||
          !(c.rev[d] = calloc((size_t)a.iters, sizeof(weft_task))))
        die("out of memory");
#ifndef WEFT_NO_MPI
    MPI_Barrier(MPI_COMM_WORLD);
#endif
    double t0 = now_s();
    weft_run(c.pool, launch_all, &c);
    int st = weft_task_wait(c.join);
    if (st != WEFT_OK) die("a stencil task failed");
    weft_task_release(c.join);
#ifndef WEFT_NO_MPI
    MPI_Barrier(MPI_COMM_WORLD);
#endif
    times[rep] = (now_s() - t0) / a.iters;
    if (a.check && rep == a.reps - 1) ok = stencil_check(&c.s, c.s.buf[a.iters % 2], a.iters);
    strip_free(&c.s);
    for (int d = 0; d < 2; d++)
      for (int q = 0; q < 2; q++) free(c.sendbuf[d][q]);
    for (int d = 0; d < 2; d++) {
      free(c.sev[d]);
      free(c.rev[d]);
    }
  }
  char extra[160];
#ifndef WEFT_NO_MPI
  weft_mpi_stats ms;
  weft_mpi_stats_get(g_mpi, &ms);
  snprintf(extra, sizeof extra, "\"polls\": %llu, \"messages\": %llu, \"nocomm\": %d",
           (unsigned long long)ms.polls, (unsigned long long)ms.completed, a.nocomm);
  report("stencil", "weft+mpi", &a, median(times, a.reps), ok, extra);
#else
  snprintf(extra, sizeof extra, "\"nocomm\": 1");
  report("stencil", "weft", &a, median(times, a.reps), ok, extra);
#endif
  weft_pool_destroy(c.pool);
#ifndef WEFT_NO_MPI
  MPI_Comm_free(&g_comm);
  if ((rc = weft_mpi_finalize(g_mpi))) die(weft_mpi_strerror(rc));
#endif
  free(times);
  return ok ? 0 : 1;
}
