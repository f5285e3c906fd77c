/*
 * deque.pml - Promela model of weft's split work-stealing deque.
 *
 * One owner (the worker the deque belongs to) and NT thieves. The owner runs
 * every fork-join program with at most P spawns and nesting depth D (chosen
 * nondeterministically, so spin explores all of them), and while it waits for
 * a stolen frame it may "leapfrog": run one nested task that itself spawns and
 * syncs on the same deque (at the slots above the stolen frame). Thieves loop:
 * steal, run the stolen task in place, mark the frame DONE.
 *
 * Memory model: every shared access is one Promela statement, i.e. the model
 * is sequentially consistent. That matches the C code where it matters: the
 * operations on `ts` that decide who owns a frame are seq_cst RMWs (CAS,
 * fetch_add); the reset is a release store read by the thieves' acquire
 * CAS/load; the owner's private-frame fast path touches no shared word.
 * See docs/DESIGN.md for why SC is enough for the remaining accesses.
 *
 * Owner-private work (computing indices, writing a frame that no thief can
 * reach) is folded into the neighbouring shared step with d_step/atomic; this
 * only removes interleavings of invisible actions.
 *
 * Switches (spin -DNAME):
 *   NT=n           number of thieves (default 2)
 *   P=n, D=n       spawn budget and maximum nesting depth of the owner
 *   LEAP=n         nested spawns the owner may run while it waits (default 1)
 *   MUT_NOCAS      owner pops a shared frame like a private one (plain top--)
 *   MUT_LOADSTORE  owner shrinks with load + plain store instead of CAS
 *   MUT_GROWSTORE  owner grows s with load + plain store instead of fetch_add
 *   MUT_EARLYREAD  thief reads the frame before its CAS (ABA bites)
 *   MUT_NODONE     owner takes the result once thief != 0 instead of == DONE
 *   MUT_THIEFSTALL thief 0 stops for good right after a successful CAS
 *                  (not a protocol bug: the owner then waits forever while
 *                  the other thieves spin, which no assertion or end-state
 *                  check sees; it shows the termination check is not vacuous)
 * Every MUT_* model must make spin report an error; check.sh enforces that.
 */

#ifndef NT
#define NT 2
#endif
#ifndef P
#define P 4
#endif
#ifndef D
#define D 3
#endif
#ifndef LEAP
#define LEAP 1
#endif

#define CAP      (D + 2)          /* frames: D outer + the nested ones      */
#define NTASK    (P + LEAP + 1)   /* task ids 1..P+LEAP (0 = no task)        */

/* ts packs t (low) and s (high) into one word, as the C code packs two
 * 32-bit halves into a uint64_t. K is a power of two larger than CAP. */
#define K        16
#define T(v)     ((v) % K)
#define S(v)     ((v) / K)
#define PACK(t, s) ((s) * K + (t))

#define DONE     15               /* frame.thief: task finished             */
#define SPLITREQ 1                /* signal bits                            */
#define WAKE     2

/* ---------------------------------------------------------- shared state */
byte ts = 0;                      /* t = 0, s = 0                           */
byte signal = 0;                  /* owner's signal word                    */
byte fr_task[CAP];                /* frame payload: which task (fn + args)  */
byte fr_res[CAP];                 /* result the task wrote into its args    */
byte fr_thief[CAP];               /* 0, thief index + 1, or DONE            */

/* ------------------------------------------------------------ ghost state */
byte executed[NTASK];             /* how many times each task ran           */
bool pushed[NTASK];               /* task was spawned                       */
byte top_g = 0;                   /* copy of the owner's top, for asserts   */
bool owner_done = false;
byte thieves_done = 0;

/* Global invariant, checked in every reachable state: t <= s. */
active proctype monitor()
{
end:
  atomic { !(T(ts) <= S(ts)) -> assert(false) }
}

/* Run task `id` on frame `fr` (the executor writes the result in place). */
inline run_task(id, fr)
{
  d_step { executed[id]++; fr_res[fr] = id }
}

/* handle_signal (weft__on_signal): share the older half of the private
 * frames (at least one) with a single seq_cst fetch_add on the s half of ts,
 * then clear the signal (and wake a sleeper if WAKE was set). With nothing
 * private but shared frames present it only clears the signal (and wakes).
 * With nothing to share the bits stay set for a later push/pop. Never called
 * with allstolen_o set. */
inline handle_signal()
{
  if
  :: split_o < top ->
#ifdef MUT_GROWSTORE
     v = ts;
     new_s = split_o + (top - split_o + 1) / 2;
     ts = PACK(T(v), new_s);      /* WRONG: can undo a thief's t+1          */
#else
     d_step {
       new_s = split_o + (top - split_o + 1) / 2;
       ts = ts + (new_s - split_o) * K   /* atomic_fetch_add(ts, d << 32) */
     }
#endif
     split_o = new_s;
     d_step { sig = signal; signal = 0 }  /* exchange(signal, 0)           */
     /* sig & WAKE -> wake_one(): the sleep protocol, see sleep.pml         */
     sig = 0; new_s = 0; v = 0
  :: else ->
     if
     :: T(ts) < S(ts) ->                 /* own relaxed load of ts         */
        d_step { sig = signal; signal = 0 };
        sig = 0
     :: else -> skip                     /* keep the request               */
     fi
  fi
}

/* Owner-visible invariants, checked at the owner's quiescent points. */
inline owner_invariants()
{
  d_step {
    v = ts;
    assert(T(v) <= S(v));
    if
    :: !allstolen_o -> assert(S(v) == split_o && split_o <= top)
    :: else -> assert(T(v) == S(v))
    fi;
    v = 0
  }
}

/* push(task id): plain stores into frames[top], top++; reset if everything
 * was stolen; then service the signal word. */
inline push(id)
{
  d_step {
    pushed[id] = true;
    fr_task[top] = id; fr_res[top] = 0;   /* fn + args, plain stores      */
    mytask[top] = id;
    top++; top_g = top
  };
  if
  :: allstolen_o ->
     /* reset: atomic_store(ts, (top-1, top), release) */
     d_step { ts = PACK(top - 1, top); split_o = top; allstolen_o = false }
  :: else -> skip
  fi;
  if
  :: signal != 0 -> handle_signal()       /* relaxed load of signal        */
  :: else -> skip
  fi;
  owner_invariants()
}

/* First half of sync: decide whether frame f = top-1 is ours. On return
 * either the task ran inline (stolen == false) or the frame was stolen and
 * the caller must wait for it (stolen == true, top still f+1). */
inline pop_begin(f, stolen)
{
  f = top - 1;
  stolen = false;
  if
  :: !allstolen_o && f >= split_o ->
     /* fast path: private frame, no RMW, no fence */
     d_step { top = f; top_g = f };
     if
     :: signal != 0 -> handle_signal()
     :: else -> skip
     fi
  :: else ->
     if
     :: !allstolen_o ->
#ifdef MUT_NOCAS
        skip                            /* WRONG: treat it as private      */
#else
        do
        :: v = ts;                       /* load(ts)                        */
           if
           :: T(v) < S(v) ->
              new_s = T(v) + (S(v) - T(v)) / 2;
#ifdef MUT_LOADSTORE
              ts = PACK(T(v), new_s);    /* WRONG: not a CAS                */
              ok = true;
#else
              atomic {                   /* CAS(ts, v, (t, new_s)) seq_cst  */
                if
                :: ts == v -> ts = PACK(T(v), new_s); ok = true
                :: else -> ok = false
                fi
              }
#endif
              if
              :: ok -> split_o = new_s; ok = false; break
              :: else -> skip            /* a thief moved t: retry          */
              fi
           :: else ->                    /* t == s: every frame stolen      */
              allstolen_o = true; break
           fi
        od;
#endif
        v = 0; new_s = 0
     :: else -> skip
     fi;
     if
     :: allstolen_o -> stolen = true
     :: else ->                          /* shrink won: f is private now   */
        d_step { top = f; top_g = f };
        if
        :: signal != 0 -> handle_signal()
        :: else -> skip
        fi
     fi
  fi;
  if
  :: !stolen ->
     d_step { fr_task[f] = 0 };          /* slot free (ghost: poisons it)  */
     run_task(mytask[f], f)
  :: else -> skip
  fi
}

/* Wait for the thief, take the result, free the slot. */
inline pop_end(f)
{
#ifdef MUT_NODONE
  (fr_thief[f] != 0);                    /* WRONG: not waiting for DONE    */
#else
  (fr_thief[f] == DONE);                 /* acquire load                   */
#endif
  assert(fr_res[f] == mytask[f]);        /* the result is there            */
  assert(executed[mytask[f]] == 1);
  d_step {
    fr_thief[f] = 0; fr_task[f] = 0;
    top = f; top_g = f; allstolen_o = true
  }
}

/* A complete sync with no leapfrogging (used by nested tasks). */
inline pop_simple(f, stolen)
{
  pop_begin(f, stolen);
  if
  :: stolen -> pop_end(f)
  :: else -> skip
  fi;
  assert(executed[mytask[f]] == 1 && fr_res[f] == mytask[f]);
  owner_invariants()
}

active proctype owner()
{
  byte top = 0, split_o = 0, v, new_s, sig, f0, f1, npushed = 0, depth = 0;
  byte nested = 0, i;
  bool allstolen_o = true, ok = false, st0, st1;
  byte mytask[CAP];

  do
  :: depth < D && npushed < P ->           /* spawn */
     npushed++; depth++;
     push(npushed)
  :: depth > 0 ->                          /* sync the most recent spawn */
     depth--;
     pop_begin(f0, st0);
     if
     :: st0 ->
        /* stolen: wait until the thief is known, then leapfrog until DONE.
         * A task run meanwhile may spawn and sync above frame f0. */
        (fr_thief[f0] != 0);
        do
        :: nested < LEAP && fr_thief[f0] != DONE ->
           nested++;
           push(P + nested);
           pop_simple(f1, st1)
        :: true -> break
        od;
        pop_end(f0)
     :: else -> skip
     fi;
     assert(executed[mytask[f0]] == 1 && fr_res[f0] == mytask[f0]);
     owner_invariants()
  :: depth == 0 -> break
  od;
  owner_done = true;
  /* every spawned task ran exactly once, and nothing else ran */
  (thieves_done == NT);
  i = 1;
  do
  :: i < NTASK ->
     assert(executed[i] == (pushed[i] -> 1 : 0));
     i++
  :: else -> break
  od
}

active [NT] proctype thief()
{
  byte me = _pid - 2;                     /* monitor and owner come first */
  byte v, t, task;
  bool ok;

  assert(me < NT);
end:
  do
  :: owner_done -> break
  :: atomic { !owner_done -> v = ts }     /* load(ts) acquire */
     if
     :: T(v) >= S(v) ->
        /* nothing shared: ask for a split. The C code loads signal first
         * and skips the fetch_or if the bit is set; the effect is the same
         * as one fetch_or, so the model does that in one step. */
        signal = signal | SPLITREQ
     :: else ->
#ifdef MUT_EARLYREAD
        task = fr_task[T(v)];             /* WRONG: read before the CAS */
#endif
        atomic {                          /* CAS(ts, v, (t+1, s)) */
          if
          :: ts == v ->
             ts = v + 1; ok = true;
             /* the slot is a live frame of the owner */
             assert(T(v) < top_g)
          :: else -> ok = false
          fi
        }
        if
        :: ok ->
#ifdef MUT_THIEFSTALL
           me != 0;
#endif
           /* read fn + args in place, then announce the thief. The owner
            * cannot touch a frame below t, so these two are one step. */
           d_step {
             t = T(v);
#ifndef MUT_EARLYREAD
             task = fr_task[t];
#endif
             assert(task != 0);
             fr_thief[t] = me + 1
           }
           /* run the task in place, then release-store DONE; the task body
            * is opaque, so running it and publishing DONE is one step */
           d_step { executed[task]++; fr_res[t] = task; fr_thief[t] = DONE }
        :: else -> skip                   /* BUSY */
        fi
     fi;
     d_step { v = 0; t = 0; task = 0; ok = false }
  od;
  thieves_done++
}

/* Termination (checked with -a -f, weak fairness): the owner always
 * finishes its program, so the owner never waits forever for a frame that
 * no thief holds. Compile with -DNOCLAIM for the safety run. */
ltl finishes { <> owner_done }
