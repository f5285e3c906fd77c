/*
 * weft.hpp - C++17 over weft.h: lambdas instead of function pointers and
 * argument structs, RAII for pools and graphs, errors as exceptions.
 * Header-only: it adds nothing to the library and needs no C++ runtime in
 * it. Everything here is a thin layer over the C API documented in weft.h.
 *
 *   long fib(weft::worker *w, long n) noexcept {
 *     if (n < 2) return n;
 *     auto x = weft::spawn(w, [m = n - 1](weft::worker *w) { return fib(w, m); });
 *     long y = fib(w, n - 2);
 *     return x.sync() + y;
 *   }
 *   weft::pool pool;                                    // one worker per core
 *   long r = pool.run([](weft::worker *w) { return fib(w, 35); });
 *
 * Spawned lambdas live in the task frame, like WEFT_TASK_n's arguments: no
 * allocation, the same cost per spawn as WEFT_TASK_n (bench/bench_weft_cpp.cpp:
 * fib(35) as fast as the C one). So they
 * must fit it: captures of at most WEFT_ARGS_MAX (48) bytes, trivially
 * copyable (the runtime moves frames as bytes: capture scalars, pointers and
 * references, not std::string or std::vector), and the same for the result.
 * A lambda that does not fit is a compile-time error, never a hidden heap
 * allocation. A lambda may take the worker running it (weft::worker *) or
 * nothing; never capture the spawning task's worker: a thief runs the
 * lambda on another one.
 *
 * Errors: every failing weft call throws weft::error, which carries the
 * weft error code (code()) and names the call. Exceptions thrown by user
 * code reach the caller from pool::run, parallel_for and graph runs (the
 * first one, on the thread that waits). A spawned task must not throw:
 * there is no room in its frame to carry an exception back from a thief,
 * so its body is noexcept and an escaping exception calls std::terminate,
 * whichever thread runs it.
 *
 * Two habits keep a spawn as cheap as WEFT_TASK_n's (bench_weft_cpp.cpp):
 * - compute the child's arguments at the spawn and capture them ([m = n - 1]),
 *   as WEFT_TASK_n does: capturing n and computing n - 1 in the lambda puts
 *   the subtraction between the frame's load and the child's first branch on
 *   every sync (fib(35): +0.25 ns per spawn, 0.99 against 0.74);
 * - mark recursive task functions that cannot throw noexcept, as fib above:
 *   a handle syncs in its destructor when an exception unwinds past it, and
 *   a function that may throw between spawn and sync carries that unwinding
 *   path, which cost gcc fib's inlining of its leaf test (34 ms, not 21).
 */
#ifndef WEFT_HPP
#define WEFT_HPP

#if !defined(__cplusplus) || (__cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L))
#error "weft.hpp needs C++17 (-std=c++17); C code includes weft.h"
#endif

#include "weft.h"

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace weft {

using worker = weft_worker;
using node = weft_node;
using config = weft_config;
using worker_stats = weft_worker_stats;

/* The one exception type of weft: code() is a WEFT_E* value. */
class error : public std::runtime_error {
 public:
  error(int code, const std::string &what)
      : std::runtime_error(what + ": " + weft_strerror(code)), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace detail {

inline void check(int rc, const char *what) {
  if (rc < 0) throw error(rc, what);
}

/* A lambda is called with the worker running it if it takes one. */
template <class F>
constexpr bool takes_worker = std::is_invocable_v<F &, worker *>;

template <class F>
inline decltype(auto) call(F &f, worker *w) {
  static_assert(takes_worker<F> || std::is_invocable_v<F &>,
                "weft: a task lambda must be callable as f(weft::worker *) or f()");
  if constexpr (takes_worker<F>)
    return f(w);
  else
    return f();
}

template <class F>
using result_t = decltype(call(std::declval<F &>(), static_cast<worker *>(nullptr)));

/* Instantiated with the sizes so that they appear in the compiler's error. */
template <std::size_t CaptureBytes, std::size_t ResultBytes>
struct frame_fits {
  static_assert(CaptureBytes <= WEFT_ARGS_MAX,
                "weft::spawn: the lambda's captures are larger than the 48-byte task frame "
                "(WEFT_ARGS_MAX; CaptureBytes above is their size): capture less, or capture a "
                "reference or pointer to a struct instead of copies");
  static_assert(ResultBytes <= WEFT_ARGS_MAX,
                "weft::spawn: the lambda's result is larger than the 48-byte task frame "
                "(WEFT_ARGS_MAX; ResultBytes above is its size): return through a pointer");
  static constexpr bool value = true;
};

template <class T>
struct result_size : std::integral_constant<std::size_t, sizeof(T)> {};
template <>
struct result_size<void> : std::integral_constant<std::size_t, 0> {};

template <class T>
struct frame_safe
    : std::bool_constant<std::is_trivially_copyable_v<T> && alignof(T) <= alignof(std::uint64_t)> {};
template <>
struct frame_safe<void> : std::true_type {};

/* What a spawned lambda F needs: its checks and the size of its block in
 * the frame (the lambda, later overwritten by its result). */
template <class F>
struct task_traits {
  using R = result_t<F>;
  static_assert(frame_fits<sizeof(F), result_size<R>::value>::value, "");
  static_assert(std::is_trivially_copyable_v<F>,
                "weft::spawn: the lambda must be trivially copyable (the runtime moves task "
                "frames as bytes): capture scalars, pointers and references, and capture "
                "objects such as std::string or std::vector by reference");
  static_assert(frame_safe<R>::value,
                "weft::spawn: the lambda's result must be void or a trivially copyable type "
                "aligned to at most 8 bytes (it travels back in the frame)");
  static_assert(alignof(F) <= alignof(std::uint64_t),
                "weft::spawn: the lambda's captures need more than 8-byte alignment");
  static constexpr std::size_t size =
      sizeof(F) > result_size<R>::value ? sizeof(F) : result_size<R>::value;
};

template <class F>
inline result_t<F> call_nothrow(F &f, worker *w) noexcept {
  return call(f, w);
}

/* The frame's function: runs the lambda stored at p and leaves its result
 * there (stolen tasks, and tasks the slow sync path runs). */
template <class F>
void run_task(worker *w, void *p) {
  F f = *std::launder(static_cast<F *>(p));  // the block becomes the result
  using R = result_t<F>;
  if constexpr (std::is_void_v<R>) {
    call_nothrow(f, w);
  } else {
    R r = call_nothrow(f, w);
    ::new (p) R(r);
  }
}

template <class F>
struct alignas(std::uint64_t) task_block {
  unsigned char bytes[task_traits<F>::size];
};

#ifdef WEFT__HAVE_INLINE
#define WEFT__HPP_COLD WEFT__NOINLINE
#else
#define WEFT__HPP_COLD
#endif

template <class F>
WEFT__HPP_COLD void spawn_slow(worker *w, const F &fn) {
  task_block<F> b{};
  ::new (static_cast<void *>(b.bytes)) F(fn);
#ifdef WEFT__HAVE_INLINE
  check(weft__spawn_slow(w, &run_task<F>, b.bytes, sizeof b.bytes), "weft::spawn");
#else
  check(weft_spawn(w, &run_task<F>, b.bytes, sizeof b.bytes), "weft::spawn");
#endif
}

template <class F>
WEFT__HPP_COLD result_t<F> sync_slow(worker *w) {
  task_block<F> b;
#ifdef WEFT__HAVE_INLINE
  check(weft__sync_slow(w, b.bytes, sizeof b.bytes), "weft::sync");
#else
  check(weft_sync(w, b.bytes, sizeof b.bytes), "weft::sync");
#endif
  if constexpr (!std::is_void_v<result_t<F>>) return *std::launder(reinterpret_cast<result_t<F> *>(b.bytes));
}

}  // namespace detail

/* --------------------------------------------------------------- fork-join */

/* The handle of one spawn. Sync it (once) before the spawning task returns,
 * in reverse order of spawning, as weft_sync requires. A handle that goes
 * out of scope unsynced (an exception unwinding the task) syncs in its
 * destructor and drops the result, so the task's frames stay balanced. It
 * can be neither copied nor moved: keep it where spawn put it. */
template <class F>
class [[nodiscard]] spawned {
 public:
  using result_type = detail::result_t<F>;

  /* Joins the task (runs it here if nobody stole it) and returns its
   * result. Throws weft::error only on misuse (WEFT_ENOTASK). */
  result_type sync() {
    pending_ = false;
#ifdef WEFT__HAVE_INLINE
    weft__frame *f = weft__pop_private(w_);
    if (WEFT__LIKELY(f != nullptr)) {
      /* Private: nobody else saw it. Run it from a copy (its own children
       * reuse the frame's slot), by a direct call, as WEFT_TASK_n's sync. */
      F fn = *std::launder(reinterpret_cast<F *>(f->u.args));
      return detail::call_nothrow(fn, w_);
    }
#endif
    return detail::sync_slow<F>(w_);
  }

  ~spawned() {
    if (pending_) (void)sync();
  }
  spawned(const spawned &) = delete;
  spawned &operator=(const spawned &) = delete;

 private:
  template <class G>
  friend spawned<std::decay_t<G>> spawn(worker *w, G &&fn);
  explicit spawned(worker *w) : w_(w) {}
  worker *w_;
  bool pending_ = true;
};

/* Pushes fn as a task that a thief may take; returns the handle to sync.
 * fn: a lambda taking (weft::worker *) or (), captures <= 48 bytes and
 * trivially copyable (checked at compile time), must not throw.
 * Throws weft::error(WEFT_ENOMEM) when the deque is full and the scratch
 * arena too (nothing was spawned then). */
template <class G>
inline spawned<std::decay_t<G>> spawn(worker *w, G &&fn) {
  using F = std::decay_t<G>;
  (void)detail::task_traits<F>::size;  // the compile-time checks
#ifdef WEFT__HAVE_INLINE
  weft__hot *h = reinterpret_cast<weft__hot *>(w);
  weft__frame *f = h->top;
  if (WEFT__LIKELY(f != h->end)) {
    f->fn = &detail::run_task<F>;
    ::new (static_cast<void *>(f->u.args)) F(std::forward<G>(fn));
    weft__push_commit(w, f);
  } else {
    detail::spawn_slow<F>(w, fn);
  }
#else
  detail::spawn_slow<F>(w, fn);
#endif
  return spawned<F>(w);
}

/* The worker running on the calling thread, or nullptr. */
inline worker *current_worker() noexcept { return weft_current_worker(); }

/* ------------------------------------------------------------------- loops */

namespace detail {

template <class F>
struct for_ctx {
  F *f;
  std::atomic<bool> failed{false};
  std::exception_ptr ex;
};

/* A chunk [b, e): f(w, b, e) if f takes a range, else f(i) / f(w, i) for
 * each index. The first exception is kept; later chunks are skipped. */
template <class F>
void for_chunk(worker *w, std::size_t b, std::size_t e, void *p) {
  auto *c = static_cast<for_ctx<F> *>(p);
  if (c->failed.load(std::memory_order_relaxed)) return;
  try {
    F &f = *c->f;
    if constexpr (std::is_invocable_v<F &, worker *, std::size_t, std::size_t>) {
      f(w, b, e);
    } else if constexpr (std::is_invocable_v<F &, worker *, std::size_t>) {
      for (std::size_t i = b; i < e; i++) f(w, i);
    } else {
      static_assert(std::is_invocable_v<F &, std::size_t>,
                    "weft::parallel_for: the body must be callable as f(i), f(w, i) or "
                    "f(w, begin, end) with std::size_t indices");
      for (std::size_t i = b; i < e; i++) f(i);
    }
  } catch (...) {
    if (!c->failed.exchange(true)) c->ex = std::current_exception();
  }
}

/* grain 0: about 8 chunks per worker, so that idle workers find halves to
 * steal but each chunk still amortises its spawn. */
inline std::size_t auto_grain(weft_pool p, std::size_t n) {
  int workers = weft_pool_workers(p);
  std::size_t per = 8 * static_cast<std::size_t>(workers > 0 ? workers : 1);
  return n / per > 0 ? n / per : 1;
}

template <class F>
inline void finish_for(int rc, for_ctx<F> &c, const char *what) {
  if (c.ex) std::rethrow_exception(c.ex);
  check(rc, what);
}

}  // namespace detail

/* Calls f over [begin, end) in parallel from inside a task, by recursive
 * halving down to chunks of `grain` indices (0: about 8 chunks per worker).
 * f: f(i), f(w, i) or f(w, b, e) (a whole chunk). Returns when every chunk
 * has run; rethrows the first exception f threw (chunks not started by then
 * are skipped). Throws weft::error (WEFT_EINVAL: begin > end). */
template <class F>
inline void parallel_for(worker *w, std::size_t begin, std::size_t end, F &&f,
                         std::size_t grain = 0) {
  using Fn = std::remove_reference_t<F>;
  detail::for_ctx<Fn> c;
  c.f = &f;
  if (grain == 0 && end > begin) grain = detail::auto_grain(weft_worker_pool(w), end - begin);
  int rc = weft_parallel_for(w, begin, end, grain, &detail::for_chunk<Fn>, &c);
  detail::finish_for(rc, c, "weft::parallel_for");
}

/* ------------------------------------------------------------------- pools */

class pool {
 public:
  /* workers == 0: one per core. Throws weft::error (weft_pool_create). */
  explicit pool(unsigned workers = 0) {
    weft_config c;
    weft_config_default(&c);
    c.workers = workers;
    detail::check(weft_pool_create(&p_, &c), "weft_pool_create");
  }
  explicit pool(const config &c) { detail::check(weft_pool_create(&p_, &c), "weft_pool_create"); }

  /* Waits for submitted jobs and stops the workers. Destroying a pool from
   * one of its own tasks is a bug (WEFT_EDEADLK): std::terminate. */
  ~pool() { release(); }
  pool(pool &&o) noexcept : p_(o.p_) { o.p_.id = 0; }
  pool &operator=(pool &&o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_;
      o.p_.id = 0;
    }
    return *this;
  }
  pool(const pool &) = delete;
  pool &operator=(const pool &) = delete;

  weft_pool handle() const noexcept { return p_; }
  unsigned workers() const {
    int n = weft_pool_workers(p_);
    detail::check(n, "weft_pool_workers");
    return static_cast<unsigned>(n);
  }
  worker_stats stats() const {
    worker_stats s;
    detail::check(weft_pool_stats_total(p_, &s), "weft_pool_stats_total");
    return s;
  }

  /* Runs f(worker *) (or f()) as a root task and waits; returns its result
   * and rethrows what it threw. From a task of this pool it runs inline. */
  template <class F>
  auto run(F &&f) -> detail::result_t<std::remove_reference_t<F>> {
    using Fn = std::remove_reference_t<F>;
    using R = detail::result_t<Fn>;
    struct ctx {
      Fn *f;
      std::optional<std::conditional_t<std::is_void_v<R>, char, R>> r;
      std::exception_ptr ex;
    } c{&f, {}, {}};
    auto tramp = [](worker *w, void *p) {
      ctx *k = static_cast<ctx *>(p);
      try {
        if constexpr (std::is_void_v<R>) {
          detail::call(*k->f, w);
          k->r.emplace('\0');
        } else {
          k->r.emplace(detail::call(*k->f, w));
        }
      } catch (...) {
        k->ex = std::current_exception();
      }
    };
    detail::check(weft_run(p_, +tramp, &c), "weft_run");
    if (c.ex) std::rethrow_exception(c.ex);
    if constexpr (!std::is_void_v<R>) return std::move(*c.r);
  }

  /* parallel_for as a root task of this pool, from any thread. */
  template <class F>
  void parallel_for(std::size_t begin, std::size_t end, F &&f, std::size_t grain = 0) {
    using Fn = std::remove_reference_t<F>;
    detail::for_ctx<Fn> c;
    c.f = &f;
    if (grain == 0 && end > begin) grain = detail::auto_grain(p_, end - begin);
    int rc = weft_pool_for(p_, begin, end, grain, &detail::for_chunk<Fn>, &c);
    detail::finish_for(rc, c, "weft_pool_for");
  }

 private:
  void release() noexcept {
    if (p_.id != 0 && weft_pool_destroy(p_) == WEFT_EDEADLK) std::terminate();
    p_.id = 0;
  }
  weft_pool p_{};
};

/* ------------------------------------------------------------------ graphs */

class graph;

namespace detail {

struct graph_state {
  std::mutex m;
  std::exception_ptr ex;  // the first exception a node threw in this run
};

/* A node's argument block: the lambda and where its exception goes. */
template <class F>
struct node_block {
  F f;
  graph_state *st;
};

/* Node status that stands for "threw" (the exception is in graph_state). */
constexpr int node_threw = -0x7eff;

template <class F>
int run_node(worker *w, void *p) {
  auto *b = static_cast<node_block<F> *>(p);
  try {
    if constexpr (std::is_same_v<result_t<F>, int>) {
      return call(b->f, w);
    } else {
      static_assert(std::is_void_v<result_t<F>>,
                    "weft::graph::add: a node lambda returns void or int (its status: "
                    "non-zero fails the run)");
      call(b->f, w);
      return 0;
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(b->st->m);
    if (!b->st->ex) b->st->ex = std::current_exception();
    return node_threw;
  }
}

}  // namespace detail

/* A reusable task graph (weft_graph_*, docs/GRAPHS.md) with lambda nodes. */
class graph {
 public:
  graph() : st_(new detail::graph_state) {
    if (int rc = weft_graph_create(&g_)) {
      delete st_;
      detail::check(rc, "weft_graph_create");
    }
  }
  ~graph() { release(); }
  graph(graph &&o) noexcept : g_(o.g_), st_(o.st_) {
    o.g_ = nullptr;
    o.st_ = nullptr;
  }
  graph &operator=(graph &&o) noexcept {
    if (this != &o) {
      release();
      g_ = o.g_;
      st_ = o.st_;
      o.g_ = nullptr;
      o.st_ = nullptr;
    }
    return *this;
  }
  graph(const graph &) = delete;
  graph &operator=(const graph &) = delete;

  weft_graph *get() const noexcept { return g_; }

  /* Adds a node running f(w) or f() once per run, after its predecessors.
   * f returns void, or int (non-zero fails the run: weft::error with code
   * WEFT_ENODE_FAILED). The lambda is copied into the graph and persists
   * across runs (it may keep state in mutable captures); it must be
   * trivially copyable with at most 40 bytes of captures (48 minus the
   * graph's pointer). name: optional, for errors and dot(). */
  template <class G>
  node add(G &&fn, const char *name = nullptr) {
    using F = std::decay_t<G>;
    static_assert(std::is_trivially_copyable_v<F>,
                  "weft::graph::add: the lambda must be trivially copyable (copied into the "
                  "graph as bytes): capture scalars, pointers and references");
    static_assert(sizeof(detail::node_block<F>) <= WEFT_ARGS_MAX,
                  "weft::graph::add: the lambda's captures exceed 40 bytes (the 48-byte "
                  "argument block holds them and a pointer): capture a pointer to a struct");
    detail::node_block<F> b{F(std::forward<G>(fn)), st_};
    node n{0};
    detail::check(weft_graph_add(g_, &detail::run_node<F>, &b, sizeof b, &n), "weft_graph_add");
    if (name) detail::check(weft_graph_name(g_, n, name), "weft_graph_name");
    return n;
  }

  /* from precedes to. */
  void edge(node from, node to) { detail::check(weft_graph_edge(g_, from, to), "weft_graph_edge"); }
  void clear() { detail::check(weft_graph_clear(g_), "weft_graph_clear"); }

  /* Throws weft::error with the cycle (or other problem) in its message. */
  void validate() {
    weft_graph_error e;
    int rc = weft_graph_validate(g_, &e);
    if (rc < 0) throw error(rc, std::string("weft_graph_validate: ") + e.message);
  }

  /* Runs the graph once (n times) on the pool and waits; returns the
   * result. Rethrows the first exception a node threw; a node's non-zero
   * status throws weft::error(WEFT_ENODE_FAILED) naming it. */
  weft_graph_result run(const pool &p) {
    weft_graph_result r{};
    return finish(weft_graph_run(p.handle(), g_, &r), r);
  }
  weft_graph_result run_n(const pool &p, std::uint64_t n) {
    weft_graph_result r{};
    return finish(weft_graph_run_n(p.handle(), g_, n, &r), r);
  }
  /* From inside a task: the calling worker drives the run. */
  weft_graph_result run_in(worker *w) {
    weft_graph_result r{};
    return finish(weft_graph_run_in(w, g_, &r), r);
  }

  /* Asks a running run to stop (weft_graph_cancel): true if one was running. */
  bool cancel() {
    int rc = weft_graph_cancel(g_);
    detail::check(rc, "weft_graph_cancel");
    return rc == 1;
  }

  /* Graphviz DOT text of the graph. */
  std::string dot() const {
    std::size_t need = 0;
    detail::check(weft_graph_dot(g_, nullptr, 0, &need), "weft_graph_dot");
    std::string s(need, '\0');
    detail::check(weft_graph_dot(g_, s.data(), s.size(), &need), "weft_graph_dot");
    s.resize(need > 0 ? need - 1 : 0);
    return s;
  }

 private:
  void release() noexcept {
    weft_graph_destroy(g_);  // NULL is ignored
    delete st_;
    g_ = nullptr;
    st_ = nullptr;
  }

  weft_graph_result finish(int rc, const weft_graph_result &res) {
    std::exception_ptr ex;
    {
      std::lock_guard<std::mutex> lock(st_->m);
      std::swap(ex, st_->ex);
    }
    if (ex) std::rethrow_exception(ex);
    if (rc == WEFT_ENODE_FAILED) {
      const char *name = weft_graph_node_name(g_, res.node);
      throw error(rc, std::string("weft_graph_run: node ") + (name ? name : "(unnamed)") +
                          " returned " + std::to_string(res.status));
    }
    detail::check(rc, "weft_graph_run");
    return res;
  }

  weft_graph *g_ = nullptr;
  detail::graph_state *st_;
};

/* ---------------------------------------------------------- launched tasks
 *
 * Tasks launched on the fly after prerequisites (weft_launch, docs/TASKS.md)
 * from lambdas:
 *
 *   weft::pipe log(pool);
 *   weft::event loaded(pool);
 *   auto a = weft::launch(pool, [] { return 20; });
 *   auto b = weft::launch(pool, [] { return 22; });
 *   auto c = weft::launch(pool, [pa = &a, pb = &b] { ... }, a, b, loaded); // after a, b, loaded
 *   weft::launch(pool, [] { ... }, log);   // pipe members start in order
 *   loaded.trigger();
 *   int sum = a.result() + b.result();     // waits; throws if it failed
 *
 * The lambda is copied into the task's 48-byte argument block, like a
 * spawn's: captures of at most 48 bytes, trivially copyable, and the same
 * for its result (compile-time errors otherwise). It runs once its
 * prerequisites have completed; it must not throw (std::terminate). It
 * returns its result, or weft::status{code} to complete with a status
 * (non-zero fails the task: its successors are canceled). Arguments after
 * the lambda, in any order: handles (task, launched<R>, event) to wait
 * for, a weft::pipe to launch into, weft::child (from inside a launched
 * task: its completion waits for this one). The handle owns the task's
 * record and releases it in its destructor (the task still runs). */

/* A launched task's status, as a lambda's result: non-zero fails the task. */
struct status {
  int code;
};

/* weft::launch(..., weft::child): the calling launched task's completion
 * waits for this one (WEFT_LAUNCH_CHILD). */
struct child_t {};
inline constexpr child_t child{};

class pipe {
 public:
  /* Throws weft::error (weft_pipe_create). */
  explicit pipe(const pool &p) { detail::check(weft_pipe_create(p.handle(), &p_), "weft_pipe_create"); }
  ~pipe() { weft_pipe_destroy(p_); }
  pipe(const pipe &) = delete;
  pipe &operator=(const pipe &) = delete;
  weft_pipe *get() const noexcept { return p_; }

 private:
  weft_pipe *p_ = nullptr;
};

/* A handle of a launched task or an event: movable, not copyable; releases
 * the record in its destructor. */
class task {
 public:
  task() = default;
  explicit task(weft_task t) noexcept : t_(t) {}
  ~task() { release(); }
  task(task &&o) noexcept : t_(o.t_) { o.t_.id = 0; }
  task &operator=(task &&o) noexcept {
    if (this != &o) {
      release();
      t_ = o.t_;
      o.t_.id = 0;
    }
    return *this;
  }
  task(const task &) = delete;
  task &operator=(const task &) = delete;

  weft_task get() const noexcept { return t_; }
  explicit operator bool() const noexcept { return t_.id != 0; }

  /* Waits for completion (outside the pool: sleeps; on a worker: works).
   * Returns WEFT_OK, WEFT_EFAILED or WEFT_ECANCELED; throws weft::error on
   * misuse (WEFT_ESTALE, WEFT_EDEADLK). */
  int wait() const {
    int rc = weft_task_wait(t_);
    if (rc != WEFT_OK && rc != WEFT_EFAILED && rc != WEFT_ECANCELED) detail::check(rc, "weft_task_wait");
    return rc;
  }
  /* WEFT_OK, WEFT_EPENDING, WEFT_EFAILED or WEFT_ECANCELED; never blocks. */
  int status() const {
    int rc = weft_task_status(t_);
    if (rc == WEFT_ESTALE) detail::check(rc, "weft_task_status");
    return rc;
  }
  /* Cancels it if it has not started: true if it did. */
  bool cancel() const {
    int rc = weft_task_cancel(t_);
    detail::check(rc, "weft_task_cancel");
    return rc == 1;
  }
  weft_task_info info() const {
    weft_task_info i;
    detail::check(weft_task_info_get(t_, &i), "weft_task_info_get");
    return i;
  }
  /* Gives the record back now (the destructor does it otherwise). */
  void release() noexcept {
    if (t_.id) (void)weft_task_release(t_);
    t_.id = 0;
  }

 protected:
  weft_task t_{0};
};

/* An event: a task with no function, completed by trigger (any thread). */
class event : public task {
 public:
  explicit event(const pool &p) { detail::check(weft_event_create(p.handle(), &t_), "weft_event_create"); }
  explicit event(weft_pool p) { detail::check(weft_event_create(p, &t_), "weft_event_create"); }
  /* 0 completes it DONE; any other status FAILED (its successors are canceled). */
  void trigger(int status = 0) const { detail::check(weft_event_trigger(t_, status), "weft_event_trigger"); }
};

/* The handle of a launched lambda with result type R. */
template <class R>
class [[nodiscard]] launched : public task {
 public:
  using result_type = R;
  launched() = default;
  explicit launched(weft_task t) noexcept : task(t) {}

  /* Waits and returns the lambda's result; throws weft::error with the
   * task's state (WEFT_EFAILED, WEFT_ECANCELED) if it did not complete done. */
  R result() const {
    int st = wait();
    if (st != WEFT_OK) {
      weft_task_info i{};
      (void)weft_task_info_get(t_, &i);
      throw error(st, "weft::launched::result: status " + std::to_string(i.status));
    }
    if constexpr (std::is_same_v<R, ::weft::status>) {
      return R{0};
    } else if constexpr (!std::is_void_v<R>) {
      alignas(R) unsigned char b[sizeof(R)];
      detail::check(weft_task_result(t_, b, sizeof b), "weft_task_result");
      return *std::launder(reinterpret_cast<R *>(b));
    }
  }
};

namespace detail {

template <class F>
int run_launched(worker *w, void *p) {
  F f = *std::launder(static_cast<F *>(p));
  using R = result_t<F>;
  if constexpr (std::is_void_v<R>) {
    call_nothrow(f, w);
    return 0;
  } else if constexpr (std::is_same_v<R, ::weft::status>) {
    return call_nothrow(f, w).code;
  } else {
    R r = call_nothrow(f, w);
    ::new (p) R(r);
    return 0;
  }
}

/* Collects launch's trailing arguments into options and prerequisites. */
struct launch_args {
  weft_task after[64];
  std::size_t n = 0;
  weft_launch_opts o{nullptr, 0, nullptr, 0};
  void add(const task &t) {
    if (n == sizeof after / sizeof after[0])
      throw error(WEFT_E2BIG, "weft::launch: more than 64 prerequisites (use a join task)");
    after[n++] = t.get();
  }
  void add(const pipe &p) { o.pipe = p.get(); }
  void add(const child_t &) { o.flags |= WEFT_LAUNCH_CHILD; }
};

template <class T>
constexpr bool launch_arg_ok = std::is_base_of_v<task, std::decay_t<T>> ||
                               std::is_same_v<std::decay_t<T>, pipe> ||
                               std::is_same_v<std::decay_t<T>, child_t>;

template <class G, class... A>
auto launch_on(weft_pool p, G &&fn, const A &...more) {
  using F = std::decay_t<G>;
  using R = result_t<F>;
  static_assert((launch_arg_ok<A> && ...),
                "weft::launch: after the lambda come only prerequisites (weft::task, "
                "weft::launched<R>, weft::event), a weft::pipe and weft::child");
  (void)task_traits<F>::size;  // the frame checks, as spawn's
  task_block<F> b{};
  ::new (static_cast<void *>(b.bytes)) F(std::forward<G>(fn));
  launch_args a;
  (a.add(more), ...);
  a.o.after = a.n ? a.after : nullptr;
  a.o.nafter = a.n;
  weft_task t{0};
  check(weft_launch_ex(p, &run_launched<F>, b.bytes, sizeof b.bytes, &a.o, &t), "weft_launch");
  return launched<R>(t);
}

}  // namespace detail

/* Launches fn (see above) on the pool after the prerequisites among `more`.
 * Throws weft::error (weft_launch_ex's errors: WEFT_ESTALE for a released
 * prerequisite, WEFT_EINVAL for weft::child outside a launched task, ...). */
template <class G, class... A>
auto launch(const pool &p, G &&fn, const A &...more) {
  return detail::launch_on(p.handle(), std::forward<G>(fn), more...);
}
/* From inside a task: launches on the worker's pool. */
template <class G, class... A>
auto launch(worker *w, G &&fn, const A &...more) {
  return detail::launch_on(weft_worker_pool(w), std::forward<G>(fn), more...);
}

}  // namespace weft

#endif /* WEFT_HPP */
