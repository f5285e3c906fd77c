/*
 * weft.h - the one public header of weft, a portable work-stealing runtime.
 *
 * Naming: weft_* is the API, weft__* is internal (present here only so the
 * spawn/sync fast paths can be inlined; never touch those fields).
 *
 * Error convention: functions that can fail return int: 0 (WEFT_OK) on
 * success, a negative WEFT_E* code on failure. weft_strerror() names them.
 *
 * Threading model in one paragraph: a pool owns N workers. Each worker owns a
 * deque of fixed-size task frames and a scratch arena, both carved from one
 * memory region reserved for the pool. Inside a task you get a weft_worker*:
 * spawn pushes a frame (function pointer + up to WEFT_ARGS_MAX bytes of
 * arguments copied inline), sync joins the most recent spawn. Idle workers
 * steal the oldest frames of other workers. Threads that are not workers
 * submit root tasks with weft_run / weft_submit and sleep until they finish.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(WEFT_SHARED_BUILD)
#define WEFT_API __declspec(dllexport)
#elif defined(_WIN32) && defined(WEFT_SHARED)
#define WEFT_API __declspec(dllimport)
#elif defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

/* Must agree with the VERSION file and js/package.json (configuring checks,
 * see cmake/version.cmake). */
#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 2
#define WEFT_VERSION_PATCH 0

/* ------------------------------------------------------------------ errors */

#define WEFT_OK 0
#define WEFT_EINVAL (-1)     /* a bad argument: NULL function, bad config value */
#define WEFT_E2BIG (-2)      /* argument block larger than WEFT_ARGS_MAX */
#define WEFT_ENOMEM (-3)     /* memory could not be reserved/committed, or the
                                scratch arena is exhausted */
#define WEFT_EBADPOOL (-4)   /* pool handle is zero, destroyed, or never valid */
#define WEFT_ELIMIT (-5)     /* too many workers or live pools */
#define WEFT_ETHREAD (-6)    /* the platform could not start a worker thread */
#define WEFT_EDEADLK (-7)    /* a pool's own worker tried to destroy/wait on it */
#define WEFT_ENOTASK (-8)    /* sync with no outstanding spawn in this task */
#define WEFT_EPENDING (-9)   /* a job is still running (weft_job_status), or a
                                launched task has not completed */
/* Launched-task codes (see "launched tasks" below). */
#define WEFT_ESTALE (-10)    /* a task handle that was released (its record reused),
                                never valid, or of another pool */
#define WEFT_EFAILED (-11)   /* the task's body returned non-zero (see weft_task_info) */
#define WEFT_EALREADY (-12)  /* an event triggered twice */
/* Task graph codes (see "task graphs" below); -10..-15 are left for the core. */
#define WEFT_ECYCLE (-16)       /* the graph has a cycle (a self-edge is a cycle of 1) */
#define WEFT_EFOREIGN (-17)     /* a node handle of another graph, or no node at all */
#define WEFT_EBUSY (-18)        /* the graph is running (or being validated);
                                   a host worker index entered already */
#define WEFT_ENODE_FAILED (-19) /* a node returned a non-zero status: see the result */
#define WEFT_ECANCELED (-20)    /* the run was stopped by weft_graph_cancel; a launched
                                   task was canceled, or a prerequisite failed */

/* Returns a static, human-readable description of an error code. Never NULL;
 * unknown codes give "unknown weft error". */
WEFT_API const char *weft_strerror(int err);

/* ------------------------------------------------------------------ types */

/* Largest argument block a spawn may copy into its frame. */
#define WEFT_ARGS_MAX 48

typedef struct weft_worker weft_worker;

/* A task: a function reference plus its argument block. `args` points to the
 * task's own copy of the block (inside its frame); the task may write its
 * result there; weft_sync copies the block back to the parent. */
typedef void (*weft_fn)(weft_worker *w, void *args);

/* A pool handle. A value, not a pointer, so that a destroyed pool is detected
 * (WEFT_EBADPOOL) instead of touching freed memory. Zero is never valid. */
typedef struct weft_pool {
  uint64_t id;
} weft_pool;

/* Optional observer callbacks. Every pointer may be NULL; an unset callback
 * costs one predictable branch on a slow path (never on spawn/sync). Called on
 * the worker's own thread. */
typedef struct weft_profiler {
  void *user;
  void (*worker_start)(void *user, unsigned worker);
  void (*worker_stop)(void *user, unsigned worker);
  void (*sleep)(void *user, unsigned worker);  /* about to block */
  void (*wake)(void *user, unsigned worker);   /* returned from blocking */
  void (*steal)(void *user, unsigned thief, unsigned victim);
} weft_profiler;

/* Progress hook (weft_config.progress): lets a module whose events complete
 * outside weft (weft_mpi: MPI requests, which complete only when someone
 * tests them) make progress on the workers themselves, so that no thread of
 * its own has to spin. Unset (poll NULL, the default) it costs one
 * predictable branch where an idle worker looks for work and before it
 * sleeps; nothing on spawn, sync or launch.
 *
 * poll(user, w) runs on worker w's thread, outside any task body, and may
 * trigger events (the tasks that become ready run on that worker). It
 * returns how many things it still has outstanding (> 0: "call me again").
 * It is called
 *   - by a worker that is looking for work (idle loops, waiting for a stolen
 *     task or in weft_task_wait: every few rounds), and while it is busy
 *     between the jobs its loop takes and between the launched tasks a
 *     dispatch loop runs: at most once per interval_us per worker;
 *   - by a worker about to sleep: if it returns > 0, one sleeping worker of
 *     the pool blocks for at most interval_us at a time (and polls again)
 *     instead of until woken, so an outstanding completion is noticed
 *     within an interval even when every worker is idle.
 * Several workers may call it at once: it must be thread-safe (weft_mpi
 * lets one poller in at a time, the others return at once). A task body that
 * runs long does not poll by itself; a module may offer a call for that
 * (weft_mpi_poll). docs/MPI.md argues the bounds and measures the costs. */
typedef struct weft_progress {
  int (*poll)(void *user, weft_worker *w);
  void *user;
  unsigned interval_us; /* 0 means 50 */
} weft_progress;

typedef struct weft_config {
  /* Worker threads. 0 means one per core (weft_core_count()). At most
   * WEFT_MAX_WORKERS. Default 0. */
  unsigned workers;
  /* Bytes of stack per worker, rounded up to pages. Default 8 MiB, minimum
   * 64 KiB. The stack lives in the pool's region behind a guard page. */
  size_t stack_size;
  /* Frames per worker deque (64 bytes each). Default 65536 (4 MiB of address
   * space; pages are touched only as the deque grows). Minimum 16. When a
   * deque is full, spawn runs the task at once instead (see weft_spawn). */
  size_t deque_frames;
  /* Bytes of scratch arena per worker. Default 16 MiB, committed lazily in
   * 64 KiB steps. */
  size_t scratch_size;
  /* Steal attempts an idle worker makes before it sleeps. Default 512
   * (roughly 20-100 us on a 2020s x86 core). 0 means sleep at once. */
  unsigned spin_rounds;
  /* Observer callbacks, copied at create. Default: none. */
  weft_profiler profiler;
  /* Who supplies the threads the workers run on: WEFT_THREADS_POOL (the
   * default: the pool starts its own), WEFT_THREADS_CALLER (no threads at
   * all) or WEFT_THREADS_HOST (the application lends its threads). */
  unsigned threads;
  /* Progress hook for outside completions (see weft_progress). Default:
   * none. */
  weft_progress progress;
} weft_config;

#define WEFT_MAX_WORKERS 1024u

/* weft_config.threads values.
 *
 * WEFT_THREADS_POOL: weft_pool_create starts `workers` threads, each on a
 *   stack of stack_size bytes in the pool's region, and waits until all run.
 *
 * WEFT_THREADS_CALLER ("one-thread mode", for environments without
 *   threads): the pool has exactly one worker (index 0; `workers` must be 0
 *   or 1, else WEFT_EINVAL) and no thread of its own. The API is the same:
 *   - weft_run, weft_pool_for, weft_graph_run*, NAME_run of typed tasks run
 *     the job on the calling thread as worker 0 (weft_current_worker()
 *     returns it inside) through the same root-job path as a threaded pool
 *     (scratch, stats, WEFT_ENOTASK boundaries), and return when it is done.
 *   - weft_submit runs the job to completion before it returns: afterwards
 *     weft_job_status gives WEFT_OK and weft_wait returns at once. (Nothing
 *     else could run it later: there is no thread to do so.)
 *   - Spawned tasks are never stolen; sync runs them inline. Stats count
 *     spawns, tasks_run, roots and overflows; steals, stolen_from, leapfrogs
 *     and sleeps stay 0. The profiler's worker_start/worker_stop are called
 *     around each job run from outside the pool; sleep/wake/steal never.
 *   - Several threads may share the pool: one job runs at a time, the
 *     others sleep until the worker is free. weft_run/weft_submit from a task
 *     of this pool run the job at once, nested. Re-entering the pool from a
 *     task of another pool that this thread is running on this pool's
 *     behalf gives WEFT_EDEADLK.
 *   - No stack is allocated: stack_size should be the size of the calling
 *     threads' stacks (graphs use it to bound their nesting depth).
 *
 * WEFT_THREADS_HOST (threads the host owns: a game engine's job threads, a
 *   runtime's worker pool): weft_pool_create starts no thread and does not
 *   wait for any; the host calls weft_worker_enter(pool, i) once for each
 *   i in 0..workers-1 (0 means one per core, as usual), each from a thread
 *   of its own, whenever it likes; each call runs that worker until the
 *   pool is destroyed. Jobs submitted before any worker has entered wait in
 *   the queue. No stack is allocated (stack_size: as for CALLER). */
#define WEFT_THREADS_POOL 0u
#define WEFT_THREADS_CALLER 1u
#define WEFT_THREADS_HOST 2u

/* Fills *cfg with the defaults documented above. Errors: none. */
WEFT_API void weft_config_default(weft_config *cfg);

/* Number of online cores the platform reports (>= 1). */
WEFT_API unsigned weft_core_count(void);

/* ------------------------------------------------------------------ pools */

/* Creates a pool and (WEFT_THREADS_POOL) waits until all its workers are
 * running; CALLER and HOST pools start no thread and wait for nothing.
 * cfg may be NULL for defaults. On success *out holds the handle.
 * Errors: WEFT_EINVAL (out NULL, stack/deque below minimum, sizes that
 * overflow, unknown `threads`, CALLER with workers > 1), WEFT_ELIMIT
 * (workers > WEFT_MAX_WORKERS, or too many live pools), WEFT_ENOMEM (region
 * could not be reserved), WEFT_ETHREAD (a worker could not be started;
 * nothing is left running). */
WEFT_API int weft_pool_create(weft_pool *out, const weft_config *cfg);

/* Waits for every submitted job to finish, stops the workers and releases
 * the pool's memory. Using the handle afterwards gives WEFT_EBADPOOL.
 * HOST pools: every weft_worker_enter that has begun returns (destroy waits
 * for that); workers that never entered are not waited for, but a submitted
 * job waits for an entered worker to run it, so destroy waits for that too.
 * Errors: WEFT_EBADPOOL, WEFT_EDEADLK (called from one of the pool's own
 * workers). */
WEFT_API int weft_pool_destroy(weft_pool pool);

/* Number of workers (> 0), or WEFT_EBADPOOL. */
WEFT_API int weft_pool_workers(weft_pool pool);

/* WEFT_THREADS_HOST pools: runs worker `index` of the pool on the calling
 * thread (the host's own) until the pool is destroyed, then returns WEFT_OK.
 * Each index may be entered once, at any time before destroy begins; the
 * thread must not be a weft worker already. While inside, the thread is a
 * worker like any other: it takes root jobs, steals, and sleeps on the
 * platform's wait-on-address when idle.
 * Errors (returned at once): WEFT_EBADPOOL (bad handle, or destroy has
 * begun), WEFT_EINVAL (not a HOST pool, index >= workers, or the thread is
 * already a worker), WEFT_EBUSY (that index has been entered already). */
WEFT_API int weft_worker_enter(weft_pool pool, unsigned index);

/* ------------------------------------------------------------- root tasks */

/* A submitted root task. Caller-owned storage; must stay alive until
 * weft_wait returns (or weft_job_status says done). Treat as opaque. */
typedef struct weft_job {
  weft_fn fn;
  void *args;
  struct weft_job *next;
  uint32_t state;    /* 0 queued/running, 1 done, 2 done-waiter-asleep */
  uint32_t pad;      /* its trace id while the pool traces (internal) */
  uint64_t pool_id;
} weft_job;

/* Queues fn(worker, args) to run on the pool. args is passed by pointer, not
 * copied: keep it alive until the job is done. Returns at once, except on a
 * WEFT_THREADS_CALLER pool, where it runs the job to completion first.
 * Errors: WEFT_EINVAL (job or fn NULL), WEFT_EBADPOOL, WEFT_EDEADLK (CALLER
 * pool re-entered, see WEFT_THREADS_CALLER). */
WEFT_API int weft_submit(weft_pool pool, weft_job *job, weft_fn fn, void *args);

/* WEFT_OK if the job has finished, WEFT_EPENDING if not. Never blocks.
 * Errors: WEFT_EINVAL (job NULL). */
WEFT_API int weft_job_status(const weft_job *job);

/* Blocks until the job has finished: spins briefly, then sleeps on the
 * platform's wait-on-address. Errors: WEFT_EINVAL (job NULL),
 * WEFT_EDEADLK (called on a worker of the job's pool: use spawn/sync). */
WEFT_API int weft_wait(weft_job *job);

/* weft_submit + weft_wait. Called from a worker of the same pool, it simply
 * calls fn inline on that worker. Errors: those of weft_submit/weft_wait. */
WEFT_API int weft_run(weft_pool pool, weft_fn fn, void *args);

/* -------------------------------------------------------------- fork-join */

/* Pushes a task whose frame holds a copy of `size` bytes at `args`.
 * The matching weft_sync must come from the same task, in LIFO order.
 * If the deque is full the task runs at once on this thread (counted in
 * stats.overflows); its frame then lives in the scratch arena until synced.
 * Errors: WEFT_EINVAL (w or fn NULL, args NULL with size > 0), WEFT_E2BIG
 * (size > WEFT_ARGS_MAX), WEFT_ENOMEM (deque full and scratch arena
 * exhausted). On error nothing was spawned: do not sync for it. */
WEFT_API int weft_spawn(weft_worker *w, weft_fn fn, const void *args, size_t size);

/* Joins the most recent outstanding spawn of the calling task: runs it
 * inline if no thief took it, otherwise works on other tasks (first stealing
 * back from the thief: leapfrogging) until it is done. Then copies `size`
 * bytes of the task's argument block, where the task may have left its
 * result, to `out` (out may be NULL with size 0 to discard it). When the task
 * runs inline it runs directly on `out`, so pass the same object you spawned
 * from and size == the spawned size.
 * Errors: WEFT_EINVAL (w NULL, out NULL with size > 0), WEFT_E2BIG
 * (size > WEFT_ARGS_MAX), WEFT_ENOTASK (the calling task has no outstanding
 * spawn; nothing is run). The check covers tasks the runtime started (root,
 * stolen) and tasks run by weft_sync; tasks run inline by the WEFT_SYNC /
 * typed fast paths are not tracked, so a stray sync there pops the parent's
 * spawn. */
WEFT_API int weft_sync(weft_worker *w, void *out, size_t size);

/* Index of the worker in its pool, 0..workers-1. */
WEFT_API unsigned weft_worker_index(const weft_worker *w);

/* Handle of the pool the worker belongs to. */
WEFT_API weft_pool weft_worker_pool(const weft_worker *w);

/* The worker running on the calling thread, or NULL on a non-worker thread. */
WEFT_API weft_worker *weft_current_worker(void);

/* ------------------------------------------------------------------ loops */

typedef void (*weft_range_fn)(weft_worker *w, size_t begin, size_t end, void *ctx);

/* Calls fn over [begin, end) in chunks of at most `grain` indices (0 means
 * 1), splitting the range by recursive halving so idle workers steal halves.
 * Must be called from inside a task. Returns once every chunk has run.
 * Errors: WEFT_EINVAL (w or fn NULL, begin > end). */
WEFT_API int weft_parallel_for(weft_worker *w, size_t begin, size_t end, size_t grain,
                               weft_range_fn fn, void *ctx);

/* weft_parallel_for from any thread: runs it as a root task on the pool and
 * waits. Errors: those of weft_parallel_for and weft_run. */
WEFT_API int weft_pool_for(weft_pool pool, size_t begin, size_t end, size_t grain,
                           weft_range_fn fn, void *ctx);

/* ---------------------------------------------------------------- scratch */

/* Bump-allocates `size` bytes aligned to `align` (a power of two <= 4096;
 * 0 means 16) from the worker's scratch arena. Memory is released by
 * weft_scratch_reset to an earlier mark, and automatically when a stolen or
 * root task returns: never hand scratch memory to a parent task.
 * Errors: WEFT_EINVAL (w or out NULL, bad align), WEFT_ENOMEM (arena
 * exhausted; *out is set to NULL). */
WEFT_API int weft_scratch_alloc(weft_worker *w, size_t size, size_t align, void **out);

/* Current top of the arena, to pass to weft_scratch_reset later. */
WEFT_API size_t weft_scratch_mark(const weft_worker *w);

/* Frees everything allocated since `mark`. A mark above the current top is
 * ignored. */
WEFT_API void weft_scratch_reset(weft_worker *w, size_t mark);

/* ------------------------------------------------------------------ stats */

typedef struct weft_worker_stats {
  uint64_t spawns;         /* frames pushed by this worker */
  uint64_t tasks_run;      /* tasks this worker executed (inline + stolen + root) */
  uint64_t steals;         /* frames taken from other workers */
  uint64_t steal_failures; /* steal attempts that found nothing or lost a race */
  uint64_t stolen_from;    /* own frames taken by thieves */
  uint64_t leapfrogs;      /* tasks stolen back from a thief while syncing */
  uint64_t sleeps;         /* times the worker blocked for lack of work */
  uint64_t overflows;      /* spawns that ran at once because the deque was full */
  uint64_t roots;          /* root jobs this worker started */
} weft_worker_stats;

/* Copies worker `index`'s counters (a consistent-enough snapshot: each field
 * is read atomically, the set is not). `spawns` (and so `tasks_run`) is
 * published when a stolen or root task ends and when the worker is asked to
 * share frames, not on every spawn: while a task runs it can lag.
 * Once a job has finished (weft_run/weft_wait returned) every count of its
 * tasks is in. Errors: WEFT_EBADPOOL, WEFT_EINVAL
 * (out NULL or index out of range). */
WEFT_API int weft_pool_stats(weft_pool pool, unsigned index, weft_worker_stats *out);

/* Sums every worker's counters into *out. Errors: as weft_pool_stats. */
WEFT_API int weft_pool_stats_total(weft_pool pool, weft_worker_stats *out);

/* ----------------------------------------------------------------- traces
 *
 * A timeline of what the workers did, for Perfetto (ui.perfetto.dev) or
 * Chromium's chrome://tracing: weft_trace_write gives the Chrome Trace Event
 * JSON format, one track per worker plus one for threads outside the pool.
 * Off by default; while off, the scheduler pays one predictable branch at
 * task boundaries and nothing on spawn/sync. docs/TRACES.md shows examples.
 *
 * WEFT_TRACE_COARSE records root jobs (submit, begin, end, finish), stolen
 * tasks with an arrow from the victim's track to the thief, launched
 * tasks' bodies, sleeps, and graph nodes: each node when the graph's nodes
 * average 2 us or more (by its last runs), else one slice per stretch of
 * nodes a worker ran (two clock reads would cost more than such a node).
 * WEFT_TRACE_FINE adds every fork-join task (run at its sync, or at once
 * when the deque is full) and every graph node; while it is on, every spawn
 * and sync takes its slow path and every task reads the clock twice (fib of
 * a few ns per task: 36x slower; tasks of microseconds: little).
 *
 * Each worker writes its own ring of `events` events (32 bytes each), with
 * no lock and no allocation; a full ring overwrites its oldest events and
 * counts them as dropped (in the JSON's otherData.dropped and from
 * weft_trace_counts). Names: a graph node's name if it has one, else the
 * name given to its function with weft_trace_name, else the kind of task. */
#define WEFT_TRACE_COARSE 1u
#define WEFT_TRACE_FINE 2u

/* Starts recording. events: ring size per worker, rounded up to a power of
 * two; 0 means 65536 (2 MiB per worker). The rings are allocated by the
 * first start and kept (for weft_trace_write) until the pool is destroyed; a
 * later start with the same size reuses them and forgets their old events;
 * another size allocates new rings. Workers notice a start or stop at their
 * next task boundary at the latest (the fine level), or at once (the rest).
 * Errors: WEFT_EBADPOOL, WEFT_EINVAL (level not COARSE or FINE, events
 * below 16 or above 2^26), WEFT_EBUSY (already tracing), WEFT_ENOMEM. */
WEFT_API int weft_trace_start(weft_pool pool, unsigned level, size_t events);

/* Stops recording; the events stay for weft_trace_write. The stop copies
 * every ring (up to `events` x 32 bytes per worker, freed at the next start
 * or at destroy), so that every read after it, weft_trace_write and
 * weft_trace_counts alike, sees the same recording, even though a worker
 * still inside a task that began before the stop writes into its ring once
 * more. Stopping a pool that is not tracing does nothing. Errors:
 * WEFT_EBADPOOL (without memory for the copy, reads fall back to the rings). */
WEFT_API int weft_trace_stop(weft_pool pool);

/* Names the tasks whose function is fn (a weft_fn, a graph node function, a
 * launched task's function: any function pointer, cast) in this pool's
 * traces; name is copied. A second call for the same fn renames it; name
 * NULL removes the name. May be called before weft_trace_start.
 * Errors: WEFT_EBADPOOL, WEFT_EINVAL (fn NULL), WEFT_ENOMEM. */
WEFT_API int weft_trace_name(weft_pool pool, const void *fn, const char *name);

/* Receives the JSON text in pieces; a non-zero return stops the writing and
 * is returned by weft_trace_write. It must not call weft_trace_* on the same
 * pool (they wait for the write to finish). */
typedef int (*weft_trace_sink)(void *user, const char *data, size_t len);

/* Writes the recorded events (of the last start, up to now) as one Chrome
 * Trace Event JSON object, through sink. May be called while tracing (the
 * events a worker overwrites during the copy count as dropped) or after
 * weft_trace_stop. A task still running is closed at the last event of its
 * track, with args.unfinished true. Graph node names are read from graphs
 * still alive at this call. Errors: WEFT_EBADPOOL, WEFT_EINVAL (sink NULL,
 * or the pool was never traced), WEFT_ENOMEM, or sink's own non-zero code. */
WEFT_API int weft_trace_write(weft_pool pool, weft_trace_sink sink, void *user);

/* Events worker `index` recorded since the last start, and how many of them
 * its ring dropped (overwrote); index == weft_pool_workers(pool) names the
 * ring of threads outside the pool (submits). Either pointer may be NULL.
 * Errors: WEFT_EBADPOOL, WEFT_EINVAL (index > workers, or never traced). */
WEFT_API int weft_trace_counts(weft_pool pool, unsigned index, uint64_t *recorded,
                               uint64_t *dropped);

/* ------------------------------------------------------------ task graphs
 *
 * A graph is a reusable DAG of task nodes: build it once, run it many times.
 * Full description, the scheduling and stack-depth argument: docs/GRAPHS.md.
 *
 *   weft_graph *g;  weft_graph_create(&g);
 *   weft_node a, b;
 *   weft_graph_add(g, load, &cfg, sizeof cfg, &a);
 *   weft_graph_add(g, step, NULL, 0, &b);
 *   weft_graph_edge(g, a, b);                 // a precedes b
 *   weft_graph_result r;
 *   int rc = weft_graph_run(pool, g, &r);     // again and again
 *   weft_graph_destroy(g);
 *
 * Building (add, edge, name, clear) and destroying a graph are single-writer:
 * those calls must not race with each other. While a run is in progress they
 * return WEFT_EBUSY and change nothing. A build call that fails on a valid
 * graph (bad node, self-edge, NULL function, oversized arguments, no memory)
 * changes nothing, AND leaves the graph "broken": validate and every run
 * report that first error until weft_graph_clear, because the graph no longer
 * is the one its builder described (nothing of it runs).
 *
 * Node functions run on pool workers. A node may spawn/sync fork-join
 * children (it must sync them before returning, as every weft task does) and
 * may run other graphs with weft_graph_run_in; it finishes when it returns. */

typedef struct weft_graph weft_graph;

/* A node handle: (graph serial << 32) | index. Serials come from a
 * process-wide counter, so a handle of another graph (or of this graph
 * before weft_graph_clear) is detected: WEFT_EFOREIGN. Zero is never valid. */
typedef struct weft_node {
  uint64_t id;
} weft_node;

/* A node's work. `args` points to the node's own copy of the argument block
 * given to weft_graph_add; it lives as long as the graph and persists across
 * runs (the node may keep state or results there; see weft_graph_node_args).
 * Returns 0 on success; any other value fails the run (see weft_graph_run). */
typedef int (*weft_node_fn)(weft_worker *w, void *args);

/* Cycle reports carry at most this many nodes. */
#define WEFT_GRAPH_ERROR_NODES 16

/* What weft_graph_validate found. */
typedef struct weft_graph_error {
  int code;             /* = the return value of weft_graph_validate */
  /* WEFT_ECYCLE: the nodes of one cycle in edge order (nodes[i] precedes
   * nodes[i+1], the last precedes nodes[0]), starting at the lowest index;
   * a self-edge gives one node. WEFT_EFOREIGN: the rejected edge's (from,
   * to), or the one bad handle. Other codes: none. */
  size_t count;         /* entries used in nodes/names */
  size_t cycle_length;  /* the whole cycle's length (> count when truncated) */
  int truncated;        /* 1 if the cycle was longer than WEFT_GRAPH_ERROR_NODES */
  weft_node nodes[WEFT_GRAPH_ERROR_NODES];
  /* Node names (weft_graph_name) or NULL; they point into the graph and stay
   * valid until it is changed, cleared or destroyed. */
  const char *names[WEFT_GRAPH_ERROR_NODES];
  char message[256];    /* one line for humans, e.g. "cycle: a -> b -> a" */
} weft_graph_error;

/* What a run did. */
typedef struct weft_graph_result {
  /* WEFT_ENODE_FAILED: the failing node's own non-zero status and handle
   * (the first failure of the run: later failures are not reported).
   * Otherwise status 0 and node {0}. */
  int status;
  weft_node node;
  uint64_t nodes_run;     /* node functions called, summed over iterations */
  uint64_t nodes_skipped; /* nodes of the last (stopped) run that never ran;
                             0 when every run completed */
  uint64_t iterations;    /* runs that completed with every node done */
} weft_graph_result;

/* Creates an empty graph. Errors: WEFT_EINVAL (out NULL), WEFT_ENOMEM. */
WEFT_API int weft_graph_create(weft_graph **out);

/* Frees a graph and everything it holds. NULL is ignored. Its memory (node
 * and edge blocks, names, the arrays of its shared runs) is kept,
 * process-wide and up to 128 MiB in all, for the graphs created next, so
 * that a graph built, run once and destroyed, again and again, does not
 * fault in fresh memory each time. The graph must not be running. */
WEFT_API void weft_graph_destroy(weft_graph *g);

/* Removes every node and edge (keeping memory for reuse), forgets a broken
 * state and gives the graph a new serial: old handles become foreign.
 * Errors: WEFT_EINVAL (g NULL), WEFT_EBUSY. */
WEFT_API int weft_graph_clear(weft_graph *g);

/* Adds a node running fn(w, copy of args). `size` bytes at args are copied
 * into the graph (at most WEFT_ARGS_MAX; blocks of up to 16 bytes live in
 * the node's own 32-byte record, which is fastest, bigger ones beside it).
 * *out (may be NULL) gets the handle, or {0} on error. No allocation per
 * node: nodes live in chunks of 4096.
 * Errors: WEFT_EINVAL (g NULL, fn NULL, args NULL with size > 0), WEFT_E2BIG
 * (size > WEFT_ARGS_MAX), WEFT_ENOMEM (also when nodes + edges would reach
 * 2^31), WEFT_EBUSY.
 * All but EBUSY and a NULL g leave the graph broken (see above). */
WEFT_API int weft_graph_add(weft_graph *g, weft_node_fn fn, const void *args, size_t size,
                            weft_node *out);

/* Names a node (copied; NULL removes the name). Names appear in validation
 * errors and weft_graph_dot. Errors: WEFT_EINVAL (g NULL), WEFT_EFOREIGN,
 * WEFT_ENOMEM, WEFT_EBUSY; EFOREIGN and ENOMEM leave the graph broken. */
WEFT_API int weft_graph_name(weft_graph *g, weft_node node, const char *name);

/* The node's name, or NULL (no name, or not a node of g). */
WEFT_API const char *weft_graph_node_name(const weft_graph *g, weft_node node);

/* Sets *out to the node's argument block (the copy its function receives).
 * Errors: WEFT_EINVAL (g or out NULL), WEFT_EFOREIGN. */
WEFT_API int weft_graph_node_args(weft_graph *g, weft_node node, void **out);

/* Adds the edge "from precedes to". Duplicate edges are allowed (and
 * harmless). Errors: WEFT_EINVAL (g NULL), WEFT_EFOREIGN (either handle not
 * of g), WEFT_ECYCLE (from == to: a self-edge is rejected here),
 * WEFT_ENOMEM (also when nodes + edges would reach 2^31), WEFT_EBUSY. All but EBUSY and a
 * NULL g leave the graph broken. */
WEFT_API int weft_graph_edge(weft_graph *g, weft_node from, weft_node to);

/* Adds n edges from[i] -> to[i]. All are checked first: on error none is
 * added. Errors: as weft_graph_edge, plus WEFT_EINVAL (from/to NULL, n > 0). */
WEFT_API int weft_graph_edges(weft_graph *g, const weft_node *from, const weft_node *to,
                              size_t n);

/* Number of nodes and edges (either pointer may be NULL). */
WEFT_API void weft_graph_count(const weft_graph *g, size_t *nodes, size_t *edges);

/* Checks the graph and prepares it to run. Runs do this themselves when the
 * graph changed since the last check; an unchanged graph is checked once.
 * A graph whose every edge goes from a node added earlier to one added
 * later (each node added after its predecessors) has nothing to check.
 * Otherwise validation builds the successor arrays and runs Kahn's
 * algorithm. (Runs that share the nodes among workers build the successor
 * arrays the first time they need them.) err may be NULL.
 * Returns WEFT_OK, WEFT_ECYCLE (err: the nodes of one cycle), the first
 * error of a broken graph (WEFT_EFOREIGN, WEFT_ECYCLE for a self-edge,
 * WEFT_EINVAL, WEFT_E2BIG, WEFT_ENOMEM), WEFT_ENOMEM (preparing),
 * WEFT_EINVAL (g NULL) or WEFT_EBUSY (running). */
WEFT_API int weft_graph_validate(weft_graph *g, weft_graph_error *err);

/* Runs every node once, each after all of its predecessors finished, on the
 * pool; the caller waits (from a worker of the same pool it runs inline, as
 * weft_run does). res may be NULL. A valid graph that ran twice before on a
 * pool of as many workers allocates nothing. Returns:
 *   WEFT_OK            every node ran and returned 0.
 *   WEFT_ENODE_FAILED  a node returned non-zero: res->status / res->node name
 *                      the first such node; nodes not started by then never
 *                      run; nodes already running finish. The graph stays
 *                      usable.
 *   WEFT_ECANCELED     weft_graph_cancel stopped it (same skipping).
 *   WEFT_EBUSY         the graph is already running (nothing runs).
 *   validation errors  as weft_graph_validate (nothing runs).
 *   WEFT_EINVAL (g NULL), WEFT_EBADPOOL, other errors of weft_run. */
WEFT_API int weft_graph_run(weft_pool pool, weft_graph *g, weft_graph_result *res);

/* weft_graph_run from inside a task: the calling worker drives the run (and
 * works on it) until every node is done. Errors: as weft_graph_run, with
 * WEFT_EINVAL for w NULL instead of pool errors. */
WEFT_API int weft_graph_run_in(weft_worker *w, weft_graph *g, weft_graph_result *res);

/* Runs the graph n times in a row (n == 0 runs nothing), stopping at the
 * first run that does not return WEFT_OK. res->iterations counts complete
 * runs. Errors: as weft_graph_run. */
WEFT_API int weft_graph_run_n(weft_pool pool, weft_graph *g, uint64_t n, weft_graph_result *res);

/* Runs the graph until done(ctx, k) returns non-zero, where k is the number
 * of runs completed so far; done is called before each run, on a pool
 * worker, after the previous run has finished completely. Stops early like
 * weft_graph_run_n. Errors: as weft_graph_run, WEFT_EINVAL (done NULL). */
WEFT_API int weft_graph_run_until(weft_pool pool, weft_graph *g,
                                  int (*done)(void *ctx, uint64_t completed), void *ctx,
                                  weft_graph_result *res);

/* Asks the graph's current run (or run_n / run_until series) to stop: nodes
 * not started yet are skipped and the run returns WEFT_ECANCELED (even if
 * its last nodes were already running), unless it had already finished.
 * Nodes that are running finish. Callable from any thread, including a node
 * of the graph. Returns 1 if a run was in progress, 0 if not (nothing
 * happens: a later run is not affected), WEFT_EINVAL (g NULL). */
WEFT_API int weft_graph_cancel(weft_graph *g);

/* Writes the graph as Graphviz DOT ("digraph weft { n0 [label=...]; n0 ->
 * n1; ... }", names as labels, edges in insertion order) into buf, at most
 * cap bytes including a terminating NUL (buf may be NULL when cap is 0).
 * *needed (may be NULL) gets the full size including the NUL: the output was
 * cut when *needed > cap. Errors: WEFT_EINVAL (g NULL, buf NULL with cap > 0). */
WEFT_API int weft_graph_dot(const weft_graph *g, char *buf, size_t cap, size_t *needed);

/* --------------------------------------------------------- launched tasks
 *
 * Tasks launched on the fly, each after a list of prerequisites, while the
 * program is still discovering its work (docs/TASKS.md has the full rules
 * and the protocol behind them):
 *
 *   weft_task load, step;
 *   weft_launch(pool, load_fn, &file, sizeof file, NULL, 0, &load);
 *   weft_launch(pool, step_fn, &cfg, sizeof cfg, &load, 1, &step); // after load
 *   weft_task_wait(step);                 // sleeps (outside) or works (inside)
 *   weft_task_release(load); weft_task_release(step);
 *
 * A handle is a value (generation, pool, record). A record is recycled once
 * its task completed and every handle to it was released; a handle used
 * after that gives WEFT_ESTALE, it never reaches the record's next task.
 *
 * Rules:
 *  - A task runs once every prerequisite has completed. Naming one that has
 *    already completed is fine. Launching works from any thread, inside
 *    tasks of the pool (fastest: no pool pin, records from the worker's own
 *    free list) and outside it.
 *  - Failure: a body that returns non-zero completes FAILED (WEFT_EFAILED).
 *    A task whose prerequisite failed or was canceled never runs: it
 *    completes CANCELED (WEFT_ECANCELED), and so on down every chain. Every
 *    handle tells the first failure that reached it (weft_task_info: origin
 *    task and its status).
 *  - Cancel: weft_task_cancel on a task that has not started completes it
 *    CANCELED at once (its successors see it); a running task finishes.
 *  - Events: handles with no function that a thread completes by hand
 *    (weft_event_trigger); tasks list them as prerequisites.
 *  - Pipes: tasks launched into one pipe start in launch order and never
 *    overlap; a pipe member's failure does not cancel the next member.
 *  - Nested completion: a task launched with WEFT_LAUNCH_CHILD from inside a
 *    task (or a handle attached with weft_task_attach) is waited for by the
 *    calling task's completion: a successor of the parent sees it done.
 *  - Destroy waits for every launched task that can still run; tasks that
 *    wait on events nobody triggered are canceled by it, and so is every
 *    task of a WEFT_THREADS_HOST pool none of whose workers ever entered
 *    (none can enter once destroy has begun). */

/* A launched task or event. Zero is never valid. */
typedef struct weft_task {
  uint64_t id;
} weft_task;

/* A launched task's body. `args` is the task's own copy of the argument
 * block, where it may leave a result (weft_task_result copies it out).
 * Returns 0 on success; any other value fails the task. */
typedef int (*weft_task_fn)(weft_worker *w, void *args);

typedef struct weft_pipe weft_pipe;

/* weft_launch_opts.flags */
#define WEFT_LAUNCH_CHILD 1u /* the calling task's completion waits for this one */

typedef struct weft_launch_opts {
  const weft_task *after; /* prerequisites (may be NULL when nafter == 0) */
  size_t nafter;
  weft_pipe *pipe;        /* NULL: none */
  unsigned flags;         /* WEFT_LAUNCH_* */
} weft_launch_opts;

/* Launches fn(w, copy of the `size` bytes at args) to run once all `nafter`
 * prerequisites have completed. *out (may be NULL: nobody will ask about
 * the task) gets a handle the caller owns and must give back with
 * weft_task_release. Errors (nothing is launched; *out = {0}): WEFT_EINVAL
 * (fn NULL, args NULL with size > 0, after NULL with nafter > 0),
 * WEFT_E2BIG (size > WEFT_ARGS_MAX), WEFT_ESTALE (a prerequisite handle is
 * stale or of another pool), WEFT_EBADPOOL, WEFT_ENOMEM (the task table is
 * full: WEFT_TASKS_MAX records alive).
 * Throttle: on a worker of the pool, a launch that finds it more than 256
 * launches per worker ahead of what has completed runs ready tasks before
 * it returns (its worker's own, else the pool's, as weft_task_wait inside a
 * task does), so that the records in flight stay few. So, as around a
 * wait, a body must not hold a lock while it launches that those tasks
 * may take. */
WEFT_API int weft_launch(weft_pool pool, weft_task_fn fn, const void *args, size_t size,
                         const weft_task *after, size_t nafter, weft_task *out);

/* weft_launch with options (opts may be NULL). Errors: as weft_launch, plus
 * WEFT_EINVAL (WEFT_LAUNCH_CHILD outside a launched task's body, an unknown
 * flag, a pipe of another pool). */
WEFT_API int weft_launch_ex(weft_pool pool, weft_task_fn fn, const void *args, size_t size,
                            const weft_launch_opts *opts, weft_task *out);

/* Most records alive at once in one pool (handles index 24 bits). */
#define WEFT_TASKS_MAX ((1u << 24) - 4096u)

/* Creates an event: a handle with no function, completed by
 * weft_event_trigger. The caller owns the handle (release it).
 * Errors: WEFT_EINVAL (out NULL), WEFT_EBADPOOL, WEFT_ENOMEM. */
WEFT_API int weft_event_create(weft_pool pool, weft_task *out);

/* Completes an event from any thread: status 0 completes it DONE, any other
 * value FAILED with that status (its successors are canceled). Tasks that
 * wait for it may start before this returns. Errors: WEFT_ESTALE,
 * WEFT_EINVAL (a task handle, not an event), WEFT_EALREADY (triggered or
 * canceled before). */
WEFT_API int weft_event_trigger(weft_task ev, int status);

/* Whether ev is an event of `pool` that nobody has triggered or canceled
 * yet: for a library that will complete an event it is handed (as
 * weft_mpi_watch_event does), so that a wrong handle is refused when it is
 * given, not when the completion finds it. Returns WEFT_OK if so. Errors:
 * WEFT_EINVAL (a launched task or join, not an event; an event of another
 * pool), WEFT_EALREADY (completed: triggered or canceled), WEFT_ESTALE. */
WEFT_API int weft_event_check(weft_pool pool, weft_task ev);

/* Cancels a task or event that has not started: it completes CANCELED now
 * (a pipe member: when its turn in the pipe comes, without running). Returns
 * 1 if it did, 0 if too late (started, completed or canceled before:
 * nothing changes), WEFT_ESTALE. */
WEFT_API int weft_task_cancel(weft_task t);

/* WEFT_OK (completed, done), WEFT_EPENDING, WEFT_EFAILED, WEFT_ECANCELED,
 * or WEFT_ESTALE. Never blocks. */
WEFT_API int weft_task_status(weft_task t);

/* What a completed handle knows about failure. */
typedef struct weft_task_info {
  int state;        /* as weft_task_status */
  int status;       /* the origin's body's return value, or WEFT_ECANCELED
                       for a hand cancel; 0 when state is WEFT_OK */
  weft_task origin; /* the task (or event) that failed or was canceled first:
                       the handle itself when it failed itself; {0} if none */
} weft_task_info;

/* Fills *out. Errors: WEFT_EINVAL (out NULL), WEFT_ESTALE. A pending task
 * gives state WEFT_EPENDING and returns WEFT_OK. */
WEFT_API int weft_task_info_get(weft_task t, weft_task_info *out);

/* Waits for the task to complete and returns its state (WEFT_OK,
 * WEFT_EFAILED, WEFT_ECANCELED). Outside the pool it sleeps on the
 * platform's wait-on-address; on a worker of the pool it never blocks: a
 * task that is ready but not started runs right there, otherwise the worker
 * runs other tasks until it completes. Errors: WEFT_ESTALE, WEFT_EDEADLK
 * (called from a worker of a WEFT_THREADS_CALLER pool's ... see docs). */
WEFT_API int weft_task_wait(weft_task t);

/* Copies `size` bytes of the completed task's argument block (its result)
 * to out. Errors: WEFT_EINVAL (out NULL with size > 0, size >
 * WEFT_ARGS_MAX, an event), WEFT_EPENDING (not completed), WEFT_ESTALE. */
WEFT_API int weft_task_result(weft_task t, void *out, size_t size);

/* Gives the handle back. The task still runs; the record is recycled once
 * it has completed and the runtime is done with it. The handle must not be
 * used afterwards: a second release gives WEFT_ESTALE at once, any other
 * call does once the record is reused (until then it still answers for the
 * same task, never for another). Errors: WEFT_ESTALE. */
WEFT_API int weft_task_release(weft_task t);

/* From inside a launched task's body: makes the task's completion wait for
 * `t` as well (a child; a failed child fails the parent). Errors:
 * WEFT_EINVAL (w NULL, not inside a launched task), WEFT_ESTALE. */
WEFT_API int weft_task_attach(weft_worker *w, weft_task t);

/* A pipe: its tasks start in launch order and never run at the same time.
 * Errors: WEFT_EINVAL (out NULL), WEFT_EBADPOOL, WEFT_ENOMEM. */
WEFT_API int weft_pipe_create(weft_pool pool, weft_pipe **out);

/* Frees a pipe. Tasks already launched into it keep their order. NULL is
 * ignored. */
WEFT_API void weft_pipe_destroy(weft_pipe *pipe);

/* --------------------------------------------------- inline fast paths
 *
 * WEFT_SPAWN(w, fn, &a) / WEFT_SYNC(w, &a) do what weft_spawn / weft_sync do,
 * inlined, for C callers that spawn from tight recursion: spawn copies the
 * object a, sync joins and leaves the task's final argument block (its
 * result) in a. They skip argument checks: fn must be non-NULL and the object
 * at most WEFT_ARGS_MAX bytes (checked at compile time). Everything below is
 * internal layout. */

typedef struct weft__frame {
  weft_fn fn;
  uint32_t thief;      /* 0 = not stolen; worker index + 1; WEFT__DONE */
  uint32_t reserved;
  union {
    unsigned char args[WEFT_ARGS_MAX];
    uint64_t align_;
  } u;
} weft__frame;

/* The head of every weft_worker (its first member). Line 0 is written only
 * by the owner; line 1 holds the word other workers write (signal), next to
 * the thieves' ts word, so that idle thieves polling a victim never pull the
 * line the owner writes on every spawn and sync. */
typedef struct weft__hot {
  uint64_t spawns;     /* owner-only; published to stats by the runtime */
  weft__frame *top;    /* next free frame */
  weft__frame *split;  /* owner's copy of the split point: [split, top) private */
  weft__frame *end;    /* one past the last frame */
  uint32_t slow;       /* nonzero: all frames stolen, or overflow frames live */
  uint32_t reserved0;
  unsigned char pad0[64 - sizeof(uint64_t) - 3 * sizeof(weft__frame *) - 2 * sizeof(uint32_t)];
  uint32_t signal;     /* set by other workers: split request / wake request */
  uint32_t reserved1;
} weft__hot;

WEFT_API int weft__spawn_slow(weft_worker *w, weft_fn fn, const void *args, size_t size);
WEFT_API void weft__after_push(weft_worker *w);
WEFT_API int weft__sync_slow(weft_worker *w, void *out, size_t size);
WEFT_API void weft__on_signal(weft_worker *w);

#if defined(__GNUC__) || defined(__clang__)
#define WEFT__LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WEFT__LOAD_SIGNAL(h) __atomic_load_n(&(h)->signal, __ATOMIC_RELAXED)
#define WEFT__HAVE_INLINE 1
#define WEFT__UNUSED __attribute__((unused))
#define WEFT__NOINLINE __attribute__((noinline, cold))
#endif

#ifdef WEFT__HAVE_INLINE
/* Copies an argument block in 4-byte words. A plain memcpy of a struct the
 * caller has just written field by field compiles to wide loads, which
 * cannot be forwarded from the narrower stores still in flight and stall for
 * ~10 cycles: on fib that doubled the cost of a spawn. 4-byte loads forward
 * from any store of 4 bytes or more that contains them. */
static inline void weft__copy_args(void *dst, const void *src, size_t size) {
  size_t i = 0;
#if defined(__clang__)
#pragma unroll
#elif defined(__GNUC__)
#pragma GCC unroll 12
#endif
  for (; i + 4 <= size; i += 4) {
    uint32_t v;
    memcpy(&v, (const char *)src + i, 4);
    __asm__("" : "+r"(v)); /* keep the compiler from re-widening the copy */
    memcpy((char *)dst + i, &v, 4);
  }
  if (i < size) memcpy((char *)dst + i, (const char *)src + i, size - i);
}

/* The next free frame, or NULL when the deque is full. */
static inline weft__frame *weft__push_frame(weft_worker *w) {
  weft__hot *h = (weft__hot *)w;
  return WEFT__LIKELY(h->top != h->end) ? h->top : (weft__frame *)0;
}

/* Makes frame f (filled by the caller) the newest spawn. */
static inline void weft__push_commit(weft_worker *w, weft__frame *f) {
  weft__hot *h = (weft__hot *)w;
  h->top = f + 1;
  /* Owner-only and plain: stats read a copy published at task boundaries.
   * (A relaxed atomic store is a plain mov on x86/arm64, but wasm has only
   * seq_cst atomics: V8 made it a full barrier on every spawn.) */
  h->spawns++;
  if (WEFT__UNLIKELY(h->slow | WEFT__LOAD_SIGNAL(h))) weft__after_push(w);
}

/* Pops the newest frame if it is private (no thief can see it: no fence),
 * else returns NULL and the caller takes the slow path. The popped slot is
 * reused by the task's own children, so read its arguments before running. */
static inline weft__frame *weft__pop_private(weft_worker *w) {
  weft__hot *h = (weft__hot *)w;
  weft__frame *f = h->top - 1;
  if (WEFT__UNLIKELY(h->slow || f < h->split)) return (weft__frame *)0;
  h->top = f;
  if (WEFT__UNLIKELY(WEFT__LOAD_SIGNAL(h))) weft__on_signal(w);
  return f;
}

static inline int weft__spawn_inline(weft_worker *w, weft_fn fn, const void *args, size_t size) {
  weft__frame *f = weft__push_frame(w);
  if (WEFT__UNLIKELY(!f)) return weft__spawn_slow(w, fn, args, size);
  f->fn = fn;
  weft__copy_args(f->u.args, args, size);
  weft__push_commit(w, f);
  return 0;
}

static inline void weft__sync_inline(weft_worker *w, void *out, size_t size) {
  weft__frame *f = weft__pop_private(w);
  if (WEFT__LIKELY(f != 0)) {
    /* Not stolen: run on the caller's object (the task's own children
     * reuse the frame's slot). */
    weft__copy_args(out, f->u.args, size);
    f->fn(w, out);
    return;
  }
  weft__sync_slow(w, out, size);
}

#define WEFT_SPAWN(w, fn, argp)                                                 \
  (sizeof(char[sizeof(*(argp)) <= WEFT_ARGS_MAX ? 1 : -1]) ?                     \
   weft__spawn_inline((w), (fn), (argp), sizeof(*(argp))) : 0)
#define WEFT_SYNC(w, argp) weft__sync_inline((w), (argp), sizeof(*(argp)))

/* ---- typed tasks (Lace-style): arguments travel in registers.
 *
 *   WEFT_TASK_1(long, fib, long, n) {
 *     if (n < 2) return n;
 *     fib_spawn(w, n - 1);
 *     long y = fib(w, n - 2);
 *     return fib_sync(w) + y;
 *   }
 *
 * declares `static R NAME(weft_worker *w, T1 a1, ...)` (the body follows the
 * macro) plus NAME_spawn(w, args...), NAME_sync(w) -> R, NAME_task (a
 * weft_fn over NAME_args, usable with weft_spawn/weft_run) and
 * NAME_run(pool, &result, args...) -> int for non-worker threads. A sync
 * that finds its frame private calls NAME directly with the arguments read
 * from the frame: no copy through memory, no indirect call. R must not be
 * void (return an int). Arguments + result must fit WEFT_ARGS_MAX. Inside
 * the body the worker is `w`; names starting weft__ are reserved. */
#define WEFT__TASK_DEFS(R, NAME, PARAMS, CALLARGS)                                          \
  static R NAME PARAMS;                                                                     \
  typedef char NAME##_fits_[sizeof(NAME##_args) <= WEFT_ARGS_MAX ? 1 : -1];                 \
  WEFT__UNUSED static void NAME##_task(weft_worker *w, void *weft__p) {                     \
    NAME##_args *weft__a = (NAME##_args *)weft__p;                                          \
    weft__a->ret = NAME CALLARGS;                                                           \
  }                                                                                         \
  WEFT__UNUSED WEFT__NOINLINE static R NAME##_sync_slow_(weft_worker *w) {                  \
    NAME##_args weft__r;                                                                    \
    weft__sync_slow(w, &weft__r, sizeof weft__r);                                           \
    return weft__r.ret;                                                                     \
  }                                                                                         \
  WEFT__UNUSED static inline R NAME##_sync(weft_worker *w) {                                \
    weft__frame *weft__f = weft__pop_private(w);                                            \
    if (WEFT__LIKELY(weft__f != 0)) {                                                       \
      NAME##_args *weft__a = (NAME##_args *)weft__f->u.args;                                \
      return NAME CALLARGS;                                                                 \
    }                                                                                       \
    return NAME##_sync_slow_(w);                                                            \
  }

/* The slow paths are functions of their own: their argument blocks are
 * address-taken locals, which in wasm live on the linear-memory shadow stack,
 * and inlined they made every call of NAME (leaves too) set up and tear down
 * a shadow-stack frame. */
#define WEFT__TASK_SPAWN(NAME, PARAMS, ARGS, STORE)                                         \
  WEFT__UNUSED WEFT__NOINLINE static void NAME##_spawn_slow_ PARAMS {                       \
    NAME##_args weft__a_[1];                                                                \
    NAME##_args *weft__a = weft__a_;                                                        \
    STORE;                                                                                  \
    weft__spawn_slow(w, NAME##_task, weft__a, sizeof *weft__a);                             \
  }                                                                                         \
  WEFT__UNUSED static inline void NAME##_spawn PARAMS {                                     \
    weft__hot *weft__h = (weft__hot *)w;                                                    \
    weft__frame *weft__f = weft__h->top;                                                    \
    if (WEFT__LIKELY(weft__f != weft__h->end)) {                                            \
      NAME##_args *weft__a = (NAME##_args *)weft__f->u.args;                                \
      weft__f->fn = NAME##_task;                                                            \
      STORE;                                                                                \
      weft__push_commit(w, weft__f);                                                        \
    } else {                                                                                \
      NAME##_spawn_slow_ ARGS;                                                              \
    }                                                                                       \
  }

#define WEFT__TASK_RUN(R, NAME, PARAMS, STORE)                                              \
  WEFT__UNUSED static inline int NAME##_run PARAMS {                                        \
    NAME##_args weft__a_[1];                                                                \
    NAME##_args *weft__a = weft__a_;                                                        \
    STORE;                                                                                  \
    int weft__rc = weft_run(weft__pool, NAME##_task, weft__a);                              \
    if (weft__rc == 0 && weft__ret) *weft__ret = weft__a->ret;                              \
    return weft__rc;                                                                        \
  }

#define WEFT_TASK_1(R, NAME, T1, A1)                                                        \
  typedef struct { T1 a1; R ret; } NAME##_args;                                             \
  WEFT__TASK_DEFS(R, NAME, (weft_worker * w WEFT__UNUSED, T1 A1), (w, weft__a->a1))         \
  WEFT__TASK_SPAWN(NAME, (weft_worker * w, T1 A1), (w, A1), weft__a->a1 = A1)              \
  WEFT__TASK_RUN(R, NAME, (weft_pool weft__pool, R *weft__ret, T1 A1), weft__a->a1 = A1)    \
  static R NAME(weft_worker *w WEFT__UNUSED, T1 A1)

#define WEFT_TASK_2(R, NAME, T1, A1, T2, A2)                                                \
  typedef struct { T1 a1; T2 a2; R ret; } NAME##_args;                                      \
  WEFT__TASK_DEFS(R, NAME, (weft_worker * w WEFT__UNUSED, T1 A1, T2 A2), (w, weft__a->a1, weft__a->a2)) \
  WEFT__TASK_SPAWN(NAME, (weft_worker * w, T1 A1, T2 A2), (w, A1, A2),                     \
                   (weft__a->a1 = A1, weft__a->a2 = A2))                                    \
  WEFT__TASK_RUN(R, NAME, (weft_pool weft__pool, R *weft__ret, T1 A1, T2 A2), (weft__a->a1 = A1, weft__a->a2 = A2)) \
  static R NAME(weft_worker *w WEFT__UNUSED, T1 A1, T2 A2)

#define WEFT_TASK_3(R, NAME, T1, A1, T2, A2, T3, A3)                                        \
  typedef struct { T1 a1; T2 a2; T3 a3; R ret; } NAME##_args;                               \
  WEFT__TASK_DEFS(R, NAME, (weft_worker * w WEFT__UNUSED, T1 A1, T2 A2, T3 A3),             \
                  (w, weft__a->a1, weft__a->a2, weft__a->a3))                               \
  WEFT__TASK_SPAWN(NAME, (weft_worker * w, T1 A1, T2 A2, T3 A3), (w, A1, A2, A3),          \
                   (weft__a->a1 = A1, weft__a->a2 = A2, weft__a->a3 = A3))                  \
  WEFT__TASK_RUN(R, NAME, (weft_pool weft__pool, R *weft__ret, T1 A1, T2 A2, T3 A3),        \
                 (weft__a->a1 = A1, weft__a->a2 = A2, weft__a->a3 = A3))                    \
  static R NAME(weft_worker *w WEFT__UNUSED, T1 A1, T2 A2, T3 A3)

#define WEFT_TASK_4(R, NAME, T1, A1, T2, A2, T3, A3, T4, A4)                                \
  typedef struct { T1 a1; T2 a2; T3 a3; T4 a4; R ret; } NAME##_args;                        \
  WEFT__TASK_DEFS(R, NAME, (weft_worker * w WEFT__UNUSED, T1 A1, T2 A2, T3 A3, T4 A4),      \
                  (w, weft__a->a1, weft__a->a2, weft__a->a3, weft__a->a4))                  \
  WEFT__TASK_SPAWN(NAME, (weft_worker * w, T1 A1, T2 A2, T3 A3, T4 A4), (w, A1, A2, A3, A4), \
                   (weft__a->a1 = A1, weft__a->a2 = A2, weft__a->a3 = A3, weft__a->a4 = A4)) \
  WEFT__TASK_RUN(R, NAME, (weft_pool weft__pool, R *weft__ret, T1 A1, T2 A2, T3 A3, T4 A4), \
                 (weft__a->a1 = A1, weft__a->a2 = A2, weft__a->a3 = A3, weft__a->a4 = A4))  \
  static R NAME(weft_worker *w WEFT__UNUSED, T1 A1, T2 A2, T3 A3, T4 A4)

#else
#define WEFT_SPAWN(w, fn, argp) weft_spawn((w), (fn), (argp), sizeof(*(argp)))
#define WEFT_SYNC(w, argp) weft_sync((w), (argp), sizeof(*(argp)))
#endif

#ifdef __cplusplus
}
#endif
#endif /* WEFT_H */
