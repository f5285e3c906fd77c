/*
 * loop_tasks.c - C chunk tasks of the loop benchmarks (bench/js/loops.mjs),
 * in dist/weft-test.wasm only: the same axpy and sum as the JavaScript
 * chunk tasks of bench/js/loop_tasks.mjs, compiled to wasm.
 */
#include <weft_task.h>

/* caxpy(lo, hi, a, x, y): y[i] += a * x[i] over [lo, hi) (Float64Arrays). */
WEFT_JS_TASK(caxpy) {
  uint32_t lo = (uint32_t)weft_js_num(b, 0), hi = (uint32_t)weft_js_num(b, 1), nx, ny;
  double a = weft_js_num(b, 2);
  const double *x = weft_js_view(b, 3, &nx);
  double *y = weft_js_view(b, 4, &ny);
  if (weft_js_tag(b, 3) != WEFT_JS_FLOAT64 || weft_js_tag(b, 4) != WEFT_JS_FLOAT64 || hi > nx || hi > ny) return;
  for (uint32_t i = lo; i < hi; i++) y[i] += a * x[i];
}

/* csum(lo, hi, x): the sum of x[lo, hi) (a Float64Array). */
WEFT_JS_TASK(csum) {
  uint32_t lo = (uint32_t)weft_js_num(b, 0), hi = (uint32_t)weft_js_num(b, 1), n;
  const double *x = weft_js_view(b, 2, &n);
  double s = 0;
  if (weft_js_tag(b, 2) == WEFT_JS_FLOAT64 && hi <= n)
    for (uint32_t i = lo; i < hi; i++) s += x[i];
  weft_js_return(b, s);
}
