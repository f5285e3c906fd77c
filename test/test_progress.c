/*
 * test_progress.c - the progress hook (weft_config.progress): a fake outside
 * completion source whose "message" arrives as a plain store (nobody wakes
 * the pool), so only the workers' polling can turn it into a completed
 * event. Checks that it is noticed while every worker sleeps (the napper),
 * from a weft_task_wait inside the pool, and that the idle cost is bounded:
 * a hook with nothing outstanding lets the workers sleep, one with
 * something outstanding is polled about once per interval, not in a spin.
 */
#include "helpers.h"

#include <string.h>

typedef struct fake_src {
  _Atomic int arrived;      /* set by the "network" thread */
  _Atomic int outstanding;  /* 1 until the poll has triggered ev */
  _Atomic long polls;
  weft_task ev;
} fake_src;

static int fake_poll(void *user, weft_worker *w) {
  fake_src *s = user;
  ASSERT(w != NULL && weft_current_worker() == w);
  atomic_fetch_add(&s->polls, 1);
  int one = 1;
  if (atomic_load(&s->arrived) &&
      atomic_compare_exchange_strong(&s->outstanding, &one, 0))
    ASSERT_OK(weft_event_trigger(s->ev, 0));
  return atomic_load(&s->outstanding);
}

static weft_pool progress_pool(fake_src *s, unsigned workers, unsigned interval_us) {
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  cfg.progress.poll = fake_poll;
  cfg.progress.user = s;
  cfg.progress.interval_us = interval_us;
  return test_pool_new_cfg(&cfg);
}

static int mark_task(weft_worker *w, void *a) {
  (void)w;
  _Atomic int *flag;
  memcpy(&flag, a, sizeof flag);
  atomic_store(flag, 1);
  return 0;
}

/* Waits (sleeping, outside the pool) at most `secs` for t; 1 if done. */
static int done_within(weft_task t, double secs) {
  double end = test_now() + secs;
  while (weft_task_status(t) == WEFT_EPENDING) {
    if (test_now() > end) return 0;
    test_sleep_ms(1);
  }
  return 1;
}

TEST(progress_all_asleep) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    fake_src s = {0};
    atomic_store(&s.outstanding, 1);
    weft_pool pool = progress_pool(&s, workers, 1000);
    ASSERT_OK(weft_event_create(pool, &s.ev));
    _Atomic int ran = 0;
    _Atomic int *rp = &ran;
    weft_task t;
    ASSERT_OK(weft_launch(pool, mark_task, &rp, sizeof rp, &s.ev, 1, &t));
    test_sleep_ms(100); /* every worker goes to sleep; one naps */
    long before = atomic_load(&s.polls);
    test_sleep_ms(100);
    long during = atomic_load(&s.polls) - before;
    /* About one poll per 1 ms nap (timer slack may stretch naps): polled
     * in 100 ms, but far from a spin (which makes millions). */
    ASSERT(during >= 5);
    ASSERT(during <= 1000);
    ASSERT_EQ(atomic_load(&ran), 0);
    atomic_store(&s.arrived, 1); /* no wake: only a poll can see it */
    ASSERT(done_within(t, 5.0));
    ASSERT_OK(weft_task_status(t));
    ASSERT_EQ(atomic_load(&ran), 1);
    ASSERT_OK(weft_task_release(t));
    ASSERT_OK(weft_task_release(s.ev));
    /* Nothing outstanding: the workers sleep until woken, polls stop. */
    test_sleep_ms(50);
    before = atomic_load(&s.polls);
    test_sleep_ms(100);
    ASSERT(atomic_load(&s.polls) - before <= 2);
    test_pool_free(pool);
  }
}

typedef struct wait_arg {
  weft_task t;
  int rc;
} wait_arg;

static void wait_inside(weft_worker *w, void *a) {
  (void)w;
  wait_arg *wa = a;
  wa->rc = weft_task_wait(wa->t); /* on the pool's only worker: polls while it waits */
}

static void *arrive_later(void *a) {
  fake_src *s = a;
  test_sleep_ms(30);
  atomic_store(&s->arrived, 1);
  return NULL;
}

TEST(progress_wait_in_pool) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    fake_src s = {0};
    atomic_store(&s.outstanding, 1);
    weft_pool pool = progress_pool(&s, workers, 0);
    ASSERT_OK(weft_event_create(pool, &s.ev));
    _Atomic int ran = 0;
    _Atomic int *rp = &ran;
    wait_arg wa = {{0}, -1};
    ASSERT_OK(weft_launch(pool, mark_task, &rp, sizeof rp, &s.ev, 1, &wa.t));
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, arrive_later, &s), 0);
    ASSERT_OK(weft_run(pool, wait_inside, &wa));
    pthread_join(th, NULL);
    ASSERT_OK(wa.rc);
    ASSERT_EQ(atomic_load(&ran), 1);
    ASSERT_OK(weft_task_release(wa.t));
    ASSERT_OK(weft_task_release(s.ev));
    test_pool_free(pool);
  }
}

/* A failed trigger from the poll reaches the dependent task as canceled,
 * naming the event. */
static int fail_poll(void *user, weft_worker *w) {
  (void)w;
  fake_src *s = user;
  int one = 1;
  if (atomic_load(&s->arrived) && atomic_compare_exchange_strong(&s->outstanding, &one, 0))
    ASSERT_OK(weft_event_trigger(s->ev, 77));
  return atomic_load(&s->outstanding);
}

TEST(progress_failed_event) {
  fake_src s = {0};
  atomic_store(&s.outstanding, 1);
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.progress.poll = fail_poll;
  cfg.progress.user = &s;
  weft_pool pool = test_pool_new_cfg(&cfg);
  ASSERT_OK(weft_event_create(pool, &s.ev));
  _Atomic int ran = 0;
  _Atomic int *rp = &ran;
  weft_task t;
  ASSERT_OK(weft_launch(pool, mark_task, &rp, sizeof rp, &s.ev, 1, &t));
  atomic_store(&s.arrived, 1);
  ASSERT_ERR(weft_task_wait(t), WEFT_ECANCELED);
  weft_task_info info;
  ASSERT_OK(weft_task_info_get(t, &info));
  ASSERT_EQ(info.origin.id, s.ev.id);
  ASSERT_EQ(info.status, 77);
  ASSERT_EQ(atomic_load(&ran), 0);
  ASSERT_OK(weft_task_release(t));
  ASSERT_OK(weft_task_release(s.ev));
  test_pool_free(pool);
}

/* Busy: every worker runs an endless stream of launched tasks (each body
 * launches its successor), so no worker ever goes back to its own loop or
 * goes idle. The hook must still be polled at a bounded rate: the event's
 * dependent starts while the stream runs. */
static _Atomic int stream_stop;
static weft_pool stream_pool;

static int stream_task(weft_worker *w, void *a) {
  (void)w;
  (void)a;
  double end = test_now() + 5e-6;
  while (test_now() < end) {
  }
  if (!atomic_load(&stream_stop)) weft_launch(stream_pool, stream_task, NULL, 0, NULL, 0, NULL);
  return 0;
}

TEST(progress_busy_stream) {
  for (unsigned workers = 1; workers <= 2; workers++) {
    fake_src s = {0};
    atomic_store(&s.outstanding, 1);
    atomic_store(&stream_stop, 0);
    weft_pool pool = progress_pool(&s, workers, 100);
    stream_pool = pool;
    ASSERT_OK(weft_event_create(pool, &s.ev));
    _Atomic int ran = 0;
    _Atomic int *rp = &ran;
    weft_task t;
    ASSERT_OK(weft_launch(pool, mark_task, &rp, sizeof rp, &s.ev, 1, &t));
    for (unsigned k = 0; k < workers; k++)
      ASSERT_OK(weft_launch(pool, stream_task, NULL, 0, NULL, 0, NULL));
    test_sleep_ms(20);
    atomic_store(&s.arrived, 1);
    int done = done_within(t, 5.0);
    atomic_store(&stream_stop, 1); /* before asserting: the pool must wind down */
    ASSERT(done);
    ASSERT_OK(weft_task_status(t));
    ASSERT_EQ(atomic_load(&ran), 1);
    ASSERT_OK(weft_task_release(t));
    ASSERT_OK(weft_task_release(s.ev));
    test_pool_free(pool);
  }
}
