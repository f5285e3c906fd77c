/*
 * host.h - types shared by the files of the wasm build that the JavaScript
 * host talks to (host.c: pools, runs, JavaScript tasks; host_graph.c: task
 * graphs). The layouts are read by js/src (through weft_wasm_layout and the
 * comments below), so change them together.
 */
#ifndef WEFT_WASM_HOST_H
#define WEFT_WASM_HOST_H

#include <stdatomic.h>
#include <stdint.h>

#include "weft.h"

#define WASM_EXPORT(name) __attribute__((export_name(#name))) name
#define WASM_IMPORT(mod, name) __attribute__((import_module(#mod), import_name(#name)))

/* The 48-byte task block (js/README.md, "Task blocks"). */
typedef struct wasm_block {
  uint32_t run;
  uint16_t fn;
  uint16_t tags;
  uint64_t slot[5];
} wasm_block;
_Static_assert(sizeof(wasm_block) == WEFT_ARGS_MAX, "a task block fills a frame");

/* Trace key of JavaScript task `id` (named by the host through
 * weft_wasm_trace_name): above every function-table index. */
#define WASM_JS_TRACE_KEY(id) (0xffff0000u | (uint32_t)(id))

/* tags bit 15: the block is a graph node's own call (not a spawned child):
 * a JavaScript task that throws there fails its node (weft_wasm_fail). */
#define WASM_TAG_NODE 0x8000u

typedef struct wasm_run {
  weft_job job;
  _Atomic uint32_t cancel;  /* set by the first failing JavaScript task */
  _Atomic uint32_t error;   /* 0 none, 1 being written, 2 written */
  uint32_t err_ptr, err_len; /* UTF-8 JSON {name, message, stack, task} */
  wasm_block block;
} wasm_run;

/* A pool as the host holds it: the handle, in linear memory. */
typedef struct host_pool {
  weft_pool pool;
} host_pool;

/* Sets the status of the graph node or launched task (host_task.c) whose C
 * task is running on this thread, the innermost one (the first non-zero
 * status counts); elsewhere it does nothing. C tasks call it to fail their
 * node or launched task; the host calls it when a node's JavaScript task
 * throws. (host_graph.c) */
void weft_wasm_fail(int32_t status);

/* Where weft_wasm_fail writes: the status of the innermost graph node or
 * launched task running on this thread (its trampoline saves the old value
 * and points it at its own status), or NULL. */
extern _Thread_local int32_t *weft__wasm_status;

#endif
