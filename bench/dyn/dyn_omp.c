/* dyn_omp - OpenMP tasks with depend clauses on the one-shot shapes of
 * dyn_common.h (variant "omp"): one thread creates a task per node, in
 * index order, with in-dependencies on its predecessors' values (an OpenMP
 * 5.0 depend iterator) and an out-dependency on its own. Built by gcc
 * (libgomp) as dyn_omp and by clang (LLVM libomp) as dyn_omp_clang. */
#include "dyn_common.h" /* first: it sets _POSIX_C_SOURCE */

#include <omp.h>

static unsigned workers;

static double run_omp(void *p) {
  (void)p;
  double t0 = dn_now_ms();
#pragma omp parallel num_threads(workers)
#pragma omp single
  {
    for (uint32_t v = 0; v < dn_g.n; v++) {
      uint32_t buf[2];
      const uint32_t *pp;
      unsigned np = dn_preds(v, buf, &pp);
      (void)np; /* used by the depend iterator only */
#pragma omp task firstprivate(v) depend(iterator(it = 0 : np), in : dn_val[pp[it]]) \
    depend(out : dn_val[v])
      dn_task(v);
    }
  }
  return dn_now_ms() - t0;
}

int main(int argc, char **argv) {
  dn_args a;
  if (dn_parse(argc, argv, &a, "omp")) return 2;
  if (strcmp(a.variant, "omp") != 0) {
    fprintf(stderr, "dyn_omp: unknown variant '%s'\n", a.variant);
    return 2;
  }
  workers = a.workers;
  return dn_loop(&a, "omp", run_omp, NULL);
}
