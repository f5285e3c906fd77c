/*
 * stencil_omp.c - the same Jacobi stencil (mpi_common.h's kernel and
 * decomposition) in MPI + OpenMP tasks with `depend`, the way a program
 * without a task-aware MPI layer writes it: each tile update is a task
 * whose depend clauses name the tiles it reads and writes (one sentinel per
 * tile per buffer); each halo direction is a task that posts its receive and
 * its send and then waits for both (MPI_Waitall), holding its thread while
 * the message travels. The tiles that need no halo run on the other
 * threads meanwhile (with one thread, nothing overlaps the wait).
 */
#include "mpi_common.h"

#include <omp.h>

int main(int argc, char **argv) {
  args_t a = parse_args(argc, argv);
  int level;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &level);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_nranks);
  if (level < MPI_THREAD_MULTIPLE) die("MPI_THREAD_MULTIPLE needed (halo tasks run on any thread)");
  if (a.iters > 16000) die("--iters at most 16000 (message tags)");
  if (a.n < 2 * g_nranks) die("--n too small for this many ranks");
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  omp_set_num_threads(a.workers);
  double *times = malloc(sizeof(double) * (size_t)a.reps);
  int ok = 1;
  for (int rep = 0; rep < a.reps; rep++) {
    strip_t s = strip_new(a.n, g_rank, g_nranks);
    const int ntr = tiles_r(&s, a.tr), ntc = tiles_c(&s, a.tc), T = a.iters, n = s.n;
    /* tok[buf][a][b]: tile (a, b) of buffer buf; row 0 and ntr + 1 stand
     * for the ghost rows above and below. */
    char(*tok)[ntr + 2][ntc] = malloc(sizeof(char) * 2 * (size_t)(ntr + 2) * (size_t)ntc);
    const int has_up = g_nranks > 1 && !a.nocomm && g_rank > 0;
    const int has_dn = g_nranks > 1 && !a.nocomm && g_rank < g_nranks - 1;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_s();
#pragma omp parallel
#pragma omp single
    for (int t = 0; t < T; t++) {
      const int cb = t % 2, nb = (t + 1) % 2;
      double *in = s.buf[cb], *out = s.buf[nb];
      if (has_up) {
#pragma omp task depend(iterator(k = 0 : ntc), in : tok[cb][1][k]) depend(out : tok[cb][0][0])
        {
          MPI_Request r[2];
          MPI_Irecv(in, n, MPI_DOUBLE, g_rank - 1, 2 * t, comm, &r[0]);
          MPI_Isend(in + (size_t)1 * n, n, MPI_DOUBLE, g_rank - 1, 2 * t + 1, comm, &r[1]);
          MPI_Waitall(2, r, MPI_STATUSES_IGNORE);
        }
      }
      if (has_dn) {
#pragma omp task depend(iterator(k = 0 : ntc), in : tok[cb][ntr][k]) depend(out : tok[cb][ntr + 1][0])
        {
          MPI_Request r[2];
          MPI_Irecv(in + (size_t)(s.rows + 1) * n, n, MPI_DOUBLE, g_rank + 1, 2 * t + 1, comm,
                    &r[0]);
          MPI_Isend(in + (size_t)s.rows * n, n, MPI_DOUBLE, g_rank + 1, 2 * t, comm, &r[1]);
          MPI_Waitall(2, r, MPI_STATUSES_IGNORE);
        }
      }
      for (int ta = 0; ta < ntr; ta++)
        for (int tb = 0; tb < ntc; tb++) {
          /* reads: itself and its 4 neighbours in buffer cb (row ta + 1
           * in tok; ghost rows 0 / ntr + 1 for the strip's edges); writes
           * itself in buffer nb (its readers of the previous iteration
           * come first: OpenMP orders out after earlier in). */
          const int r = ta + 1, bl = tb > 0 ? tb - 1 : tb, br = tb < ntc - 1 ? tb + 1 : tb;
          const int ru = ta > 0 || has_up ? r - 1 : r, rd = ta < ntr - 1 || has_dn ? r + 1 : r;
          const int cu = ru == 0 ? 0 : tb, cd = rd == ntr + 1 ? 0 : tb;
#pragma omp task depend(in : tok[cb][r][tb], tok[cb][ru][cu], tok[cb][rd][cd], tok[cb][r][bl], \
                            tok[cb][r][br]) depend(out : tok[nb][r][tb])
          {
            int li0, li1, j0, j1;
            tile_bounds(&s, a.tr, a.tc, ta, tb, &li0, &li1, &j0, &j1);
            stencil_tile(&s, in, out, li0, li1, j0, j1);
          }
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    times[rep] = (now_s() - t0) / a.iters;
    if (a.check && rep == a.reps - 1) ok = stencil_check(&s, s.buf[a.iters % 2], a.iters);
    free(tok);
    strip_free(&s);
  }
  char extra[64];
  snprintf(extra, sizeof extra, "\"nocomm\": %d", a.nocomm);
  report("stencil", "mpi+omp-tasks", &a, median(times, a.reps), ok, extra);
  MPI_Comm_free(&comm);
  MPI_Finalize();
  free(times);
  return ok ? 0 : 1;
}
