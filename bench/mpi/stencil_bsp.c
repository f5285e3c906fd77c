/*
 * stencil_bsp.c - the same Jacobi stencil (mpi_common.h) bulk-synchronous:
 * every iteration first exchanges both halos (MPI_Irecv/MPI_Isend, then
 * MPI_Waitall), then updates every tile in an OpenMP parallel loop over the
 * same tiles with the same kernel. Nothing overlaps the exchange: its time
 * is the communication the other versions try to hide.
 */
#include "mpi_common.h"

#include <omp.h>

int main(int argc, char **argv) {
  args_t a = parse_args(argc, argv);
  int level;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &level);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_nranks);
  if (a.n < 2 * g_nranks) die("--n too small for this many ranks");
  if (a.iters > 16000) die("--iters at most 16000 (message tags)");
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  omp_set_num_threads(a.workers);
  double *times = malloc(sizeof(double) * (size_t)a.reps);
  double comm_s = 0;
  int ok = 1;
  for (int rep = 0; rep < a.reps; rep++) {
    strip_t s = strip_new(a.n, g_rank, g_nranks);
    const int ntr = tiles_r(&s, a.tr), ntc = tiles_c(&s, a.tc), n = s.n;
    const int has_up = g_nranks > 1 && !a.nocomm && g_rank > 0;
    const int has_dn = g_nranks > 1 && !a.nocomm && g_rank < g_nranks - 1;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_s(), in_comm = 0;
    for (int t = 0; t < a.iters; t++) {
      double *in = s.buf[t % 2], *out = s.buf[(t + 1) % 2];
      double c0 = now_s();
      MPI_Request r[4];
      int k = 0;
      if (has_up) {
        MPI_Irecv(in, n, MPI_DOUBLE, g_rank - 1, 2 * t, comm, &r[k++]);
        MPI_Isend(in + (size_t)1 * n, n, MPI_DOUBLE, g_rank - 1, 2 * t + 1, comm, &r[k++]);
      }
      if (has_dn) {
        MPI_Irecv(in + (size_t)(s.rows + 1) * n, n, MPI_DOUBLE, g_rank + 1, 2 * t + 1, comm,
                  &r[k++]);
        MPI_Isend(in + (size_t)s.rows * n, n, MPI_DOUBLE, g_rank + 1, 2 * t, comm, &r[k++]);
      }
      MPI_Waitall(k, r, MPI_STATUSES_IGNORE);
      in_comm += now_s() - c0;
#pragma omp parallel for collapse(2) schedule(static)
      for (int ta = 0; ta < ntr; ta++)
        for (int tb = 0; tb < ntc; tb++) {
          int li0, li1, j0, j1;
          tile_bounds(&s, a.tr, a.tc, ta, tb, &li0, &li1, &j0, &j1);
          stencil_tile(&s, in, out, li0, li1, j0, j1);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    times[rep] = (now_s() - t0) / a.iters;
    if (rep == a.reps - 1) comm_s = in_comm / a.iters;
    if (a.check && rep == a.reps - 1) ok = stencil_check(&s, s.buf[a.iters % 2], a.iters);
    strip_free(&s);
  }
  /* rank 0's exchange time is not every rank's: report the largest */
  double comm_max = comm_s;
  MPI_Reduce(&comm_s, &comm_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  char extra[96];
  snprintf(extra, sizeof extra, "\"us_exchange_per_iter\": %.2f, \"nocomm\": %d", comm_max * 1e6,
           a.nocomm);
  report("stencil", "mpi-bsp", &a, median(times, a.reps), ok, extra);
  MPI_Comm_free(&comm);
  MPI_Finalize();
  free(times);
  return ok ? 0 : 1;
}
