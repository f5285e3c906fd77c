/*
 * test_weft_mpi.c - the weft_mpi module under mpirun (any -np):
 *   test_weft_mpi WORKERS      ring of messages as events, a truncated
 *                              receive fails its event, events made before
 *                              their requests (weft_mpi_*_event), a request nobody
 *                              matches blocks finalize until canceled, and
 *                              pool destroy with one outstanding returns
 *   test_weft_mpi level        MPI initialized at MPI_THREAD_FUNNELED:
 *                              weft_mpi_create names the level and refuses
 * Every check prints what failed and aborts the whole job (MPI_Abort), so a
 * failure on one rank cannot leave the others waiting.
 */
#include <weft_mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, nranks;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "rank %d: %s:%d: check failed: %s: ", rank, __FILE__, \
              __LINE__, #cond);                                            \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, "\n");                                               \
      MPI_Abort(MPI_COMM_WORLD, 1);                                        \
    }                                                                      \
  } while (0)
#define CHECK_OK(expr)                                                     \
  do {                                                                     \
    int rc_ = (expr);                                                      \
    CHECK(rc_ == WEFT_OK, "%s gave %d (%s)", #expr, rc_, weft_mpi_strerror(rc_)); \
  } while (0)

/* ---- ring: round k's message from the left neighbour carries k * 1000 +
 * sender; a task launched after its receive event checks it and records
 * that it ran. Each round's send waits for nothing (posted up front). */
enum { ROUNDS = 200 };
typedef struct ring_arg {
  const long *slot;
  long expect;
  long *seen;
} ring_arg;

static int check_msg(weft_worker *w, void *a) {
  (void)w;
  ring_arg *r = a;
  *r->seen = *r->slot == r->expect ? 1 : -1;
  return 0;
}

static void test_ring(weft_mpi *m, weft_pool pool) {
  int right = (rank + 1) % nranks, left = (rank + nranks - 1) % nranks;
  static long out[ROUNDS], in[ROUNDS], seen[ROUNDS];
  weft_task recv_ev[ROUNDS], send_ev[ROUNDS], task[ROUNDS];
  for (int k = 0; k < ROUNDS; k++) {
    out[k] = (long)k * 1000 + rank;
    in[k] = -1;
    seen[k] = 0;
    CHECK_OK(weft_mpi_irecv(m, &in[k], 1, MPI_LONG, left, k, MPI_COMM_WORLD, &recv_ev[k]));
    ring_arg a = {&in[k], (long)k * 1000 + left, &seen[k]};
    CHECK_OK(weft_launch(pool, check_msg, &a, sizeof a, &recv_ev[k], 1, &task[k]));
  }
  /* Sends in reverse order: receives complete out of posting order. */
  for (int k = ROUNDS - 1; k >= 0; k--)
    CHECK_OK(weft_mpi_isend(m, &out[k], 1, MPI_LONG, right, k, MPI_COMM_WORLD,
                            k % 2 ? &send_ev[k] : NULL));
  for (int k = 0; k < ROUNDS; k++) {
    CHECK_OK(weft_task_wait(task[k])); /* sleeps: only the workers poll */
    CHECK(seen[k] == 1, "round %d: got %ld, expected %ld", k, in[k], (long)k * 1000 + left);
    CHECK_OK(weft_task_status(recv_ev[k]));
    CHECK_OK(weft_task_release(task[k]));
    CHECK_OK(weft_task_release(recv_ev[k]));
    if (k % 2) {
      CHECK_OK(weft_task_wait(send_ev[k]));
      CHECK_OK(weft_task_release(send_ev[k]));
    }
  }
  /* The unowned sends complete too (a poll sees them). */
  for (int spin = 0; weft_mpi_outstanding(m) > 0 && spin < 100000; spin++) weft_mpi_poll(m);
  CHECK(weft_mpi_outstanding(m) == 0, "%d requests left", weft_mpi_outstanding(m));
}

static int never_runs(weft_worker *w, void *a) {
  (void)w;
  *(int *)*(void **)a = 1;
  return 0;
}

/* ---- erroring requests. (1) 8 ints received into room for 4 on a
 * communicator that returns errors: truncation, from the left neighbour
 * (Open MPI's self transport truncates silently, so only with >= 2 ranks).
 * (2) A generalized request whose query reports MPI_ERR_OTHER: any -np. */
static void expect_failed(weft_task ev, weft_task t, const int *ran, int cls_want) {
  int st = weft_task_wait(t);
  CHECK(st == WEFT_ECANCELED, "dependent of a failed request: %d (%s)", st, weft_strerror(st));
  CHECK(*ran == 0, "the dependent ran");
  CHECK(weft_task_status(ev) == WEFT_EFAILED, "event: %d", weft_task_status(ev));
  weft_task_info info;
  CHECK_OK(weft_task_info_get(t, &info));
  CHECK(info.origin.id == ev.id, "origin is not the request's event");
  int cls = -1;
  MPI_Error_class(info.status, &cls);
  CHECK(cls == cls_want, "status %d, class %d, expected %d", info.status, cls, cls_want);
}

static int gq_query(void *extra, MPI_Status *status) {
  (void)extra;
  MPI_Status_set_elements(status, MPI_BYTE, 0);
  MPI_Status_set_cancelled(status, 0);
  status->MPI_SOURCE = MPI_UNDEFINED;
  status->MPI_TAG = MPI_UNDEFINED;
  return MPI_ERR_OTHER;
}
static int gq_free(void *extra) {
  (void)extra;
  return MPI_SUCCESS;
}
static int gq_cancel(void *extra, int complete) {
  (void)extra;
  (void)complete;
  return MPI_SUCCESS;
}

static void test_error(weft_mpi *m, weft_pool pool) {
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  int ran = 0;
  void *rp = &ran;
  weft_task rev, sev, t;
  if (nranks >= 2) {
    int out[8] = {1, 2, 3, 4, 5, 6, 7, 8}, in[4] = {0};
    CHECK_OK(weft_mpi_irecv(m, in, 4, MPI_INT, (rank + nranks - 1) % nranks, 77, comm, &rev));
    CHECK_OK(weft_launch(pool, never_runs, &rp, sizeof rp, &rev, 1, &t));
    CHECK_OK(weft_mpi_isend(m, out, 8, MPI_INT, (rank + 1) % nranks, 77, comm, &sev));
    expect_failed(rev, t, &ran, MPI_ERR_TRUNCATE);
    CHECK_OK(weft_task_wait(sev));
    CHECK_OK(weft_task_release(t));
    CHECK_OK(weft_task_release(rev));
    CHECK_OK(weft_task_release(sev));
  }
  /* A generalized request has no communicator: Open MPI raises its error
   * on MPI_COMM_WORLD's handler, which must return errors too. Twice:
   * weft_mpi_watch's own event, then an event made first (watch_event). */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  for (int own = 0; own < 2; own++) {
    MPI_Request gr, keep;
    CHECK(MPI_Grequest_start(gq_query, gq_free, gq_cancel, NULL, &gr) == MPI_SUCCESS, "grequest");
    keep = gr;
    weft_task gev;
    if (own) {
      CHECK_OK(weft_event_create(pool, &gev));
      CHECK_OK(weft_launch(pool, never_runs, &rp, sizeof rp, &gev, 1, &t));
      CHECK_OK(weft_mpi_watch_event(m, &gr, gev));
    } else {
      CHECK_OK(weft_mpi_watch(m, &gr, &gev));
      CHECK_OK(weft_launch(pool, never_runs, &rp, sizeof rp, &gev, 1, &t));
    }
    CHECK(gr == MPI_REQUEST_NULL, "watch did not take the request");
    CHECK(weft_task_status(t) == WEFT_EPENDING, "ran before the request completed");
    weft_mpi_lock(m);
    MPI_Grequest_complete(keep);
    weft_mpi_unlock(m);
    expect_failed(gev, t, &ran, MPI_ERR_OTHER);
    CHECK_OK(weft_task_release(t));
    CHECK_OK(weft_task_release(gev));
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  MPI_Comm_free(&comm);
}

/* ---- events created before their requests (weft_mpi_*_event): round
 * k's check task is launched after an event nobody has posted anything
 * for yet; a task launched after it posts the receive and the send from its
 * body. Also: the arguments these refuse, with nothing posted. */
typedef struct poster_arg {
  weft_mpi *m;
  long *in;
  const long *out;
  int k, left, right;
  weft_task rev, sev;
} poster_arg;

static int poster(weft_worker *w, void *a) {
  (void)w;
  poster_arg *p = *(poster_arg **)a;
  int rc = weft_mpi_irecv_event(p->m, p->in, 1, MPI_LONG, p->left, 500 + p->k, MPI_COMM_WORLD,
                                p->rev);
  if (rc) return rc;
  return weft_mpi_isend_event(p->m, p->out, 1, MPI_LONG, p->right, 500 + p->k, MPI_COMM_WORLD,
                              p->sev);
}

static int nop_body(weft_worker *w, void *p) {
  (void)w;
  (void)p;
  return 0;
}

static void test_events(weft_mpi *m, weft_pool pool) {
  enum { K = 64 };
  int right = (rank + 1) % nranks, left = (rank + nranks - 1) % nranks;
  static long out[K], in[K], seen[K];
  static poster_arg pa[K];
  weft_task rev[K], sev[K], chk[K], post[K];
  for (int k = 0; k < K; k++) {
    out[k] = (long)k * 1000 + rank;
    in[k] = -1;
    seen[k] = 0;
    CHECK_OK(weft_event_create(pool, &rev[k]));
    CHECK_OK(weft_event_create(pool, &sev[k]));
    ring_arg a = {&in[k], (long)k * 1000 + left, &seen[k]};
    CHECK_OK(weft_launch(pool, check_msg, &a, sizeof a, &rev[k], 1, &chk[k]));
  }
  /* Posters in reverse order, each after the previous one launched. */
  for (int k = K - 1; k >= 0; k--) {
    pa[k] = (poster_arg){m, &in[k], &out[k], k, left, right, rev[k], sev[k]};
    poster_arg *pp = &pa[k];
    CHECK_OK(weft_launch(pool, poster, &pp, sizeof pp, k < K - 1 ? &post[k + 1] : NULL,
                         k < K - 1, &post[k]));
  }
  for (int k = 0; k < K; k++) {
    CHECK_OK(weft_task_wait(chk[k]));
    CHECK(seen[k] == 1, "event round %d: got %ld, expected %ld", k, in[k],
          (long)k * 1000 + left);
    CHECK_OK(weft_task_wait(post[k]));
    CHECK_OK(weft_task_wait(sev[k]));
    CHECK_OK(weft_task_status(rev[k]));
    CHECK_OK(weft_task_release(chk[k]));
    CHECK_OK(weft_task_release(post[k]));
    CHECK_OK(weft_task_release(rev[k]));
    CHECK_OK(weft_task_release(sev[k]));
  }
  /* Refused, nothing posted: no event, an event completed already (by its
   * own trigger), an event canceled. */
  long x = 0;
  weft_task none = {0}, done, gone;
  int before = weft_mpi_outstanding(m);
  CHECK(weft_mpi_isend_event(m, &x, 1, MPI_LONG, rank, 9, MPI_COMM_WORLD, none) == WEFT_EINVAL,
        "no event");
  CHECK_OK(weft_event_create(pool, &done));
  CHECK_OK(weft_event_trigger(done, 0));
  int rc = weft_mpi_irecv_event(m, &x, 1, MPI_LONG, rank, 9, MPI_COMM_WORLD, done);
  CHECK(rc == WEFT_EALREADY, "completed event: %d (%s)", rc, weft_mpi_strerror(rc));
  CHECK_OK(weft_event_create(pool, &gone));
  CHECK(weft_task_cancel(gone) == 1, "cancel");
  MPI_Request r = MPI_REQUEST_NULL;
  CHECK(weft_mpi_watch_event(m, &r, gone) == WEFT_EINVAL, "null request");
  rc = weft_mpi_isend_event(m, &x, 1, MPI_LONG, rank, 9, MPI_COMM_WORLD, gone);
  CHECK(rc == WEFT_EALREADY, "canceled event: %d (%s)", rc, weft_mpi_strerror(rc));
  /* A task handle, not an event: its completion could never be triggered. */
  weft_task gate, task;
  CHECK_OK(weft_event_create(pool, &gate));
  CHECK_OK(weft_launch(pool, nop_body, NULL, 0, &gate, 1, &task));
  rc = weft_mpi_irecv_event(m, &x, 1, MPI_LONG, rank, 9, MPI_COMM_WORLD, task);
  CHECK(rc == WEFT_EINVAL, "task handle: %d (%s)", rc, weft_mpi_strerror(rc));
  CHECK(weft_mpi_outstanding(m) == before, "posted anyway: %d", weft_mpi_outstanding(m));
  CHECK_OK(weft_event_trigger(gate, 0));
  CHECK_OK(weft_task_wait(task));
  CHECK_OK(weft_task_release(task));
  CHECK_OK(weft_task_release(gate));
  CHECK_OK(weft_task_release(done));
  CHECK_OK(weft_task_release(gone));
}

/* ---- a receive nobody matches: finalize refuses, cancel propagates. */
static void test_outstanding(weft_mpi *m, weft_pool pool) {
  int in = 0;
  weft_task rev, t;
  CHECK_OK(weft_mpi_irecv(m, &in, 1, MPI_INT, rank, 999, MPI_COMM_WORLD, &rev));
  int ran = 0;
  void *rp = &ran;
  CHECK_OK(weft_launch(pool, never_runs, &rp, sizeof rp, &rev, 1, &t));
  int rc = weft_mpi_finalize(m);
  CHECK(rc == WEFT_MPI_EOUTSTANDING, "finalize with a request outstanding gave %d (%s)", rc,
        weft_mpi_strerror(rc));
  CHECK(strstr(weft_mpi_strerror(rc), "outstanding") != NULL, "message: %s",
        weft_mpi_strerror(rc));
  CHECK(weft_mpi_cancel_all(m) == 1, "cancel_all");
  int st = weft_task_wait(t);
  CHECK(st == WEFT_ECANCELED, "dependent of a canceled receive: %d", st);
  CHECK(ran == 0, "ran");
  CHECK(weft_task_status(rev) == WEFT_ECANCELED, "event: %d", weft_task_status(rev));
  weft_task_info info;
  CHECK_OK(weft_task_info_get(t, &info));
  CHECK(info.origin.id == rev.id, "origin");
  CHECK(weft_mpi_outstanding(m) == 0, "left %d", weft_mpi_outstanding(m));
  CHECK_OK(weft_task_release(t));
  CHECK_OK(weft_task_release(rev));
}

static int run_level(int argc, char **argv) {
  int got = -1;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &got);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (got >= MPI_THREAD_SERIALIZED) { /* this MPI raised the level: nothing to test */
    if (rank == 0) printf("level: MPI gave %s for FUNNELED, skipped\n", weft_mpi_level_name(got));
    MPI_Finalize();
    return 0;
  }
  weft_config cfg;
  weft_config_default(&cfg);
  weft_mpi *m = NULL;
  int rc = weft_mpi_create(&m, &cfg);
  CHECK(rc == WEFT_MPI_ELEVEL, "create at %s gave %d", weft_mpi_level_name(got), rc);
  CHECK(m == NULL && cfg.progress.poll == NULL, "state left behind");
  int level = -1;
  rc = weft_mpi_init(&argc, &argv, &level);
  CHECK(rc == WEFT_MPI_ELEVEL && level == got, "init gave %d, level %d", rc, level);
  CHECK(strcmp(weft_mpi_level_name(level), "MPI_THREAD_FUNNELED") == 0, "name %s",
        weft_mpi_level_name(level));
  if (rank == 0)
    printf("level: %s: %s\n", weft_mpi_strerror(rc), weft_mpi_level_name(level));
  MPI_Finalize();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "level") == 0) return run_level(argc, argv);
  unsigned workers = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
  int level;
  int rc = weft_mpi_init(&argc, &argv, &level);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  CHECK(rc == WEFT_OK, "weft_mpi_init: %s (%s)", weft_mpi_strerror(rc), weft_mpi_level_name(level));
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  weft_mpi *m;
  CHECK_OK(weft_mpi_create(&m, &cfg));
  weft_pool pool;
  CHECK_OK(weft_pool_create(&pool, &cfg));
  CHECK_OK(weft_mpi_bind(m, pool));
  test_ring(m, pool);
  test_error(m, pool);
  test_events(m, pool);
  test_outstanding(m, pool);
  weft_mpi_stats s;
  CHECK_OK(weft_mpi_stats_get(m, &s));
  CHECK(s.completed >= (uint64_t)2 * ROUNDS + 2 * 64 + 3 && s.failed >= 2 && s.canceled == 1,
        "stats: completed %llu failed %llu canceled %llu", (unsigned long long)s.completed,
        (unsigned long long)s.failed, (unsigned long long)s.canceled);
  /* Destroy with a request outstanding and a task waiting on it: destroy
   * cancels the event (the task completes canceled) and returns; the module
   * still holds the request, so finalize refuses until it is canceled. */
  int never = 0;
  weft_task lost, after;
  CHECK_OK(weft_mpi_irecv(m, &never, 1, MPI_INT, rank, 1234, MPI_COMM_WORLD, &lost));
  int ran = 0;
  void *rp = &ran;
  CHECK_OK(weft_launch(pool, never_runs, &rp, sizeof rp, &lost, 1, &after));
  CHECK_OK(weft_pool_destroy(pool));
  CHECK(ran == 0, "ran after a request that never completed");
  rc = weft_mpi_finalize(m);
  CHECK(rc == WEFT_MPI_EOUTSTANDING, "finalize after destroy: %d", rc);
  CHECK(weft_mpi_cancel_all(m) == 1, "cancel_all after destroy");
  for (int spin = 0; weft_mpi_outstanding(m) > 0 && spin < 1000000; spin++) weft_mpi_poll(m);
  CHECK(weft_mpi_outstanding(m) == 0, "the canceled request did not complete");
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK_OK(weft_mpi_finalize(m));
  if (rank == 0)
    printf("test_weft_mpi: %d ranks x %u workers: ring, error, events, outstanding ok "
           "(%llu polls)\n",
           nranks, workers, (unsigned long long)s.polls);
  return 0;
}
