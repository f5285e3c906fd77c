// misuse.cpp - lambdas that weft.hpp must reject at compile time, one per
// WEFT_MISUSE value; test/cpp/CMakeLists.txt compiles each and expects the
// compiler to fail with the static_assert's message (never a heap fallback).
#include <weft.hpp>

#include <string>

long use(weft::worker *w) {
#if WEFT_MISUSE == 1  // 56 bytes of captures: more than the 48-byte frame
  long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7;
  auto x = weft::spawn(w, [a, b, c, d, e, f, g] { return a + b + c + d + e + f + g; });
  return x.sync();
#elif WEFT_MISUSE == 2  // a capture the runtime cannot copy as bytes
  std::string s = "not trivially copyable";
  auto x = weft::spawn(w, [s] { return (long)s.size(); });
  return x.sync();
#elif WEFT_MISUSE == 3  // a result larger than the frame
  struct big { long v[7]; };
  auto x = weft::spawn(w, [] { return big{}; });
  return x.sync().v[0];
#elif WEFT_MISUSE == 4  // a graph node with 48 bytes of captures (40 fit)
  weft::graph g;
  long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;
  g.add([a, b, c, d, e, f] { (void)(a + b + c + d + e + f); });
  return 0;
#elif WEFT_MISUSE == 5  // a launched lambda with 56 bytes of captures
  long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7;
  auto t = weft::launch(w, [a, b, c, d, e, f, g] { return a + b + c + d + e + f + g; });
  return t.result();
#elif WEFT_MISUSE == 6  // something that is not a prerequisite after the lambda
  auto t = weft::launch(w, [] { return 1L; }, 42);
  return t.result();
#else
  (void)w;
  return 0;
#endif
}
