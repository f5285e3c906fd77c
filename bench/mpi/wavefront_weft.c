/*
 * wavefront_weft.c - the distributed wavefront (mpi_common.h's wf_*) on
 * weft launched tasks: tile (a, b) after (a - 1, b) and (a, b - 1); the
 * rank's first tile column also after the receive of its left neighbour's
 * last column for row block a (a weft_mpi event, every receive posted up
 * front); after the last tile column of row block a, a task copies that
 * column out and sends it right, completing when the send does. So a rank
 * starts its row block a as soon as that block's column arrives, while its
 * earlier blocks are still being computed: the pipeline across ranks is
 * the one inside a rank.
 */
#include "mpi_common.h"

#include <weft.h>
#include <weft_mpi.h>

static weft_mpi *g_mpi;
static MPI_Comm g_comm;

typedef struct ctx_t {
  args_t a;
  wf_t f;
  int ntr, ntc;
  int *left;  /* the received left column, rows 0..n */
  int *right; /* the column sent right, rows 0..n */
  weft_pool pool;
  weft_task join;
} ctx_t;

typedef struct targ {
  ctx_t *c;
  int a, b;
} targ;

static int tile_fn(weft_worker *w, void *p) {
  (void)w;
  targ *g = p;
  ctx_t *c = g->c;
  int i0, i1, j0, j1;
  wf_bounds(&c->f, c->a.tr, c->a.tc, g->a, g->b, &i0, &i1, &j0, &j1);
  if (g->b == 0 && g_rank > 0) /* the left column of this row block, as received */
    for (int i = i0; i < i1; i++) c->f.h[(size_t)i * (c->f.w + 1)] = c->left[i];
  wf_tile(&c->f, i0, i1, j0, j1);
  return 0;
}

static int send_fn(weft_worker *w, void *p) {
  targ *g = p;
  ctx_t *c = g->c;
  int i0, i1, j0, j1;
  wf_bounds(&c->f, c->a.tr, c->a.tc, g->a, 0, &i0, &i1, &j0, &j1);
  for (int i = i0; i < i1; i++) c->right[i] = c->f.h[(size_t)i * (c->f.w + 1) + c->f.w];
  weft_task ev;
  int rc = weft_mpi_isend(g_mpi, c->right + i0, i1 - i0, MPI_INT, g_rank + 1, g->a, g_comm, &ev);
  if (rc) return rc;
  rc = weft_task_attach(w, ev);
  weft_task_release(ev);
  return rc;
}

static int noop(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  return 0;
}

static void launch_all(weft_worker *w, void *p) {
  (void)w;
  ctx_t *c = p;
  const int ntr = c->ntr, ntc = c->ntc;
  weft_task *prev = calloc((size_t)ntc, sizeof *prev), *cur = calloc((size_t)ntc, sizeof *cur);
  weft_task *sends = calloc((size_t)ntr + 1, sizeof *sends);
  if (!prev || !cur || !sends) die("out of memory");
  size_t ns = 0;
  for (int a = 0; a < ntr; a++) {
    weft_task recv = {0};
    if (g_rank > 0) {
      int i0, i1, j0, j1;
      wf_bounds(&c->f, c->a.tr, c->a.tc, a, 0, &i0, &i1, &j0, &j1);
      int rc = weft_mpi_irecv(g_mpi, c->left + i0, i1 - i0, MPI_INT, g_rank - 1, a, g_comm, &recv);
      if (rc) die(weft_mpi_strerror(rc));
    }
    for (int b = 0; b < ntc; b++) {
      weft_task dep[3];
      size_t k = 0;
      if (a > 0) dep[k++] = prev[b];
      if (b > 0) dep[k++] = cur[b - 1];
      if (b == 0 && recv.id) dep[k++] = recv;
      int rc = weft_launch(c->pool, tile_fn, &(targ){c, a, b}, sizeof(targ), dep, k, &cur[b]);
      if (rc) die(weft_strerror(rc));
    }
    if (recv.id) weft_task_release(recv);
    if (g_rank < g_nranks - 1) {
      int rc = weft_launch(c->pool, send_fn, &(targ){c, a, 0}, sizeof(targ), &cur[ntc - 1], 1,
                           &sends[ns++]);
      if (rc) die(weft_strerror(rc));
    }
    for (int b = 0; b < ntc; b++)
      if (prev[b].id) weft_task_release(prev[b]);
    weft_task *x = prev;
    prev = cur;
    cur = x;
  }
  sends[ns++] = prev[ntc - 1]; /* the last tile: every other tile is before it */
  int rc = weft_launch(c->pool, noop, NULL, 0, sends, ns, &c->join);
  if (rc) die(weft_strerror(rc));
  for (size_t k = 0; k < ns - 1; k++) weft_task_release(sends[k]);
  for (int b = 0; b < ntc; b++)
    if (prev[b].id) weft_task_release(prev[b]);
  free(prev);
  free(cur);
  free(sends);
}

int main(int argc, char **argv) {
  args_t a = parse_args(argc, argv);
  a.iters = 1;
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
  if (a.n < g_nranks) die("--n smaller than the number of ranks");
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = (unsigned)a.workers;
  if ((rc = weft_mpi_create(&g_mpi, &cfg))) die(weft_mpi_strerror(rc));
  ctx_t c;
  memset(&c, 0, sizeof c);
  c.a = a;
  if (weft_pool_create(&c.pool, &cfg)) die("weft_pool_create");
  if (weft_mpi_bind(g_mpi, c.pool)) die("weft_mpi_bind");
  double *times = malloc(sizeof(double) * (size_t)a.reps);
  int ok = 1;
  for (int rep = 0; rep < a.reps; rep++) {
    c.f = wf_new(a.n, g_rank, g_nranks);
    c.ntr = wf_tiles_r(&c.f, a.tr);
    c.ntc = wf_tiles_c(&c.f, a.tc);
    c.left = calloc((size_t)a.n + 1, sizeof(int));
    c.right = calloc((size_t)a.n + 1, sizeof(int));
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_s();
    weft_run(c.pool, launch_all, &c);
    if (weft_task_wait(c.join) != WEFT_OK) die("a wavefront task failed");
    weft_task_release(c.join);
    MPI_Barrier(MPI_COMM_WORLD);
    times[rep] = now_s() - t0;
    if (a.check && rep == a.reps - 1) ok = wf_check(&c.f);
    free(c.left);
    free(c.right);
    wf_free(&c.f);
  }
  report("wavefront", "weft+mpi", &a, median(times, a.reps), ok, NULL);
  weft_pool_destroy(c.pool);
  MPI_Comm_free(&g_comm);
  if ((rc = weft_mpi_finalize(g_mpi))) die(weft_mpi_strerror(rc));
  free(times);
  return ok ? 0 : 1;
}
