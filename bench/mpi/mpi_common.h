/*
 * mpi_common.h - what the distributed workloads share: the Jacobi stencil's
 * kernel and decomposition, the wavefront's kernel, arguments, clocks, and
 * the oracle check (rank 0 gathers the result and compares it bit for bit
 * with a sequential run of the same kernel over the whole problem).
 *
 * Stencil: an N x N grid of doubles, fixed boundary (row 0 hot, the rest
 * cold, interior seeded from the indices); each iteration every interior
 * cell becomes the mean of its 4 neighbours from the previous grid (two
 * buffers). Rank r owns a strip of rows; its strip is split into tiles of
 * TR x TC cells, each tile update one task. Jacobi reads only the previous
 * buffer, so any order of tiles gives the same bits as the sequential loop.
 *
 * Built without MPI (-DWEFT_NO_MPI: the plain weft baseline) the MPI calls
 * here compile to a single rank.
 */
#ifndef WEFT_BENCH_MPI_COMMON_H
#define WEFT_BENCH_MPI_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef WEFT_NO_MPI
#include <mpi.h>
#endif

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* system-wide: ranks on one node compare stamps */
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int g_rank = 0, g_nranks = 1;

static inline void die(const char *what) {
  fprintf(stderr, "rank %d: %s\n", g_rank, what);
#ifndef WEFT_NO_MPI
  MPI_Abort(MPI_COMM_WORLD, 2);
#endif
  exit(2);
}

/* ---- arguments: --n N --iters T --tile TRxTC --workers W --check --reps R
 * [--nocomm] [--rows] [--interval US] */
typedef struct args_t {
  int n, iters, tr, tc, workers, check, reps, nocomm;
  int rows;     /* weft stencil only: one task per tile row, not per tile */
  int interval; /* weft + MPI only: the progress hook's interval_us (0: the module's) */
} args_t;

static inline args_t parse_args(int argc, char **argv) {
  args_t a = {1024, 50, 128, 256, 2, 0, 3, 0, 0, 0};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) a.n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--iters") && i + 1 < argc) a.iters = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--tile") && i + 1 < argc) {
      if (sscanf(argv[++i], "%dx%d", &a.tr, &a.tc) != 2) die("--tile wants ROWSxCOLS");
    } else if (!strcmp(argv[i], "--workers") && i + 1 < argc) a.workers = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) a.reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--check")) a.check = 1;
    else if (!strcmp(argv[i], "--nocomm")) a.nocomm = 1; /* timing only: halos not exchanged */
    else if (!strcmp(argv[i], "--rows")) a.rows = 1;
    else if (!strcmp(argv[i], "--interval") && i + 1 < argc) a.interval = atoi(argv[++i]);
    else
      die("usage: [--n N] [--iters T] [--tile RxC] [--workers W] [--reps R] [--check] "
          "[--nocomm] [--rows] [--interval US]");
  }
  if (a.n < 4 || a.iters < 1 || a.tr < 1 || a.tc < 1 || a.workers < 1 || a.reps < 1 ||
      a.interval < 0)
    die("bad arguments");
  return a;
}

/* ---- stencil: the strip of rank r is global rows [r0, r1); the local
 * array has rows+2 rows of n doubles (ghost row above and below). */
typedef struct strip_t {
  int n, r0, r1, rows;
  double *buf[2];
} strip_t;

static inline double init_value(int i, int j, int n) {
  if (i == 0) return 1.0;
  if (i == n - 1 || j == 0 || j == n - 1) return 0.0;
  return (double)((i * 7 + j * 13) % 17) / 17.0;
}

static inline strip_t strip_new(int n, int rank, int nranks) {
  strip_t s;
  s.n = n;
  s.r0 = (int)((long)n * rank / nranks);
  s.r1 = (int)((long)n * (rank + 1) / nranks);
  s.rows = s.r1 - s.r0;
  for (int b = 0; b < 2; b++) {
    s.buf[b] = malloc(sizeof(double) * (size_t)(s.rows + 2) * (size_t)n);
    if (!s.buf[b]) die("out of memory");
    for (int li = 0; li < s.rows + 2; li++) {
      int gi = s.r0 + li - 1;
      for (int j = 0; j < n; j++)
        s.buf[b][(size_t)li * n + j] = gi >= 0 && gi < n ? init_value(gi, j, n) : 0.0;
    }
  }
  return s;
}

static inline void strip_free(strip_t *s) {
  free(s->buf[0]);
  free(s->buf[1]);
}

/* The kernel every version calls: updates local rows [li0, li1) x columns
 * [j0, j1) of out from in (both with the strip's layout), skipping the
 * global boundary.
 *
 * Out of line, never specialized (noipa) and page-aligned, so that its
 * machine code and that code's offset in its page are the same in every
 * binary. Inlined, the same inner loop ran up to 35% slower or faster
 * depending only on where the linker put it (docs/MPI.md, "Against
 * bulk-synchronous"): enough to decide any comparison between versions. */
#if defined(__GNUC__) && !defined(__clang__)
#define STENCIL_KERNEL_ATTRS __attribute__((noipa, aligned(4096), unused))
#else
#define STENCIL_KERNEL_ATTRS __attribute__((noinline, aligned(4096), unused))
#endif
STENCIL_KERNEL_ATTRS static void stencil_tile(const strip_t *s, const double *in, double *out,
                                              int li0, int li1, int j0, int j1) {
  const int n = s->n;
  if (j0 < 1) j0 = 1;
  if (j1 > n - 1) j1 = n - 1;
  for (int li = li0; li < li1; li++) {
    int gi = s->r0 + li - 1;
    if (gi <= 0 || gi >= n - 1) continue;
    const double *up = in + (size_t)(li - 1) * n, *mid = in + (size_t)li * n,
                 *dn = in + (size_t)(li + 1) * n;
    double *o = out + (size_t)li * n;
    for (int j = j0; j < j1; j++) o[j] = 0.25 * (up[j] + dn[j] + mid[j - 1] + mid[j + 1]);
  }
}

/* Tiles of a strip: tile (a, b) covers local rows 1 + a*tr .. and columns
 * b*tc ... */
static inline int tiles_r(const strip_t *s, int tr) { return (s->rows + tr - 1) / tr; }
static inline int tiles_c(const strip_t *s, int tc) { return (s->n + tc - 1) / tc; }
static inline void tile_bounds(const strip_t *s, int tr, int tc, int a, int b, int *li0, int *li1,
                               int *j0, int *j1) {
  *li0 = 1 + a * tr;
  *li1 = *li0 + tr > s->rows + 1 ? s->rows + 1 : *li0 + tr;
  *j0 = b * tc;
  *j1 = *j0 + tc > s->n ? s->n : *j0 + tc;
}

/* The sequential oracle: T iterations over the whole grid. Returns the
 * buffer holding the result (n x n, no ghosts). */
static inline double *stencil_sequential(int n, int iters) {
  strip_t s = strip_new(n, 0, 1);
  for (int t = 0; t < iters; t++)
    stencil_tile(&s, s.buf[t % 2], s.buf[(t + 1) % 2], 1, s.rows + 1, 0, n);
  double *res = malloc(sizeof(double) * (size_t)n * n);
  if (!res) die("out of memory");
  memcpy(res, s.buf[iters % 2] + n, sizeof(double) * (size_t)n * n);
  strip_free(&s);
  return res;
}

/* Rank 0 gathers every strip's rows and compares with the oracle bit for
 * bit. Returns 1 if equal (on every rank, broadcast), prints the first
 * difference otherwise. */
static inline int stencil_check(const strip_t *s, const double *mine, int iters) {
  int n = s->n;
  double *all = NULL;
  int *counts = NULL, *displs = NULL;
  if (g_rank == 0) {
    all = malloc(sizeof(double) * (size_t)n * n);
    counts = malloc(sizeof(int) * (size_t)g_nranks);
    displs = malloc(sizeof(int) * (size_t)g_nranks);
    if (!all || !counts || !displs) die("out of memory");
    for (int r = 0; r < g_nranks; r++) {
      int r0 = (int)((long)n * r / g_nranks), r1 = (int)((long)n * (r + 1) / g_nranks);
      counts[r] = (r1 - r0) * n;
      displs[r] = r0 * n;
    }
  }
#ifndef WEFT_NO_MPI
  MPI_Gatherv(mine + n, s->rows * n, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0,
              MPI_COMM_WORLD);
#else
  memcpy(all, mine + n, sizeof(double) * (size_t)n * n);
#endif
  int ok = 1;
  if (g_rank == 0) {
    double *ref = stencil_sequential(n, iters);
    for (size_t k = 0; k < (size_t)n * n; k++)
      if (memcmp(&ref[k], &all[k], sizeof(double)) != 0) {
        fprintf(stderr, "check: cell (%zu, %zu): %.17g, sequential %.17g\n", k / n, k % n, all[k],
                ref[k]);
        ok = 0;
        break;
      }
    free(ref);
    free(all);
    free(counts);
    free(displs);
  }
#ifndef WEFT_NO_MPI
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
  return ok;
}

/* ---- wavefront: a Smith-Waterman-like local alignment score matrix,
 * H[i][j] = max(0, H[i-1][j-1] + s(A[i-1], B[j-1]), H[i-1][j] - 1,
 * H[i][j-1] - 1) with s = +2 on a match, -1 otherwise, over sequences A
 * (n rows) and B (n columns) of 4 letters from a fixed generator; integers,
 * so "bit for bit" is exact equality. Rank r owns the global columns
 * [c0, c1) (1-based); its local matrix has n + 1 rows and w + 1 columns,
 * column 0 holding the left neighbour's last column (zeros on rank 0), row
 * 0 zeros. Tiles are tr rows x tc columns; tile (a, b) needs (a - 1, b)
 * and (a, b - 1), and tile (a, 0) the left column's rows of block a. */
typedef struct wf_t {
  int n, c0, c1, w;
  int *h;      /* (n + 1) x (w + 1) */
  char *sa, *sb;
} wf_t;

static inline char wf_letter(uint32_t seed, int i) {
  uint32_t x = seed ^ (uint32_t)i * 2654435761u;
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return "ACGT"[x & 3];
}

static inline wf_t wf_new(int n, int rank, int nranks) {
  wf_t f;
  f.n = n;
  f.c0 = 1 + (int)((long)n * rank / nranks);
  f.c1 = 1 + (int)((long)n * (rank + 1) / nranks);
  f.w = f.c1 - f.c0;
  f.h = calloc((size_t)(n + 1) * (size_t)(f.w + 1), sizeof(int));
  f.sa = malloc((size_t)n);
  f.sb = malloc((size_t)n);
  if (!f.h || !f.sa || !f.sb) die("out of memory");
  for (int i = 0; i < n; i++) {
    f.sa[i] = wf_letter(12345u, i);
    f.sb[i] = wf_letter(67890u, i);
  }
  return f;
}

static inline void wf_free(wf_t *f) {
  free(f->h);
  free(f->sa);
  free(f->sb);
}

/* The kernel: local rows [i0, i1) x local columns [j0, j1) (both >= 1). */
static inline void wf_tile(const wf_t *f, int i0, int i1, int j0, int j1) {
  const int ld = f->w + 1;
  for (int i = i0; i < i1; i++) {
    int *row = f->h + (size_t)i * ld;
    const int *up = row - ld;
    const char a = f->sa[i - 1];
    for (int j = j0; j < j1; j++) {
      int d = up[j - 1] + (a == f->sb[f->c0 + j - 2] ? 2 : -1);
      int u = up[j] - 1, l = row[j - 1] - 1;
      int v = d > u ? d : u;
      v = v > l ? v : l;
      row[j] = v > 0 ? v : 0;
    }
  }
}

static inline int wf_tiles_r(const wf_t *f, int tr) { return (f->n + tr - 1) / tr; }
static inline int wf_tiles_c(const wf_t *f, int tc) { return (f->w + tc - 1) / tc; }
static inline void wf_bounds(const wf_t *f, int tr, int tc, int a, int b, int *i0, int *i1,
                             int *j0, int *j1) {
  *i0 = 1 + a * tr;
  *i1 = *i0 + tr > f->n + 1 ? f->n + 1 : *i0 + tr;
  *j0 = 1 + b * tc;
  *j1 = *j0 + tc > f->w + 1 ? f->w + 1 : *j0 + tc;
}

/* Rank 0 compares every rank's columns with a sequential run, bit for bit. */
static inline int wf_check(const wf_t *f) {
  int ok = 1;
  const int n = f->n;
  if (g_rank == 0) {
    wf_t ref = wf_new(n, 0, 1);
    wf_tile(&ref, 1, n + 1, 1, n + 1);
    for (int r = 0; r < g_nranks; r++) { /* receives every rank's even after a mismatch */
      int c0 = 1 + (int)((long)n * r / g_nranks), c1 = 1 + (int)((long)n * (r + 1) / g_nranks);
      int w = c1 - c0;
      int *got = f->h;
      int *tmp = NULL;
      if (r != 0) {
#ifndef WEFT_NO_MPI
        tmp = malloc(sizeof(int) * (size_t)(n + 1) * (size_t)(w + 1));
        if (!tmp) die("out of memory");
        MPI_Recv(tmp, (n + 1) * (w + 1), MPI_INT, r, 4242, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        got = tmp;
#endif
      }
      for (int i = 1; i <= n && ok; i++)
        for (int j = 1; j <= w; j++)
          if (got[(size_t)i * (w + 1) + j] != ref.h[(size_t)i * (n + 1) + c0 + j - 1]) {
            fprintf(stderr, "check: H[%d][%d] = %d, sequential %d\n", i, c0 + j - 1,
                    got[(size_t)i * (w + 1) + j], ref.h[(size_t)i * (n + 1) + c0 + j - 1]);
            ok = 0;
            break;
          }
      free(tmp);
    }
    wf_free(&ref);
  } else {
#ifndef WEFT_NO_MPI
    MPI_Send(f->h, (n + 1) * (f->w + 1), MPI_INT, 0, 4242, MPI_COMM_WORLD);
#endif
  }
#ifndef WEFT_NO_MPI
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
  return ok;
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The fastest of the last reps median() saw: report() prints it too, since
 * on a shared machine the fastest repetition is the one least disturbed. */
static double g_min_rep;

/* Median of reps (sorted in place). */
static inline double median(double *v, int k) {
  qsort(v, (size_t)k, sizeof *v, cmp_double);
  g_min_rep = v[0];
  return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

/* One result line (JSON, rank 0): the fields bench/run.py reads. */
static inline void report(const char *bench, const char *variant, const args_t *a, double per_iter,
                          int ok, const char *extra) {
  if (g_rank != 0) return;
  printf("{\"bench\": \"%s\", \"variant\": \"%s\", \"np\": %d, \"workers\": %d, \"n\": %d, "
         "\"iters\": %d, \"tile\": \"%dx%d\", \"reps\": %d, \"us_per_iter\": %.2f, "
         "\"us_min_rep\": %.2f, \"check\": \"%s\"%s%s}\n",
         bench, variant, g_nranks, a->workers, a->n, a->iters, a->tr, a->tc, a->reps,
         per_iter * 1e6, g_min_rep * 1e6, a->check ? (ok ? "ok" : "FAILED") : "skipped",
         extra ? ", " : "", extra ? extra : "");
  fflush(stdout);
}

#endif
