#include "internal.h"

static void read_worker(weft_worker *w, weft_worker_stats *s) {
  s->spawns = WEFT__READ(w->st_spawns);
  s->steals = WEFT__READ(w->st_steals);
  s->steal_failures = WEFT__READ(w->st_steal_failures);
  s->stolen_from = WEFT__READ(w->st_stolen_from);
  s->leapfrogs = WEFT__READ(w->st_leapfrogs);
  s->sleeps = WEFT__READ(w->st_sleeps);
  s->overflows = WEFT__READ(w->st_overflows);
  s->roots = WEFT__READ(w->st_roots);
  /* Every own frame runs either here (inline or overflow) or on a thief. */
  s->tasks_run = s->spawns - s->stolen_from + s->steals + s->roots;
}

int weft_pool_stats(weft_pool pool, unsigned index, weft_worker_stats *out) {
  if (!out) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  int rc = WEFT_EINVAL;
  if (index < p->nworkers) {
    read_worker(p->workers[index], out);
    rc = 0;
  }
  weft__pool_unpin(pool);
  return rc;
}

int weft_pool_stats_total(weft_pool pool, weft_worker_stats *out) {
  if (!out) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  memset(out, 0, sizeof *out);
  for (unsigned i = 0; i < p->nworkers; i++) {
    weft_worker_stats s;
    read_worker(p->workers[i], &s);
    out->spawns += s.spawns;
    out->tasks_run += s.tasks_run;
    out->steals += s.steals;
    out->steal_failures += s.steal_failures;
    out->stolen_from += s.stolen_from;
    out->leapfrogs += s.leapfrogs;
    out->sleeps += s.sleeps;
    out->overflows += s.overflows;
    out->roots += s.roots;
  }
  weft__pool_unpin(pool);
  return 0;
}
