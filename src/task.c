/*
 * task.c - launched tasks: records, handles, prerequisites, events, pipes,
 * completion, and the dispatch loop that runs ready tasks on a worker.
 *
 * The protocol, its invariants and the proof sketch (lost successors,
 * stale handles, recycling) are in docs/TASKS.md; the spin model is
 * model/task.pml. In brief:
 *  - A record's `head` packs its generation with its waiter list. A
 *    successor links itself into a prerequisite's list with one CAS that
 *    also checks the generation; completion sets SEALED with one
 *    fetch-and-add. Every link therefore either lands before the seal (and
 *    the completer walks it) or sees SEALED (and the launcher counts the
 *    prerequisite as completed): no successor is lost, none is counted twice.
 *  - `pending` counts the prerequisites a task still waits for (one unit
 *    each, held by the launcher until its link lands, then by that
 *    prerequisite's completer); the thread whose drop reaches zero makes it
 *    ready. No launch guard: the launcher stops touching the record once it
 *    holds no unit.
 *  - Running is claimed by CAS on `state` (NEW -> RUNNING): the dispatcher,
 *    a waiter running the task inline and weft_task_cancel race there, and
 *    exactly one wins.
 *  - `head` also holds a bit per holder: the scheduler (dropped when the
 *    record leaves the ready queues), the user's handle, a pipe; completion
 *    holds it until the seal, which drops the scheduler's bit in the same
 *    read-modify-write when the completer owns it. The record is recycled by
 *    whoever leaves it sealed with no holder: its generation is bumped first,
 *    so a stale handle never matches again.
 */
#include "task.h"
#include "dispatch.h"
#include "trace.h"

#include <stdio.h>

#define R_SCHED WEFT__H_SCHED
#define R_USER WEFT__H_USER
#define R_PIPE WEFT__H_PIPE

#define BATCH 256u                       /* records moved between free lists */
#define THROTTLE 256                     /* live launches per worker before launch helps */
#define HELP_DEPTH 8u                    /* prerequisite levels a waiter runs inline */
#define CREDIT 1024u                     /* child units a body adds to its pending at once */

struct weft_pipe {
  uint64_t pool_id;
  _Atomic uint64_t last; /* the newest member (holding R_PIPE), 0 none */
};

_Thread_local unsigned weft__dispatch_depth WEFT__TLS_IE;

#ifndef WEFT__LIKELY
#define WEFT__LIKELY(x) (x)
#define WEFT__UNLIKELY(x) (x)
#endif

/* Initial stores to a record being created or recycled (and the body's
 * count set by the thread that won the claim), which no handle reaches yet (only a waiter's stale index, whose reads are defined races:
 * help()). Natively a relaxed store is a plain mov. wasm has only
 * sequentially consistent atomics, so there every one of them is a full
 * barrier (an xchg on x86): ten of them per launch made `create` half of a
 * launch's time in the wasm build. There they are plain stores, published by
 * the release store of `state` (an atomic store in wasm) that follows. */
#if defined(__wasm__)
#define INIT_STORE(T, p, v) (*(T *)(void *)(p) = (T)(v))
#define INIT_PLAIN(T, p, v) (*(T *)(void *)(p) = (T)(v))
#else
#define INIT_STORE(T, p, v) atomic_store_explicit((p), (T)(v), memory_order_relaxed) /* _Atomic fields */
#define INIT_PLAIN(T, p, v) __atomic_store_n((p), (T)(v), __ATOMIC_RELAXED)          /* plain fields */
#endif

/* ---------------------------------------------------------------- records */

static inline weft__trec *rec(weft__pool *p, uint32_t i) {
  weft__trec *c = atomic_load_explicit(&p->lt_chunks[i >> WEFT__CHUNK_SHIFT], memory_order_acquire);
  return c + (i & (WEFT__CHUNK - 1));
}

static inline uint32_t gen_of(uint64_t head) { return (uint32_t)(head >> 32); }

static inline uint64_t make_id(const weft__pool *p, uint32_t gen, uint32_t i) {
  return ((uint64_t)gen << 32) | ((uint64_t)p->slot << 24) | i;
}

static inline uint64_t id_of(weft__pool *p, uint32_t i, weft__trec *r) {
  return make_id(p, gen_of(atomic_load_explicit(&r->head, memory_order_relaxed)), i);
}

/* The record a handle names, if its generation still matches. */
static weft__trec *lookup(weft__pool *p, uint64_t id, uint32_t *idx) {
  uint32_t i = (uint32_t)id & WEFT__IDX_MASK;
  if (i == 0 || ((id >> 24) & 0xffu) != p->slot) return NULL;
  weft__trec *c = atomic_load_explicit(&p->lt_chunks[i >> WEFT__CHUNK_SHIFT], memory_order_acquire);
  if (!c) return NULL;
  weft__trec *r = c + (i & (WEFT__CHUNK - 1));
  if (gen_of(atomic_load_explicit(&r->head, memory_order_acquire)) != (uint32_t)(id >> 32))
    return NULL;
  *idx = i;
  return r;
}

/* Spare records are kept by address, not in the order they were freed: a
 * LIFO of everything freed since the pool started hands records out in an
 * order that grows more random with every burst (a program that holds half a
 * million handles and lets them go reuses them scattered over 64 MiB: the
 * binary tree of bench/dyn ran 73 ms the first time and 170 ms the fifth).
 * A worker's own list stays LIFO (what it freed last is in its cache); what
 * overflows it goes back to the chunks' bitmaps, and a refill takes the
 * lowest free addresses, so reuse walks memory the way fresh records do. */
#define CHUNK_BYTES ((size_t)WEFT__CHUNK * sizeof(weft__trec) + WEFT__CHUNK / 8u)

static inline uint64_t *spare_bits(weft__trec *chunk) {
  return (uint64_t *)(void *)(chunk + WEFT__CHUNK);
}

/* A new chunk, all spare. Under lt_spare_lock. */
static int carve(weft__pool *p) {
  uint32_t c = atomic_load_explicit(&p->lt_nchunks, memory_order_relaxed);
  if (c >= WEFT__MAX_CHUNKS) return WEFT_ENOMEM;
  weft__trec *chunk = weft__prim_reserve(CHUNK_BYTES);
  if (!chunk) return WEFT_ENOMEM;
  if (weft__prim_commit(chunk, CHUNK_BYTES)) {
    weft__prim_release(chunk, CHUNK_BYTES);
    return WEFT_ENOMEM;
  }
  for (uint32_t k = 0; k < WEFT__CHUNK; k++) {
    weft__trec *r = &chunk[k];
    atomic_init(&r->head, (uint64_t)p->lt_gen_base << 32);
    atomic_init(&r->state, WEFT__S_GEN(p->lt_gen_base) | WEFT__T_FREE);
  }
  uint64_t *bits = spare_bits(chunk);
  for (uint32_t w = 0; w < WEFT__CHUNK / 64u; w++) bits[w] = ~(uint64_t)0;
  if (c == 0) bits[0] &= ~(uint64_t)1; /* index 0 is never a task */
  p->lt_spare_n[c] = (uint16_t)(WEFT__CHUNK - (c == 0));
  if (c < p->lt_spare_low) p->lt_spare_low = c;
  atomic_store_explicit(&p->lt_chunks[c], chunk, memory_order_release);
  atomic_store_explicit(&p->lt_nchunks, c + 1, memory_order_release);
  return 0;
}

_Static_assert(WEFT__FREE_CAP == 2 * BATCH, "a free list holds two batches");

/* Up to BATCH spare records into the empty list *fl, the lowest address on
 * top (handed out first). Under lt_spare_lock. */
static uint32_t take_spare(weft__pool *p, weft__freelist *fl) {
  uint32_t n = atomic_load_explicit(&p->lt_nchunks, memory_order_relaxed), got = 0;
  uint32_t low[BATCH];
  for (uint32_t c = p->lt_spare_low; c < n && got < BATCH; c++) {
    if (p->lt_spare_n[c]) {
      weft__trec *chunk = atomic_load_explicit(&p->lt_chunks[c], memory_order_relaxed);
      uint64_t *bits = spare_bits(chunk);
      for (uint32_t w = 0; w < WEFT__CHUNK / 64u && got < BATCH; w++) {
        uint64_t x = bits[w], left = x;
        for (; left && got < BATCH; got++) {
          low[got] = (c << WEFT__CHUNK_SHIFT) | (w * 64u + (uint32_t)__builtin_ctzll(left));
          left &= left - 1;
        }
        p->lt_spare_n[c] = (uint16_t)(p->lt_spare_n[c] - __builtin_popcountll(x ^ left));
        bits[w] = left;
      }
    }
    if (!p->lt_spare_n[c] && c == p->lt_spare_low) p->lt_spare_low = c + 1;
  }
  for (uint32_t k = 0; k < got; k++) fl->idx[k] = low[got - 1 - k];
  fl->n = got;
  return got;
}

static int refill(weft__pool *p, weft__freelist *fl) {
  weft__spin_lock(&p->lt_spare_lock);
  int rc = 0;
  if (!take_spare(p, fl) && !(rc = carve(p))) take_spare(p, fl);
  weft__spin_unlock(&p->lt_spare_lock);
  return rc;
}

/* A full list keeps its newest BATCH (likely still in this core's cache)
 * and gives the older ones back to their chunks. */
static void give_batch(weft__pool *p, weft__freelist *fl) {
  weft__spin_lock(&p->lt_spare_lock);
  for (uint32_t k = 0; k < BATCH; k++) {
    uint32_t c = fl->idx[k] >> WEFT__CHUNK_SHIFT, j = fl->idx[k] & (WEFT__CHUNK - 1);
    weft__trec *chunk = atomic_load_explicit(&p->lt_chunks[c], memory_order_relaxed);
    spare_bits(chunk)[j / 64u] |= (uint64_t)1 << (j % 64u);
    p->lt_spare_n[c]++;
    if (c < p->lt_spare_low) p->lt_spare_low = c;
  }
  weft__spin_unlock(&p->lt_spare_lock);
  memmove(fl->idx, fl->idx + BATCH, BATCH * sizeof fl->idx[0]);
  fl->n = BATCH;
}

static uint32_t fl_pop(weft__pool *p, weft__freelist *fl) {
  if (!fl->n && refill(p, fl)) return 0;
  return fl->idx[--fl->n];
}

static void fl_push(weft__pool *p, weft__freelist *fl, uint32_t i) {
  fl->idx[fl->n++] = i;
  if (fl->n == WEFT__FREE_CAP) give_batch(p, fl);
}

/* A free record: from the worker's list, or (other threads) the pool's. */
static uint32_t alloc_rec(weft__pool *p, weft_worker *w) {
  if (w) return fl_pop(p, &w->lt_free);
  weft__spin_lock(&p->ext_lock);
  uint32_t i = fl_pop(p, &p->ext_free);
  weft__spin_unlock(&p->ext_lock);
  return i;
}

/* Recycles a record nobody holds any more: the generation moves first, so a
 * stale handle stops matching before the record can be handed out again. */
static void free_rec(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r) {
  uint32_t gen = gen_of(atomic_load_explicit(&r->head, memory_order_relaxed)) + 1;
  if (gen == 0) gen = 1;
  INIT_STORE(uint32_t, &r->state, WEFT__S_GEN(gen) | WEFT__T_FREE);
  atomic_store_explicit(&r->head, (uint64_t)gen << 32, memory_order_release);
  if (w) {
    fl_push(p, &w->lt_free, i);
    return;
  }
  weft__spin_lock(&p->ext_lock);
  fl_push(p, &p->ext_free, i);
  weft__spin_unlock(&p->ext_lock);
}

/* Whether head `h` says the record is completed (sealed) and held by
 * nobody: then the thread whose operation left it so recycles it. */
static inline int unheld(uint64_t h) {
  return (h & (WEFT__H_SEALED | WEFT__H_HOLD)) == WEFT__H_SEALED;
}

/* Drops holder bits (held by the caller); whoever leaves the record sealed
 * with no holder recycles it. When the record is already sealed and the
 * bits are all that hold it, nobody else can change `head` any more (no
 * link, no waiter, no other holder; a stale handle's CAS fails on the
 * generation), so no read-modify-write is needed. The acquire load (or the
 * RMW) reads the seal's and every earlier drop's release. */
static void drop(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r, uint32_t bits) {
  uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
  if ((h & (WEFT__H_SEALED | WEFT__H_HOLD)) != (WEFT__H_SEALED | bits)) {
    h = atomic_fetch_sub_explicit(&r->head, bits, memory_order_acq_rel) - bits; /* held: no borrow */
    if (!unheld(h)) return;
  }
  free_rec(p, w, i, r);
}

/* ------------------------------------------------------------ scheduling */

static void lt_frame(weft_worker *w, void *args);

/* Adds the chain first..last (linked by next[0]) to the shared ready stack. */
static void push_shared(weft__pool *p, uint32_t first, uint32_t last) {
  uint32_t h = atomic_load_explicit(&p->lt_ready, memory_order_relaxed);
  do {
    rec(p, last)->next[0] = h;
  } while (!atomic_compare_exchange_weak_explicit(&p->lt_ready, &h, first, memory_order_seq_cst,
                                                  memory_order_relaxed));
  weft__wake_one(p); /* seq_cst publish, then the sleep word: DESIGN.md's rule */
}

/* Gives the worker's ready list to the other workers. */
static void flush_local(weft_worker *w) {
  uint32_t first = w->lt_ready;
  if (!first) return;
  weft__pool *p = w->pool;
  uint32_t last = first;
  while (rec(p, last)->next[0]) last = rec(p, last)->next[0];
  w->lt_ready = 0;
  push_shared(p, first, last);
}

/* Drops k units of t's `pending` count; 1 if that brought it to zero. Every
 * unit is held by someone who will drop it (a linked prerequisite, the
 * launcher for a slot it could not link, the running body, a child), and
 * only a holder adds units (the body, for its children). So when the count equals k, every other
 * unit is gone and nobody can touch the word again before it reaches zero:
 * a plain load and store do what the read-modify-write would, at a fraction
 * of its cost (the last decrement of a chain, or of a task whose other
 * prerequisites finished first). The acquire load reads the value of the
 * last decrement (a release RMW), as the RMW would. The store must be a
 * release, as the RMW's write was: help() reads `pending` on another thread
 * and, seeing 0, claims and runs the task, so the 0 must carry every
 * prerequisite's completion (and a failure's origin) with it. A relaxed
 * store let a waiter run a body with no edge from its last prerequisite
 * (the spin model's UNPEND_RELAXED trails). On x86-64 both are a plain mov. */
static inline int unpend(weft__trec *t, uint32_t k) {
  if (atomic_load_explicit(&t->pending, memory_order_acquire) == k) {
    atomic_store_explicit(&t->pending, 0, memory_order_release);
    return 1;
  }
  return atomic_fetch_sub_explicit(&t->pending, k, memory_order_acq_rel) == k;
}

/* Task i is ready (its pending count reached zero). */
static void make_ready(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r) {
  if (w) {
    r->next[0] = w->lt_ready;
    w->lt_ready = i;
  } else {
    push_shared(p, i, i);
  }
}

static void set_origin(weft__trec *t, uint64_t origin, int status) {
  uint64_t none = 0;
  if (atomic_compare_exchange_strong_explicit(&t->origin, &none, origin, memory_order_relaxed,
                                              memory_order_relaxed))
    atomic_store_explicit(&t->origin_status, status, memory_order_relaxed);
}

/* A worker that completes more tasks than it launched (it runs what
 * another worker launches) hands its count in every THROTTLE completions,
 * so that the pool's count stays close enough for catch_up() to read. */
static void count_done(weft__pool *p, weft_worker *w) {
  if (!w) atomic_fetch_sub_explicit(&p->lt_live, 1, memory_order_relaxed);
  else if (WEFT__UNLIKELY(--w->lt_delta < -(int64_t)THROTTLE)) weft__tasks_flush(w);
}

/* Completes record i with final state st: seals it (dropping `also`, the
 * scheduler's bit if the caller holds it, in the same read-modify-write),
 * wakes its successors (and its parent), and recycles it if nobody else
 * holds it. After the seal the record may be recycled by another holder at
 * any moment, so everything needed from it is read before; the wake-up of
 * a sleeping waiter is by address only (a spurious wake at worst).
 * Iterative over parents. */
static void finish(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r, uint32_t st,
                   uint32_t also) {
  for (;;) {
    int failed = st != WEFT__T_DONE;
    uint64_t origin = 0;
    int ostatus = 0;
    if (failed) {
      origin = atomic_load_explicit(&r->origin, memory_order_relaxed);
      ostatus = atomic_load_explicit(&r->origin_status, memory_order_relaxed);
    }
    uint32_t pi = r->parent;
    atomic_store_explicit(&r->state,
                          (atomic_load_explicit(&r->state, memory_order_relaxed) & ~WEFT__S_BITS) | st,
                          memory_order_release);
    /* SEALED was clear and `also` set: the add sets one and clears the other. */
    uint64_t old = atomic_fetch_add_explicit(&r->head, (uint64_t)WEFT__H_SEALED - also,
                                             memory_order_acq_rel);
    int last = ((old - also) & WEFT__H_HOLD) == 0;
    for (uint32_t l = (uint32_t)old & WEFT__H_LINKS; l;) {
      uint32_t li = l - 1, ti = li >> 2, j = li & 3u;
      weft__trec *t = rec(p, ti);
      l = t->next[j]; /* before the decrement: t may run and be recycled after it */
      if (failed && !(t->order_mask & (1u << j))) set_origin(t, origin, ostatus);
      if (unpend(t, 1))
        make_ready(p, w, ti, t);
    }
    if (old & WEFT__H_WAITER) weft__prim_wake32((uint32_t *)&r->state, 1);
    count_done(p, w);
    if (last) free_rec(p, w, i, r);
    if (!pi) return;
    also = 0;
    /* A child: the parent waits for it (its body's count is in pending). */
    weft__trec *pr = rec(p, pi);
    if (failed) set_origin(pr, origin, ostatus);
    if (!unpend(pr, 1)) return;
    i = pi;
    r = pr;
    st = atomic_load_explicit(&pr->origin, memory_order_relaxed) ? WEFT__T_FAILED : WEFT__T_DONE;
  }
}

/* Runs record i if this thread wins the claim. `sched`: the caller owns the
 * scheduler's bit (it took the record off a ready queue); it is dropped
 * here, together with completion's when the task completes now. `g`: the
 * generation bits (WEFT__S_GEN) of the incarnation the caller means to run. */
static void exec(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r, uint32_t sched,
                 uint32_t g) {
  uint32_t s = g | WEFT__T_NEW;
  if (!atomic_compare_exchange_strong_explicit(&r->state, &s, g | WEFT__T_RUNNING,
                                               memory_order_acquire, memory_order_relaxed)) {
    if (s == (g | WEFT__T_NEW | WEFT__T_CANCEL_REQ) &&
        atomic_compare_exchange_strong_explicit(&r->state, &s, g | WEFT__T_RUNNING,
                                                memory_order_acquire, memory_order_relaxed)) {
      /* A pipe member canceled before its turn: its turn is now. */
      set_origin(r, id_of(p, i, r), WEFT_ECANCELED);
      finish(p, w, i, r, WEFT__T_CANCELED, sched);
      return;
    }
    if (sched) drop(p, w, i, r, sched); /* canceled, or run by a waiter */
    return;
  }
  if (WEFT__UNLIKELY(r->kind != WEFT__K_TASK)) { /* a join: passes its prerequisites on */
    finish(p, w, i, r,
           atomic_load_explicit(&r->origin, memory_order_relaxed) ? WEFT__T_CANCELED : WEFT__T_DONE,
           sched);
    return;
  }
  if (WEFT__UNLIKELY(atomic_load_explicit(&r->origin, memory_order_relaxed) != 0)) {
    finish(p, w, i, r, WEFT__T_CANCELED, sched); /* a prerequisite failed: never runs */
    return;
  }
  INIT_STORE(uint32_t, &r->pending, 1); /* the body; its children add later, on this thread */
  r->has_children = 0;
  r->credit = 0;
  uint32_t saved = w->lt_cur;
  w->lt_cur = i;
  weft__tbuf *tb = weft__tracing(w);
  if (WEFT__UNLIKELY(tb != NULL))
    weft__tput(tb, WEFT__TBEGIN(WEFT__CAT_LAUNCHED), (uint64_t)(uintptr_t)r->fn, i, 0);
  int rc = r->fn(w, r->args.b);
  if (WEFT__UNLIKELY(tb != NULL)) weft__tput(tb, WEFT__EV_END, 0, 0, 0);
  w->lt_cur = saved;
  if (WEFT__UNLIKELY(rc != 0)) set_origin(r, id_of(p, i, r), rc);
  if (r->has_children && !unpend(r, 1 + r->credit)) { /* the body's unit and unused credit */
    if (sched) drop(p, w, i, r, sched); /* the last child completes it */
    return;
  }
  finish(p, w, i, r,
         atomic_load_explicit(&r->origin, memory_order_relaxed) ? WEFT__T_FAILED : WEFT__T_DONE,
         sched);
}

/* A record taken off a ready queue. */
static inline void dispatch_one(weft__pool *p, weft_worker *w, uint32_t i) {
  weft__trec *r = rec(p, i);
  /* The scheduler's bit keeps this incarnation: its generation is current. */
  exec(p, w, i, r, R_SCHED, atomic_load_explicit(&r->state, memory_order_relaxed) & ~WEFT__S_BITS);
}

static inline int spawn_rec(weft_worker *w, uint32_t i) {
  return weft__dispatch_push(w, lt_frame, &i, sizeof i);
}

/* The dispatch loop: runs `cur` (if any), then whatever became ready on
 * this worker. One ready task continues in the loop; the others are pushed
 * as frames that thieves can take, or, too deep or with the deque nearly
 * full, onto the shared stack (in a pool of one worker they stay on the
 * list: nobody could take them, and pushing and taking back the frames was
 * 7-13% of bench/dyn's tree and random DAG at 1 worker). When nothing is
 * ready it takes its own frames back (a chain is a loop, not a recursion)
 * and finally looks at the shared stack. Returns with every frame it pushed
 * joined. */
static void lt_loop(weft_worker *w, uint32_t cur) {
  weft__pool *p = w->pool;
  unsigned spawned = 0;
  unsigned d = ++weft__dispatch_depth;
  const int deep = d >= weft__dispatch_depth_limit(p);
  const int solo = p->nworkers == 1;
  for (;;) {
    if (cur) {
      dispatch_one(p, w, cur);
      cur = 0;
      /* The progress hook (sleep.c): a stream of tasks can keep this loop
       * going forever, so outside completions are polled from here too, at
       * most once per interval (test progress_busy_stream). */
      if (WEFT__UNLIKELY(p->cfg.progress.poll != NULL)) weft__progress_step(w);
    }
    uint32_t l = w->lt_ready;
    if (l && solo) {
      /* No other worker to take them: the rest stay on the list. */
      cur = l;
      w->lt_ready = rec(p, l)->next[0];
      continue;
    }
    if (l) {
      w->lt_ready = 0;
      cur = l;
      l = rec(p, l)->next[0];
      while (l) {
        uint32_t nx = rec(p, l)->next[0];
        if (!deep && weft__dispatch_room(w) && spawn_rec(w, l) == 0) spawned++;
        else push_shared(p, l, l);
        l = nx;
      }
      continue;
    }
    /* Our own newest frame back, or (stolen) joined the slow way. */
    if (weft__dispatch_take(w, &spawned, &cur, sizeof cur)) continue;
    if (atomic_load_explicit(&p->lt_ready, memory_order_relaxed)) {
      uint32_t all = atomic_exchange_explicit(&p->lt_ready, 0, memory_order_acquire);
      if (all) {
        w->lt_ready = all;
        continue;
      }
    }
    break;
  }
  weft__dispatch_depth = d - 1;
}

static void lt_frame(weft_worker *w, void *args) {
  uint32_t i;
  memcpy(&i, args, sizeof i);
  lt_loop(w, i);
}

void weft__tasks_drain(weft_worker *w) {
  if (w->lt_ready) lt_loop(w, 0);
}

bool weft__tasks_take(weft_worker *w) {
  weft__pool *p = w->pool;
  uint32_t all = atomic_exchange_explicit(&p->lt_ready, 0, memory_order_acquire);
  if (!all) return false;
  /* Appended: the worker's own ready list stays ahead. */
  if (w->lt_ready) {
    uint32_t last = w->lt_ready;
    while (rec(p, last)->next[0]) last = rec(p, last)->next[0];
    rec(p, last)->next[0] = all;
  } else {
    w->lt_ready = all;
  }
  lt_loop(w, 0);
  return true;
}

void weft__tasks_publish(weft_worker *w) { flush_local(w); }

void weft__tasks_flush(weft_worker *w) {
  if (w->lt_delta) {
    atomic_fetch_add_explicit(&w->pool->lt_live, w->lt_delta, memory_order_seq_cst);
    w->lt_delta = 0;
  }
}

/* --------------------------------------------------------------- contexts */

typedef struct ctx_t {
  weft__pool *p;
  weft_worker *w; /* the calling thread's worker of p, or NULL */
  weft_pool pinned;
  int pin;
} ctx_t;

static int enter_pool(weft_pool pool, ctx_t *c) {
  weft_worker *self = weft__tls_worker;
  c->pin = 0;
  if (self && self->pool->id == pool.id) {
    c->p = self->pool;
    c->w = self;
    return 0;
  }
  c->p = weft__pool_pin(pool);
  if (!c->p) return WEFT_EBADPOOL;
  c->w = NULL;
  c->pinned = pool;
  c->pin = 1;
  return 0;
}

/* The pool a handle names (its slot), pinned unless it is the caller's. */
static int enter_handle(uint64_t id, ctx_t *c) {
  if (id == 0) return WEFT_ESTALE;
  uint32_t slot = (uint32_t)(id >> 24) & 0xffu;
  weft_worker *self = weft__tls_worker;
  c->pin = 0;
  if (self && self->pool->slot == slot) {
    c->p = self->pool;
    c->w = self;
    return 0;
  }
  c->p = weft__pool_pin_slot(slot, &c->pinned);
  if (!c->p) return WEFT_ESTALE;
  c->w = NULL;
  c->pin = 1;
  return 0;
}

static void leave(ctx_t *c) {
  if (c->pin) weft__pool_unpin(c->pinned);
}

/* Enters the pool a handle names and finds its record. NULL, with *rc set
 * and the pool left again, when either fails; otherwise the caller leaves. */
static weft__trec *open_handle(uint64_t id, ctx_t *c, uint32_t *i, int *rc) {
  if ((*rc = enter_handle(id, c)) != 0) return NULL;
  weft__trec *r = lookup(c->p, id, i);
  if (!r) {
    *rc = WEFT_ESTALE;
    leave(c);
  }
  return r;
}

/* ----------------------------------------------------------------- launch */

/* The outcome of prerequisite pr (generation gen), whose sealed head this
 * thread read with acquire: if it failed, its origin and status go to
 * *origin and *ostatus (unless a failure is there already). A record that
 * was recycled since (a handle used while its owner releases it) leaves
 * nothing: what we read is not its outcome, and it had completed. */
static void take_outcome(weft__trec *pr, uint32_t gen, uint64_t *origin, int *ostatus) {
  uint32_t st = atomic_load_explicit(&pr->state, memory_order_acquire);
  if (WEFT__S_OF(st) == WEFT__T_DONE || *origin) return;
  uint64_t o = atomic_load_explicit(&pr->origin, memory_order_relaxed);
  int os = atomic_load_explicit(&pr->origin_status, memory_order_relaxed);
  atomic_thread_fence(memory_order_acquire);
  if (!WEFT__S_SAMEGEN(atomic_load_explicit(&pr->state, memory_order_relaxed), gen)) return;
  *origin = o;
  *ostatus = os;
}

/* Links slot j of record i (the successor) into prerequisite pid's waiter
 * list. Returns 1 if linked (the prerequisite's completer now holds the
 * slot's unit of i's `pending`), 0 if it had completed meanwhile (or was
 * recycled: then it had completed too); then its failure, unless the slot
 * only orders, is copied into i, and the caller still holds the unit. */
static int link_after(weft__pool *p, uint32_t i, weft__trec *r, unsigned j, uint64_t pid) {
  weft__trec *pr = rec(p, (uint32_t)pid & WEFT__IDX_MASK);
  uint32_t gen = (uint32_t)(pid >> 32);
  uint32_t link = ((i << 2) | j) + 1;
  uint64_t h = atomic_load_explicit(&pr->head, memory_order_acquire);
  for (;;) {
    if (gen_of(h) != gen) return 0; /* recycled: it completed, and was released */
    if (h & WEFT__H_SEALED) break;
    r->next[j] = (uint32_t)h & WEFT__H_LINKS;
    uint64_t nh = (h & ~(uint64_t)WEFT__H_LINKS) | link;
    if (atomic_compare_exchange_weak_explicit(&pr->head, &h, nh, memory_order_acq_rel,
                                              memory_order_acquire))
      return 1;
  }
  if (r->order_mask & (1u << j)) return 0;
  uint64_t origin = 0;
  int ostatus = 0;
  take_outcome(pr, gen, &origin, &ostatus);
  if (origin) set_origin(r, origin, ostatus);
  return 0;
}

static int validate_after(weft__pool *p, const weft_task *after, size_t n) {
  for (size_t k = 0; k < n; k++) {
    uint32_t i;
    if (!lookup(p, after[k].id, &i)) return WEFT_ESTALE;
  }
  return 0;
}

typedef struct spec_t {
  uint8_t kind;
  weft_task_fn fn;
  const void *args;
  size_t size;
  const uint64_t *after; /* ids */
  size_t nafter;         /* <= WEFT__SLOTS (minus one with a pipe) */
  weft_pipe *pipe;
  uint32_t parent;
  uint32_t hold;         /* holder bits besides the scheduler's and completion's */
} spec_t;

/* Creates, links and (if nothing is pending) readies one record.
 *
 * `pending` starts at the number of prerequisites still running (and one
 * for a pipe's turn), and each unit is handed to a prerequisite by the CAS
 * that links into its list. There is no launch guard: the launcher holds
 * the units of the slots it has not linked yet, and of the slots whose
 * prerequisite completed between the first look and the link (`owe`).
 * While it holds any, the count cannot reach zero, so the record cannot
 * run or be recycled under it; once the last unit is handed out it does not
 * touch the record again. A prerequisite that had completed at the first
 * look is neither linked nor counted. So a task launched after running
 * prerequisites costs one CAS per link and nothing more here, and its last
 * prerequisite's completer usually finds the count at 1 (unpend: no
 * read-modify-write either). docs/TASKS.md has the argument. */
static int create(ctx_t *c, const spec_t *s, uint32_t *out_i, uint64_t *out_id) {
  weft__pool *p = c->p;
  unsigned n = (unsigned)s->nafter, live = 0, mask = 0;
  uint64_t origin = 0;
  int ostatus = 0;
  /* The prerequisites first: a stale handle fails the launch before
   * anything exists, and the outcome of one that completed is read now. */
  for (unsigned j = 0; j < n; j++) {
    uint64_t id = s->after[j];
    uint32_t pi;
    weft__trec *pr = lookup(p, id, &pi);
    if (!pr) return WEFT_ESTALE;
    if (atomic_load_explicit(&pr->head, memory_order_acquire) & WEFT__H_SEALED) {
      take_outcome(pr, (uint32_t)(id >> 32), &origin, &ostatus);
    } else {
      mask |= 1u << j;
      live++;
    }
  }
  uint32_t i = alloc_rec(p, c->w);
  if (!i) return WEFT_ENOMEM;
  weft__trec *r = rec(p, i);
  uint32_t gen = gen_of(atomic_load_explicit(&r->head, memory_order_relaxed));
  r->fn = s->fn;
  /* kind and prereq are read by waiters that reach this record through a
   * stale index (help()): relaxed atomics, so that race is a defined one. */
  INIT_PLAIN(uint8_t, &r->kind, s->kind);
  for (unsigned j = 0; j < WEFT__SLOTS; j++)
    INIT_PLAIN(uint32_t, &r->prereq[j], j < n ? (uint32_t)s->after[j] & WEFT__IDX_MASK : 0u);
  r->parent = s->parent;
  r->order_mask = s->pipe ? (uint8_t)(1u << n) : 0;
  INIT_STORE(uint64_t, &r->origin, origin);
  INIT_STORE(int32_t, &r->origin_status, ostatus);
  uint32_t bits = s->hold | (s->kind == WEFT__K_EVENT ? 0 : R_SCHED);
  if (s->pipe) bits |= R_PIPE;
  /* No thread can change `head` now (its generation is in no handle yet),
   * but a launcher holding the previous incarnation's handle may read it
   * (link_after, with acquire): seeing the new generation it counts that
   * prerequisite as completed, so this store must carry the previous
   * incarnation's completion as free_rec's release store did. A relaxed
   * store here broke that chain (the spin model's SCEN_LINK with STRICT
   * found it: a successor that ran with no edge from its prerequisite's
   * completion). On x86-64 a release store is a plain mov; in wasm an
   * atomic store, as free_rec's. */
  atomic_store_explicit(&r->head, ((uint64_t)gen << 32) | bits, memory_order_release);
  /* A full block is one fixed-size copy (every JavaScript task's block is
   * full). Otherwise zero the whole block with fixed-size stores, then copy:
   * a memset of the variable tail was a byte loop, a quarter of create's
   * instructions. */
  if (s->size == WEFT_ARGS_MAX) {
    memcpy(r->args.b, s->args, WEFT_ARGS_MAX);
  } else {
    memset(r->args.b, 0, WEFT_ARGS_MAX);
    if (s->size) memcpy(r->args.b, s->args, s->size);
  }
  /* pending before state: a waiter that sees NEW (acquire) sees this count,
   * and with it every field above, before it may claim the record. */
  uint32_t count = s->kind == WEFT__K_EVENT ? 1u : live + (s->pipe ? 1u : 0u);
  INIT_STORE(uint32_t, &r->pending, count);
  atomic_store_explicit(&r->state, WEFT__S_GEN(gen) | WEFT__T_NEW, memory_order_release);
  uint64_t id = make_id(p, gen, i);
  if (c->w) c->w->lt_delta++;
  else atomic_fetch_add_explicit(&p->lt_live, 1, memory_order_relaxed);
  *out_i = i;
  *out_id = id;
  if (s->kind == WEFT__K_EVENT) return 0; /* its trigger completes it */
  if (count == 0) {
    make_ready(p, c->w, i, r);
    return 0;
  }
  /* A pipe member's previous member, whose completion is its turn. Its
   * unit is linked last: until then it keeps the record ours. */
  uint64_t prev = s->pipe ? atomic_exchange_explicit(&s->pipe->last, id, memory_order_acq_rel) : 0;
  if (prev) __atomic_store_n(&r->prereq[n], (uint32_t)prev & WEFT__IDX_MASK, __ATOMIC_RELAXED);
  uint32_t owe = 0;
  for (unsigned j = 0; j < n; j++)
    if ((mask & (1u << j)) && !link_after(p, i, r, j, s->after[j])) owe++;
  if (s->pipe && (!prev || !link_after(p, i, r, n, prev))) owe++;
  if (prev) {
    uint32_t pi = (uint32_t)prev & WEFT__IDX_MASK;
    drop(p, c->w, pi, rec(p, pi), R_PIPE); /* the pipe's hold passed to us */
  }
  /* Only if we still hold units is the record still ours to touch. */
  if (owe && unpend(r, owe)) make_ready(p, c->w, i, r);
  return 0;
}

/* A hidden join of n >= 2 prerequisite ids: one record that completes when
 * all have (and carries the first failure on). Over four, the ids are split
 * into four groups of sizes differing by at most one; a group of one is
 * linked as it is, a larger one through a join of its own (a tree of
 * joins, each of four links at most). Returns its id, held (R_USER) until
 * the caller has linked to it. */
static int join_of(ctx_t *c, const uint64_t *ids, size_t n, uint64_t *out) {
  uint64_t part[WEFT__SLOTS];
  unsigned mine = 0; /* parts that are joins made here, held until linked */
  size_t k = 0;
  if (n <= WEFT__SLOTS) {
    for (; k < n; k++) part[k] = ids[k];
  } else {
    size_t base = n / WEFT__SLOTS, extra = n % WEFT__SLOTS, at = 0;
    for (; k < WEFT__SLOTS; k++) {
      size_t m = base + (k < extra ? 1u : 0u);
      if (m == 1) {
        part[k] = ids[at];
      } else {
        int rc = join_of(c, ids + at, m, &part[k]);
        if (rc) {
          while (k-- > 0)
            if (mine & (1u << k)) weft_task_release((weft_task){part[k]});
          return rc;
        }
        mine |= 1u << k;
      }
      at += m;
    }
  }
  spec_t s = {WEFT__K_JOIN, NULL, NULL, 0, part, k, NULL, 0, R_USER};
  uint32_t i;
  int rc = create(c, &s, &i, out);
  for (size_t q = 0; q < k; q++)
    if (mine & (1u << q)) {
      uint32_t qi = (uint32_t)part[q] & WEFT__IDX_MASK;
      drop(c->p, c->w, qi, rec(c->p, qi), R_USER);
    }
  return rc;
}

/* One unit of the running task pr's `pending` for a child launched (or
 * attached) by its body, on the body's thread. The units are added CREDIT
 * at a time, one read-modify-write for that many children instead of one
 * each, and the body's end drops those it did not use with its own. While
 * the body runs, its unit and the unused ones keep the count above zero:
 * pending = 1 + added - completed children >= 1 + credit. */
static inline void child_unit(weft__trec *pr) {
  if (!pr->credit) {
    atomic_fetch_add_explicit(&pr->pending, CREDIT, memory_order_relaxed);
    pr->credit = CREDIT;
    pr->has_children = 1;
  }
  pr->credit--;
}

/* Runs ready work found anywhere, in this order: this worker's ready list,
 * the shared ready stack, root jobs (when `jobs`), a steal. 0 if there was
 * none. What a worker does while it waits (wait_working) or while its
 * launches are far ahead (catch_up). */
static int work_once(weft__pool *p, weft_worker *w, int jobs) {
  if (w->lt_ready) {
    lt_loop(w, 0);
    return 1;
  }
  if (atomic_load_explicit(&p->lt_ready, memory_order_relaxed) && weft__tasks_take(w)) return 1;
  if (jobs && atomic_load_explicit(&p->inject, memory_order_relaxed) && weft__take_jobs(w))
    return 1;
  return weft__steal_random(w) > 0;
}

/* The throttle with nothing ready on this worker: its launches wait for
 * tasks that run elsewhere, or its count overstates what is in flight
 * because other workers completed what it launched (their counts come into
 * the pool's every THROTTLE completions, count_done). While the pool is
 * more than THROTTLE launches per worker ahead, this worker helps as a
 * waiter does (work_once, without root jobs). When nothing is
 * ready anywhere (what is in flight waits for events or running bodies)
 * it launches on, and does not look again for THROTTLE launches, so that
 * a failed steal costs a launch 1/THROTTLE of itself. Without this, a
 * launcher whose first tasks another worker took never saw a ready task
 * of its own again and ran arbitrarily far ahead: on bench/dyn's random
 * DAG at 2 workers, 400,000-700,000 records in flight and 3x the time. */
static void catch_up(weft_worker *w) {
  weft__pool *p = w->pool;
  const int64_t limit = (int64_t)THROTTLE * p->nworkers;
  /* Counted as a dispatch level: a stolen fork-join task that launches
   * would otherwise come back here one stack frame deeper each time, with
   * nothing to stop it (the callers check the depth before they call). */
  ++weft__dispatch_depth;
  while (atomic_load_explicit(&p->lt_live, memory_order_relaxed) + w->lt_delta > limit) {
    if (!work_once(p, w, 0)) {
      w->lt_calm = THROTTLE;
      break;
    }
  }
  --weft__dispatch_depth;
}

/* Launches a record after `nafter` user handles (already validated). */
static int launch_spec(ctx_t *c, spec_t *s, const weft_task *after, size_t nafter,
                       weft_task *out) {
  uint64_t ids[WEFT__SLOTS];
  uint64_t joined = 0;
  size_t room = WEFT__SLOTS - (s->pipe ? 1u : 0u);
  if (nafter <= room) {
    for (size_t k = 0; k < nafter; k++) ids[k] = after[k].id;
    s->nafter = nafter;
  } else {
    /* More than fit: all but one slot link directly, the last links a
     * hidden join of the rest (one record for up to five prerequisites,
     * a tree of joins beyond). The ids are read in place, so no array of
     * the caller's size is needed. */
    for (size_t k = 0; k + 1 < room; k++) ids[k] = after[k].id;
    int rc = join_of(c, (const uint64_t *)(const void *)(after + room - 1), nafter - room + 1,
                     &joined);
    if (rc) return rc;
    ids[room - 1] = joined;
    s->nafter = room;
  }
  s->after = ids;
  if (out) s->hold |= R_USER;
  uint32_t i;
  uint64_t id;
  int rc = create(c, s, &i, &id);
  if (joined) {
    uint32_t ji = (uint32_t)joined & WEFT__IDX_MASK;
    drop(c->p, c->w, ji, rec(c->p, ji), R_USER);
  }
  if (rc) return rc;
  weft_worker *w = c->w;
  if (w && WEFT__UNLIKELY(w->lt_delta > THROTTLE) &&
      weft__dispatch_depth + 1 < weft__dispatch_depth_limit(c->p)) {
    /* Far ahead of the workers: run what is ready now (libgomp throttles
     * deferred tasks the same way), so the records in flight, and with
     * them the cache footprint, stay bounded. */
    if (w->lt_ready) lt_loop(w, 0);
    else if (w->lt_calm) w->lt_calm--;
    else catch_up(w);
  } else if (w && w->lt_ready &&
             WEFT__UNLIKELY(__atomic_load_n(&w->hot.signal, __ATOMIC_RELAXED))) {
    /* A body that never spawns would keep its launches until it returns:
     * hand them out when other workers ask. */
    flush_local(w);
  }
  /* After the throttle: the tasks it ran may launch too, and a host that
   * passes the same out buffer to every launch (the JavaScript launcher's
   * scratch block) must read this launch's handle there, not theirs. */
  if (out) out->id = id;
  return 0;
}

_Static_assert(sizeof(weft_task) == sizeof(uint64_t), "a handle is its id");

int weft_launch_ex(weft_pool pool, weft_task_fn fn, const void *args, size_t size,
                   const weft_launch_opts *opts, weft_task *out) {
  if (out) out->id = 0;
  weft_launch_opts none = {NULL, 0, NULL, 0};
  if (!opts) opts = &none;
  if (!fn || (!args && size) || (!opts->after && opts->nafter) || (opts->flags & ~WEFT_LAUNCH_CHILD))
    return WEFT_EINVAL;
  if (size > WEFT_ARGS_MAX) return WEFT_E2BIG;
  ctx_t c;
  int rc = enter_pool(pool, &c);
  if (rc) return rc;
  spec_t s = {WEFT__K_TASK, fn, args, size, NULL, 0, opts->pipe, 0, 0};
  if ((opts->pipe && opts->pipe->pool_id != pool.id) ||
      ((opts->flags & WEFT_LAUNCH_CHILD) && (!c.w || !c.w->lt_cur))) {
    rc = WEFT_EINVAL;
  } else if (opts->nafter <= WEFT__SLOTS - (opts->pipe ? 1u : 0u) ||
             (rc = validate_after(c.p, opts->after, opts->nafter)) == 0) {
    /* A few prerequisites are validated by create() as it looks them up. */
    if (opts->flags & WEFT_LAUNCH_CHILD) {
      child_unit(rec(c.p, c.w->lt_cur));
      s.parent = c.w->lt_cur;
    }
    rc = launch_spec(&c, &s, opts->after, opts->nafter, out);
    if (rc && s.parent) rec(c.p, s.parent)->credit++; /* the unit goes back unused */
  }
  leave(&c);
  return rc;
}

int weft_launch(weft_pool pool, weft_task_fn fn, const void *args, size_t size,
                const weft_task *after, size_t nafter, weft_task *out) {
  weft_launch_opts o = {after, nafter, NULL, 0};
  return weft_launch_ex(pool, fn, args, size, &o, out);
}

int weft_event_create(weft_pool pool, weft_task *out) {
  if (!out) return WEFT_EINVAL;
  out->id = 0;
  ctx_t c;
  int rc = enter_pool(pool, &c);
  if (rc) return rc;
  spec_t s = {WEFT__K_EVENT, NULL, NULL, 0, NULL, 0, NULL, 0, R_USER};
  uint32_t i;
  uint64_t id;
  rc = create(&c, &s, &i, &id);
  if (rc == 0) out->id = id;
  leave(&c);
  return rc;
}

int weft_task_attach(weft_worker *w, weft_task t) {
  if (!w || !w->lt_cur || weft__tls_worker != w) return WEFT_EINVAL;
  ctx_t c = {w->pool, w, {0}, 0};
  uint32_t ti;
  if (!lookup(c.p, t.id, &ti)) return WEFT_ESTALE;
  weft__trec *pr = rec(c.p, w->lt_cur);
  child_unit(pr);
  spec_t s = {WEFT__K_JOIN, NULL, NULL, 0, &t.id, 1, NULL, w->lt_cur, 0};
  uint32_t i;
  uint64_t id;
  int rc = create(&c, &s, &i, &id);
  if (rc) pr->credit++; /* the unit goes back unused */
  return rc;
}

/* ------------------------------------------------------------ completion */

int weft_event_trigger(weft_task ev, int status) {
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(ev.id, &c, &i, &rc);
  if (!r) return rc;
  if (r->kind != WEFT__K_EVENT) {
    rc = WEFT_EINVAL;
  } else {
    uint32_t g = WEFT__S_GEN(ev.id >> 32), s = g | WEFT__T_NEW;
    if (!atomic_compare_exchange_strong_explicit(&r->state, &s, g | WEFT__T_RUNNING,
                                                 memory_order_acquire, memory_order_relaxed)) {
      rc = WEFT__S_SAMEGEN(s, ev.id >> 32) ? WEFT_EALREADY : WEFT_ESTALE;
    } else {
      if (status) set_origin(r, ev.id, status);
      finish(c.p, c.w, i, r, status ? WEFT__T_FAILED : WEFT__T_DONE, 0);
    }
  }
  leave(&c);
  return rc;
}

/* 1 if this call canceled record i, 0 if it had started or completed. */
static int cancel_rec(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r, uint64_t id) {
  uint32_t g = WEFT__S_GEN(id >> 32), s = g | WEFT__T_NEW;
  if (r->order_mask) {
    /* A pipe member completes canceled only when its turn comes: completing
     * it early would let the next member start before the previous one. */
    return atomic_compare_exchange_strong_explicit(&r->state, &s,
                                                   g | WEFT__T_NEW | WEFT__T_CANCEL_REQ,
                                                   memory_order_acq_rel, memory_order_relaxed);
  }
  if (!atomic_compare_exchange_strong_explicit(&r->state, &s, g | WEFT__T_RUNNING,
                                               memory_order_acquire, memory_order_relaxed))
    return 0;
  set_origin(r, id, WEFT_ECANCELED);
  /* Still linked or queued: the scheduler's bit stays until it leaves. */
  finish(p, w, i, r, WEFT__T_CANCELED, 0);
  return 1;
}

int weft_task_cancel(weft_task t) {
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(t.id, &c, &i, &rc);
  if (!r) return rc;
  rc = cancel_rec(c.p, c.w, i, r, t.id);
  leave(&c);
  return rc;
}

static int state_code(uint32_t st) {
  switch (WEFT__S_OF(st)) {
    case WEFT__T_DONE: return WEFT_OK;
    case WEFT__T_FAILED: return WEFT_EFAILED;
    case WEFT__T_CANCELED: return WEFT_ECANCELED;
    default: return WEFT_EPENDING;
  }
}

static inline int is_final(uint32_t st) {
  st = WEFT__S_OF(st);
  return st == WEFT__T_DONE || st == WEFT__T_FAILED || st == WEFT__T_CANCELED;
}

/* The state of the incarnation handle `id` names, or ~0u if the record has
 * been recycled since (the generation is in the same word). */
static inline uint32_t state_of(const weft__trec *r, uint64_t id) {
  uint32_t v = atomic_load_explicit(&r->state, memory_order_acquire);
  return WEFT__S_SAMEGEN(v, id >> 32) ? v : ~0u;
}

/* Calls that read a record through a handle check the generation again
 * after reading (in the state word, or in head for release), so that a
 * handle used while its owner releases it, whose record is recycled and
 * reused in between, answers WEFT_ESTALE instead of another task's state
 * (the spin model's SCEN_STALE with STRICT). */

int weft_event_check(weft_pool pool, weft_task ev) {
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(ev.id, &c, &i, &rc);
  if (!r) return rc;
  /* kind is read between two checks of the generation in state, as
   * weft_task_result reads the arguments: a handle used while its record
   * is recycled answers ESTALE, not the next incarnation's kind. */
  uint32_t st = state_of(r, ev.id);
  uint8_t kind = __atomic_load_n(&r->kind, __ATOMIC_RELAXED);
  atomic_thread_fence(memory_order_acquire);
  if (st == ~0u || state_of(r, ev.id) == ~0u) rc = WEFT_ESTALE;
  else if (kind != WEFT__K_EVENT || c.p->id != pool.id) rc = WEFT_EINVAL;
  else rc = WEFT__S_OF(st) == WEFT__T_NEW ? WEFT_OK : WEFT_EALREADY;
  leave(&c);
  return rc;
}

int weft_task_status(weft_task t) {
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(t.id, &c, &i, &rc);
  if (!r) return rc;
  uint32_t st = state_of(r, t.id);
  rc = st == ~0u ? WEFT_ESTALE : state_code(st);
  leave(&c);
  return rc;
}

int weft_task_info_get(weft_task t, weft_task_info *out) {
  if (!out) return WEFT_EINVAL;
  memset(out, 0, sizeof *out);
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(t.id, &c, &i, &rc);
  if (!r) return rc;
  uint32_t st = state_of(r, t.id);
  if (st != ~0u) {
    out->state = state_code(st);
    if (out->state != WEFT_OK && out->state != WEFT_EPENDING) {
      out->origin.id = atomic_load_explicit(&r->origin, memory_order_relaxed);
      out->status = atomic_load_explicit(&r->origin_status, memory_order_relaxed);
      atomic_thread_fence(memory_order_acquire);
      if (state_of(r, t.id) == ~0u) st = ~0u;
    }
  }
  if (st == ~0u) {
    memset(out, 0, sizeof *out);
    rc = WEFT_ESTALE;
  }
  leave(&c);
  return rc;
}

int weft_task_result(weft_task t, void *out, size_t size) {
  if ((!out && size) || size > WEFT_ARGS_MAX) return WEFT_EINVAL;
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(t.id, &c, &i, &rc);
  if (!r) return rc;
  uint32_t st = state_of(r, t.id);
  if (st == ~0u) {
    rc = WEFT_ESTALE;
  } else if (__atomic_load_n(&r->kind, __ATOMIC_RELAXED) != WEFT__K_TASK) {
    rc = WEFT_EINVAL;
  } else if (!is_final(st)) {
    rc = WEFT_EPENDING;
  } else if (size) {
    memcpy(out, r->args.b, size);
    atomic_thread_fence(memory_order_acquire);
    if (state_of(r, t.id) == ~0u) rc = WEFT_ESTALE;
  }
  leave(&c);
  return rc;
}

int weft_task_release(weft_task t) {
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(t.id, &c, &i, &rc);
  if (!r) return rc;
  /* A CAS that names the incarnation (its generation is in head): a second
   * release, or a release racing a reuse, sees the bit gone or the
   * generation moved and frees nothing. */
  rc = WEFT_ESTALE;
  uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
  while (gen_of(h) == (uint32_t)(t.id >> 32) && (h & R_USER)) {
    if (atomic_compare_exchange_weak_explicit(&r->head, &h, h & ~(uint64_t)R_USER,
                                              memory_order_acq_rel, memory_order_relaxed)) {
      rc = WEFT_OK;
      if (unheld(h & ~(uint64_t)R_USER)) free_rec(c.p, c.w, i, r);
      break;
    }
  }
  leave(&c);
  return rc;
}

/* ------------------------------------------------------------------ waits */

/* Runs record i inline if it is ready and unstarted; otherwise, down to
 * HELP_DEPTH levels, its unstarted prerequisites. The indices may be stale
 * (a prerequisite that completed and was recycled): then the claim fails on
 * a free record, or on a record reused since (another generation), or runs
 * the reused record's task if that one is ready, which is harmless. */
static int help(weft__pool *p, weft_worker *w, uint32_t i, unsigned depth) {
  if (!i) return 0;
  weft__trec *r = rec(p, i);
  uint32_t v = atomic_load_explicit(&r->state, memory_order_acquire);
  if (WEFT__S_OF(v) != WEFT__T_NEW || __atomic_load_n(&r->kind, __ATOMIC_RELAXED) == WEFT__K_EVENT)
    return 0;
  if (atomic_load_explicit(&r->pending, memory_order_acquire) == 0) {
    /* The claim names the incarnation whose count we just read: if the
     * record was recycled and reused since, its generation moved and the
     * CAS fails, rather than run a task that is not ready. */
    exec(p, w, i, r, 0, v & ~WEFT__S_BITS);
    return 1;
  }
  if (depth >= HELP_DEPTH) return 0;
  int did = 0;
  for (unsigned j = 0; j < WEFT__SLOTS; j++)
    did |= help(p, w, __atomic_load_n(&r->prereq[j], __ATOMIC_RELAXED), depth + 1);
  return did;
}

/* On a worker of the pool: never block; run the task, its prerequisites,
 * or anything else, until it completes. */
static void wait_working(weft__pool *p, weft_worker *w, uint32_t i, weft__trec *r, uint64_t id) {
  unsigned idle = 0;
  uint32_t st;
  while ((st = state_of(r, id)) != ~0u && !is_final(st)) {
    int did = help(p, w, i, 0);
    if (!did || w->lt_ready) did |= work_once(p, w, 1);
    if (did) {
      idle = 0;
    } else if (++idle > 64) {
      weft__prim_yield();
    } else {
      weft__cpu_relax();
    }
  }
}

typedef struct wait_job {
  weft__trec *r;
  uint32_t i;
  uint64_t id;
} wait_job;

static void wait_job_fn(weft_worker *w, void *a) {
  wait_job *j = a;
  wait_working(w->pool, w, j->i, j->r, j->id);
}

/* How long an outside waiter sleeps before it looks again. The protocol
 * does not need it: a waiter sleeps only on its own incarnation's NEW or
 * RUNNING word after setting WAITER before the seal, so the completer wakes
 * it, and a word that moved on (final, or a new generation) ends the wait
 * at once (the spin model verifies this without the timeout,
 * MUT_WAITUNTIMED). It is a safety net for what the model leaves out:
 * generation wrap-around, a wake lost outside this protocol. */
#define WAIT_RECHECK_NS ((uint64_t)100 * 1000 * 1000)

/* Sets WAITER in the head of the incarnation `id` names, unless it has
 * completed (sealed) or been recycled, so that its completer wakes us. */
static void register_waiter(weft__trec *r, uint64_t id) {
  uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
  while (!(h & (WEFT__H_SEALED | WEFT__H_WAITER)) && gen_of(h) == (uint32_t)(id >> 32))
    if (atomic_compare_exchange_weak_explicit(&r->head, &h, h | WEFT__H_WAITER,
                                              memory_order_acq_rel, memory_order_acquire))
      break;
}

int weft_task_wait(weft_task t) {
  ctx_t c;
  uint32_t i;
  int rc;
  weft__trec *r = open_handle(t.id, &c, &i, &rc);
  if (!r) return rc;
  if (c.w) {
    wait_working(c.p, c.w, i, r, t.id);
  } else if (c.p->cfg.threads == WEFT_THREADS_CALLER) {
    wait_job j = {r, i, t.id}; /* no thread runs the pool: this one does */
    if ((rc = weft_run(c.pinned, wait_job_fn, &j)) != 0) {
      leave(&c);
      return rc;
    }
  } else {
    for (unsigned k = 0; k < 2000; k++) {
      uint32_t st = state_of(r, t.id);
      if (st == ~0u || is_final(st)) break;
      weft__cpu_relax();
    }
    register_waiter(r, t.id);
    /* The completer stores the final state before it seals the head, and
     * wakes after: a wait that starts before the store sleeps until the wake. */
    uint32_t st;
    while ((st = state_of(r, t.id)) != ~0u && !is_final(st))
      weft__prim_wait32_for((uint32_t *)&r->state, st, WAIT_RECHECK_NS);
  }
  /* Every read names the incarnation: a handle used while its owner
   * released it answers WEFT_ESTALE rather than another task's outcome
   * (the spin model's STALE_OP=5). */
  uint32_t st = state_of(r, t.id);
  rc = st == ~0u ? WEFT_ESTALE : state_code(st);
  leave(&c);
  return rc;
}

/* The outside wait split in two, for a thread that must not sleep in here
 * (a browser's main thread: it waits with Atomics.waitAsync instead).
 * Registers a waiter as weft_task_wait's outside path does (the WAITER bit,
 * so the completer wakes the state word) and returns the state word's
 * address, or NULL once the task has completed (*rc WEFT_OK) or when the
 * handle is stale (*rc WEFT_ESTALE). The caller waits while the word holds a
 * non-final state (NEW or RUNNING) and must keep its handle until then: the
 * record is not recycled under an unreleased handle. */
_Atomic uint32_t *weft__task_waiter(weft_task t, int *rc) {
  ctx_t c;
  uint32_t i;
  weft__trec *r = open_handle(t.id, &c, &i, rc);
  if (!r) return NULL;
  register_waiter(r, t.id);
  uint32_t st = state_of(r, t.id);
  _Atomic uint32_t *word = NULL;
  if (st == ~0u) *rc = WEFT_ESTALE;
  else if (!is_final(st)) word = &r->state;
  leave(&c);
  return word;
}

/* The handle of the launched task whose body runs on w, or 0. */
uint64_t weft__task_current(weft_worker *w) {
  if (!w || !w->lt_cur) return 0;
  return id_of(w->pool, w->lt_cur, rec(w->pool, w->lt_cur));
}

/* ------------------------------------------------------------------ pipes */

int weft_pipe_create(weft_pool pool, weft_pipe **out) {
  if (!out) return WEFT_EINVAL;
  *out = NULL;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  weft__pool_unpin(pool);
  weft_pipe *q = malloc(sizeof *q);
  if (!q) return WEFT_ENOMEM;
  q->pool_id = pool.id;
  atomic_init(&q->last, 0);
  *out = q;
  return 0;
}

void weft_pipe_destroy(weft_pipe *q) {
  if (!q) return;
  uint64_t last = atomic_exchange_explicit(&q->last, 0, memory_order_acq_rel);
  if (last) {
    ctx_t c;
    if (enter_handle(last, &c) == 0) {
      uint32_t i = (uint32_t)last & WEFT__IDX_MASK;
      drop(c.p, c.w, i, rec(c.p, i), R_PIPE);
      leave(&c);
    }
  }
  free(q);
}

/* ---------------------------------------------------------------- destroy */

/* Cancels every event nobody triggered: the tasks behind them can never
 * start otherwise. Called with every worker asleep. */
static int cancel_stuck(weft__pool *p, int all) {
  int any = 0;
  uint32_t n = atomic_load_explicit(&p->lt_nchunks, memory_order_acquire);
  for (uint32_t c = 0; c < n && c < WEFT__MAX_CHUNKS; c++) {
    weft__trec *chunk = atomic_load_explicit(&p->lt_chunks[c], memory_order_acquire);
    if (!chunk) continue;
    for (uint32_t k = 0; k < WEFT__CHUNK; k++) {
      weft__trec *r = &chunk[k];
      uint32_t v = atomic_load_explicit(&r->state, memory_order_acquire);
      uint32_t i = (c << WEFT__CHUNK_SHIFT) | k;
      if (all) {
        /* Nothing will ever run: complete every unstarted record now (pipe
         * members too: there is no turn left to wait for). */
        uint32_t st = WEFT__S_OF(v);
        if ((st == WEFT__T_NEW || st == (WEFT__T_NEW | WEFT__T_CANCEL_REQ)) &&
            atomic_compare_exchange_strong_explicit(&r->state, &v,
                                                    (v & ~WEFT__S_BITS) | WEFT__T_RUNNING,
                                                    memory_order_acquire, memory_order_relaxed)) {
          set_origin(r, id_of(p, i, r), WEFT_ECANCELED);
          finish(p, NULL, i, r, WEFT__T_CANCELED, 0);
          any = 1;
        }
        continue;
      }
      if (r->kind != WEFT__K_EVENT || WEFT__S_OF(v) != WEFT__T_NEW) continue;
      if (cancel_rec(p, NULL, i, r, id_of(p, i, r))) any = 1;
    }
  }
  return any;
}

static void drain_job(weft_worker *w, void *a) {
  (void)a;
  while (weft__tasks_take(w) || w->lt_ready) weft__tasks_drain(w);
  weft__tasks_flush(w);
}

void weft__tasks_quiesce(weft__pool *p) {
  if (p->cfg.threads == WEFT_THREADS_CALLER) {
    /* No thread of its own: the destroying thread runs what is ready. */
    for (;;) {
      weft_job job;
      memset(&job, 0, sizeof job);
      job.fn = drain_job;
      job.pool_id = p->id;
      weft__solo_run(p, &job);
      if (atomic_load_explicit(&p->lt_live, memory_order_seq_cst) <= 0) return;
      if (!cancel_stuck(p, 0)) return; /* nothing left that could ever run */
    }
  }
  for (;;) {
    uint32_t q = atomic_load_explicit(&p->lt_quiet, memory_order_seq_cst);
    uint32_t running = p->cfg.threads == WEFT_THREADS_HOST
                           ? atomic_load_explicit(&p->entered, memory_order_seq_cst)
                           : p->nworkers;
    if (running == 0) {
      /* A HOST pool none of whose workers entered: none can now (destroy
       * has begun), so nothing launched will ever run. */
      cancel_stuck(p, 1);
      return;
    }
    uint32_t asleep = atomic_load_explicit(&p->sleep, memory_order_seq_cst) & WEFT__SLEEP_COUNT_MASK;
    if (asleep >= running && !weft__work_visible(p)) {
      /* Everyone flushed its count before sleeping. */
      if (atomic_load_explicit(&p->lt_live, memory_order_seq_cst) <= 0) return;
      if (cancel_stuck(p, 0)) continue;
      /* Quiet, yet tasks counted live and no event to cancel: cannot
       * happen by the counting argument in docs/TASKS.md; never hang on it. */
      return;
    }
    weft__prim_wait32((uint32_t *)&p->lt_quiet, q);
  }
}

void weft__tasks_free(weft__pool *p) {
  uint32_t n = atomic_load_explicit(&p->lt_nchunks, memory_order_relaxed);
  for (uint32_t c = 0; c < n && c < WEFT__MAX_CHUNKS; c++) {
    weft__trec *chunk = atomic_load_explicit(&p->lt_chunks[c], memory_order_relaxed);
    if (chunk) weft__prim_release(chunk, CHUNK_BYTES);
  }
}

const char *weft__task_fn_name(const void *fn) {
  return fn == (const void *)lt_frame ? "launched tasks" : NULL;
}
