// A C++ program using an installed weft.hpp: fib with lambdas and a
// parallel_for sum, each against its sequential value.
#include <cstdio>
#include <string>
#include <vector>
#include <weft.hpp>

static long fib(weft::worker *w, long n) noexcept {
  if (n < 2) return n;
  auto x = weft::spawn(w, [m = n - 1](weft::worker *w) { return fib(w, m); });
  long y = fib(w, n - 2);
  return x.sync() + y;
}

static long sfib(long n) { return n < 2 ? n : sfib(n - 1) + sfib(n - 2); }

int main() {
  std::string version = std::to_string(WEFT_VERSION_MAJOR) + "." +
                        std::to_string(WEFT_VERSION_MINOR) + "." +
                        std::to_string(WEFT_VERSION_PATCH);
#ifdef WEFT_EXPECT_VERSION
  if (version != WEFT_EXPECT_VERSION) {
    std::fprintf(stderr, "weft.h says %s, the package %s\n", version.c_str(), WEFT_EXPECT_VERSION);
    return 1;
  }
#endif
  try {
    weft::pool pool(2);
    long par = pool.run([](weft::worker *w) { return fib(w, 27); });
    std::vector<long> v(100000);
    pool.parallel_for(0, v.size(), [&](std::size_t i) { v[i] = (long)i; });
    long sum = 0;
    for (long x : v) sum += x;
    long want = (long)v.size() * ((long)v.size() - 1) / 2;
    std::printf("C++: weft %s: fib(27) = %ld on 2 workers, %ld sequentially; sum %ld (want %ld)\n",
                version.c_str(), par, sfib(27), sum, want);
    return par == sfib(27) && sum == want ? 0 : 1;
  } catch (const weft::error &e) {
    std::fprintf(stderr, "weft::error %d: %s\n", e.code(), e.what());
    return 1;
  }
}
