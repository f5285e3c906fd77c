/*
 * wavefront_omp.c - the distributed wavefront (mpi_common.h) without weft,
 * from the same kernel:
 *   wavefront_omp_mpi (default): OpenMP tasks with depend, one per tile;
 *     a task per row block receives the left column (MPI_Recv, holding its
 *     thread until the message is there), a task per row block sends the
 *     last column right (MPI_Send).
 *   wavefront_bsp_mpi (-DWF_BSP): bulk-synchronous waves: for each
 *     anti-diagonal of the rank's tiles, receive the left column the wave
 *     needs, compute the wave's tiles in an OpenMP parallel loop, send the
 *     column the wave finished.
 */
#include "mpi_common.h"

#include <omp.h>

static void copy_left(wf_t *f, const int *left, int i0, int i1) {
  for (int i = i0; i < i1; i++) f->h[(size_t)i * (f->w + 1)] = left[i];
}

int main(int argc, char **argv) {
  args_t a = parse_args(argc, argv);
  a.iters = 1;
  int level;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &level);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_nranks);
#ifndef WF_BSP
  if (level < MPI_THREAD_MULTIPLE) die("MPI_THREAD_MULTIPLE needed (message tasks run on any thread)");
#endif
  if (a.n < g_nranks) die("--n smaller than the number of ranks");
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  omp_set_num_threads(a.workers);
  double *times = malloc(sizeof(double) * (size_t)a.reps);
  int ok = 1;
  for (int rep = 0; rep < a.reps; rep++) {
    wf_t f = wf_new(a.n, g_rank, g_nranks);
    const int ntr = wf_tiles_r(&f, a.tr), ntc = wf_tiles_c(&f, a.tc);
    int *left = calloc((size_t)a.n + 1, sizeof(int)), *right = calloc((size_t)a.n + 1, sizeof(int));
    const int has_left = g_rank > 0, has_right = g_rank < g_nranks - 1;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_s();
#ifndef WF_BSP
    char(*tok)[ntc + 1] = malloc(sizeof(char) * (size_t)ntr * (size_t)(ntc + 1)); /* col ntc: the left column */
#pragma omp parallel
#pragma omp single
    for (int ta = 0; ta < ntr; ta++) {
      int i0, i1, j0, j1;
      wf_bounds(&f, a.tr, a.tc, ta, 0, &i0, &i1, &j0, &j1);
      if (has_left) {
#pragma omp task depend(out : tok[ta][ntc]) firstprivate(i0, i1, ta)
        MPI_Recv(left + i0, i1 - i0, MPI_INT, g_rank - 1, ta, comm, MPI_STATUS_IGNORE);
      }
      for (int tb = 0; tb < ntc; tb++) {
        const int ua = ta > 0 ? ta - 1 : ta, lb = tb > 0 ? tb - 1 : ntc;
#pragma omp task depend(in : tok[ua][tb], tok[ta][lb]) depend(out : tok[ta][tb]) firstprivate(ta, tb)
        {
          int x0, x1, y0, y1;
          wf_bounds(&f, a.tr, a.tc, ta, tb, &x0, &x1, &y0, &y1);
          if (tb == 0 && has_left) copy_left(&f, left, x0, x1);
          wf_tile(&f, x0, x1, y0, y1);
        }
      }
      if (has_right) {
#pragma omp task depend(in : tok[ta][ntc - 1]) firstprivate(i0, i1, ta)
        {
          for (int i = i0; i < i1; i++) right[i] = f.h[(size_t)i * (f.w + 1) + f.w];
          MPI_Send(right + i0, i1 - i0, MPI_INT, g_rank + 1, ta, comm);
        }
      }
    }
    free(tok);
#else
    for (int d = 0; d < ntr + ntc - 1; d++) {
      /* the wave's first-column tile is row block d: its left column first */
      if (has_left && d < ntr) {
        int i0, i1, j0, j1;
        wf_bounds(&f, a.tr, a.tc, d, 0, &i0, &i1, &j0, &j1);
        MPI_Recv(left + i0, i1 - i0, MPI_INT, g_rank - 1, d, comm, MPI_STATUS_IGNORE);
        copy_left(&f, left, i0, i1);
      }
      int lo = d - (ntc - 1) > 0 ? d - (ntc - 1) : 0, hi = d < ntr - 1 ? d : ntr - 1;
#pragma omp parallel for schedule(dynamic, 1)
      for (int ta = lo; ta <= hi; ta++) {
        int x0, x1, y0, y1;
        wf_bounds(&f, a.tr, a.tc, ta, d - ta, &x0, &x1, &y0, &y1);
        wf_tile(&f, x0, x1, y0, y1);
      }
      /* the wave finished row block d - (ntc - 1)'s last tile */
      int done = d - (ntc - 1);
      if (has_right && done >= 0) {
        int i0, i1, j0, j1;
        wf_bounds(&f, a.tr, a.tc, done, 0, &i0, &i1, &j0, &j1);
        for (int i = i0; i < i1; i++) right[i] = f.h[(size_t)i * (f.w + 1) + f.w];
        MPI_Send(right + i0, i1 - i0, MPI_INT, g_rank + 1, done, comm);
      }
    }
#endif
    MPI_Barrier(MPI_COMM_WORLD);
    times[rep] = now_s() - t0;
    if (a.check && rep == a.reps - 1) ok = wf_check(&f);
    free(left);
    free(right);
    wf_free(&f);
  }
#ifndef WF_BSP
  report("wavefront", "mpi+omp-tasks", &a, median(times, a.reps), ok, NULL);
#else
  report("wavefront", "mpi-bsp", &a, median(times, a.reps), ok, NULL);
#endif
  MPI_Comm_free(&comm);
  MPI_Finalize();
  free(times);
  return ok ? 0 : 1;
}
