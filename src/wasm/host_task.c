/*
 * host_task.c - launched tasks (src/task.c) for the JavaScript host: launch
 * a C or JavaScript task after prerequisite handles, from the main thread
 * (an outside launch: the pool is pinned, ready tasks go to the shared
 * stack) or from inside a task (ctx.launch: the worker's own lists), plus
 * events, pipes, and a way for the main thread to wait without blocking.
 *
 * Handles cross the boundary as u64 ids in memory (two u32 words, low
 * first), or as (lo, hi) pairs of i32 arguments: no BigInt on the hot path.
 *
 * The task block of a launched task is the 48-byte block of host.h, with
 * `run` holding the C weft_fn (table index) for a C task and 0 for a
 * JavaScript task (whose id is in `fn`). Trampolines turn it into a
 * weft_task_fn that returns a status:
 *  - C: the task's weft_wasm_fail(status) (as for graph nodes);
 *  - JavaScript: the js_launch import returns non-zero when the task threw.
 * A failure is noted (failure notes, below) with the failing task's handle,
 * its task, its status and, for a throw, the error as JSON, so the main
 * thread can name the task that failed first even after its record was
 * recycled.
 *
 * Waiting from the main thread: weft_wasm_task_waiter registers the waiter
 * (the WAITER bit of the record's head, as weft_task_wait's outside path
 * does) and returns the state word's address; the host then waits on that
 * word with Atomics.waitAsync, which the completer's wake notifies.
 */
#include <stdlib.h>
#include <string.h>

#include "../task.h"
#include "../trace.h"
#include "host.h"

WASM_IMPORT(weft, js_launch) int32_t weft_host_js_launch(weft_worker *w, void *block);

/* ---------------------------------------------------------- failure notes */

/* The last NOTES failures, in a ring under a spin lock (failures are rare).
 * key: 0x80000000 | JavaScript task id, 0x40000000 for a failure by hand
 * (weft_wasm_task_note_label), or the C weft_fn (table index). */
#define NOTES 256u

typedef struct note_t {
  uint64_t id;
  int32_t status;
  uint32_t key;
  char *msg; /* malloc'd UTF-8 JSON of a JavaScript error, or NULL */
  uint32_t len;
} note_t;

static note_t notes[NOTES];
static uint32_t notes_next;
static _Atomic uint32_t notes_lock; /* src/spin.h */

static void lock_notes(void) { weft__spin_lock(&notes_lock); }
static void unlock_notes(void) { weft__spin_unlock(&notes_lock); }

static void note(uint64_t id, int32_t status, uint32_t key, char *msg, uint32_t len) {
  lock_notes();
  note_t *n = &notes[notes_next++ % NOTES];
  char *old = n->msg;
  n->id = id;
  n->status = status;
  n->key = key;
  n->msg = msg;
  n->len = len;
  unlock_notes();
  free(old);
}

/* What is noted about the failure of task (lo, hi): out[0] status, out[1]
 * key, out[2] a malloc'd copy of the JSON (0 if none; the caller frees it),
 * out[3] its length. Returns 1 if found, 0 if not (never failed by a
 * trampoline, or pushed out of the ring). */
int32_t WASM_EXPORT(weft_wasm_task_note)(uint32_t lo, uint32_t hi, uint32_t *out) {
  uint64_t id = ((uint64_t)hi << 32) | lo;
  int found = 0;
  lock_notes();
  for (uint32_t k = 0; k < NOTES; k++) {
    note_t *n = &notes[(notes_next - 1 - k) % NOTES];
    if (n->id != id || !id) continue;
    out[0] = (uint32_t)n->status;
    out[1] = n->key;
    out[2] = 0;
    out[3] = n->len;
    if (n->msg) {
      char *copy = malloc(n->len ? n->len : 1);
      if (copy) memcpy(copy, n->msg, n->len);
      out[2] = (uint32_t)(uintptr_t)copy;
    }
    found = 1;
    break;
  }
  unlock_notes();
  return found;
}

/* Called by the JavaScript host from inside a JavaScript task that threw
 * (before js_launch returns): notes the running task's failure with the
 * error's JSON (bytes at msg, copied). */
void WASM_EXPORT(weft_wasm_task_threw)(weft_worker *w, uint32_t jsid, int32_t status,
                                       const char *msg, uint32_t len) {
  uint64_t id = weft__task_current(w);
  if (!id) return;
  char *copy = len ? malloc(len) : NULL;
  if (copy) memcpy(copy, msg, len);
  note(id, status, 0x80000000u | jsid, copy, copy ? len : 0);
}

/* Notes a failure by hand (an event failed, a handle canceled) with the
 * handle's label as JSON (bytes at msg, copied): key 0x40000000. */
void WASM_EXPORT(weft_wasm_task_note_label)(uint32_t lo, uint32_t hi, int32_t status, const char *msg,
                                            uint32_t len) {
  char *copy = len ? malloc(len) : NULL;
  if (copy) memcpy(copy, msg, len);
  note(((uint64_t)hi << 32) | lo, status, 0x40000000u, copy, copy ? len : 0);
}

/* ------------------------------------------------------------ trampolines */

static int launched_c(weft_worker *w, void *args) {
  wasm_block *b = args;
  uint32_t fn = b->run;
  b->run = 0; /* not a run record: a JavaScript task spawned from it has none */
  int32_t st = 0, *saved = weft__wasm_status;
  weft__wasm_status = &st;
  ((weft_fn)(uintptr_t)fn)(w, b);
  weft__wasm_status = saved;
  if (st) note(weft__task_current(w), st, fn, NULL, 0);
  return st;
}

static int launched_js(weft_worker *w, void *args) {
  /* A graph node running inside (ctx.graph) sets its own status slot. */
  int32_t *saved = weft__wasm_status;
  weft__wasm_status = NULL;
  /* Traces: the body is a JavaScript task, named by its export. */
  weft__tbuf *tb = weft__tracing(w);
  uint16_t id = ((wasm_block *)args)->fn;
  if (tb) weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_JS), WASM_JS_TRACE_KEY(id), id, 0);
  int32_t st = weft_host_js_launch(w, args);
  if (tb) weft__tput(tb, WEFT__EV_END, 0, 0, 0);
  weft__wasm_status = saved;
  return st;
}

/* ----------------------------------------------------------------- launch */

static int pool_of(host_pool *hp, weft_pool *out) {
  if (hp) {
    *out = hp->pool;
    return 0;
  }
  weft_worker *w = weft_current_worker();
  if (!w) return WEFT_EINVAL;
  *out = weft_worker_pool(w);
  return 0;
}

/* Launches the task of the block at b (C when cfn != 0: its weft_fn;
 * JavaScript otherwise, its id in b->fn) after the `nafter` handles at
 * after, into pipe (NULL: none), with flags (WEFT_LAUNCH_CHILD). hp: the
 * pool, or NULL for the calling worker's. *out gets the handle, or 0 when
 * out is NULL (nobody keeps one). Returns 0 or a weft error code. */
int32_t WASM_EXPORT(weft_wasm_launch)(host_pool *hp, uint32_t cfn, wasm_block *b,
                                      const weft_task *after, uint32_t nafter, weft_pipe *pipe,
                                      uint32_t flags, weft_task *out) {
  weft_pool pool;
  int rc = pool_of(hp, &pool);
  if (rc) return rc;
  b->run = cfn;
  weft_launch_opts o = {after, nafter, pipe, flags};
  return weft_launch_ex(pool, cfn ? launched_c : launched_js, b, sizeof *b, &o, out);
}

#define GATE 256u /* tasks launched from outside the pool behind one gate */

/* launchMany: `count` tasks of one function (children of the calling task
 * when it is a launched task), task k's block the template
 * with the number k in slot `kslot` (so its arguments are the template's
 * and k). after: `per` int32 entries per task, each the batch index of a
 * prerequisite launched earlier in this batch, or -1 (none). Every handle
 * is released once its last successor in the batch is launched (tasks
 * with none at once), so memory stays bounded by what is in flight, as in a
 * C program that launches a wavefront. ids: scratch room for `count`
 * handles (u64) and `count` u32 last-use indices. last_out (may be NULL)
 * gets the handle of the batch's last task, which the caller then owns
 * (it is not released here). Returns 0 or an error
 * (WEFT_EINVAL: a prerequisite index that is not earlier in the batch). */
int32_t WASM_EXPORT(weft_wasm_launch_many)(host_pool *hp, uint32_t cfn, const wasm_block *tmpl,
                                           uint32_t kslot, uint32_t count, const int32_t *after,
                                           uint32_t per, uint64_t *ids, weft_task *last_out) {
  weft_pool pool;
  int rc = pool_of(hp, &pool);
  if (rc) return rc;
  if (per > 64 || kslot >= 5) return WEFT_EINVAL;
  uint32_t *last = (uint32_t *)(ids + count);
  for (uint32_t k = 0; k < count; k++) last[k] = k;
  for (uint32_t k = 0; k < count; k++)
    for (uint32_t j = 0; j < per; j++) {
      int32_t p = after[(size_t)k * per + j];
      if (p < 0) continue;
      if ((uint32_t)p >= k) return WEFT_EINVAL;
      last[p] = k;
    }
  weft_task_fn fn = cfn ? launched_c : launched_js;
  /* Inside a launched task the batch is its children: its completion (and
   * its successors, and its promise) waits for every task of the batch. */
  weft_worker *self = weft_current_worker();
  const int child = self && weft__task_current(self);
  weft_launch_opts o = {NULL, 0, NULL, 0};
  wasm_block b = *tmpl;
  b.run = cfn;
  b.tags = (uint16_t)((b.tags & ~(7u << (3 * kslot))) | (1u << (3 * kslot)));
  /* From outside the pool (the main thread), a task whose prerequisites
   * have completed is pushed to the shared stack as it is launched, waking
   * a sleeping worker each time: a chain that the worker finishes faster
   * than this loop launches it paid a wake-up per task. So each run of
   * GATE tasks also waits for a gate event, triggered once the run is
   * launched: one wake-up per run, and the workers still start on a run
   * while the next is launched. (A worker's launches go to its own ready
   * list and wake nobody.) */
  weft_task gate = {0};
  uint32_t gated = 0;
  weft_task pre[65];
  for (uint32_t k = 0; k < count; k++) {
    uint32_t n = 0;
    for (uint32_t j = 0; j < per; j++) {
      int32_t p = after[(size_t)k * per + j];
      if (p >= 0) pre[n++].id = ids[p];
    }
    if (!self && n < 4) {
      if (!gate.id && weft_event_create(pool, &gate)) gate.id = 0;
      if (gate.id) {
        pre[n++] = gate;
        gated++;
      }
    }
    double d = (double)k;
    memcpy(&b.slot[kslot], &d, sizeof d);
    b.run = cfn;
    weft_task t;
    o.after = pre;
    o.nafter = n;
    /* Only the batch's sinks need to be children: every other task is a
     * prerequisite, directly or not, of one of them, so it has completed
     * before they complete (a failure cancels them, after it completed). */
    o.flags = child && last[k] == k ? WEFT_LAUNCH_CHILD : 0;
    rc = weft_launch_ex(pool, fn, &b, sizeof b, &o, &t);
    if (gate.id && (rc || gated >= GATE || k + 1 == count)) {
      weft_event_trigger(gate, 0);
      weft_task_release(gate);
      gate.id = 0;
      gated = 0;
    }
    if (rc) {
      /* Give back what is still held: nothing launched so far is lost. */
      for (uint32_t q = 0; q < k; q++)
        if (last[q] >= k && last[q] < count) weft_task_release((weft_task){ids[q]});
      return rc;
    }
    ids[k] = t.id;
    for (uint32_t j = 0; j < per; j++) {
      int32_t p = after[(size_t)k * per + j];
      if (p >= 0 && last[p] == k) {
        weft_task_release((weft_task){ids[p]});
        last[p] = count; /* listed twice: released once */
      }
    }
    if (last[k] == k && !(last_out && k == count - 1)) weft_task_release(t);
  }
  if (last_out && count) {
    last_out->id = ids[count - 1];
    if (last[count - 1] != count - 1) last_out->id = 0; /* never: the last has no successor */
  }
  return 0;
}

/* ------------------------------------------------------- handles, events */

static weft_task task_of(uint32_t lo, uint32_t hi) {
  weft_task t = {((uint64_t)hi << 32) | lo};
  return t;
}

int32_t WASM_EXPORT(weft_wasm_event_create)(host_pool *hp, weft_task *out) {
  weft_pool pool;
  int rc = pool_of(hp, &pool);
  return rc ? rc : weft_event_create(pool, out);
}

int32_t WASM_EXPORT(weft_wasm_event_trigger)(uint32_t lo, uint32_t hi, int32_t status) {
  return weft_event_trigger(task_of(lo, hi), status);
}

int32_t WASM_EXPORT(weft_wasm_task_status)(uint32_t lo, uint32_t hi) {
  return weft_task_status(task_of(lo, hi));
}

/* out[0] state, out[1] status, out[2..3] the origin handle. */
int32_t WASM_EXPORT(weft_wasm_task_info)(uint32_t lo, uint32_t hi, int32_t *out) {
  weft_task_info info;
  int rc = weft_task_info_get(task_of(lo, hi), &info);
  if (rc) return rc;
  out[0] = info.state;
  out[1] = info.status;
  memcpy(&out[2], &info.origin.id, sizeof info.origin.id);
  return 0;
}

/* The task's result (slot 0 of its block, an f64) at *out. */
int32_t WASM_EXPORT(weft_wasm_task_result)(uint32_t lo, uint32_t hi, double *out) {
  wasm_block b;
  int rc = weft_task_result(task_of(lo, hi), &b, sizeof b);
  if (rc == 0) memcpy(out, &b.slot[0], sizeof *out);
  return rc;
}

int32_t WASM_EXPORT(weft_wasm_task_cancel)(uint32_t lo, uint32_t hi) {
  return weft_task_cancel(task_of(lo, hi));
}

int32_t WASM_EXPORT(weft_wasm_task_release)(uint32_t lo, uint32_t hi) {
  return weft_task_release(task_of(lo, hi));
}

/* Inside a task: waits (working, never blocking) and returns the state. */
int32_t WASM_EXPORT(weft_wasm_task_wait)(uint32_t lo, uint32_t hi) {
  return weft_task_wait(task_of(lo, hi));
}

int32_t WASM_EXPORT(weft_wasm_task_attach)(weft_worker *w, uint32_t lo, uint32_t hi) {
  return weft_task_attach(w, task_of(lo, hi));
}

/* Main thread: the address of the task's state word to wait on (after
 * registering the waiter), or 0 when there is nothing to wait for: then
 * *rc is WEFT_OK (completed) or WEFT_ESTALE. */
uint32_t WASM_EXPORT(weft_wasm_task_waiter)(uint32_t lo, uint32_t hi, int32_t *rc) {
  int r;
  _Atomic uint32_t *word = weft__task_waiter(task_of(lo, hi), &r);
  *rc = r;
  return (uint32_t)(uintptr_t)word;
}

/* ------------------------------------------------------------------ pipes */

weft_pipe *WASM_EXPORT(weft_wasm_pipe_create)(host_pool *hp, int32_t *rc) {
  weft_pool pool;
  weft_pipe *q = NULL;
  int r = pool_of(hp, &pool);
  if (!r) r = weft_pipe_create(pool, &q);
  *rc = r;
  return q;
}

void WASM_EXPORT(weft_wasm_pipe_destroy)(weft_pipe *q) { weft_pipe_destroy(q); }

/* ------------------------------------------------- the single-thread pool */

static void drain_fn(weft_worker *w, void *a) {
  (void)a;
  while (weft__tasks_take(w) || w->lt_ready) weft__tasks_drain(w);
}

/* A WEFT_THREADS_CALLER pool (the page's single-thread fallback) has no
 * thread of its own: the host runs every ready launched task here, until
 * none is left (tasks behind untriggered events stay). */
int32_t WASM_EXPORT(weft_wasm_tasks_run_ready)(host_pool *hp) {
  if (!hp) return WEFT_EINVAL;
  return weft_run(hp->pool, drain_fn, NULL);
}
