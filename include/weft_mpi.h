/*
 * weft_mpi.h - MPI requests as weft events (the optional weft_mpi library,
 * built only where CMake finds MPI; the core weft library knows nothing of
 * MPI). docs/MPI.md has the model, the progress rule and the measurements.
 *
 *   MPI_Init_thread(...) or weft_mpi_init(&argc, &argv, &level);
 *   weft_config cfg; weft_config_default(&cfg);
 *   weft_mpi *m; weft_mpi_create(&m, &cfg);        // sets cfg.progress
 *   weft_pool pool; weft_pool_create(&pool, &cfg);
 *   weft_mpi_bind(m, pool);
 *   weft_task got;
 *   weft_mpi_irecv(m, halo, n, MPI_DOUBLE, left, tag, comm, &got);
 *   weft_launch(pool, edge_fn, &a, sizeof a, &got, 1, NULL);  // runs once it arrived
 *   ...
 *   weft_pool_destroy(pool); weft_mpi_finalize(m);  // WEFT_MPI_EOUTSTANDING if not done
 *
 * No thread of the module's own: the pool's workers test the outstanding
 * requests (MPI_Testsome) through the progress hook (weft_config.progress)
 * when they look for work, between busy steps at most once per interval,
 * and, while requests are outstanding, one sleeping worker wakes every
 * interval to test them. Every MPI call the module makes holds one mutex,
 * so MPI_THREAD_SERIALIZED is enough for the module itself; a program whose
 * own threads call MPI while requests are outstanding needs
 * MPI_THREAD_MULTIPLE, or must wrap its calls in weft_mpi_lock/unlock.
 */
#ifndef WEFT_MPI_H
#define WEFT_MPI_H

#include <mpi.h>

#include "weft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (besides weft's own). */
#define WEFT_MPI_ELEVEL (-40)       /* MPI gives a thread level below MPI_THREAD_SERIALIZED */
#define WEFT_MPI_EOUTSTANDING (-41) /* finalize with requests still outstanding */
#define WEFT_MPI_EMPI (-42)         /* an MPI call returned an error */
#define WEFT_MPI_ENOTINIT (-43)     /* MPI is not initialized (or already finalized) */
#define WEFT_MPI_EUNBOUND (-44)     /* no pool bound yet (weft_mpi_bind) */

/* weft_strerror for the codes above, weft_strerror's text for the rest. */
WEFT_API const char *weft_mpi_strerror(int err);

/* "MPI_THREAD_SINGLE", ..., "MPI_THREAD_MULTIPLE"; "unknown" otherwise. */
WEFT_API const char *weft_mpi_level_name(int level);

/* Initializes MPI asking for MPI_THREAD_MULTIPLE (if MPI is initialized
 * already, only checks its level). *provided (may be NULL) gets the level
 * MPI gave. Errors: WEFT_MPI_ELEVEL (below MPI_THREAD_SERIALIZED: MPI stays
 * initialized; weft_mpi_level_name(*provided) names the level it gave),
 * WEFT_MPI_EMPI, WEFT_MPI_ENOTINIT (finalized already). */
WEFT_API int weft_mpi_init(int *argc, char ***argv, int *provided);

typedef struct weft_mpi weft_mpi;

/* Creates the module's state for one pool and sets cfg->progress (cfg is
 * then given to weft_pool_create). MPI must be initialized. Errors:
 * WEFT_EINVAL (out or cfg NULL, cfg->progress already set, a
 * WEFT_THREADS_CALLER pool: it has no worker loop to poll from),
 * WEFT_MPI_ENOTINIT, WEFT_MPI_ELEVEL (the level is below
 * MPI_THREAD_SERIALIZED), WEFT_ENOMEM. */
WEFT_API int weft_mpi_create(weft_mpi **out, weft_config *cfg);

/* Binds the pool created with that cfg: events are created in it. Once.
 * Errors: WEFT_EINVAL (m NULL, bound already), WEFT_EBADPOOL. */
WEFT_API int weft_mpi_bind(weft_mpi *m, weft_pool pool);

/* Takes over a nonblocking request (*req is set to MPI_REQUEST_NULL) and
 * creates an event, *ev, that completes when the request does: DONE on
 * success; FAILED with the MPI error code as its status if the request
 * completed with an error (the communicator needs MPI_ERRORS_RETURN, or MPI
 * aborts first); CANCELED if it was canceled (MPI_Cancel,
 * weft_mpi_cancel_all). Tasks that depend on a failed or canceled event
 * complete WEFT_ECANCELED naming it (weft_task_info.origin). The caller owns
 * *ev (weft_task_release). Persistent requests are not supported. Any
 * thread. Errors (the request is left with the caller): WEFT_EINVAL (NULL
 * pointers, *req is MPI_REQUEST_NULL), WEFT_MPI_EUNBOUND, WEFT_ENOMEM, the
 * errors of weft_event_create. */
WEFT_API int weft_mpi_watch(weft_mpi *m, MPI_Request *req, weft_task *ev);

/* MPI_Isend / MPI_Irecv + weft_mpi_watch, under the module's lock. ev may
 * be NULL (nobody waits on it; the request is still tracked). Errors: those
 * of weft_mpi_watch, WEFT_MPI_EMPI (the MPI call failed: nothing posted). */
WEFT_API int weft_mpi_isend(weft_mpi *m, const void *buf, int count, MPI_Datatype type, int dest,
                            int tag, MPI_Comm comm, weft_task *ev);
WEFT_API int weft_mpi_irecv(weft_mpi *m, void *buf, int count, MPI_Datatype type, int source,
                            int tag, MPI_Comm comm, weft_task *ev);

/* The same, completing an event the caller created (weft_event_create on
 * the bound pool) instead of a new one: a program can launch the tasks that
 * wait for a message before the task that posts it runs (the whole task
 * graph up front, the request posted from a body at the right moment). The
 * event completes as weft_mpi_watch's would; the caller keeps its handle
 * and may release it at any time, and must not trigger the event itself.
 * Errors: WEFT_EINVAL (ev.id 0, NULL pointers, ev a task or an event of
 * another pool: weft_event_check), WEFT_ESTALE (ev stale),
 * WEFT_EALREADY (ev completed or canceled already), WEFT_MPI_EUNBOUND,
 * WEFT_ENOMEM, WEFT_MPI_EMPI; on any error nothing is posted or watched and
 * the event is left as it was (trigger or cancel it, or it never completes). */
WEFT_API int weft_mpi_watch_event(weft_mpi *m, MPI_Request *req, weft_task ev);
WEFT_API int weft_mpi_isend_event(weft_mpi *m, const void *buf, int count, MPI_Datatype type,
                                  int dest, int tag, MPI_Comm comm, weft_task ev);
WEFT_API int weft_mpi_irecv_event(weft_mpi *m, void *buf, int count, MPI_Datatype type,
                                  int source, int tag, MPI_Comm comm, weft_task ev);

/* Tests the outstanding requests now (what the workers do; a long task
 * body may call it) and triggers the events of those that completed.
 * Returns how many are still outstanding (>= 0), at once and without
 * testing if another thread is testing. Errors: WEFT_EINVAL. */
WEFT_API int weft_mpi_poll(weft_mpi *m);

/* Requests taken over and not yet completed (>= 0). */
WEFT_API int weft_mpi_outstanding(const weft_mpi *m);

/* MPI_Cancel on every outstanding request; each event then fails
 * (CANCELED if MPI canceled the request, DONE/FAILED if it completed
 * anyway) once a poll sees it complete. Returns how many were asked. MPI
 * may refuse to cancel a send whose data went out: it completes when
 * matched. Errors: WEFT_EINVAL. */
WEFT_API int weft_mpi_cancel_all(weft_mpi *m);

/* The calling thread's own MPI calls, when MPI gave only
 * MPI_THREAD_SERIALIZED: hold this while making them. */
WEFT_API void weft_mpi_lock(weft_mpi *m);
WEFT_API void weft_mpi_unlock(weft_mpi *m);

typedef struct weft_mpi_stats {
  uint64_t polls;     /* hook or weft_mpi_poll calls that tested */
  uint64_t completed; /* requests seen complete (any outcome) */
  uint64_t failed;    /* of which completed with an MPI error */
  uint64_t canceled;  /* of which were canceled */
  int outstanding;
  int level;          /* the thread level MPI gave */
} weft_mpi_stats;

/* Errors: WEFT_EINVAL. */
WEFT_API int weft_mpi_stats_get(const weft_mpi *m, weft_mpi_stats *out);

/* Frees the module's state, refusing while requests are outstanding: call
 * it after the pool is destroyed (or idle), before MPI_Finalize. Errors:
 * WEFT_EINVAL, WEFT_MPI_EOUTSTANDING (nothing freed: wait for the events,
 * or weft_mpi_cancel_all and poll, then call again). */
WEFT_API int weft_mpi_destroy(weft_mpi *m);

/* weft_mpi_destroy, then MPI_Finalize. Errors: those of weft_mpi_destroy
 * (MPI is not finalized then), WEFT_MPI_EMPI. */
WEFT_API int weft_mpi_finalize(weft_mpi *m);

#ifdef __cplusplus
}
#endif

#endif
