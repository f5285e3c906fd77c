/*
 * scratch.c - the per-worker bump arena. Address space for the whole arena
 * is reserved with the pool; pages are committed in WEFT__SCRATCH_CHUNK
 * steps as the top first crosses them, and stay committed until the pool
 * is destroyed (so a hot mark/reset cycle makes no system calls).
 */
#include "internal.h"

int weft__scratch_push(weft_worker *w, size_t size, size_t align, void **out) {
  size_t pos = (w->scratch_top + align - 1) & ~(align - 1);
  if (pos < w->scratch_top || pos > w->scratch_size || size > w->scratch_size - pos) {
    *out = NULL;
    return WEFT_ENOMEM;
  }
  size_t end = pos + size;
  if (end > w->scratch_committed) {
    size_t want = (end + WEFT__SCRATCH_CHUNK - 1) & ~(WEFT__SCRATCH_CHUNK - 1);
    if (want > w->scratch_size) want = w->scratch_size;
    if (weft__prim_commit(w->scratch + w->scratch_committed, want - w->scratch_committed)) {
      *out = NULL;
      return WEFT_ENOMEM;
    }
    w->scratch_committed = want;
  }
  w->scratch_top = end;
  *out = w->scratch + pos;
  return 0;
}

int weft_scratch_alloc(weft_worker *w, size_t size, size_t align, void **out) {
  if (out) *out = NULL;
  if (!w || !out) return WEFT_EINVAL;
  if (align == 0) align = 16;
  if ((align & (align - 1)) || align > 4096) return WEFT_EINVAL;
  return weft__scratch_push(w, size, align, out);
}

size_t weft_scratch_mark(const weft_worker *w) { return w ? w->scratch_top : 0; }

void weft_scratch_reset(weft_worker *w, size_t mark) {
  if (w && mark <= w->scratch_top) w->scratch_top = mark;
}
