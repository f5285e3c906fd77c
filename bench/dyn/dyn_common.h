/*
 * dyn_common.h - shared pieces of the one-shot dependency benchmarks
 * (bench/dyn, issue 10): the work is created on the fly in every
 * repetition, each task naming the earlier tasks it waits for, run once and
 * thrown away. C and C++.
 *
 * Shapes (every predecessor has a lower index, so index order is a
 * topological order and the order tasks are created in):
 *   wavefront  N x N grid (n = N*N, default N = 1024): (i,j) after (i-1,j)
 *              and (i,j-1)
 *   chain      n tasks in a line (default 1,000,000)
 *   tree       binary tree of n tasks (default 2^20), each after its parent
 *              (v after (v-1)/2)
 *   random     n tasks (default 1,000,000): each v > 0 after 1..4 distinct
 *              earlier tasks among the 4096 before it (fixed-seed generator);
 *              the lists are made once, outside the timing, and read by
 *              every implementation the same way
 * Task body: value[v] = hash(v, values of its predecessors, in list order),
 * so a task that ran before one of its predecessors, twice, or not at all
 * leaves a wrong value. After every repetition all n values are compared
 * with a sequential run (the oracle, computed once at start); the values
 * are zeroed (untimed) before each repetition. "result" is a checksum of
 * the values (the same for every implementation of a shape).
 *
 * Command line of every binary:
 *   dyn_<impl> <variant> <shape> <n> <workers> <reps> [budget_seconds]
 *     n = 0: the default size (wavefront: n is the side N)
 * Output: one JSON object per timed repetition:
 *   {"bench":..,"impl":<variant>,"workers":..,"n":<tasks>,"edges":..,"rep":i,
 *    "ms":..,"result":"<16 hex digits>"}
 * Exit status: 0 ok, 2 usage/setup error, 3 self-check failed, 4 variant
 * not available in this build (run.py reports it as skipped).
 */
#ifndef WEFT_DYN_BENCH_COMMON_H
#define WEFT_DYN_BENCH_COMMON_H

#if !defined(_POSIX_C_SOURCE) && !defined(__cplusplus)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DN_EXIT_UNAVAILABLE 4

enum { DN_WAVEFRONT, DN_CHAIN, DN_TREE, DN_RANDOM };

typedef struct dn_shape {
  const char *bench;
  int kind;
  uint32_t n, side; /* side: wavefront only */
  uint64_t m;       /* edges */
  /* random only: CSR of predecessors and successors (n + 1 starts) */
  uint32_t *pstart, *preds, *sstart, *succs;
} dn_shape;

/* The shape and the task values, global so that every implementation's
 * task needs only its index. */
static dn_shape dn_g;
static uint64_t *dn_val;

static inline double dn_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Predecessors of v: returns their count; *p points to them (into buf for
 * the regular shapes). */
static inline unsigned dn_preds(uint32_t v, uint32_t buf[2], const uint32_t **p) {
  const dn_shape *s = &dn_g;
  *p = buf;
  switch (s->kind) {
    case DN_WAVEFRONT: {
      uint32_t i = v / s->side, j = v - i * s->side, c = 0;
      if (i > 0) buf[c++] = v - s->side;
      if (j > 0) buf[c++] = v - 1;
      return c;
    }
    case DN_CHAIN:
      buf[0] = v - 1;
      return v > 0;
    case DN_TREE:
      buf[0] = (v - 1) / 2;
      return v > 0;
    default:
      *p = s->preds + s->pstart[v];
      return s->pstart[v + 1] - s->pstart[v];
  }
}

/* Successors of v (for the join-counter implementations). */
static inline unsigned dn_succs(uint32_t v, uint32_t buf[2], const uint32_t **p) {
  const dn_shape *s = &dn_g;
  *p = buf;
  switch (s->kind) {
    case DN_WAVEFRONT: {
      uint32_t i = v / s->side, j = v - i * s->side, c = 0;
      if (j + 1 < s->side) buf[c++] = v + 1;
      if (i + 1 < s->side) buf[c++] = v + s->side;
      return c;
    }
    case DN_CHAIN:
      buf[0] = v + 1;
      return v + 1 < s->n;
    case DN_TREE: {
      uint64_t l = 2 * (uint64_t)v + 1;
      unsigned c = 0;
      if (l < s->n) buf[c++] = (uint32_t)l;
      if (l + 1 < s->n) buf[c++] = (uint32_t)l + 1;
      return c;
    }
    default:
      *p = s->succs + s->sstart[v];
      return s->sstart[v + 1] - s->sstart[v];
  }
}

static inline uint64_t dn_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* The task body: one hash over the predecessors' values. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void dn_task(uint32_t v) {
  uint32_t buf[2];
  const uint32_t *p;
  unsigned np = dn_preds(v, buf, &p);
  uint64_t h = dn_mix(0x9e3779b97f4a7c15ull + v);
  for (unsigned k = 0; k < np; k++) h = dn_mix(h ^ dn_val[p[k]]);
  dn_val[v] = h | 1; /* never 0, the "not run" value */
}

static uint64_t dn_rng(uint64_t *s) { return dn_mix(*s += 0x9e3779b97f4a7c15ull); }

static void *dn_alloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

/* The random shape's predecessor and successor lists. */
static void dn_make_random(dn_shape *s) {
  uint32_t n = s->n;
  uint64_t seed = 0xd1ce5eedull;
  s->pstart = (uint32_t *)dn_alloc(((size_t)n + 1) * sizeof(uint32_t));
  s->preds = (uint32_t *)dn_alloc((size_t)n * 4 * sizeof(uint32_t));
  s->pstart[0] = 0;
  uint64_t m = 0;
  for (uint32_t v = 0; v < n; v++) {
    if (v > 0) {
      uint32_t k = 1 + (uint32_t)(dn_rng(&seed) % 4), window = v < 4096 ? v : 4096;
      uint32_t *mine = s->preds + m, c = 0;
      for (uint32_t e = 0; e < k; e++) {
        uint32_t u = v - 1 - (uint32_t)(dn_rng(&seed) % window), dup = 0;
        for (uint32_t q = 0; q < c; q++) dup |= mine[q] == u;
        if (!dup) mine[c++] = u;
      }
      m += c;
    }
    s->pstart[v + 1] = (uint32_t)m;
  }
  s->m = m;
  s->sstart = (uint32_t *)calloc((size_t)n + 1, sizeof(uint32_t));
  s->succs = (uint32_t *)dn_alloc((m ? m : 1) * sizeof(uint32_t));
  uint32_t *fill = (uint32_t *)dn_alloc(((size_t)n + 1) * sizeof(uint32_t));
  if (!s->sstart) exit(2);
  for (uint64_t k = 0; k < m; k++) s->sstart[s->preds[k] + 1]++;
  for (uint32_t v = 0; v < n; v++) s->sstart[v + 1] += s->sstart[v];
  memcpy(fill, s->sstart, ((size_t)n + 1) * sizeof(uint32_t));
  for (uint32_t v = 0; v < n; v++)
    for (uint32_t k = s->pstart[v]; k < s->pstart[v + 1]; k++) s->succs[fill[s->preds[k]]++] = v;
  free(fill);
}

/* Sets up dn_g and dn_val; n = 0: the default size. -1: bad shape name. */
static int dn_make(const char *bench, uint64_t n_arg) {
  dn_shape *s = &dn_g;
  memset(s, 0, sizeof *s);
  s->bench = bench;
  if (strcmp(bench, "wavefront") == 0) {
    s->kind = DN_WAVEFRONT;
    s->side = n_arg ? (uint32_t)n_arg : 1024;
    s->n = s->side * s->side;
    s->m = 2 * (uint64_t)s->side * (s->side - 1);
  } else if (strcmp(bench, "chain") == 0) {
    s->kind = DN_CHAIN;
    s->n = n_arg ? (uint32_t)n_arg : 1000000;
    s->m = s->n - 1;
  } else if (strcmp(bench, "tree") == 0) {
    s->kind = DN_TREE;
    s->n = n_arg ? (uint32_t)n_arg : (1u << 20);
    s->m = s->n - 1;
  } else if (strcmp(bench, "random") == 0) {
    s->kind = DN_RANDOM;
    s->n = n_arg ? (uint32_t)n_arg : 1000000;
    dn_make_random(s);
  } else {
    return -1;
  }
  if (s->n == 0) return -1;
  dn_val = (uint64_t *)dn_alloc((size_t)s->n * sizeof *dn_val);
  return 0;
}

/* Zeroes the values (touching their pages outside the timing). */
static void dn_reset(void) { memset(dn_val, 0, (size_t)dn_g.n * sizeof *dn_val); }

/* The oracle: a sequential run in index order. */
static uint64_t *dn_oracle(void) {
  dn_reset();
  for (uint32_t v = 0; v < dn_g.n; v++) dn_task(v);
  uint64_t *o = (uint64_t *)dn_alloc((size_t)dn_g.n * sizeof *o);
  memcpy(o, dn_val, (size_t)dn_g.n * sizeof *o);
  return o;
}

/* Compares every value with the oracle; returns the checksum, or exits 3. */
static uint64_t dn_check(const uint64_t *oracle) {
  uint64_t sum = 0;
  for (uint32_t v = 0; v < dn_g.n; v++) {
    if (dn_val[v] != oracle[v]) {
      fprintf(stderr, "self-check failed: %s task %u: value %016llx, expected %016llx\n",
              dn_g.bench, v, (unsigned long long)dn_val[v], (unsigned long long)oracle[v]);
      exit(3);
    }
    sum = dn_mix(sum ^ dn_val[v]);
  }
  return sum;
}

static void dn_emit(const char *variant, unsigned workers, int rep, double ms, uint64_t sum) {
  printf("{\"bench\":\"%s\",\"impl\":\"%s\",\"workers\":%u,\"n\":%u,\"edges\":%llu,"
         "\"rep\":%d,\"ms\":%.4f,\"result\":\"%016llx\"}\n",
         dn_g.bench, variant, workers, dn_g.n, (unsigned long long)dn_g.m, rep, ms,
         (unsigned long long)sum);
  fflush(stdout);
}

typedef struct dn_args {
  const char *variant, *bench;
  uint64_t n;
  unsigned workers;
  int reps;
  double budget_ms;
} dn_args;

static int dn_parse(int argc, char **argv, dn_args *a, const char *variants) {
  if (argc < 6) {
    fprintf(stderr,
            "usage: %s %s wavefront|chain|tree|random <n> <workers> <reps> [budget_s]\n",
            argv[0], variants);
    return -1;
  }
  a->variant = argv[1];
  a->bench = argv[2];
  a->n = strtoull(argv[3], NULL, 10);
  a->workers = (unsigned)strtoul(argv[4], NULL, 10);
  a->reps = atoi(argv[5]);
  a->budget_ms = argc > 6 ? atof(argv[6]) * 1e3 : 0;
  if (a->reps < 1) a->reps = 1;
  if (a->workers < 1) a->workers = 1;
  if (dn_make(a->bench, a->n)) {
    fprintf(stderr, "%s: unknown shape '%s'\n", argv[0], a->bench);
    return -1;
  }
  return 0;
}

/* The repetition loop every binary shares: `one` runs one timed repetition
 * (returns its ms, or < 0 on error); reps stop early once the budget would
 * be exceeded (at least one runs). Returns the exit status. */
static int dn_loop(const dn_args *a, const char *variant, double (*one)(void *ctx), void *ctx) {
  const uint64_t *oracle = dn_oracle();
  double spent = 0, last = 0;
  for (int rep = 0; rep < a->reps; rep++) {
    if (rep > 0 && a->budget_ms > 0 && spent + last > a->budget_ms) break;
    dn_reset();
    double r0 = dn_now_ms();
    double ms = one(ctx);
    if (ms < 0) return 2;
    uint64_t sum = dn_check(oracle);
    dn_emit(variant, a->workers, rep, ms, sum);
    last = dn_now_ms() - r0;
    spent += last;
  }
  return 0;
}

#endif
