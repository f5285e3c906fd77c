#!/usr/bin/env bash
# model/check.sh - model-check weft's deque, sleep and launched-task
# protocols with spin.
#
#   model/check.sh          the standard checks (about a minute)
#   model/check.sh --deep   also the larger configurations (several minutes,
#                           a few GB of memory)
#   model/check.sh --quick  only the two-thief deque and its mutants
#   model/check.sh --task   only the launched-task model (task.pml)
#
# Every "good" model must verify with 0 errors over its whole state space;
# every mutant (a deliberately broken protocol) must make spin report an
# error, so the check cannot pass by checking nothing. Exit status 0 only if
# every expectation holds; otherwise the failing lines are printed with the
# tail of spin's output, and the status is 1.
#
# Needs spin (Debian: apt-get install spin) and a C compiler ($CC, default
# gcc). Works in a temporary directory; the source tree is not touched.
# Runs up to $MODEL_JOBS checks at once (default: the number of CPUs, at
# most 4; the --deep configurations one at a time, they need GBs); the
# results print in order.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
MODE=${1:-std}
case "$MODE" in
  std | --deep | --quick | --task) ;;
  *) echo "usage: $0 [--deep|--quick|--task]" >&2; exit 2 ;;
esac

if ! command -v "$SPIN" >/dev/null 2>&1; then
  echo "check.sh: FAIL: spin not found (apt-get install spin)" >&2
  exit 1
fi
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "check.sh: FAIL: C compiler '$CC' not found" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/weft-model.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

failures=0
n=0     # results (checks and headings) started
shown=0 # results printed
JOBS=${MODEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
case "$JOBS" in '' | *[!0-9]* | 0) JOBS=1 ;; esac
if [ -z "${MODEL_JOBS:-}" ] && [ "$JOBS" -gt 4 ]; then JOBS=4; fi

# Prints the finished results in order, up to the first unfinished one.
flush() {
  while [ "$shown" -lt "$n" ] && [ -e "$WORK/$((shown + 1))/done" ]; do
    shown=$((shown + 1))
    cat "$WORK/$shown/out"
    if [ -e "$WORK/$shown/failed" ]; then failures=$((failures + 1)); fi
  done
}

# Waits until fewer than $1 checks run.
throttle() {
  while [ "$(jobs -rp | wc -l)" -ge "$1" ]; do
    wait -n
    flush
  done
}

# A heading, printed in order with the results.
heading() {
  local dir="$WORK/$((n += 1))"
  mkdir -p "$dir"
  echo "$1" >"$dir/out"
  touch "$dir/done"
  flush
}

# check NAME EXPECT MODEL "SPIN_DEFINES" "PAN_CFLAGS" "PAN_ARGS"
#   EXPECT: pass (0 errors, complete search), fail (a mutant: spin must
#           report an error) or issue (a documented weakness of the protocol
#           as first written, or of src/ as it stands: spin must still find
#           it, see docs/DESIGN.md and docs/TASKS.md)
check() {
  local dir="$WORK/$((n += 1))"
  mkdir -p "$dir"
  throttle "$JOBS"
  run_check "$dir" "$@" >"$dir/out" 2>&1 &
  flush
}

run_check() {
  local dir=$1 name=$2 expect=$3 model=$4 defs=$5 cflags=$6 args=$7
  cp "$HERE/$model" "$dir/"
  local log="$dir/log" t0 t1 verdict detail
  t0=$(date +%s.%N)
  (
    cd "$dir" &&
      # shellcheck disable=SC2086
      "$SPIN" -a $defs "$model" >"$dir/spin.out" 2>&1 &&
      # shellcheck disable=SC2086
      "$CC" -w -O2 $cflags -o pan pan.c >"$dir/cc.out" 2>&1 &&
      # shellcheck disable=SC2086
      ./pan $args >"$log" 2>&1
  )
  local rc=$?
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

  local errors states
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$log" 2>/dev/null | tail -1)
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$log" 2>/dev/null | tail -1)
  detail=""
  if [ ! -s "$log" ] || [ -z "$errors" ]; then
    verdict=BROKEN # spin or the compiler failed, or pan died
    detail="(no verification result; rc=$rc)"
  elif grep -q -e "max search depth too small" -e "out of memory" \
    -e "hash table is full" "$log"; then
    verdict=INCOMPLETE
    detail="(search not exhaustive)"
  elif [ "$errors" = 0 ]; then
    verdict=pass
  else
    verdict=fail
    detail=$(grep -m1 -E "^pan:[0-9]*:|acceptance cycle|invalid end state" "$log" | cut -c1-90)
  fi

  local ok=no want=$expect
  if [ "$expect" = issue ]; then want=fail; fi
  if [ "$verdict" = "$want" ]; then ok=yes; fi
  if [ "$ok" = yes ]; then
    if [ "$expect" = pass ]; then
      printf 'ok    %-44s 0 errors, %s states, %ss\n' "$name" "${states:-?}" "$secs"
    elif [ "$expect" = issue ]; then
      printf 'ok    %-44s reproduced (%ss)\n' "$name" "$secs"
    else
      printf 'ok    %-44s caught: %s (%ss)\n' "$name" "$detail" "$secs"
    fi
  else
    touch "$dir/failed"
    printf 'FAIL  %-44s expected %s, got %s %s\n' "$name" "$expect" "$verdict" "$detail"
    for f in "$dir/spin.out" "$dir/cc.out" "$log"; do
      [ -s "$f" ] && { echo "  --- ${f##*/}"; tail -20 "$f" | sed 's/^/  | /'; }
    done
  fi
  touch "$dir/done"
}

SAFE="-DSAFETY -DNOCLAIM -DCOLLAPSE"
LIVE="-DCOLLAPSE -DNFAIR=3"
PARGS="-m1000000 -w24"

if [ "$MODE" != --task ]; then
  heading "== deque.pml: 1 owner, 2 thieves, every fork-join program with <= 4 spawns, depth <= 3"
  check "deque safety (NT=2)" pass deque.pml "" "$SAFE" "$PARGS"
  check "deque termination, weak fairness (NT=2, P=3)" pass deque.pml "-DP=3" "$LIVE" "$PARGS -a -f"
  for m in MUT_NOCAS MUT_LOADSTORE MUT_GROWSTORE MUT_EARLYREAD MUT_NODONE; do
    check "deque mutant $m" fail deque.pml "-D$m" "$SAFE" "$PARGS"
  done
  check "deque mutant MUT_THIEFSTALL (safety blind)" pass deque.pml "-DMUT_THIEFSTALL" "$SAFE" "$PARGS"
  check "deque mutant MUT_THIEFSTALL (termination)" fail deque.pml "-DP=3 -DMUT_THIEFSTALL" "$LIVE" "$PARGS -a -f"

  if [ "$MODE" != --quick ]; then
    heading "== deque.pml: 1 owner, 3 thieves, every fork-join program with <= 3 spawns"
    check "deque safety (NT=3, P=3)" pass deque.pml "-DNT=3 -DP=3" "$SAFE" "$PARGS"
    check "deque mutant MUT_NOCAS (NT=3)" fail deque.pml "-DNT=3 -DP=3 -DMUT_NOCAS" "$SAFE" "$PARGS"

    heading "== sleep.pml: no worker sleeps while stealable work exists"
    check "sleep join: spawn(a); long b (W=3)" pass sleep.pml "" "$SAFE" "$PARGS"
    check "sleep injector: 2 root jobs (W=3)" pass sleep.pml "-DSCEN_INJECT" "$SAFE" "$PARGS"
    check "sleep injector, 1 job, protocol as first written" pass sleep.pml \
      "-DSCEN_INJECT -DE=1 -DRELEASE_RESET -DNO_STEAL_WAKE" "$SAFE" "$PARGS"
    for m in MUT_NOS3 MUT_NOBUMP; do
      check "sleep mutant $m (join)" fail sleep.pml "-D$m" "$SAFE" "$PARGS"
      check "sleep mutant $m (injector)" fail sleep.pml "-DSCEN_INJECT -D$m" "$SAFE" "$PARGS"
    done
    check "sleep mutant MUT_LOADFIRST (injector)" fail sleep.pml "-DSCEN_INJECT -DMUT_LOADFIRST" "$SAFE" "$PARGS"
    heading "== sleep.pml: weaknesses of the protocol as first written (must reproduce)"
    check "issue RELEASE_RESET (join, x86-TSO)" issue sleep.pml "-DRELEASE_RESET" "$SAFE" "$PARGS"
    check "issue BRIEF_ONSIGNAL (join)" issue sleep.pml "-DBRIEF_ONSIGNAL" "$SAFE" "$PARGS"
    check "issue RELEASE_RESET (injector batch)" issue sleep.pml "-DSCEN_INJECT -DRELEASE_RESET" "$SAFE" "$PARGS"
    check "issue NO_STEAL_WAKE (flat spawns, W=4)" issue sleep.pml "-DSCEN_FLAT -DNO_STEAL_WAKE" "$SAFE" "$PARGS"
  fi
fi

if [ "$MODE" != --quick ]; then
  heading "== task.pml: launched tasks (src/task.c): lost successors, stale handles, the claim"
  # Small state spaces compile pan at -O0 (the compile dominates there)
  # with a smaller hash table (its allocation does too).
  FAST="$SAFE -O0"
  SARGS="-m1000000 -w20"
  check "task lost successor (SCEN_LINK, STRICT)" pass task.pml "-DSTRICT" "$FAST" "$PARGS"
  check "task lost successor, one launcher (LINK_ONE)" pass task.pml "-DSTRICT -DLINK_ONE" "$FAST" "$SARGS"
  check "task claim (dispatcher, waiter, cancel)" pass task.pml "-DSCEN_CLAIM" "$FAST" "$PARGS"
  check "task help by a stale index (SCEN_HELP)" pass task.pml "-DSCEN_HELP" "$FAST" "$SARGS"
  check "task help, S canceled (HELP_CANCEL)" pass task.pml "-DSCEN_HELP -DHELP_CANCEL" "$FAST" "$SARGS"
  check "task handle reuse (any stale op)" pass task.pml "-DSCEN_STALE" "$FAST" "$SARGS"
  check "task handle reuse, STRICT (any stale op)" pass task.pml "-DSCEN_STALE -DSTRICT" "$FAST" "$SARGS"
  check "task stale wait (returns)" pass task.pml "-DSCEN_STALE -DSTALE_OP=5" "$FAST" "$SARGS"
  check "task stale wait, STRICT (own outcome)" pass task.pml "-DSCEN_STALE -DSTRICT -DSTALE_OP=5" "$FAST" "$SARGS"
  # Safety blind: with the generation in every read, the WAITER CAS alone
  # brings the waiter back; the 100 ms timeout is a second line.
  check "task mutant MUT_WAITUNTIMED (not needed)" pass task.pml "-DSCEN_STALE -DSTALE_OP=5 -DMUT_WAITUNTIMED" "$FAST" "$SARGS"
  check "task mutant MUT_WAITUNTIMED+NOWAITER" fail task.pml "-DSCEN_STALE -DSTALE_OP=5 -DMUT_WAITUNTIMED -DMUT_WAITNOWAITER" "$FAST" "$SARGS"
  for m in MUT_SEALSTORE MUT_SEALAFTER MUT_LATENEXT MUT_UNPENDPLUS1 MUT_UNPENDRLXLOAD \
    MUT_LATETOUCH MUT_COUNTSEALED MUT_SKIPLIVE MUT_LOOKRLX; do
    check "task mutant $m" fail task.pml "-D$m" "$FAST" "$SARGS"
  done
  for m in MUT_LINKNOGEN MUT_NOBUMP; do
    check "task mutant $m" fail task.pml "-DSCEN_STALE -D$m" "$FAST" "$SARGS"
  done
  check "task mutant MUT_EARLYSCHED" fail task.pml "-DSCEN_CLAIM -DMUT_EARLYSCHED" "$FAST" "$SARGS"
  # The holders in head beside the seal (fd32407): who frees, and when.
  check "task mutant MUT_LASTLOAD (double free)" fail task.pml "-DSCEN_STALE -DMUT_LASTLOAD" "$FAST" "$SARGS"
  check "task mutant MUT_LASTOLD (leak)" fail task.pml "-DMUT_LASTOLD" "$FAST" "$SARGS"
  check "task mutant MUT_DROPNOSEAL (free unsealed)" fail task.pml "-DSCEN_HELP -DMUT_DROPNOSEAL" "$FAST" "$SARGS"
  check "task mutant MUT_LATEREAD (read after seal)" fail task.pml "-DSCEN_STALE -DMUT_LATEREAD" "$FAST" "$SARGS"
  check "task mutant MUT_STATEFIRST" fail task.pml "-DSCEN_HELP -DHELP_CANCEL -DMUT_STATEFIRST" "$FAST" "$SARGS"
  heading "== task.pml: src/task.c at fd32407 (create's store of head relaxed: a successor runs with no edge from its prerequisite)"
  # The trail: L2 launches S2 after P1 and finds P1 running (counted); P1
  # completes, its handle is released and free_rec stores head (gen + 1),
  # a release; L1's launch takes that record and stores its head relaxed;
  # L2's link CAS fails, reads L1's head (another generation: P1 completed)
  # and keeps the unit, so S2 is ready and the dispatcher runs it. L2's
  # acquire read L1's relaxed store, which ends free_rec's release sequence:
  # no edge from P1's completion to S2's body (P4). 0c79fd4 makes it a
  # release (L1 took the record through the free list: it knows P1's
  # completion). Fails without STRICT too; LINK_ONE verifies (no reuse by
  # another launcher).
  check "issue HEAD_RELAXED (link: reused prerequisite)" issue task.pml "-DSTRICT -DHEAD_RELAXED" "$FAST" "$SARGS"
  heading "== task.pml: src/task.c at 0fc3c04 (unpend's store of 0 relaxed: a helper runs a task its prerequisites do not happen before)"
  check "issue UNPEND_RELAXED (claim: launcher's owe)" issue task.pml "-DSCEN_CLAIM -DUNPEND_RELAXED" "$FAST" "$SARGS"
  check "issue UNPEND_RELAXED (help: completer's walk)" issue task.pml "-DSCEN_HELP -DUNPEND_RELAXED" "$FAST" "$SARGS"
  heading "== task.pml: src/task.c before 63dcdc6 (no generation in state or in the holders' word: must fail)"
  check "task mutant MUT_CLAIMNOGEN (help)" fail task.pml "-DSCEN_HELP -DMUT_CLAIMNOGEN" "$FAST" "$SARGS"
  check "task mutant MUT_RELEASENOGEN (STRICT)" fail task.pml "-DSCEN_STALE -DSTRICT -DSTALE_OP=2 -DMUT_RELEASENOGEN" "$FAST" "$SARGS"
  check "task mutant MUT_STATUSNOGEN (STRICT)" fail task.pml "-DSCEN_STALE -DSTRICT -DSTALE_OP=1 -DMUT_STATUSNOGEN" "$FAST" "$SARGS"
  check "task mutant MUT_LINKNORECHECK (STRICT)" fail task.pml "-DSCEN_STALE -DSTRICT -DSTALE_OP=3 -DMUT_LINKNORECHECK" "$FAST" "$SARGS"
  check "task mutant MUT_RESULTNORECHECK (STRICT)" fail task.pml "-DSCEN_STALE -DSTRICT -DSTALE_OP=4 -DMUT_RESULTNORECHECK" "$FAST" "$SARGS"
  heading "== task.pml: weft_task_wait before bb3c535 (no generation in its reads: must fail)"
  check "task mutant MUT_WAITNOGEN (never returns)" fail task.pml "-DSCEN_STALE -DSTALE_OP=5 -DMUT_WAITNOGEN" "$FAST" "$SARGS"
  check "task mutant MUT_WAITNOGEN (STRICT)" fail task.pml "-DSCEN_STALE -DSTRICT -DSTALE_OP=5 -DMUT_WAITNOGEN" "$FAST" "$SARGS"
  check "task mutant MUT_WAITNOGEN+UNTIMED (old)" fail task.pml "-DSCEN_STALE -DSTALE_OP=5 -DMUT_WAITNOGEN -DMUT_WAITUNTIMED" "$FAST" "$SARGS"
fi

if [ "$MODE" = --deep ]; then
  JOBS=1 # GBs each
  throttle 1
  heading "== deep configurations"
  check "deque safety (NT=3, P=4)" pass deque.pml "-DNT=3" "$SAFE" "-m2000000 -w28"
  check "deque safety (NT=2, P=5, D=4, LEAP=2)" pass deque.pml "-DP=5 -DD=4 -DLEAP=2" "$SAFE" "-m2000000 -w28"
  check "sleep flat spawns (W=4, NP=4)" pass sleep.pml "-DSCEN_FLAT" "$SAFE" "-m2000000 -w27"
  check "task lost successor, both released (LINK_ALL)" pass task.pml "-DSTRICT -DLINK_ALL" "$SAFE" "$PARGS"
fi

wait
flush
if [ "$failures" -ne 0 ]; then
  echo "check.sh: FAILED: $failures expectation(s) not met" >&2
  exit 1
fi
echo "check.sh: all expectations met"
