/*
 * dot.c - C tasks of your own, called from JavaScript by name (main.mjs).
 * Built with the weft core into one .wasm by the package's command:
 *
 *   js/tools/build-c.sh -o dot.wasm dot.c       (installed: npx weft-build-c ...)
 */
#include <weft_task.h>

/* dot(lo, hi, x, y): the sum of x[i] * y[i] over [lo, hi): the chunk task
 * of pool.reduce('dot', 0, n, {}, x, y) (Float64Array views of the pool's
 * memory), called once per chunk. */
WEFT_JS_TASK(dot) {
  uint32_t lo = (uint32_t)weft_js_num(b, 0), hi = (uint32_t)weft_js_num(b, 1);
  uint32_t nx, ny;
  const double *x = weft_js_view(b, 2, &nx);
  const double *y = weft_js_view(b, 3, &ny);
  if (weft_js_tag(b, 2) != WEFT_JS_FLOAT64 || weft_js_tag(b, 3) != WEFT_JS_FLOAT64 || hi > nx || hi > ny) {
    weft_js_return(b, __builtin_nan("")); /* not two long enough Float64Arrays */
    return;
  }
  double s = 0;
  for (uint32_t i = lo; i < hi; i++) s += x[i] * y[i];
  weft_js_return(b, s);
}

/* clamp(v, lo, hi): v limited to [lo, hi]: one call per item of
 * pool.mapColumns('clamp', [v, lo, hi]), or pool.run('clamp', 5, 0, 1). */
WEFT_JS_TASK(clamp) {
  double v = weft_js_num(b, 0), lo = weft_js_num(b, 1), hi = weft_js_num(b, 2);
  weft_js_return(b, v < lo ? lo : v > hi ? hi : v);
}
