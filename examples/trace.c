/*
 * trace.c - records a timeline of two real runs with weft_trace_* and
 * writes them as Chrome Trace Event JSON (open them in ui.perfetto.dev, or
 * draw them with scripts/trace_svg.py; docs/TRACES.md shows both):
 *
 *   forkjoin.json  a merge sort of 2^20 ints at the fine level: every
 *                  fork-join task, its nesting, steals with their arrows
 *   graph.json     a 24x24 wavefront task graph at the coarse level, nodes
 *                  named by their row and column
 *
 * Both results are checked (the sort against qsort, the graph against a
 * sequential sweep).
 *
 *   trace [DIR] [workers]
 */
#include <weft.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                        \
  do {                                                                                  \
    int rc_ = (x);                                                                      \
    if (rc_) {                                                                          \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, weft_strerror(rc_));   \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)

static int to_file(void *user, const char *data, size_t len) {
  return fwrite(data, 1, len, (FILE *)user) == len ? 0 : -100;
}

static void save(weft_pool pool, const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  CHECK(weft_trace_write(pool, to_file, f));
  fclose(f);
  uint64_t rec = 0, drop = 0, r, d;
  for (int i = 0; i <= weft_pool_workers(pool); i++) {
    CHECK(weft_trace_counts(pool, (unsigned)i, &r, &d));
    rec += r;
    drop += d;
  }
  printf("%s: %llu events, %llu dropped\n", path, (unsigned long long)rec,
         (unsigned long long)drop);
}

/* ---- merge sort: halves in parallel, merge, sequential below CUTOFF */

#define CUTOFF 8192

typedef struct sort_args {
  int *a, *tmp;
  size_t n;
} sort_args;

static int cmp_int(const void *x, const void *y) {
  int a = *(const int *)x, b = *(const int *)y;
  return (a > b) - (a < b);
}

static void merge(int *a, int *tmp, size_t n) {
  size_t h = n / 2, i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

static void msort(weft_worker *w, void *p) {
  sort_args *s = p;
  if (s->n <= CUTOFF) {
    qsort(s->a, s->n, sizeof *s->a, cmp_int);
    return;
  }
  size_t h = s->n / 2;
  sort_args left = {s->a, s->tmp, h}, right = {s->a + h, s->tmp + h, s->n - h};
  WEFT_SPAWN(w, msort, &left);
  msort(w, &right);
  WEFT_SYNC(w, &left);
  merge(s->a, s->tmp, s->n);
}

/* ---- wavefront graph */

#define N 24

typedef struct cell {
  uint64_t *grid;
  int r, c;
} cell;

static uint64_t step(uint64_t up, uint64_t left) {
  uint64_t v = up * 31 + left;
  for (int i = 0; i < 20000; i++) v = v * 6364136223846793005ull + 1442695040888963407ull;
  return v;
}

static int cell_fn(weft_worker *w, void *p) {
  (void)w;
  cell *c = p;
  uint64_t up = c->r ? c->grid[(c->r - 1) * N + c->c] : 1;
  uint64_t left = c->c ? c->grid[c->r * N + c->c - 1] : 1;
  c->grid[c->r * N + c->c] = step(up, left);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  weft_pool pool;
  CHECK(weft_pool_create(&pool, &cfg));

  /* fork-join, fine level */
  size_t n = (size_t)1 << 20;
  int *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *tmp = malloc(n * sizeof *tmp);
  if (!a || !b || !tmp) return 1;
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    a[i] = b[i] = (int)(x >> 33);
  }
  CHECK(weft_trace_name(pool, (const void *)msort, "msort"));
  CHECK(weft_trace_start(pool, WEFT_TRACE_FINE, 0));
  sort_args s = {a, tmp, n};
  CHECK(weft_run(pool, msort, &s));
  CHECK(weft_trace_stop(pool));
  qsort(b, n, sizeof *b, cmp_int);
  if (memcmp(a, b, n * sizeof *a)) {
    fprintf(stderr, "sort: wrong result\n");
    return 1;
  }
  save(pool, dir, "forkjoin.json");

  /* a task graph, coarse level */
  static uint64_t grid[N * N], want[N * N];
  weft_graph *g;
  CHECK(weft_graph_create(&g));
  weft_node nodes[N * N];
  for (int r = 0; r < N; r++)
    for (int c = 0; c < N; c++) {
      cell a1 = {grid, r, c};
      CHECK(weft_graph_add(g, cell_fn, &a1, sizeof a1, &nodes[r * N + c]));
      char name[32];
      snprintf(name, sizeof name, "cell r%d", r); /* one colour per row */
      CHECK(weft_graph_name(g, nodes[r * N + c], name));
      if (r) CHECK(weft_graph_edge(g, nodes[(r - 1) * N + c], nodes[r * N + c]));
      if (c) CHECK(weft_graph_edge(g, nodes[r * N + c - 1], nodes[r * N + c]));
    }
  CHECK(weft_graph_run(pool, g, NULL)); /* first run: the graph picks its strategy */
  CHECK(weft_trace_start(pool, WEFT_TRACE_COARSE, 0));
  CHECK(weft_graph_run(pool, g, NULL));
  CHECK(weft_trace_stop(pool));
  for (int r = 0; r < N; r++)
    for (int c = 0; c < N; c++)
      want[r * N + c] = step(r ? want[(r - 1) * N + c] : 1, c ? want[r * N + c - 1] : 1);
  if (memcmp(grid, want, sizeof grid)) {
    fprintf(stderr, "graph: wrong result\n");
    return 1;
  }
  save(pool, dir, "graph.json");
  weft_graph_destroy(g);
  CHECK(weft_pool_destroy(pool));
  free(a);
  free(b);
  free(tmp);
  return 0;
}
