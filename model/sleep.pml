/*
 * sleep.pml - Promela model of weft's sleep/wake protocol (docs/DESIGN.md,
 * "Sleep and wake").
 *
 * What is modelled
 *   - the pool word  sleepw = seq * CNT + sleepers  (S1..S4, wake_one)
 *   - the futex: futex_wait(&sleepw, v) compares and enqueues atomically;
 *     futex_wake(&sleepw, 1) dequeues one waiter (any one) if there is one
 *   - each worker's signal word (WAKE bit; SPLITREQ plays no role here)
 *   - each worker's deque, abstracted to the number of shared frames (s - t)
 *     and the owner's count of private frames; a steal is one CAS that takes
 *     a shared frame (the index-level protocol is verified in deque.pml)
 *   - the injector (root jobs) and external publishers
 *   - x86-TSO for the one plain store in the protocol, the owner's reset of
 *     ts (a release store): it may sit in the owner's store buffer while the
 *     owner's later loads run; locked RMWs drain the buffer first. Every
 *     other access is an RMW or a load, which TSO keeps in order.
 *
 * Tasks
 *   Every task a worker runs (a stolen frame, a root job) is a long leaf: it
 *   never returns. That is the adversarial case for waking: a busy worker
 *   will not come back to help, so stealable work is taken only if some
 *   idle worker is awake or gets woken.
 *
 * Property (checked by a `timeout' monitor, i.e. in every state where no
 * process can move): no worker is asleep in futex_wait while there is
 * stealable work (a root job in the injector or a shared frame in a deque).
 * Private frames are not stealable: by design a busy owner shares them only
 * at its next push/pop.
 *
 * Scenarios (-D):
 *   SCEN_JOIN   (default) worker 0 runs  spawn(a); long_leaf_b()
 *   SCEN_FLAT   worker 0 spawns NP frames, then runs a long leaf; W = 4
 *   SCEN_INJECT E outside threads each submit one root job; a worker that
 *               takes a batch spawns all jobs but the first into its deque
 *
 * Protocol variants (-D). The default is the protocol of docs/DESIGN.md,
 * which must verify. The first three switches each restore one weakness
 * of the protocol as first written (and of src/ at the time of writing);
 * each must FAIL, which is how check.sh documents them:
 *   RELEASE_RESET   reset is a release store followed by a relaxed load of
 *                   signal (the store can sit in the store buffer while the
 *                   load runs: the Dekker pair with a sleeper's S2/S3 breaks)
 *   BRIEF_ONSIGNAL  on_signal wakes only when it grew: a frame shared by a
 *                   reset never wakes anyone
 *   NO_STEAL_WAKE   a thief that leaves shared frames behind does not call
 *                   wake_one: one WAKE round wakes one sleeper, however many
 *                   frames the owner shared
 * Mutants of the core protocol (must fail):
 *   MUT_NOS3        sleeper skips the final check (must fail)
 *   MUT_NOBUMP      wake_one does not bump the sequence (must fail)
 *   MUT_LOADFIRST   publisher loads sleepw before its publishing RMW
 *                   (must fail)
 */

#define MAXW   4
#ifndef W
#ifdef SCEN_FLAT
#define W      4
#else
#define W      3
#endif
#endif
#ifndef E
#define E      2                  /* publishers (SCEN_INJECT)               */
#endif
#ifndef NP
#define NP     4                  /* spawns of worker 0 (SCEN_FLAT)         */
#endif

/* Deques that can ever hold frames: only worker 0 spawns, except in
 * SCEN_INJECT where any worker may take a batch. Loading a deque that is
 * always empty changes nothing, so S3 skips those. */
#ifdef SCEN_INJECT
#define NDEQ   W
#else
#define NDEQ   1
#endif

#define CNT    16                 /* sleepw = seq * CNT + sleepers; byte
                                   * arithmetic wraps seq mod 16 like the C
                                   * code's 20-bit field wraps             */
#define WAKE   2
#define NONE   0                  /* empty store buffer (a reset stores 1)  */
#define PUBIDX MAXW               /* "worker index" of outside threads      */

byte sleepw = 0;
bool waiting[MAXW];               /* queued in futex_wait on sleepw         */
byte signal[MAXW];
byte shared[MAXW];                /* s - t in memory                        */
byte sb[MAXW + 1];                /* pending reset store (value) or NONE    */
byte injector = 0;                /* root jobs queued                       */
bool busy[MAXW];                  /* ghost: running a long leaf             */

#define SHARED_SEEN(v) (shared[v] > 0)
#define OWN_SHARED(me) (sb[me] != NONE -> sb[me] : shared[me])
#define DRAINED(me)    (sb[me] == NONE)

#define ANY_WAITING  (waiting[0] || waiting[1] || waiting[2] || waiting[3])
#define ANY_WORK     (injector > 0 || shared[0] > 0 || shared[1] > 0 || \
                      shared[2] > 0 || shared[3] > 0)

/* In every quiescent state: nobody sleeps while work is stealable. */
active proctype monitor()
{
  atomic { timeout -> assert(!(ANY_WAITING && ANY_WORK)) }
}

/* x86-TSO: a buffered store reaches memory at some later time. */
active proctype tso()
{
end:
  do
  :: d_step { sb[0] != NONE -> shared[0] = sb[0]; sb[0] = NONE }
  :: d_step { sb[1] != NONE -> shared[1] = sb[1]; sb[1] = NONE }
  :: d_step { sb[2] != NONE -> shared[2] = sb[2]; sb[2] = NONE }
  :: d_step { sb[3] != NONE -> shared[3] = sb[3]; sb[3] = NONE }
  od
}

/* futex_wake(&sleepw, 1): wake one queued waiter, any one, if any. */
inline futex_wake1()
{
  atomic {
    if
    :: waiting[0] -> waiting[0] = false
    :: waiting[1] -> waiting[1] = false
    :: waiting[2] -> waiting[2] = false
    :: waiting[3] -> waiting[3] = false
    :: else -> skip
    fi
  }
}

/* wake_one: one seq_cst load; if there are sleepers, bump seq and wake. */
inline wake_one(me)
{
  wv = sleepw;                    /* seq_cst load (may pass a buffered store) */
  if
  :: (wv % CNT) != 0 ->
#ifndef MUT_NOBUMP
     atomic { DRAINED(me) -> sleepw = sleepw + CNT };   /* fetch_add seq */
#endif
     futex_wake1()
  :: else -> skip
  fi;
  wv = 0
}

/* The owner's signal handler (weft__on_signal). */
inline on_signal(me)
{
  if
  :: allst -> skip                 /* nothing to share: keep the request    */
  :: else ->
     if
     :: priv > 0 ->                /* grow: fetch_add on ts (drains buffer) */
        atomic { DRAINED(me) -> k = (priv + 1) / 2; shared[me] = shared[me] + k };
        priv = priv - k; k = 0;
        go = true
     :: else ->
#ifdef BRIEF_ONSIGNAL
        go = false
#else
        go = (OWN_SHARED(me) > 0)  /* own relaxed load of ts                */
#endif
     fi;
     if
     :: go ->
        atomic { DRAINED(me) -> sig = signal[me]; signal[me] = 0 };  /* exchange */
        if
        :: (sig & WAKE) != 0 -> wake_one(me)
        :: else -> skip
        fi;
        sig = 0; go = false
     :: else -> skip
     fi
  fi
}

/* push (spawn) on worker me's deque. */
inline push(me)
{
  if
  :: allst ->
#ifndef RELEASE_RESET
     atomic { DRAINED(me) -> shared[me] = 1 };   /* seq_cst store: xchg     */
#else
     sb[me] = 1;                   /* release store: into the store buffer  */
#endif
     allst = false
  :: else -> priv++
  fi;
  if
  :: signal[me] != 0 -> on_signal(me)   /* load of own signal (seq_cst
                                          * after a reset, else relaxed)   */
  :: else -> skip
  fi
}

/* Run a long leaf: this worker never comes back (label end_busy is at
 * the end of proctype worker). */
inline long_leaf(me)
{
  busy[me] = true;
  goto end_busy
}

/* Try to take a frame from victim v by CAS; on success run it. */
inline try_steal(me, v)
{
  atomic {
    v < W && v != me && shared[v] > 0 ->
    left = shared[v] - 1; shared[v]--
  };
#ifndef NO_STEAL_WAKE
  if
  :: left > 0 -> wake_one(me)     /* more shared frames: pass the wake on */
  :: else -> skip
  fi;
#endif
  long_leaf(me)
}

/* An idle worker: look for work; when none is seen, sleep (S1..S4). */
inline idle(me)
{
end_idle:
  do
  :: atomic { injector > 0 -> nb = injector; injector = 0 } ->   /* exchange */
     /* spawn all but the first job, then run the first */
     do
     :: nb > 1 -> nb--; push(me)
     :: else -> break
     od;
     long_leaf(me)
  :: try_steal(me, 0)
  :: try_steal(me, 1)
  :: try_steal(me, 2)
  :: try_steal(me, 3)
  :: true ->                                   /* spin rounds used up */
     /* S1 */
     d_step { seq0 = sleepw / CNT; sleepw++ };
     /* S2: ask every other worker to share and to wake one */
     v = 0;
     do
     :: v < W && v != me ->
        /* C: if (!(load(signal) & WAKE)) fetch_or(signal, WAKE). Under SC
         * that is one fetch_or (or-ing a set bit changes nothing). */
        signal[v] = signal[v] | WAKE;
        v++
     :: v < W && v == me -> v++
     :: v >= W -> break
     od;
     /* S3: final look, seq_cst loads one at a time */
     found = false;
#ifndef MUT_NOS3
#ifdef SCEN_INJECT
     found = (injector > 0);
#endif
     v = 0;
     do
     :: !found && v < NDEQ -> found = SHARED_SEEN(v); v++
     :: else -> break
     od;
#endif
     if
     :: !found ->
        /* S4 */
        now = sleepw;
        if
        :: now / CNT == seq0 ->
           atomic {                 /* futex_wait(&sleepw, now) */
             if
             :: sleepw == now -> waiting[me] = true
             :: else -> skip
             fi
           };
end_wait:  (!waiting[me])
        :: else -> skip
        fi
     :: else -> skip
     fi;
     atomic { DRAINED(me) -> sleepw-- };      /* fetch_sub */
     d_step { v = 0; found = false; now = 0; seq0 = 0 }
  od
}

proctype worker(byte me; bool root)
{
  bool allst = true, go = false, found = false;
  byte priv = 0, k = 0, sig = 0, wv = 0, nb = 0, v = 0, left = 0;
  byte seq0 = 0, now = 0, i = 0;

  if
  :: root ->
#ifdef SCEN_FLAT
     i = 0;
     do
     :: i < NP -> push(me); i++
     :: else -> break
     od;
#else
     push(me);                     /* spawn(a) */
#endif
     long_leaf(me)                 /* b, which never syncs in time */
  :: else -> idle(me)
  fi;
end_busy:
  false
}

proctype publisher()
{
  byte wv = 0;
#ifdef MUT_LOADFIRST
  byte old = sleepw;
  atomic { injector++ };
  if
  :: (old % CNT) != 0 ->
     atomic { sleepw = sleepw + CNT };
     futex_wake1()
  :: else -> skip
  fi
#else
  atomic { injector++ };           /* CAS onto the Treiber stack */
  wake_one(PUBIDX)
#endif
}

init
{
  byte j;
  atomic {
#ifdef SCEN_INJECT
    j = 0;
    do
    :: j < W -> run worker(j, false); j++
    :: else -> break
    od;
    j = 0;
    do
    :: j < E -> run publisher(); j++
    :: else -> break
    od
#else
    run worker(0, true);
    j = 1;
    do
    :: j < W -> run worker(j, false); j++
    :: else -> break
    od
#endif
  }
}
