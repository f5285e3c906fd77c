/*
 * stencil_weft.c - the Jacobi stencil (mpi_common.h) on weft launched tasks,
 * halos as MPI messages whose requests are weft events (weft_mpi). Built
 * twice: stencil_weft_mpi, and stencil_weft (-DWEFT_NO_MPI: one rank, no
 * MPI at all: the baseline the np = 1 run is compared with).
 *
 * Iteration t reads buf[t % 2] and writes buf[(t + 1) % 2]. Tasks:
 *   tile(t, a, b)  after tile(t-1) of itself and its 4 neighbours (they
 *                  wrote what it reads and read what it overwrites); an
 *                  edge tile also after recv(t) of its side (the ghost row)
 *                  and copy(t-1) of its side (which read the row it writes);
 *   copy(t)        copies the edge row of buf[t % 2] into a send buffer
 *                  (two per side, by parity), after the edge tiles of t-1
 *                  wrote it and post(t-2) finished sending that buffer;
 *   post(t)        posts the send of that buffer (after copy(t));
 *   recv(t)        posts the receive of the ghost row into buf[t % 2],
 *                  after the edge tiles of t-2, its last readers.
 * A posting task attaches the request's event (weft_task_attach), so it
 * completes when the message has arrived (or gone). No tile waits for a
 * send (the copy decouples them); only the edge tiles wait for a receive,
 * while the tiles that need no halo run. No thread waits in MPI.
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
} ctx_t;

typedef struct targ {
  ctx_t *c;
  int t, a, b;
} targ;

static int tile_fn(weft_worker *w, void *p) {
  (void)w;
  targ *g = p;
  ctx_t *c = g->c;
  int li0, li1, j0, j1;
  tile_bounds(&c->s, c->a.tr, c->a.tc, g->a, g->b, &li0, &li1, &j0, &j1);
  stencil_tile(&c->s, c->s.buf[g->t % 2], c->s.buf[(g->t + 1) % 2], li0, li1, j0, j1);
  return 0;
}

#ifndef WEFT_NO_MPI
enum { SEND_UP, SEND_DN, RECV_UP, RECV_DN };

/* Tag of the row that travels in direction `up` (1: towards rank - 1) at
 * iteration t: unique per iteration (iters <= 16000). */
static int tag_of(int t, int up) { return 2 * t + up; }

static int post_fn(weft_worker *w, void *p) {
  targ *g = p; /* a: what to post */
  ctx_t *c = g->c;
  const strip_t *s = &c->s;
  double *buf = s->buf[g->t % 2];
  weft_task ev;
  int rc;
  switch (g->a) {
    case SEND_UP:
      rc = weft_mpi_isend(g_mpi, c->sendbuf[0][g->t % 2], s->n, MPI_DOUBLE, g_rank - 1,
                          tag_of(g->t, 1), g_comm, &ev);
      break;
    case SEND_DN:
      rc = weft_mpi_isend(g_mpi, c->sendbuf[1][g->t % 2], s->n, MPI_DOUBLE, g_rank + 1,
                          tag_of(g->t, 0), g_comm, &ev);
      break;
    case RECV_UP:
      rc = weft_mpi_irecv(g_mpi, buf, s->n, MPI_DOUBLE, g_rank - 1, tag_of(g->t, 0), g_comm, &ev);
      break;
    default:
      rc = weft_mpi_irecv(g_mpi, buf + (size_t)(s->rows + 1) * s->n, s->n, MPI_DOUBLE,
                          g_rank + 1, tag_of(g->t, 1), g_comm, &ev);
      break;
  }
  if (rc) return rc;
  rc = weft_task_attach(w, ev); /* this task completes when the message does */
  weft_task_release(ev);
  return rc;
}

/* Copies the edge row of buf[t % 2] (a: 0 up, 1 down) into its send
 * buffer: the tiles of t + 1 may then overwrite the row while it travels. */
static int copy_fn(weft_worker *w, void *p) {
  (void)w;
  targ *g = p;
  ctx_t *c = g->c;
  const strip_t *s = &c->s;
  const double *row = s->buf[g->t % 2] + (size_t)(g->a == 0 ? 1 : s->rows) * s->n;
  memcpy(c->sendbuf[g->a][g->t % 2], row, sizeof(double) * (size_t)s->n);
  return 0;
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

/* Runs as a root job: launches every iteration's tasks (from a worker, so
 * launches use the worker's own lists and throttle when far ahead). */
static void launch_all(weft_worker *w, void *p) {
  (void)w;
  ctx_t *c = p;
  const int ntr = c->ntr, ntc = c->ntc, nt = ntr * ntc, T = c->a.iters;
  /* tile handles of iterations t-2, t-1, t */
  weft_task *tl[3];
  for (int k = 0; k < 3; k++)
    if (!(tl[k] = calloc((size_t)nt, sizeof(weft_task)))) die("out of memory");
  /* per direction (0 up, 1 down): copy and post tasks of t-2, t-1 (index
   * t % 2 ... see below), receive of t */
  weft_task copy[2][2] = {{{0}}}, post[2][2] = {{{0}}}, recv[2] = {{0}};
  const int comm = g_nranks > 1 && !c->a.nocomm;
  const int has[2] = {comm && g_rank > 0, comm && g_rank < g_nranks - 1};
  weft_task dep[2 * 64 + 8];
  if (ntc > 64) die("at most 64 tile columns");
  for (int t = 0; t < T; t++) {
    weft_task *pp = tl[(t + 1) % 3], *pr = tl[(t + 2) % 3], *cu = tl[t % 3]; /* t-2, t-1, t */
    (void)pp;
#ifndef WEFT_NO_MPI
    for (int d = 0; d < 2; d++) {
      if (!has[d]) continue;
      const int arow = d == 0 ? 0 : ntr - 1;
      const int par = t % 2;
      /* copy(t): the edge row of buf[t % 2] into send buffer [d][t % 2],
       * after the tiles of t-1 wrote it and post(t-2) sent that buffer. */
      size_t k = 0;
      if (t > 0)
        for (int b = 0; b < ntc; b++) dep[k++] = pr[arow * ntc + b];
      if (post[d][par].id) dep[k++] = post[d][par];
      weft_task cp;
      launch(c, copy_fn, (targ){c, t, d, 0}, dep, k, &cp);
      if (post[d][par].id) weft_task_release(post[d][par]);
      if (copy[d][par].id) weft_task_release(copy[d][par]);
      copy[d][par] = cp;
      launch(c, post_fn, (targ){c, t, d == 0 ? SEND_UP : SEND_DN, 0}, &cp, 1, &post[d][par]);
      /* recv(t): the ghost row of buf[t % 2], once the tiles of t-2 (its
       * last readers) are done. */
      k = 0;
      if (t > 1)
        for (int b = 0; b < ntc; b++) dep[k++] = pp[arow * ntc + b];
      launch(c, post_fn, (targ){c, t, d == 0 ? RECV_UP : RECV_DN, 0}, dep, k, &recv[d]);
    }
#endif
    for (int a = 0; a < ntr; a++)
      for (int b = 0; b < ntc; b++) {
        size_t k = 0;
        if (t > 0) {
          dep[k++] = pr[a * ntc + b];
          if (a > 0) dep[k++] = pr[(a - 1) * ntc + b];
          if (a < ntr - 1) dep[k++] = pr[(a + 1) * ntc + b];
          if (b > 0) dep[k++] = pr[a * ntc + b - 1];
          if (b < ntc - 1) dep[k++] = pr[a * ntc + b + 1];
        }
        for (int d = 0; d < 2; d++)
          if (has[d] && a == (d == 0 ? 0 : ntr - 1)) {
            dep[k++] = recv[d];                                         /* its ghost row */
            if (copy[d][(t + 1) % 2].id) dep[k++] = copy[d][(t + 1) % 2]; /* copy(t-1) read
                                                                            what it writes */
          }
        if (cu[a * ntc + b].id) weft_task_release(cu[a * ntc + b]); /* t-3's */
        launch(c, tile_fn, (targ){c, t, a, b}, dep, k, &cu[a * ntc + b]);
      }
    release_all(recv, 2);
  }
  /* The join: the last tiles and the last two sends of each direction. */
  weft_task *last = tl[(T - 1) % 3];
  size_t k = 0;
  weft_task *fin = malloc(sizeof *fin * (size_t)(nt + 4));
  if (!fin) die("out of memory");
  for (int i = 0; i < nt; i++) fin[k++] = last[i];
  for (int d = 0; d < 2; d++)
    for (int q = 0; q < 2; q++)
      if (post[d][q].id) fin[k++] = post[d][q];
  int rc = weft_launch(c->pool, join_noop, NULL, 0, fin, k, &c->join);
  if (rc) die(weft_strerror(rc));
  free(fin);
  for (int q = 0; q < 3; q++) {
    release_all(tl[q], (size_t)nt);
    free(tl[q]);
  }
  for (int d = 0; d < 2; d++) {
    release_all(copy[d], 2);
    release_all(post[d], 2);
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
    for (int d = 0; d < 2; d++)
      for (int q = 0; q < 2; q++)
        if (!(c.sendbuf[d][q] = malloc(sizeof(double) * (size_t)a.n))) die("out of memory");
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
