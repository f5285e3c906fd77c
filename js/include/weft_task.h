/*
 * weft_task.h - C tasks that JavaScript calls by name, in a .wasm of your
 * own (js/README.md, "Your own C tasks"). Build with the package's command:
 *
 *   npx weft-build-c -o my.wasm my_tasks.c      (or: npm run build-c -- ...)
 *
 * and give the module to the pool: createPool({ wasm: 'my.wasm' }). Then
 * pool.run('scale', 2, 3), ctx.spawn('scale', ...), pool.for('scale', ...).
 *
 *   #include <weft_task.h>
 *
 *   WEFT_JS_TASK(scale) {                   // (w, b): the worker, the block
 *     weft_js_return(b, weft_js_num(b, 0) * weft_js_num(b, 1));
 *   }
 *
 * A task gets the 48-byte block of its call: up to 5 arguments, each a
 * number (weft_js_num) or a typed-array view of the pool's memory
 * (weft_js_view: a pointer into the same memory, and its length in
 * elements); its result is one number (weft_js_return). As the chunk task of
 * pool.for / pool.reduce it is called once per chunk with (lo, hi) in
 * arguments 0 and 1, then the loop's first 3 arguments; in pool.map once per
 * item, one number per column. It may spawn and sync other tasks with the
 * weft API (weft.h: WEFT_SPAWN / WEFT_SYNC, weft_parallel_for, ...).
 *
 * The module is freestanding wasm32 (no libc): string.h's memcpy / memset /
 * memcmp / strlen, stdlib.h's malloc / calloc / free / aligned_alloc and
 * stdio.h's snprintf are there; nothing else (no files, no printf).
 */
#ifndef WEFT_TASK_H
#define WEFT_TASK_H

#include <stdint.h>
#include <string.h>

#include "weft.h"

/* The block of one task call (src/wasm/host.c). */
typedef struct weft_js_block {
  uint32_t run;      /* the run it belongs to */
  uint16_t fn;       /* JavaScript task id (unused by C tasks) */
  uint16_t tags;     /* 3 bits per argument: 0 none, 1 number, 2..7 a view */
  uint64_t slot[5];  /* the arguments; the result goes to slot 0 */
} weft_js_block;

/* Argument tags: what argument i is. */
#define WEFT_JS_NONE 0
#define WEFT_JS_NUMBER 1
#define WEFT_JS_INT8 2
#define WEFT_JS_UINT8 3
#define WEFT_JS_INT32 4
#define WEFT_JS_UINT32 5
#define WEFT_JS_FLOAT32 6
#define WEFT_JS_FLOAT64 7

static inline int weft_js_tag(const weft_js_block *b, int i) { return (b->tags >> (3 * i)) & 7; }

/* Argument i as a number (0 if it is none or a view). */
static inline double weft_js_num(const weft_js_block *b, int i) {
  double d;
  if (weft_js_tag(b, i) != WEFT_JS_NUMBER) return 0;
  memcpy(&d, &b->slot[i], sizeof d);
  return d;
}

/* Argument i as a view: its first element (NULL if it is not a view) and,
 * in *len (may be NULL), its length in elements. */
static inline void *weft_js_view(const weft_js_block *b, int i, uint32_t *len) {
  uint32_t v[2];
  int tag = weft_js_tag(b, i);
  memcpy(v, &b->slot[i], sizeof v);
  if (len) *len = tag >= WEFT_JS_INT8 ? v[1] : 0;
  return tag >= WEFT_JS_INT8 ? (void *)(uintptr_t)v[0] : (void *)0;
}

/* The task's result (what pool.run resolves to, ctx.sync returns, a
 * reduction's chunk gives, map stores). */
static inline void weft_js_return(weft_js_block *b, double d) { memcpy(&b->slot[0], &d, sizeof d); }

/* Defines the C task `name`, callable from JavaScript by that name: the
 * body follows, with `w` (weft_worker *) and `b` (weft_js_block *). The
 * module exports weft_task_<name>, which the package finds at load. */
#define WEFT_JS_TASK(name)                                                                   \
  static void weft_js_body_##name(weft_worker *w, weft_js_block *b);                         \
  static void weft_js_fn_##name(weft_worker *w, void *p) {                                   \
    weft_js_body_##name(w, (weft_js_block *)p);                                              \
  }                                                                                          \
  __attribute__((export_name("weft_task_" #name))) uint32_t weft_task_##name(void) {         \
    return (uint32_t)(uintptr_t)weft_js_fn_##name;                                           \
  }                                                                                          \
  static void weft_js_body_##name(weft_worker *w __attribute__((unused)),                    \
                                  weft_js_block *b __attribute__((unused)))

#endif
