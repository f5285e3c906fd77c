/*
 * task_fuzz.c - libFuzzer harness for launched tasks.
 *
 * The input is a program of operations on one pool (byte 0's low bit picks
 * 1 or 2 workers), each op a byte plus arguments:
 *   0 launch a task after up to 3 earlier handles (any kind; released ones
 *     too: those must give WEFT_ESTALE and launch nothing), maybe failing,
 *     maybe into the pipe
 *   1 create an event            2 trigger an event (maybe failed)
 *   3 cancel a handle            4 release a handle
 *   5 wait for a handle          6 attach-free launch of 5 prerequisites
 * At the end every event still untriggered is triggered, every task waited
 * for, and the outcome checked against the rules, using the stamps each
 * body records:
 *   - a task ran at most once, and only after every prerequisite it named
 *     completed DONE (pipe order links excepted: those only order);
 *   - a task that ran is DONE or FAILED (its body's status), one that did
 *     not run is CANCELED, and then it was canceled by hand or one of its
 *     prerequisites did not complete DONE;
 *   - pipe members never overlapped and started in launch order;
 *   - every call through a released handle gave WEFT_ESTALE.
 *
 * Build: cmake -DWEFT_BUILD_FUZZ=ON -DCMAKE_C_COMPILER=clang (see
 * scripts/test.sh), run: task_fuzz -max_total_time=30 CORPUS_DIR.
 */
#include <weft.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXH 128

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c)) {                                                               \
      fprintf(stderr, "task_fuzz: check failed at line %d: %s\n", __LINE__, #c); \
      abort();                                                                \
    }                                                                         \
  } while (0)

typedef struct slot {
  weft_task h;
  int is_event, released, canceled, in_pipe, fail, triggered, blocked;
  int npre;
  int pre[5];
} slot;

static weft_pool pools[2];
static slot S[MAXH];
static int nh;
static _Atomic uint64_t clock_;
static _Atomic uint64_t start_t[MAXH], end_t[MAXH];
static _Atomic uint32_t runs[MAXH];
static _Atomic int in_pipe_now;
static _Atomic int pipe_overlap;
static int pipe_order[MAXH], npipe;
static _Atomic int pipe_seen[MAXH];
static _Atomic int pipe_pos;

/* Tasks of earlier inputs that were released before they ran may still be
 * waiting or running: their iteration number tells them apart. */
static _Atomic uint32_t iteration;

typedef struct targ {
  uint32_t iter;
  int i;
} targ;

static int body(weft_worker *w, void *p) {
  (void)w;
  targ a;
  memcpy(&a, p, sizeof a);
  if (a.iter != atomic_load(&iteration)) return 0;
  int i = a.i;
  atomic_store(&start_t[i], atomic_fetch_add(&clock_, 1) + 1);
  atomic_fetch_add(&runs[i], 1);
  if (S[i].in_pipe) {
    if (atomic_fetch_add(&in_pipe_now, 1) != 0) atomic_store(&pipe_overlap, 1);
    atomic_store(&pipe_seen[atomic_fetch_add(&pipe_pos, 1)], i);
    atomic_fetch_sub(&in_pipe_now, 1);
  }
  atomic_store(&end_t[i], atomic_fetch_add(&clock_, 1) + 1);
  return S[i].fail;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (!pools[0].id) {
    weft_config c;
    weft_config_default(&c);
    c.workers = 1;
    if (weft_pool_create(&pools[0], &c)) abort();
    c.workers = 2;
    if (weft_pool_create(&pools[1], &c)) abort();
  }
  weft_pool pool = pools[data[0] & 1];
  uint32_t iter = atomic_fetch_add(&iteration, 1) + 1;
  memset(S, 0, sizeof S);
  nh = 0;
  npipe = 0;
  atomic_store(&pipe_pos, 0);
  atomic_store(&pipe_overlap, 0);
  atomic_store(&clock_, 0);
  for (int i = 0; i < MAXH; i++) {
    atomic_store(&start_t[i], 0);
    atomic_store(&end_t[i], 0);
    atomic_store(&runs[i], 0);
  }
  weft_pipe *pipe;
  CHECK(weft_pipe_create(pool, &pipe) == 0);
  size_t at = 1;
#define NEXT() (at < size ? data[at++] : 0)
  while (at < size && nh < MAXH) {
    uint8_t op = NEXT() % 7;
    if (op == 0 || op == 6) {
      int i = nh;
      slot *s = &S[i];
      memset(s, 0, sizeof *s); /* a launch refused before may have used it */
      uint8_t f = NEXT();
      int want = op == 6 ? 5 : f % 4;
      weft_task pre[5];
      int stale = 0;
      for (int k = 0; k < want && nh > 0; k++) {
        int j = NEXT() % nh;
        pre[s->npre] = S[j].h;
        s->pre[s->npre++] = j;
        if (S[j].released) stale = 1;
      }
      s->fail = (f & 0x10) ? 1 + (f >> 5) : 0;
      s->in_pipe = (f & 0x08) != 0;
      weft_launch_opts o = {pre, (size_t)s->npre, s->in_pipe ? pipe : NULL, 0};
      targ a = {iter, i};
      int rc = weft_launch_ex(pool, body, &a, sizeof a, &o, &s->h);
      if (stale) {
        /* A released prerequisite may still be alive (not recycled yet):
         * then the launch is fine; if it was reused, ESTALE. */
        CHECK(rc == 0 || rc == WEFT_ESTALE);
        if (rc) continue;
      } else {
        CHECK(rc == 0);
      }
      if (s->in_pipe) pipe_order[npipe++] = i;
      nh++;
    } else if (op == 1) {
      CHECK(weft_event_create(pool, &S[nh].h) == 0);
      S[nh].is_event = 1;
      nh++;
    } else if (nh > 0) {
      int j = NEXT() % nh;
      slot *s = &S[j];
      if (op == 2) {
        if (s->released) continue;
        int rc = weft_event_trigger(s->h, NEXT() & 1 ? 0 : -3);
        if (!s->is_event) CHECK(rc == WEFT_EINVAL);
        else CHECK(rc == 0 || rc == WEFT_EALREADY);
        if (rc == 0) s->triggered = 1;
      } else if (op == 3) {
        if (s->released) continue;
        int rc = weft_task_cancel(s->h);
        CHECK(rc == 0 || rc == 1);
        if (rc == 1) s->canceled = s->triggered = 1;
      } else if (op == 4) {
        /* A task is released early only once it has completed, so no body
         * of this input can still run after the checks below (an event may
         * go at any time: what waits on it then never runs). */
        if (!s->released && !s->is_event && weft_task_status(s->h) == WEFT_EPENDING) continue;
        int rc = weft_task_release(s->h);
        CHECK(rc == (s->released ? WEFT_ESTALE : 0));
        s->released = 1;
      } else if (op == 5) {
        if (s->released) continue;
        /* Only what cannot be behind an event nobody will trigger. */
        if (!s->is_event && s->npre == 0 && !s->in_pipe) CHECK(weft_task_wait(s->h) == (s->fail ? WEFT_EFAILED : WEFT_OK) || s->canceled);
      }
    }
  }
  /* Trigger what is left, then wait for everything still held. */
  for (int i = 0; i < nh; i++)
    if (S[i].is_event && !S[i].released) {
      int rc = weft_event_trigger(S[i].h, 0);
      CHECK(rc == 0 || rc == WEFT_EALREADY);
      S[i].triggered = 1;
    }
  /* An event released before anyone triggered it holds back, for good,
   * every task after it (through prerequisites or the pipe); those are the
   * only tasks allowed to stay pending. */
  int prev_pipe = -1;
  for (int i = 0; i < nh; i++) {
    slot *s = &S[i];
    if (s->is_event) {
      s->blocked = !s->triggered;
      continue;
    }
    for (int k = 0; k < s->npre; k++) s->blocked |= S[s->pre[k]].blocked;
    if (s->in_pipe) {
      if (prev_pipe >= 0) s->blocked |= S[prev_pipe].blocked;
      prev_pipe = i;
    }
  }
  for (int i = 0; i < nh; i++) {
    slot *s = &S[i];
    if (s->released || s->is_event) continue;
    int st = s->blocked ? weft_task_status(s->h) : weft_task_wait(s->h);
    if (st == WEFT_EPENDING) continue;
    weft_task_info info;
    CHECK(weft_task_info_get(s->h, &info) == 0);
    uint32_t r = atomic_load(&runs[i]);
    CHECK(r <= 1);
    if (r) {
      CHECK(st == (s->fail ? WEFT_EFAILED : WEFT_OK));
      if (s->fail) CHECK(info.status == s->fail && info.origin.id == s->h.id);
      uint64_t t = atomic_load(&start_t[i]);
      for (int k = 0; k < s->npre; k++) {
        const slot *p = &S[s->pre[k]];
        if (p->released) continue;
        if (!p->is_event) CHECK(atomic_load(&end_t[s->pre[k]]) < t);
        CHECK(weft_task_status(p->h) == WEFT_OK);
      }
    } else {
      CHECK(st == WEFT_ECANCELED);
      int why = s->canceled;
      for (int k = 0; k < s->npre && !why; k++) {
        const slot *p = &S[s->pre[k]];
        why = p->released || weft_task_status(p->h) != WEFT_OK;
      }
      CHECK(why);
      CHECK(info.origin.id != 0);
    }
  }
  CHECK(!atomic_load(&pipe_overlap));
  /* Pipe members that ran did so in launch order. */
  int pos = atomic_load(&pipe_pos), q = 0;
  for (int k = 0; k < pos; k++) {
    int id = atomic_load(&pipe_seen[k]);
    while (q < npipe && pipe_order[q] != id) q++;
    if (q >= npipe) {
      fprintf(stderr, "pipe launch order:");
      for (int x = 0; x < npipe; x++) fprintf(stderr, " %d", pipe_order[x]);
      fprintf(stderr, "\nstart order:");
      for (int x = 0; x < pos; x++) fprintf(stderr, " %d", atomic_load(&pipe_seen[x]));
      fprintf(stderr, "\n");
    }
    CHECK(q < npipe);
    q++;
  }
  for (int i = 0; i < nh; i++)
    if (!S[i].released) CHECK(weft_task_release(S[i].h) == 0);
  weft_pipe_destroy(pipe);
  return 0;
}
