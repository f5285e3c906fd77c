#!/usr/bin/env bash
# Builds weft three ways and runs every test: the full suite in Release, the
# concurrency tests under ThreadSanitizer, the whole suite under
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included),
# and the spin model check of the deque protocol.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
fail=0
step() { echo; echo "=== $*"; }

step "Release build + full test suite"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j"$jobs" >/dev/null
(cd build/release && ctest --output-on-failure -j1) || fail=1

step "ThreadSanitizer: concurrency tests"
cmake -S . -B build/tsan -DWEFT_SANITIZE=thread -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build/tsan -j"$jobs" >/dev/null
(cd build/tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
   ctest --output-on-failure -L concurrency -j1) || fail=1

step "AddressSanitizer + UndefinedBehaviorSanitizer: full suite"
cmake -S . -B build/asan -DWEFT_SANITIZE=address -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build/asan -j"$jobs" >/dev/null
(cd build/asan && ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ctest --output-on-failure -j1) || fail=1

step "spin: model check of the split deque"
bash model/check.sh || fail=1

echo
if [ "$fail" -ne 0 ]; then echo "weft tests: FAILED"; exit 1; fi
echo "weft tests: all passed"
