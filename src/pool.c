/*
 * pool.c - pool handles, the pool's memory region, worker start and stop.
 *
 * Handles: a pool handle is (generation << 32 | slot + 1) into a static
 * table. A slot's state word packs the generation, a LIVE bit and a pin
 * count; API calls pin the slot while they use the pool, destroy clears
 * LIVE (new pins fail) and waits for pins to drain. A stale handle's
 * generation never matches again, so use-after-destroy is an error code,
 * not a read of freed memory.
 *
 * Region layout, one reservation per pool:
 *   [pool header + worker table] then per worker:
 *   [guard page][stack][worker struct][deque frames][scratch arena]
 * Stacks grow down into their guard page. The header, worker structs,
 * stacks and deques are committed at create (pages are still only backed
 * when touched); scratch is committed lazily by the arena.
 */
#include "trace.h"

#define MAX_POOLS 256u
#define SLOT_LIVE (1ull << 31)
#define SLOT_CLAIMED (1ull << 30)
#define SLOT_PINS ((1ull << 30) - 1)

typedef struct {
  _Atomic uint64_t state; /* gen << 32 | LIVE | CLAIMED | pins */
  weft__pool *_Atomic pool;
} slot_t;

static slot_t slots[MAX_POOLS];

static bool decode(weft_pool h, uint32_t *idx, uint32_t *gen) {
  uint32_t lo = (uint32_t)h.id;
  if (lo == 0 || lo > MAX_POOLS) return false;
  *idx = lo - 1;
  *gen = (uint32_t)(h.id >> 32);
  return true;
}

weft__pool *weft__pool_pin(weft_pool h) {
  uint32_t idx, gen;
  if (!decode(h, &idx, &gen)) return NULL;
  slot_t *s = &slots[idx];
  uint64_t v = atomic_load_explicit(&s->state, memory_order_acquire);
  do {
    if ((uint32_t)(v >> 32) != gen || !(v & SLOT_LIVE)) return NULL;
  } while (!atomic_compare_exchange_weak_explicit(&s->state, &v, v + 1, memory_order_acquire,
                                                  memory_order_acquire));
  return atomic_load_explicit(&s->pool, memory_order_relaxed);
}

weft__pool *weft__pool_pin_slot(uint32_t slot, weft_pool *h) {
  if (slot >= MAX_POOLS) return NULL;
  uint64_t v = atomic_load_explicit(&slots[slot].state, memory_order_acquire);
  h->id = ((v >> 32) << 32) | (slot + 1);
  return weft__pool_pin(*h);
}

void weft__pool_unpin(weft_pool h) {
  uint32_t idx, gen;
  if (decode(h, &idx, &gen)) atomic_fetch_sub_explicit(&slots[idx].state, 1, memory_order_release);
}

static int claim_slot(uint32_t *idx) {
  for (uint32_t i = 0; i < MAX_POOLS; i++) {
    uint64_t v = atomic_load_explicit(&slots[i].state, memory_order_relaxed);
    if (v & (SLOT_LIVE | SLOT_CLAIMED | SLOT_PINS)) continue;
    if (atomic_compare_exchange_strong_explicit(&slots[i].state, &v, v | SLOT_CLAIMED,
                                                memory_order_acquire, memory_order_relaxed)) {
      *idx = i;
      return 0;
    }
  }
  return WEFT_ELIMIT;
}

/* The id a claimed slot will get: the next generation (never 0). */
static uint64_t next_id(uint32_t idx) {
  uint64_t v = atomic_load_explicit(&slots[idx].state, memory_order_relaxed);
  uint32_t gen = (uint32_t)(v >> 32) + 1;
  if (gen == 0) gen = 1;
  return ((uint64_t)gen << 32) | (idx + 1);
}

/* CLAIMED -> LIVE: from here on the handle works. */
static void publish_slot(uint32_t idx, weft__pool *p) {
  atomic_store_explicit(&slots[idx].pool, p, memory_order_relaxed);
  atomic_store_explicit(&slots[idx].state, (p->id >> 32 << 32) | SLOT_LIVE, memory_order_release);
}

static void unclaim_slot(uint32_t idx) {
  atomic_fetch_and_explicit(&slots[idx].state, ~(uint64_t)SLOT_CLAIMED, memory_order_release);
}

void weft_config_default(weft_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->workers = 0;
  cfg->stack_size = (size_t)8 << 20;
  cfg->deque_frames = 65536;
  cfg->scratch_size = (size_t)16 << 20;
  cfg->spin_rounds = 512;
}

unsigned weft_core_count(void) { return weft__prim_core_count(); }

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

typedef struct {
  size_t page, header, guard, stack, wstruct, deque, scratch, slice;
} layout_t;

static int plan(const weft_config *cfg, unsigned n, unsigned flags, layout_t *L) {
  size_t page = weft__prim_page_size();
  /* CALLER and HOST workers run on their threads' own stacks, unless a
   * HOST pool's host asks for stacks in the slices (WEFT__HOST_STACKS). */
  bool stacks = cfg->threads == WEFT_THREADS_POOL ||
                (cfg->threads == WEFT_THREADS_HOST && (flags & WEFT__HOST_STACKS));
  L->page = page;
  L->header = round_up(sizeof(weft__pool) + n * sizeof(weft_worker *), page);
  L->guard = stacks ? page : 0;
  L->stack = stacks ? round_up(cfg->stack_size, page) : 0;
  L->wstruct = round_up(sizeof(weft_worker), page);
  L->deque = round_up(cfg->deque_frames * sizeof(weft__frame), page);
  L->scratch = round_up(cfg->scratch_size, WEFT__SCRATCH_CHUNK);
  L->slice = L->guard + L->stack + L->wstruct + L->deque + L->scratch;
  if (L->slice < L->stack || L->slice < L->deque || L->slice < L->scratch) return WEFT_EINVAL;
  if (((size_t)-1 - L->header) / n < L->slice) return WEFT_EINVAL;
  return 0;
}

static int validate(const weft_config *cfg) {
  if (cfg->threads > WEFT_THREADS_HOST) return WEFT_EINVAL;
  if (cfg->threads == WEFT_THREADS_CALLER && cfg->workers > 1) return WEFT_EINVAL;
  if (cfg->workers > WEFT_MAX_WORKERS) return WEFT_ELIMIT;
  if (cfg->stack_size < ((size_t)64 << 10)) return WEFT_EINVAL;
  if (cfg->deque_frames < 16 || cfg->deque_frames > 0x7fffffffu) return WEFT_EINVAL;
  if ((uint64_t)cfg->stack_size > ((uint64_t)1 << 40) || (uint64_t)cfg->scratch_size > ((uint64_t)1 << 40))
    return WEFT_EINVAL;
  return 0;
}

/* Stops the workers: joins the `started` threads the pool started, or
 * (HOST) waits until every weft_worker_enter that began has returned. */
static void stop_workers(weft__pool *p, unsigned started) {
  atomic_store_explicit(&p->stopping, 1, memory_order_seq_cst);
  weft__wake_all(p);
  if (p->cfg.threads == WEFT_THREADS_HOST) {
    uint32_t in;
    while ((in = atomic_load_explicit(&p->entered, memory_order_seq_cst)) != 0)
      weft__prim_wait32((uint32_t *)&p->entered, in);
    return;
  }
  for (unsigned i = 0; i < started; i++) weft__prim_thread_join(&p->workers[i]->thread);
}

int weft_pool_create(weft_pool *out, const weft_config *cfg) {
  return weft__pool_create(out, cfg, 0);
}

int weft__pool_create(weft_pool *out, const weft_config *cfg_in, unsigned flags) {
  if (!out) return WEFT_EINVAL;
  out->id = 0;
  weft_config cfg;
  if (cfg_in) cfg = *cfg_in;
  else weft_config_default(&cfg);
  int rc = validate(&cfg);
  if (rc) return rc;
  unsigned n = cfg.workers ? cfg.workers : weft__prim_core_count();
  if (cfg.threads == WEFT_THREADS_CALLER) n = 1;
  if (n > WEFT_MAX_WORKERS) n = WEFT_MAX_WORKERS;
  cfg.workers = n;

  layout_t L;
  if ((rc = plan(&cfg, n, flags, &L))) return rc;
  uint32_t idx;
  if ((rc = claim_slot(&idx))) return rc;

  size_t size = L.header + (size_t)n * L.slice;
  unsigned char *region = weft__prim_reserve(size);
  if (!region) {
    unclaim_slot(idx);
    return WEFT_ENOMEM;
  }
  if (weft__prim_commit(region, L.header)) goto nomem;
  weft__pool *p = (weft__pool *)region;
  p->cfg = cfg;
  p->nworkers = n;
  p->region = region;
  p->region_size = size;
  p->stack_size = L.stack;
  p->workers = (weft_worker **)(region + sizeof(weft__pool));
  p->slot = idx;

  for (unsigned i = 0; i < n; i++) {
    unsigned char *slice = region + L.header + (size_t)i * L.slice;
    unsigned char *stack = slice + L.guard;
    unsigned char *wmem = stack + L.stack;
    unsigned char *deque = wmem + L.wstruct;
    if (weft__prim_commit(stack, L.stack + L.wstruct + L.deque)) goto nomem;
    weft_worker *w = (weft_worker *)wmem;
    p->workers[i] = w;
    w->pool = p;
    w->index = i;
    w->rng = 0x9e3779b9u * (i + 1);
    w->frames = (weft__frame *)deque;
    w->task_base = w->frames;
    w->hot.top = w->frames;
    w->hot.split = w->frames;
    w->hot.end = w->frames + cfg.deque_frames;
    w->hot.slow = WEFT__SLOW_ALLSTOLEN; /* empty: nothing unstolen */
    w->scratch = deque + L.deque;
    w->scratch_size = cfg.scratch_size;
    atomic_init(&w->ts, 0);
  }
  /* Workers compare ids to detect self-deadlock, so the id is fixed before
   * they start; the handle is published only once they all run. */
  p->id = next_id(idx);
  /* Task records of a pool that reuses this slot start at a far-off
   * generation, so an old pool's task handle does not match by chance. */
  p->lt_gen_base = (uint32_t)(p->id >> 32) * 0x9e3779b1u | 1u;

  unsigned started = 0;
  if (cfg.threads != WEFT_THREADS_POOL) goto publish; /* no thread to start or wait for */
  for (; started < n; started++) {
    unsigned char *slice = region + L.header + (size_t)started * L.slice;
    weft_worker *w = p->workers[started];
    if (weft__prim_thread_start(&w->thread, weft__worker_main, w, slice + L.guard, L.stack)) {
      stop_workers(p, started);
      weft__prim_release(region, size);
      unclaim_slot(idx);
      return WEFT_ETHREAD;
    }
  }
  uint32_t up;
  while ((up = atomic_load_explicit(&p->started, memory_order_acquire)) < n)
    weft__prim_wait32((uint32_t *)&p->started, up);

publish:
  publish_slot(idx, p);
  out->id = p->id;
  return 0;

nomem:
  weft__prim_release(region, size);
  unclaim_slot(idx);
  return WEFT_ENOMEM;
}

int weft_pool_destroy(weft_pool h) {
  uint32_t idx, gen;
  if (!decode(h, &idx, &gen)) return WEFT_EBADPOOL;
  weft_worker *self = weft__tls_worker;
  if (self && self->pool->id == h.id) return WEFT_EDEADLK;
  slot_t *s = &slots[idx];
  uint64_t v = atomic_load_explicit(&s->state, memory_order_acquire);
  do {
    if ((uint32_t)(v >> 32) != gen || !(v & SLOT_LIVE)) return WEFT_EBADPOOL;
  } while (!atomic_compare_exchange_weak_explicit(&s->state, &v, (v & ~SLOT_LIVE) | SLOT_CLAIMED,
                                                  memory_order_acq_rel, memory_order_acquire));
  /* No new pins can start; wait for calls already inside the pool. */
  while (atomic_load_explicit(&s->state, memory_order_acquire) & SLOT_PINS) weft__prim_yield();
  weft__pool *p = atomic_load_explicit(&s->pool, memory_order_relaxed);

  atomic_store_explicit(&p->destroying, 1, memory_order_seq_cst);
  uint32_t live;
  while ((live = atomic_load_explicit(&p->live_jobs, memory_order_seq_cst)) != 0)
    weft__prim_wait32((uint32_t *)&p->live_jobs, live);

  if (atomic_load_explicit(&p->lt_nchunks, memory_order_seq_cst)) weft__tasks_quiesce(p);

  stop_workers(p, p->cfg.threads == WEFT_THREADS_POOL ? p->nworkers : 0);
  weft__tasks_free(p);
  weft__trace_free(p);
  weft__prim_release(p->region, p->region_size);
  atomic_store_explicit(&s->pool, NULL, memory_order_relaxed);
  unclaim_slot(idx);
  return 0;
}

int weft_worker_enter(weft_pool h, unsigned index) {
  if (weft__tls_worker) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(h);
  if (!p) return WEFT_EBADPOOL;
  if (p->cfg.threads != WEFT_THREADS_HOST || index >= p->nworkers) {
    weft__pool_unpin(h);
    return WEFT_EINVAL;
  }
  weft_worker *w = p->workers[index];
  uint32_t no = 0;
  if (!atomic_compare_exchange_strong_explicit(&w->entered, &no, 1, memory_order_relaxed,
                                               memory_order_relaxed)) {
    weft__pool_unpin(h);
    return WEFT_EBUSY;
  }
  /* Counted while pinned: destroy drains the pins before it stops the
   * workers, so it sees this thread and waits for it. */
  atomic_fetch_add_explicit(&p->entered, 1, memory_order_seq_cst);
  weft__pool_unpin(h);
  weft__worker_main(w);
  /* The last touch of the pool: destroy may release the region as soon as
   * it reads 0. The wake only names the address (prim.h allows that). */
  atomic_fetch_sub_explicit(&p->entered, 1, memory_order_seq_cst);
  weft__prim_wake32((uint32_t *)&p->entered, 1);
  return 0;
}

int weft__worker_stack(weft_pool h, unsigned index, void **base, size_t *size) {
  if (!base || !size) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(h);
  if (!p) return WEFT_EBADPOOL;
  int rc = WEFT_EINVAL;
  if (index < p->nworkers && p->stack_size) {
    *base = (unsigned char *)p->workers[index] - p->stack_size; /* [guard][stack][worker] */
    *size = p->stack_size;
    rc = WEFT_OK;
  }
  weft__pool_unpin(h);
  return rc;
}

int weft_pool_workers(weft_pool h) {
  weft__pool *p = weft__pool_pin(h);
  if (!p) return WEFT_EBADPOOL;
  int n = (int)p->nworkers;
  weft__pool_unpin(h);
  return n;
}
