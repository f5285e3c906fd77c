// test_hpp.cpp - include/weft.hpp against independent oracles: sequential
// results, closed forms, spawn counts from the pool's own stats.
//
//   weft_cpp_tests            every test
//   weft_cpp_tests NAME       one test
#include <weft.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static int g_failed;
#define CHECK(c)                                                          \
  do {                                                                    \
    if (!(c)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
      g_failed = 1;                                                       \
    }                                                                     \
  } while (0)

static long fib_seq(long n) { return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2); }

// The README's fib.
static long fib(weft::worker *w, long n) noexcept {
  if (n < 2) return n;
  auto x = weft::spawn(w, [n](weft::worker *w) { return fib(w, n - 1); });
  long y = fib(w, n - 2);
  return x.sync() + y;
}

static void test_fib() {
  for (unsigned workers : {1u, 2u, 4u}) {
    weft::pool pool(workers);
    CHECK(pool.workers() == workers);
    weft::worker_stats before = pool.stats();
    long r = pool.run([](weft::worker *w) { return fib(w, 24); });
    CHECK(r == fib_seq(24));
    // one spawn per call with n >= 2: fib(25) - 1 of them
    CHECK(pool.stats().spawns - before.spawns == (uint64_t)fib_seq(25) - 1);
  }
}

// d outstanding spawns at the deepest point.
static long chain(weft::worker *w, long d) {
  if (d == 0) return 0;
  auto x = weft::spawn(w, [d] { return d; });
  long r = chain(w, d - 1);
  return r + x.sync();
}

// Deque of 16 frames: deeper chains overflow, so spawn and sync take their
// slow paths (weft__spawn_slow / weft__sync_slow).
static void test_overflow_slow_paths() {
  weft::config cfg;
  weft_config_default(&cfg);
  cfg.workers = 2;
  cfg.deque_frames = 16;
  weft::pool pool(cfg);
  long r = pool.run([](weft::worker *w) { return chain(w, 200) + fib(w, 22); });
  CHECK(r == 200 * 201 / 2 + fib_seq(22));
  CHECK(pool.stats().overflows > 0);
}

// A child taken by the other worker: the result comes back through the
// frame (run_task + the slow sync), not a direct call.
static void test_stolen_result() {
  weft::pool pool(2);
  struct out { unsigned thief; int ok; };
  out o = pool.run([](weft::worker *w) {
    std::atomic<int> started{0};
    std::atomic<int> *sp = &started;
    unsigned me = weft_worker_index(w);
    auto x = weft::spawn(w, [sp](weft::worker *w) {
      sp->store(1);
      return (long)weft_worker_index(w) * 1000 + 7;
    });
    auto t0 = std::chrono::steady_clock::now();
    while (!started.load() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20))
      std::this_thread::yield();
    long v = x.sync();
    return out{(unsigned)(v / 1000), v % 1000 == 7 && started.load() && (unsigned)(v / 1000) != me};
  });
  CHECK(o.ok);
}

// Every capture size up to the 48-byte frame; void results; lambdas
// without a worker parameter.
static void test_captures_and_void() {
  weft::pool pool(2);
  long got = pool.run([](weft::worker *w) {
    long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;  // 48 bytes of captures
    auto six = [a, b, c, d, e, f] { return a + b + c + d + e + f; };
    static_assert(sizeof six == 48, "");
    auto x = weft::spawn(w, six);
    long sum[4] = {0, 0, 0, 0};
    long *s = sum;
    auto v0 = weft::spawn(w, [s] { s[0] = 10; });
    auto v1 = weft::spawn(w, [s](weft::worker *) { s[1] = 20; });
    struct pair { long lo, hi; };
    auto p = weft::spawn(w, [] { return pair{-1, 1}; });
    pair pr = p.sync();
    v1.sync();
    v0.sync();
    return x.sync() + sum[0] + sum[1] + pr.hi - pr.lo;  // 21 + 30 + 2
  });
  CHECK(got == 53);
}

// An exception in a root task that has an unsynced spawn: the handle syncs
// on unwinding, pool::run rethrows it, and the pool works afterwards.
static void test_root_exception() {
  weft::pool pool(2);
  std::atomic<int> ran{0};
  std::atomic<int> *rp = &ran;
  bool caught = false;
  try {
    pool.run([rp](weft::worker *w) {
      auto x = weft::spawn(w, [rp] { rp->fetch_add(1); });
      if (rp) throw std::runtime_error("boom");
      x.sync();
    });
  } catch (const std::runtime_error &e) {
    caught = std::strcmp(e.what(), "boom") == 0;
  }
  CHECK(caught);
  CHECK(ran.load() == 1);  // the child ran exactly once (its handle synced it)
  CHECK(pool.run([](weft::worker *w) { return fib(w, 20); }) == fib_seq(20));
}

static void test_parallel_for() {
  weft::pool pool(2);
  const std::size_t n = 1000003;
  std::vector<long> v(n, -1);
  long *vp = v.data();
  pool.parallel_for(0, n, [vp](std::size_t i) { vp[i] = (long)i * 3; });
  bool ok = true;
  for (std::size_t i = 0; i < n; i++) ok &= v[i] == (long)i * 3;
  CHECK(ok);
  // ranges, from inside a task, explicit grain; closed form of sum(i)
  std::atomic<unsigned long long> sum{0};
  std::atomic<int> chunks{0};
  pool.run([&](weft::worker *w) {
    weft::parallel_for(w, 10, n, [&](weft::worker *, std::size_t b, std::size_t e) {
      unsigned long long s = 0;
      for (std::size_t i = b; i < e; i++) s += i;
      sum += s;
      chunks++;
    }, 1000);
  });
  unsigned long long want = (unsigned long long)(n - 1) * n / 2 - 45;
  CHECK(sum.load() == want);
  CHECK(chunks.load() >= (int)((n - 10) / 1000));
  // (w, i) form and an empty range
  std::atomic<long> cnt{0};
  pool.parallel_for(5, 5, [&](std::size_t) { cnt++; });
  pool.parallel_for(0, 100, [&](weft::worker *w, std::size_t) { cnt += w != nullptr; });
  CHECK(cnt.load() == 100);
}

static void test_parallel_for_exception() {
  weft::pool pool(2);
  std::string msg;
  try {
    pool.parallel_for(0, 100000, [](std::size_t i) {
      if (i == 777) throw std::out_of_range("index 777");
    });
  } catch (const std::out_of_range &e) {
    msg = e.what();
  }
  CHECK(msg == "index 777");
  int code = 0;
  try {
    pool.parallel_for(10, 5, [](std::size_t) {});
  } catch (const weft::error &e) {
    code = e.code();
  }
  CHECK(code == WEFT_EINVAL);
}

static void test_graph() {
  weft::pool pool(2);
  weft::graph g;
  long vals[4] = {0, 0, 0, 0};
  long *v = vals;
  int runs = 0;
  int *rp = &runs;
  weft::node a = g.add([v, rp]() mutable { v[0] = 1; ++*rp; }, "a");
  weft::node b = g.add([v] { v[1] = v[0] + 10; }, "b");
  weft::node c = g.add([v](weft::worker *) { v[2] = v[0] + 100; return 0; }, "c");
  weft::node d = g.add([v, k = 0L]() mutable { v[3] = v[1] + v[2] + (++k); }, "d");
  g.edge(a, b);
  g.edge(a, c);
  g.edge(b, d);
  g.edge(c, d);
  weft_graph_result r = g.run(pool);
  CHECK(r.nodes_run == 4);
  CHECK(vals[3] == 11 + 101 + 1);
  r = g.run_n(pool, 3);
  CHECK(r.iterations == 3);
  CHECK(vals[3] == 11 + 101 + 4);  // d's mutable capture persists across runs
  CHECK(runs == 4);
  CHECK(g.dot().find("a") != std::string::npos);
  // run from inside a task
  vals[3] = 0;
  pool.run([&](weft::worker *w) { g.run_in(w); });
  CHECK(vals[3] == 11 + 101 + 5);
}

static void test_graph_errors() {
  weft::pool pool(1);
  {  // a cycle: weft::error with the code and the names
    weft::graph g;
    weft::node x = g.add([] {}, "x"), y = g.add([] {}, "y");
    g.edge(x, y);
    g.edge(y, x);
    int code = 0;
    std::string what;
    try {
      g.validate();
    } catch (const weft::error &e) {
      code = e.code();
      what = e.what();
    }
    CHECK(code == WEFT_ECYCLE);
    CHECK(what.find("x") != std::string::npos && what.find("y") != std::string::npos);
  }
  {  // a node's non-zero status
    weft::graph g;
    g.add([] { return 5; }, "five");
    int code = 0;
    std::string what;
    try {
      g.run(pool);
    } catch (const weft::error &e) {
      code = e.code();
      what = e.what();
    }
    CHECK(code == WEFT_ENODE_FAILED);
    CHECK(what.find("five returned 5") != std::string::npos);
  }
  {  // a node's exception reaches the caller, once
    weft::graph g;
    g.add([] { throw std::logic_error("node threw"); });
    std::string what;
    try {
      g.run(pool);
    } catch (const std::logic_error &e) {
      what = e.what();
    }
    CHECK(what == "node threw");
  }
}

static void test_errors() {
  weft::config cfg;
  weft_config_default(&cfg);
  cfg.stack_size = 1;  // below the minimum
  int code = 0;
  try {
    weft::pool p(cfg);
  } catch (const weft::error &e) {
    code = e.code();
    CHECK(std::string(e.what()).find("weft_pool_create") != std::string::npos);
  }
  CHECK(code == WEFT_EINVAL);
  code = 0;
  try {
    weft::pool p(WEFT_MAX_WORKERS + 1);
  } catch (const weft::error &e) {
    code = e.code();
  }
  CHECK(code == WEFT_ELIMIT);
  // moves: the moved-from pool owns nothing, the new one works
  weft::pool a(1);
  weft::pool b(std::move(a));
  CHECK(b.run([] { return 42; }) == 42);
  CHECK(a.handle().id == 0);
  code = 0;
  try {
    (void)a.workers();
  } catch (const weft::error &e) {
    code = e.code();
  }
  CHECK(code == WEFT_EBADPOOL);
  // move-assignment releases the old pool and graph and takes the other's
  weft::pool c(2);
  c = std::move(b);
  CHECK(c.workers() == 1 && c.run([] { return 7; }) == 7);
  weft::graph g1, g2;
  int hits = 0;
  int *hp = &hits;
  g2.add([hp] { ++*hp; });
  g1 = std::move(g2);
  g1.run(c);
  CHECK(hits == 1 && g2.get() == nullptr);
}

/* Launched lambdas: a DAG whose order is checked by stamps, results, an
 * event, a pipe, failure and cancel down a chain, children. */
static void test_launch() {
  weft::pool pool(2);
  std::atomic<int> clock{0};
  struct stamps {
    std::atomic<int> *clock;
    int at[8];
  } st{&clock, {0}};
  stamps *sp = &st;
  auto a = weft::launch(pool, [sp] { sp->at[0] = ++*sp->clock; return 20; });
  auto b = weft::launch(pool, [sp](weft::worker *w) {
    sp->at[1] = ++*sp->clock;
    return w ? 22L : -1L;
  });
  weft::event go(pool);
  auto c = weft::launch(pool, [sp] { sp->at[2] = ++*sp->clock; }, a, b, go);
  CHECK(c.status() == WEFT_EPENDING);  // waits for the event at least
  CHECK(a.result() == 20 && b.result() == 22L);
  CHECK(c.status() == WEFT_EPENDING);
  go.trigger();
  CHECK(c.wait() == WEFT_OK);
  CHECK(st.at[2] > st.at[0] && st.at[2] > st.at[1]);
  c.result();  // void: returns once done

  // a struct result
  struct pt { double x, y; };
  auto p = weft::launch(pool, [] { return pt{1.5, -2.0}; });
  pt got = p.result();
  CHECK(got.x == 1.5 && got.y == -2.0);

  // a pipe: members start in launch order and never overlap
  {
    weft::pipe line(pool);
    struct pipe_state {
      std::atomic<int> inside{0};
      int next = 0, bad = 0;
    } ps;
    pipe_state *pp = &ps;
    std::vector<weft::launched<void>> hs;
    for (int i = 0; i < 100; i++)
      hs.push_back(weft::launch(pool, [pp, i] {
        if (pp->inside.fetch_add(1) != 0 || pp->next != i) pp->bad++;
        pp->next = i + 1;
        pp->inside.fetch_sub(1);
      }, line));
    for (auto &h : hs) CHECK(h.wait() == WEFT_OK);
    CHECK(ps.bad == 0 && ps.next == 100);
  }

  // failure: weft::status{7} fails the task, its successor is canceled
  auto f = weft::launch(pool, [] { return weft::status{7}; });
  auto g = weft::launch(pool, [sp] { sp->at[3] = 1; }, f);
  CHECK(f.wait() == WEFT_EFAILED && g.wait() == WEFT_ECANCELED);
  CHECK(st.at[3] == 0);
  CHECK(g.info().origin.id == f.get().id && g.info().status == 7);
  int code = 0;
  try {
    f.result();
  } catch (const weft::error &e) {
    code = e.code();
  }
  CHECK(code == WEFT_EFAILED);

  // cancel before it starts (it waits for an event nobody triggers)
  weft::event never(pool);
  auto h = weft::launch(pool, [sp] { sp->at[4] = 1; }, never);
  CHECK(h.cancel());
  CHECK(h.wait() == WEFT_ECANCELED && st.at[4] == 0);
  CHECK(!h.cancel());  // too late now
  never.trigger();

  // children from inside a launched task: its completion waits for them
  std::atomic<int> kids{0};
  std::atomic<int> *kp = &kids;
  auto parent = weft::launch(pool, [kp](weft::worker *w) {
    for (int i = 0; i < 50; i++) {
      auto k = weft::launch(w, [kp] {
        volatile long x = 0;
        for (int j = 0; j < 20000; j++) x = x + j;
        kp->fetch_add(1);
      }, weft::child);
      (void)k;  // released at once: the parent still waits for it
    }
  });
  CHECK(parent.wait() == WEFT_OK && kids.load() == 50);

}

struct test_case {
  const char *name;
  void (*fn)();
};
static const test_case k_tests[] = {
    {"fib", test_fib},
    {"overflow_slow_paths", test_overflow_slow_paths},
    {"stolen_result", test_stolen_result},
    {"captures_and_void", test_captures_and_void},
    {"root_exception", test_root_exception},
    {"parallel_for", test_parallel_for},
    {"parallel_for_exception", test_parallel_for_exception},
    {"graph", test_graph},
    {"graph_errors", test_graph_errors},
    {"errors", test_errors},
    {"launch", test_launch},
};

int main(int argc, char **argv) {
  int ran = 0;
  for (const test_case &t : k_tests) {
    if (argc > 1 && std::strcmp(argv[1], t.name) != 0) continue;
    int before = g_failed;
    g_failed = 0;
    t.fn();
    std::printf("%s %s\n", g_failed ? "FAIL" : "ok  ", t.name);
    g_failed |= before;
    ran++;
  }
  if (ran == 0) {
    std::fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "?");
    return 2;
  }
  return g_failed ? 1 : 0;
}
