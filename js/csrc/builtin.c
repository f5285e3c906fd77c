/*
 * builtin.c - the C tasks of the shipped weft.wasm (documented in
 * js/README.md, "C tasks"), written as a user writes theirs
 * (include/weft_task.h). The test and benchmark tasks live in tasks.c and
 * graph_tasks.c, which only dist/weft-test.wasm holds.
 */
#include <weft_task.h>

/* add(a, b): a + b. */
WEFT_JS_TASK(add) { weft_js_return(b, weft_js_num(b, 0) + weft_js_num(b, 1)); }

/* vsum(Float64Array): the sum of its elements, by recursive halving. */
typedef struct {
  const double *a;
  uint32_t lo, hi;
  double sum;
} vsum_t;

static void vsum_part(weft_worker *w, void *p) {
  vsum_t *s = p;
  if (s->hi - s->lo <= 1024) {
    double t = 0;
    for (uint32_t i = s->lo; i < s->hi; i++) t += s->a[i];
    s->sum = t;
    return;
  }
  uint32_t mid = s->lo + (s->hi - s->lo) / 2;
  vsum_t l = {s->a, s->lo, mid, 0}, r = {s->a, mid, s->hi, 0};
  WEFT_SPAWN(w, vsum_part, &r);
  vsum_part(w, &l);
  WEFT_SYNC(w, &r);
  s->sum = l.sum + r.sum;
}

WEFT_JS_TASK(vsum) {
  uint32_t len;
  const double *a = weft_js_view(b, 0, &len);
  if (weft_js_tag(b, 0) != WEFT_JS_FLOAT64) len = 0; /* only a Float64Array */
  vsum_t s = {a, 0, len, 0};
  vsum_part(w, &s);
  weft_js_return(b, s.sum);
}
