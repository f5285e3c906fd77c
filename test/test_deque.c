/*
 * test_deque.c - white-box tests of the split deque (src/deque.c) without a
 * pool's threads: the test thread is the owner, thieves are plain threads
 * calling weft__steal on hand-built worker structs.
 */
#include "runner.h"
#include "helpers.h"

#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

#define NW 4
static weft__pool fake;
static weft_worker *fw[NW];

typedef struct {
  uint32_t id;
  uint32_t pad;
} tk;

static _Atomic uint32_t *runs;      /* runs[id]: how many times task id ran */
static _Atomic int32_t *ran_by;     /* worker index that ran it */
static _Atomic uint32_t order_pos;
static uint32_t order[64];

static void count_task(weft_worker *w, void *p) {
  tk *a = p;
  atomic_fetch_add(&runs[a->id], 1);
  atomic_store(&ran_by[a->id], (int32_t)w->index);
  uint32_t pos = atomic_fetch_add(&order_pos, 1);
  if (pos < 64) order[pos] = a->id;
}

static void setup(size_t nframes, size_t ntasks) {
  memset(&fake, 0, sizeof fake);
  weft_config_default(&fake.cfg);
  fake.nworkers = NW;
  fake.workers = fw;
  for (unsigned i = 0; i < NW; i++) {
    weft_worker *w = weft__aligned_alloc(64, sizeof *w);
    memset(w, 0, sizeof *w);
    weft__frame *fr = weft__aligned_alloc(64, nframes * sizeof *fr);
    memset(fr, 0, nframes * sizeof *fr);
    w->pool = &fake;
    w->index = i;
    w->rng = 12345u * (i + 1);
    w->frames = fr;
    w->task_base = fr;
    w->hot.top = w->hot.split = fr;
    w->hot.end = fr + nframes;
    w->hot.slow = WEFT__SLOW_ALLSTOLEN;
    atomic_init(&w->ts, 0);
    fw[i] = w;
  }
  runs = calloc(ntasks, sizeof *runs);
  ran_by = calloc(ntasks, sizeof *ran_by);
  atomic_store(&order_pos, 0);
}

static void teardown(void) {
  for (unsigned i = 0; i < NW; i++) {
    weft__aligned_free(fw[i]->frames);
    weft__aligned_free(fw[i]);
  }
  free((void *)runs);
  free((void *)ran_by);
}

static void push(weft_worker *w, uint32_t id) {
  tk a = {id, 0};
  ASSERT_EQ(weft_spawn(w, count_task, &a, sizeof a), 0);
}

static void pop(weft_worker *w, uint32_t expect_id) {
  tk a = {0xffffffffu, 0};
  ASSERT_EQ(weft_sync(w, &a, sizeof a), 0);
  ASSERT_UEQ(a.id, expect_id);
}

static uint32_t ts_t(weft_worker *w) { return weft__ts_t(atomic_load(&w->ts)); }
static uint32_t ts_s(weft_worker *w) { return weft__ts_s(atomic_load(&w->ts)); }

/* Owner alone: LIFO order, everything inline, only the first frame after an
 * empty deque is shared (reset), the rest stay private. */
TEST(deque_owner_lifo) {
  setup(64, 16);
  weft_worker *o = fw[0];
  for (uint32_t i = 0; i < 10; i++) push(o, i);
  ASSERT_UEQ(ts_t(o), 0);
  ASSERT_UEQ(ts_s(o), 1);
  ASSERT(o->hot.split == o->frames + 1);
  for (uint32_t i = 10; i-- > 0;) pop(o, i);
  for (uint32_t i = 0; i < 10; i++) {
    ASSERT_UEQ(runs[i], 1);
    ASSERT_EQ(ran_by[i], 0);
    ASSERT_UEQ(order[i], 9 - i);
  }
  ASSERT(o->hot.top == o->frames);
  ASSERT_UEQ(ts_t(o), ts_s(o)); /* nothing left to steal */
  teardown();
}

/* The split protocol step by step: thieves take the oldest frame, ask for
 * more when the shared part is empty, the owner shares half its private
 * frames at its next push or pop, takes back the last shared frame by CAS,
 * and finds stolen frames done. */
TEST(deque_split_protocol) {
  setup(64, 16);
  weft_worker *o = fw[0], *th = fw[1];
  for (uint32_t i = 0; i < 4; i++) push(o, i);   /* frames 0..3, only 0 shared */
  ASSERT_EQ(weft__steal(th, o), 1);                /* takes task 0 */
  ASSERT_UEQ(runs[0], 1);
  ASSERT_EQ(ran_by[0], 1);
  ASSERT_EQ(weft__steal(th, o), 0);                /* empty: requests a split */
  ASSERT(o->hot.signal & WEFT__SIG_SPLIT);
  push(o, 4);                                      /* owner answers: shares 2 of 4 */
  ASSERT_UEQ(ts_t(o), 1);
  ASSERT_UEQ(ts_s(o), 3);
  ASSERT_UEQ(o->hot.signal, 0);
  ASSERT_EQ(weft__steal(th, o), 1);                /* task 1 */
  ASSERT_EQ(weft__steal(th, o), 1);                /* task 2 */
  ASSERT_EQ(weft__steal(th, o), 0);                /* request again */
  ASSERT_UEQ(runs[1], 1);
  ASSERT_UEQ(runs[2], 1);
  pop(o, 4);            /* private; the pending request shares frame 3 */
  ASSERT_UEQ(ts_s(o), 4);
  pop(o, 3);            /* shared: taken back by CAS */
  ASSERT_UEQ(ts_s(o), 3);
  ASSERT_EQ(ran_by[3], 0);
  pop(o, 2);            /* stolen: result copied from the frame */
  ASSERT(o->hot.slow & WEFT__SLOW_ALLSTOLEN);
  pop(o, 1);
  pop(o, 0);
  for (uint32_t i = 0; i < 5; i++) ASSERT_UEQ(runs[i], 1);
  weft_worker_stats st;
  (void)st;
  ASSERT_UEQ(o->st_stolen_from, 3);
  ASSERT_UEQ(th->st_steals, 3);
  /* Reuse after everything was stolen: the next push resets the word. */
  push(o, 5);
  ASSERT_UEQ(ts_t(o), 0);
  ASSERT_UEQ(ts_s(o), 1);
  pop(o, 5);
  ASSERT_UEQ(runs[5], 1);
  teardown();
}

/* The race for the last frames: an owner pushes k frames and pops them while
 * thieves hammer its deque. Every task must run exactly once. */
static _Atomic int stop_thieves;

static void *thief_main(void *arg) {
  weft_worker *th = arg;
  while (!atomic_load_explicit(&stop_thieves, memory_order_relaxed)) weft__steal(th, fw[0]);
  return NULL;
}

TEST(deque_last_task_race) {
  const uint32_t rounds = (uint32_t)test_scaled(100000, 2000);
  const uint32_t maxk = 4;
  setup(64, (size_t)rounds * maxk * 10);
  atomic_store(&stop_thieves, 0);
  pthread_t t[NW - 1];
  for (unsigned i = 0; i < NW - 1; i++) pthread_create(&t[i], NULL, thief_main, fw[i + 1]);
  weft_worker *o = fw[0];
  uint32_t id = 0, rng = 1;
  /* Under load the thieves may get little CPU: keep going (bounded) until
   * at least one steal happened, so the race is really exercised. */
  uint32_t limit = rounds;
  for (uint32_t r = 0; r < limit; r++) {
    if (r == limit - 1 && limit < 10 * rounds) {
      uint64_t st = 0;
      for (unsigned i = 1; i < NW; i++) st += __atomic_load_n(&fw[i]->st_steals, __ATOMIC_RELAXED);
      if (st == 0) limit += rounds / 2 + 1;
    }
    uint32_t k = 1 + r % maxk;
    for (uint32_t j = 0; j < k; j++) push(o, id + j);
    /* Hold the frames a random while, so thieves get to race the pops. */
    rng = rng * 1103515245u + 12345u;
    for (uint32_t spin = (rng >> 16) % 512; spin > 0; spin--) weft__cpu_relax();
    for (uint32_t j = k; j-- > 0;) pop(o, id + j);
    for (uint32_t j = 0; j < k; j++) ASSERT_UEQ(runs[id + j], 1);
    id += k;
  }
  atomic_store(&stop_thieves, 1);
  for (unsigned i = 0; i < NW - 1; i++) pthread_join(t[i], NULL);
  for (uint32_t i = 0; i < id; i++) ASSERT_UEQ(runs[i], 1);
  uint64_t stolen = 0;
  for (unsigned i = 1; i < NW; i++) stolen += fw[i]->st_steals;
  ASSERT_UEQ(stolen, o->st_stolen_from);
  test_log("%u tasks, %llu stolen", id, (unsigned long long)stolen);
  ASSERT_UGT(stolen, 0); /* the race was actually exercised */
  teardown();
}

/* A full deque degrades to running spawns at once, results intact. */
TEST(deque_full_overflow) {
  setup(16, 64);
  weft_worker *o = fw[0];
  unsigned char scratch[64 * 1024] __attribute__((aligned(64)));
  o->scratch = scratch;
  o->scratch_size = o->scratch_committed = sizeof scratch;
  for (uint32_t i = 0; i < 40; i++) push(o, i);
  ASSERT(o->hot.top == o->hot.end);
  ASSERT_UEQ(o->st_overflows, 40 - 16);
  for (uint32_t i = 16; i < 40; i++) ASSERT_UEQ(runs[i], 1); /* ran at once */
  for (uint32_t i = 40; i-- > 0;) pop(o, i);
  for (uint32_t i = 0; i < 40; i++) ASSERT_UEQ(runs[i], 1);
  ASSERT_UEQ(o->scratch_top, 0); /* overflow frames given back */
  tk a;
  ASSERT_EQ(weft_sync(o, &a, sizeof a), WEFT_ENOTASK);
  teardown();
}
