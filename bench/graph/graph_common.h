/*
 * graph_common.h - shared pieces of the task-graph benchmarks (C and C++).
 *
 * Shapes (Taskflow's classic graph benchmarks), every edge from a lower to a
 * higher node index, so index order is a topological order:
 *   wavefront  N x N grid (n = N*N, default N = 1024): (i,j) after (i-1,j)
 *              and (i,j-1)
 *   chain      n nodes in a line (default 1,000,000)
 *   tree       binary tree of n nodes (default 2^20): node i -> 2i+1, 2i+2
 *   random     n nodes (default 1,000,000), about 4 edges per node: each
 *              edge joins a node to one of the 4096 nodes before it, chosen
 *              by a fixed-seed generator; duplicates removed
 * Node body: counter[i] += 1 (every implementation calls the same
 * noinline function), after GB_WORK steps of arithmetic (default 0). After the timed runs of each build every counter must
 * equal the number of runs so far: that is the self-check (not between the
 * timed runs: reading 8 MB of counters on the main thread between two runs
 * moves their lines away from the workers' cores and slowed the next weft
 * run by up to 50%). "result" is the node count.
 *
 * Command line of every binary:
 *   graph_<impl> <bench> <n> <workers> <reps> [budget_seconds]
 *     n = 0: the default size (wavefront: n is the side N)
 *     reps: builds (each followed by RUNS_PER_BUILD timed runs)
 * Output: one JSON object per line per timed phase:
 *   {"bench":..,"impl":..,"workers":..,"n":<nodes>,"edges":..,"phase":"build"|"run",
 *    "rep":i,"ms":..,"result":<nodes>}
 * Exit status: 0 ok, 2 usage/setup error, 3 self-check failed.
 */
#ifndef WEFT_GRAPH_BENCH_COMMON_H
#define WEFT_GRAPH_BENCH_COMMON_H

#if !defined(_POSIX_C_SOURCE) && !defined(__cplusplus)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Timed runs per build; the environment variable GB_RUNS overrides it. */
#define RUNS_PER_BUILD gb_runs_per_build()
static int gb_runs_per_build(void) {
  const char *e = getenv("GB_RUNS");
  int v = e ? atoi(e) : 0;
  return v > 0 ? v : 3;
}

static inline double gb_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

typedef struct gb_shape {
  const char *bench;
  uint32_t n;
  uint64_t m;
  uint32_t *from, *to;   /* edges in generation order */
  uint32_t *pred_start;  /* CSR of predecessors (n + 1) */
  uint32_t *preds;
  uint32_t *succ_start;  /* CSR of successors (n + 1) */
  uint32_t *succs;
} gb_shape;

/* The node body. counters[i] += 1, not inlined into any runtime. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
/* Extra work per node: GB_WORK steps of a dependent multiply chain (about
 * 1 ns each here), so the same shapes can be measured with nodes of real
 * size (GB_WORK=0, the default: the bare increment). */
static unsigned gb_work_steps(void) {
  static int v = -1;
  if (v < 0) {
    const char *e = getenv("GB_WORK");
    v = e ? atoi(e) : 0;
    if (v < 0) v = 0;
  }
  return (unsigned)v;
}

static void gb_body(uint64_t *counter) {
  unsigned steps = gb_work_steps();
  if (steps) {
    uint64_t x = (uint64_t)(uintptr_t)counter;
    for (unsigned i = 0; i < steps; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
#if defined(__GNUC__)
      __asm__ __volatile__("" : "+r"(x));
#endif
    }
    if (x == 0) *counter += 2; /* never (x is odd): keeps the chain live */
  }
  *counter += 1;
#if defined(__GNUC__)
  __asm__ __volatile__("" ::: "memory");
#endif
}

static uint64_t gb_rng(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void gb_push(gb_shape *g, uint64_t *cap, uint32_t u, uint32_t v) {
  if (g->m == *cap) {
    *cap = *cap ? *cap * 2 : 1024;
    g->from = (uint32_t *)realloc(g->from, *cap * sizeof *g->from);
    g->to = (uint32_t *)realloc(g->to, *cap * sizeof *g->to);
    if (!g->from || !g->to) {
      fprintf(stderr, "out of memory\n");
      exit(2);
    }
  }
  g->from[g->m] = u;
  g->to[g->m] = v;
  g->m++;
}

static int gb_cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void gb_csr(gb_shape *g) {
  uint32_t n = g->n;
  g->pred_start = (uint32_t *)calloc((size_t)n + 1, sizeof(uint32_t));
  g->succ_start = (uint32_t *)calloc((size_t)n + 1, sizeof(uint32_t));
  g->preds = (uint32_t *)malloc((g->m ? g->m : 1) * sizeof(uint32_t));
  g->succs = (uint32_t *)malloc((g->m ? g->m : 1) * sizeof(uint32_t));
  uint32_t *fp = (uint32_t *)malloc(((size_t)n + 1) * sizeof(uint32_t));
  uint32_t *fs = (uint32_t *)malloc(((size_t)n + 1) * sizeof(uint32_t));
  if (!g->pred_start || !g->succ_start || !g->preds || !g->succs || !fp || !fs) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  for (uint64_t k = 0; k < g->m; k++) {
    g->pred_start[g->to[k] + 1]++;
    g->succ_start[g->from[k] + 1]++;
  }
  for (uint32_t i = 0; i < n; i++) {
    g->pred_start[i + 1] += g->pred_start[i];
    g->succ_start[i + 1] += g->succ_start[i];
  }
  memcpy(fp, g->pred_start, ((size_t)n + 1) * sizeof(uint32_t));
  memcpy(fs, g->succ_start, ((size_t)n + 1) * sizeof(uint32_t));
  for (uint64_t k = 0; k < g->m; k++) {
    g->preds[fp[g->to[k]]++] = g->from[k];
    g->succs[fs[g->from[k]]++] = g->to[k];
  }
  free(fp);
  free(fs);
}

/* Builds the shape; n = 0 means the default size. Returns 0 or -1 (bad
 * bench name). */
static int gb_make(gb_shape *g, const char *bench, uint64_t n_arg) {
  uint64_t cap = 0;
  memset(g, 0, sizeof *g);
  g->bench = bench;
  if (strcmp(bench, "wavefront") == 0) {
    uint32_t N = n_arg ? (uint32_t)n_arg : 1024;
    g->n = N * N;
    for (uint32_t i = 0; i < N; i++)
      for (uint32_t j = 0; j < N; j++) {
        if (i > 0) gb_push(g, &cap, (i - 1) * N + j, i * N + j);
        if (j > 0) gb_push(g, &cap, i * N + j - 1, i * N + j);
      }
  } else if (strcmp(bench, "chain") == 0) {
    g->n = n_arg ? (uint32_t)n_arg : 1000000;
    for (uint32_t v = 1; v < g->n; v++) gb_push(g, &cap, v - 1, v);
  } else if (strcmp(bench, "tree") == 0) {
    g->n = n_arg ? (uint32_t)n_arg : (1u << 20);
    for (uint32_t v = 1; v < g->n; v++) gb_push(g, &cap, (v - 1) / 2, v);
  } else if (strcmp(bench, "random") == 0) {
    g->n = n_arg ? (uint32_t)n_arg : 1000000;
    uint64_t s = 0x5eed5eedull;
    uint32_t tmp[8];
    for (uint32_t v = 1; v < g->n; v++) {
      /* 1..7 predecessors (mean 4) among the 4096 nodes before v */
      uint32_t k = 1 + (uint32_t)(gb_rng(&s) % 7), window = v < 4096 ? v : 4096, c = 0;
      for (uint32_t e = 0; e < k; e++) tmp[c++] = v - 1 - (uint32_t)(gb_rng(&s) % window);
      qsort(tmp, c, sizeof tmp[0], gb_cmp_u32);
      for (uint32_t e = 0; e < c; e++)
        if (e == 0 || tmp[e] != tmp[e - 1]) gb_push(g, &cap, tmp[e], v);
    }
  } else {
    return -1;
  }
  gb_csr(g);
  return 0;
}

/* A zeroed counter array whose pages are already touched (calloc's pages
 * would fault during the first timed run). */
static inline uint64_t *gb_counters(uint32_t n) {
  uint64_t *c = (uint64_t *)malloc((size_t)(n ? n : 1) * sizeof *c);
  if (!c) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  volatile uint64_t *v = c;
  for (uint32_t i = 0; i < n; i++) v[i] = 0;
  return c;
}

/* Every counter equals `expect`. */
static int gb_check(const uint64_t *counters, uint32_t n, uint64_t expect) {
  for (uint32_t i = 0; i < n; i++)
    if (counters[i] != expect) {
      fprintf(stderr, "self-check failed: counter[%u] = %llu, expected %llu\n", i,
              (unsigned long long)counters[i], (unsigned long long)expect);
      return 0;
    }
  return 1;
}

static void gb_emit(const gb_shape *g, const char *impl, unsigned workers, const char *phase,
                    int rep, double ms) {
  printf("{\"bench\":\"%s\",\"impl\":\"%s\",\"workers\":%u,\"n\":%u,\"edges\":%llu,"
         "\"phase\":\"%s\",\"rep\":%d,\"ms\":%.4f,\"result\":%u}\n",
         g->bench, impl, workers, g->n, (unsigned long long)g->m, phase, rep, ms, g->n);
  fflush(stdout);
}

typedef struct gb_args {
  const char *bench;
  uint64_t n;
  unsigned workers;
  int reps;
  double budget_ms;
} gb_args;

static int gb_parse(int argc, char **argv, gb_args *a) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s wavefront|chain|tree|random <n> <workers> <reps> [budget_s]\n",
            argv[0]);
    return -1;
  }
  a->bench = argv[1];
  a->n = strtoull(argv[2], NULL, 10);
  a->workers = (unsigned)strtoul(argv[3], NULL, 10);
  a->reps = atoi(argv[4]);
  a->budget_ms = argc > 5 ? atof(argv[5]) * 1e3 : 0;
  if (a->reps < 1) a->reps = 1;
  return 0;
}

#endif
