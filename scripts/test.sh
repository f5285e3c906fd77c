#!/usr/bin/env bash
# Builds weft several ways and runs every test: the full suite in Release,
# the C++ header's tests (g++ there, clang++ in the sanitizer builds), a
# consumer project against an installed prefix (scripts/consumer.sh), the
# MPI module and workloads under mpirun (Open MPI, label mpi), the
# benchmark plots (bench/test_plots.py),
# the full suite on the portable POSIX backend, on aarch64 under qemu-user
# and on Windows under wine (SUPPORTED_PLATFORMS.md), the concurrency tests
# under ThreadSanitizer, the whole suite under AddressSanitizer +
# UndefinedBehaviorSanitizer (LeakSanitizer included), bounded libFuzzer
# runs of the task-graph and launched-task harnesses, and the spin model
# checks (deque, sleep/wake, launched tasks: model/check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
fail=0
step() { echo; echo "=== $*"; }

step "Release build + full test suite"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j"$jobs" >/dev/null
(cd build/release && ctest --output-on-failure -j1 -LE mpi) || fail=1

step "MPI (Open MPI): weft_mpi and the distributed stencil/wavefront under mpirun -np 1, 2, 4 x 1, 2 workers, each under a timeout"
t0=$SECONDS
(cd build/release && ctest --output-on-failure -j1 -L mpi) || fail=1
echo "(MPI step: $((SECONDS - t0)) s)"

step "Packaging: cmake --install, then a consumer outside the tree via find_package, pkg-config and FetchContent"
bash scripts/consumer.sh build/release || fail=1

step "Benchmark plots: bench/plots.py on run.py-shaped rows (bench/test_plots.py)"
# Debian's python3 (python3-matplotlib), whatever python3 comes first on PATH
/usr/bin/python3 bench/test_plots.py || fail=1

step "Portable POSIX backend (src/posix, emulated wait-on-address): full test suite (MPI: the module tests)"
t0=$SECONDS
cmake -S . -B build/posix -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=OFF -DWEFT_PRIM=posix >/dev/null
cmake --build build/posix -j"$jobs" >/dev/null
# The MPI module's own tests only (its timed naps use the emulated wait);
# the workloads ran in the MPI step.
(cd build/posix && ctest --output-on-failure -j1 -LE mpi && ctest --output-on-failure -j1 -R '^mpi_module') || fail=1
echo "(posix backend step: $((SECONDS - t0)) s)"

step "aarch64: cross-built (gcc-aarch64-linux-gnu), full suite under qemu-aarch64 at WEFT_TEST_SCALE=0.5"
t0=$SECONDS
cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build build/aarch64 -j"$jobs" >/dev/null
(cd build/aarch64 && WEFT_TEST_SCALE=0.5 ctest --output-on-failure -j1) || fail=1
echo "(aarch64 step: $((SECONDS - t0)) s)"

step "Windows x86_64: cross-built (mingw-w64), full suite under wine at WEFT_TEST_SCALE=0.25, benchmarks run once"
t0=$SECONDS
windows_step() {
  cmake -S . -B build/win64 -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/win64 -j"$jobs" >/dev/null
  # The prefix lives in the build tree; no mono/gecko installers on creation.
  export WINEPREFIX="$PWD/build/win64/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  # Create the prefix (~15 s) and wait until wine has completely finished
  # with it: a prefix still being set up in the background made every wine
  # start take seconds for minutes afterwards.
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    wineboot -i </dev/null >/dev/null 2>&1 || true
    wineserver -w
  fi
  # wine's helper processes (services, ...) outlive the program that starts
  # them and would hold ctest's output pipe open until they exit: start them
  # first, off that pipe, under a persistent wineserver.
  wineserver -p </dev/null >/dev/null 2>&1
  wine build/win64/test/weft_tests.exe --list </dev/null >/dev/null 2>&1
  local rc=0
  (cd build/win64 && WEFT_TEST_SCALE=0.25 ctest --output-on-failure -j1) || rc=1
  # The C benchmarks (weft and seq; the OpenMP/oneTBB peers are host-only):
  # one small repetition each, with their self-checks.
  local b
  for b in bench/bench_seq bench/bench_weft bench/bench_weft_struct; do
    wine build/win64/$b.exe fib 24 2 1 </dev/null >/dev/null 2>&1 || { echo "FAIL $b.exe"; rc=1; }
  done
  for b in bench/graph/graph_seq bench/graph/graph_weft; do
    wine build/win64/$b.exe wavefront 64 2 1 </dev/null >/dev/null 2>&1 || { echo "FAIL $b.exe"; rc=1; }
  done
  wine build/win64/bench/bench_idle.exe 0.2 2 </dev/null >/dev/null 2>&1 || { echo "FAIL bench_idle.exe"; rc=1; }
  [ $rc -eq 0 ] && echo "benchmarks: 6 Windows binaries ran and self-checked"
  wineserver -k >/dev/null 2>&1 || true
  unset WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
  return $rc
}
windows_step || fail=1
echo "(windows step: $((SECONDS - t0)) s)"

step "ThreadSanitizer: concurrency tests"
cmake -S . -B build/tsan -DWEFT_SANITIZE=thread -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/tsan -j"$jobs" >/dev/null
(cd build/tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
   ctest --output-on-failure -L concurrency -j1) || fail=1

step "AddressSanitizer + UndefinedBehaviorSanitizer: full suite"
cmake -S . -B build/asan -DWEFT_SANITIZE=address -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/asan -j"$jobs" >/dev/null
(cd build/asan && ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ctest --output-on-failure -j1) || fail=1

step "libFuzzer: task graphs (fuzz/graph_fuzz.c) 45 s, launched tasks (fuzz/task_fuzz.c) 30 s"
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DWEFT_BUILD_FUZZ=ON -DWEFT_BUILD_TESTS=OFF \
  -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j"$jobs" >/dev/null
# fuzz NAME SECONDS: one bounded libFuzzer run with its own corpus.
fuzz() {
  local name=$1 secs=$2 rc=0
  mkdir -p "build/fuzz/corpus-$name" build/fuzz/artifacts
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "build/fuzz/fuzz/$name" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ "build/fuzz/corpus-$name" \
    >"build/fuzz/$name.log" 2>&1 || rc=$?
  echo "$name:"
  grep -E "^stat::(number_of_executed_units|new_units_added)|check failed|ERROR|SUMMARY" \
    "build/fuzz/$name.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "build/fuzz/$name.log"
    echo "$name failed (exit $rc); the input is in build/fuzz/artifacts/"
    return 1
  fi
}
fuzz graph_fuzz 45 || fail=1
fuzz task_fuzz 30 || fail=1

step "WebAssembly: build js/dist/weft.wasm and weft-test.wasm (clang --target=wasm32), run the Node suite (loops, user C tasks, npm pack + install)"
if bash js/build.sh >/dev/null; then
  (cd js && node --test test/*.test.mjs) || fail=1
else
  echo "js/build.sh failed"
  fail=1
fi

step "TypeScript: js/index.d.ts type-checks against the whole public API (js/test/types, tsc --noEmit)"
if [ -x js/test/types/node_modules/.bin/tsc ]; then
  (cd js/test/types && npx --no-install tsc -p .) || fail=1
else
  echo "js/test/types/node_modules missing (scripts/setup.sh runs npm ci there)"
  fail=1
fi

step "WebAssembly in headless Chromium: js/test/browser (Web Workers, COOP/COEP server, no-isolation fallback)"
t0=$SECONDS
if [ -f js/dist/weft.wasm ]; then
  (cd js/test/browser && timeout 300 node --test --test-timeout=120000 browser.test.mjs) || fail=1
else
  echo "js/dist/weft.wasm missing (the WebAssembly step builds it)"
  fail=1
fi
echo "(browser step: $((SECONDS - t0)) s)"

step "spin: model checks (split deque, sleep/wake, launched tasks)"
bash model/check.sh || fail=1

echo
if [ "$fail" -ne 0 ]; then echo "weft tests: FAILED"; exit 1; fi
echo "weft tests: all passed"
