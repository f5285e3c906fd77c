/*
 * stencil_order.c - does the order in which the stencil's tiles run change
 * what the kernel costs? One process, no MPI, no runtime: the strip of one
 * rank of two (mpi_common.h's decomposition and kernel) swept T iterations
 *
 *   row-major  every iteration, tile rows top to bottom (what the
 *              bulk-synchronous loop does), for several tile shapes;
 *   blocked    full-width bands of H rows in time blocks of D iterations,
 *              skewed: step s runs band s - k of iteration t0 + k for
 *              k = 0..D-1 (band a of iteration t needs bands a-1..a+1 of
 *              t-1, done one step earlier or earlier in the same step), so
 *              what one update writes is read again a few updates later,
 *              while it is still in L2 (classic temporal blocking: the
 *              order a dataflow runtime can reach, a barrier per iteration
 *              cannot).
 *
 * and the kernel's cost per cell over strips of growing size (L1, L2, L3,
 * memory resident). Every configuration runs in interleaved rounds; the
 * median and the fastest round are printed. The results of the blocked
 * order are compared bit for bit with the row-major ones. docs/MPI.md ("Does
 * the order of tiles matter?") has this machine's numbers.
 *
 *   stencil_order [--n N] [--iters T] [--rounds R]
 */
#include "mpi_common.h"

/* h rows x w columns, row-major (d = 0), or full-width bands of h rows in
 * time blocks of depth d. Returns seconds per iteration. Every order calls
 * the same machine code: stencil_tile is out of line and never specialized
 * (mpi_common.h). */
static double sweep(strip_t *s, int T, int h, int w, int d) {
  double t0 = now_s();
  if (d == 0) {
    const int ntr = tiles_r(s, h), ntc = tiles_c(s, w);
    for (int t = 0; t < T; t++)
      for (int a = 0; a < ntr; a++)
        for (int b = 0; b < ntc; b++) {
          int li0, li1, j0, j1;
          tile_bounds(s, h, w, a, b, &li0, &li1, &j0, &j1);
          stencil_tile(s, s->buf[t % 2], s->buf[(t + 1) % 2], li0, li1, j0, j1);
        }
  } else {
    const int nb = tiles_r(s, h);
    for (int tb = 0; tb < T; tb += d) {
      const int depth = T - tb < d ? T - tb : d;
      for (int st = 0; st < nb + depth - 1; st++)
        for (int k = 0; k < depth; k++) {
          const int a = st - k, t = tb + k;
          if (a < 0 || a >= nb) continue;
          int li0, li1, j0, j1;
          tile_bounds(s, h, s->n, a, 0, &li0, &li1, &j0, &j1);
          stencil_tile(s, s->buf[t % 2], s->buf[(t + 1) % 2], li0, li1, j0, j1);
        }
    }
  }
  return (now_s() - t0) / T;
}

typedef struct cfg_t {
  int h, w, d;
  double v[64];
} cfg_t;

int main(int argc, char **argv) {
  int n = 1024, T = 96, R = 11;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--iters") && i + 1 < argc) T = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) R = atoi(argv[++i]);
    else die("usage: stencil_order [--n N] [--iters T] [--rounds R]");
  }
  if (n < 16 || T < 1 || R < 1 || R > 64) die("bad arguments (rounds at most 64)");
  /* h, w (0: the full width), d (0: row-major); 512 x 1024 is the plain loop */
  static cfg_t c[] = {{128, 256, 0, {0}}, {128, 0, 0, {0}}, {32, 0, 0, {0}}, {512, 0, 0, {0}},
                      {32, 0, 2, {0}},    {16, 0, 4, {0}},  {8, 0, 4, {0}},  {4, 0, 8, {0}},
                      {2, 0, 16, {0}},    {1, 0, 32, {0}}};
  const int nc = (int)(sizeof c / sizeof c[0]);
  strip_t ref = strip_new(n, 0, 2);
  sweep(&ref, T, 1, n, 0);
  for (int r = 0; r < R; r++)
    for (int k = 0; k < nc; k++) {
      strip_t x = strip_new(n, 0, 2);
      c[k].v[r] = 1e6 * sweep(&x, T, c[k].h, c[k].w ? c[k].w : n, c[k].d);
      if (r == 0 && memcmp(x.buf[T % 2], ref.buf[T % 2], sizeof(double) * (size_t)(x.rows + 2) * n))
        die("an order gave different bits");
      strip_free(&x);
    }
  printf("strip of %d x %d doubles (%zu KB per buffer), %d iterations, %d rounds; us per "
         "iteration, median (fastest round):\n",
         ref.rows, n, sizeof(double) * (size_t)ref.rows * n / 1024, T, R);
  for (int k = 0; k < nc; k++) {
    double m = median(c[k].v, R);
    if (c[k].d == 0)
      printf("  row-major, tiles %4d x %-4d        %7.1f (%.1f)\n", c[k].h, c[k].w ? c[k].w : n, m,
             c[k].v[0]);
    else
      printf("  blocked, bands of %2d rows, depth %2d %7.1f (%.1f)\n", c[k].h, c[k].d, m,
             c[k].v[0]);
  }
  /* The kernel alone, by working set: ns per cell of whole-strip sweeps. */
  printf("kernel by strip size (both buffers), ns per cell, median (fastest round):\n");
  const int sizes[] = {64, 128, 256, 512, 1024, 2048};
  for (int q = 0; q < 6; q++) {
    double v[64];
    strip_t x = strip_new(sizes[q], 0, 2);
    const double cells = (double)x.rows * (sizes[q] - 2);
    const int it = (int)(5e6 / cells) + 1;
    for (int r = 0; r < R; r++) v[r] = 1e9 * sweep(&x, it, x.rows, sizes[q], 0) / cells;
    double m = median(v, R);
    printf("  %5zu KB  %.3f (%.3f)\n", 2 * sizeof(double) * (size_t)x.rows * sizes[q] / 1024, m,
           v[0]);
    strip_free(&x);
  }
  strip_free(&ref);
  return 0;
}
