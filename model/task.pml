/*
 * task.pml - Promela model of weft's launched-task protocol (src/task.c).
 *
 * What is modelled, at the granularity of the C code's atomic operations
 * (one Promela step per atomic access; plain accesses to a record's own
 * private fields are folded into the neighbouring step):
 *   - head   = gen * HG + SEALED + links: the generation, the seal and the
 *              waiter list of a record, one word as in the C code (the
 *              WAITER bit of an outside waiter is left out: it only makes
 *              a link CAS retry)
 *   - pending, state, refs (R_SCHED | R_DONE | R_USER), next[slot]
 *   - create() with the launch guard, link_after() (CAS that carries the
 *     generation; SEALED or another generation: counted as completed),
 *     finish() (exchange of the head for gen|SEALED, then the walk that
 *     reads each successor's next link before its decrement), exec() (the
 *     claim NEW -> RUNNING), cancel_rec(), weft_task_release() (fetch_and
 *     of R_USER), weft_task_status(), drop() (with its no-RMW fast path),
 *     free_rec() (generation bump, then the free list through next[0]),
 *     make_ready() (the shared ready stack through next[0]) and the
 *     dispatcher's loop (take the whole stack, read next[0], exec).
 *   - Memory model: sequentially consistent (every shared access is one
 *     step). The acquire/release pairs that make SC sound for this protocol
 *     are argued in docs/TASKS.md.
 *
 * Ghost state names each incarnation of a record (a task id T): its
 * prerequisites, whether it completed (set at the seal), became ready,
 * was claimed, was freed; how many links to a record are still unwalked
 * (inlist) and whether it sits on a ready queue (inq).
 *
 * Properties (assertions; plus a `timeout' checker for the final state):
 *   P1 a task becomes ready exactly once, and only after every prerequisite
 *      completed (asserted at the decrement that reaches 0); pending never
 *      underflows; a task is claimed to run only once it is ready, and is
 *      claimed at most once (dispatcher, inline waiter and cancel race);
 *      at the end every launched task was readied (or canceled), ran at
 *      most once, and every record was freed with no holder bit left.
 *   P2 a link CAS only lands in the incarnation it names, before it
 *      completed; a record is freed only after it completed, never twice,
 *      never while a holder bit is set, a link to it is unwalked or it is
 *      on a ready queue.
 *   P3 the claim is won once; cancel of a task that is not ready completes
 *      it at once (its successor is readied) and the scheduler's bit stays
 *      until the record leaves the ready queue.
 *
 * Scenarios (-D):
 *   SCEN_LINK  (default) events P1, P2 triggered by two threads (which then
 *              release their handles); launcher L1 launches S1 after P1, P2
 *              and launcher L2 launches S2 after P1, concurrently; one
 *              dispatcher. The lost-successor race.
 *   SCEN_STALE task X (handle H, released by its owner at any time) runs
 *              and is recycled; a reuser launches Y after event E into the
 *              freed record; a stale thread uses a copy of H (status,
 *              release, or a launch of S after H) at any time after the
 *              owner's release. Handle reuse.
 *   SCEN_CLAIM S after event P (handle held by its owner), S2 after S; the
 *              dispatcher, an inline waiter (help at the waited record) and
 *              weft_task_cancel race for S. The claim.
 *   SCEN_HELP  a waiter waits on W (after S) and helps S by the index in
 *              W's prereq slot, as help() recurses; S runs, is recycled and
 *              reused by Y (after event E) meanwhile.
 *
 * Checks that are stricter than the C code as written (must FAIL; they
 * document weaknesses, see docs/TASKS.md):
 *   STRICT     in SCEN_STALE: a stale status, a stale release and the read
 *              of a sealed prerequisite's outcome in link_after never touch
 *              the record's next incarnation (lookup() checks the generation
 *              and then reads/changes the record: a recycle in between is
 *              not seen)
 *   SCEN_HELP  (as such) help() claims by index after loading state and
 *              pending: a recycle in between lets it claim a reincarnated
 *              task that is not ready.
 * Fixes for those (must verify):
 *   FIX_RECHECK  status and link_after reload the generation after their
 *                read and discard it if it moved; release clears R_USER
 *                with a CAS on a refs word that carries the generation
 *   FIX_READY    make_ready moves state NEW -> READY (CAS) before it
 *                queues the task; the dispatcher and help claim READY ->
 *                RUNNING, cancel claims NEW or READY
 *
 * Mutants (each must make spin report an error; check.sh enforces it):
 *   MUT_SEALSTORE  the completer seals with load + plain store, not exchange
 *   MUT_SEALAFTER  the completer walks the list it loaded, then seals
 *   MUT_NOGUARD    pending = n, no final subtraction by the launcher
 *   MUT_NOGUARD_SUB pending = n, and the final subtraction is only of the
 *                  prerequisites found completed (the guard's 1 left out)
 *   MUT_LINKNOGEN  the link CAS compares the seal and links, not the
 *                  generation
 *   MUT_LATENEXT   the completer reads the successor's next link after its
 *                  decrement
 *   MUT_NOBUMP     free_rec does not bump the generation
 *   MUT_EARLYSCHED cancel drops the scheduler's bit with completion's
 */

#ifndef SLOTS
#define SLOTS 2
#endif
#define NR 5                      /* records 1..NR-1 (0 = none)             */
#define NT 6                      /* task ids 1..NT-1 (0 = none)            */

#define HG      128               /* head = gen * HG + SEALED + links       */
#define SEALED  64
#define LINKS(h)    ((h) % SEALED)
#define GEN(h)      ((h) / HG)
#define ISSEALED(h) (((h) / SEALED) % 2 == 1)
#define LINK(i, j)  ((i) * SLOTS + (j) + 1)

#define R_SCHED 1
#define R_DONE  2
#define R_USER  4

#define T_NEW      0
#define T_RUNNING  1
#define T_DONE     2
#define T_CANCELED 4
#define T_FREE     5
#define T_READY    6              /* FIX_READY only */
#define FINAL(s)   ((s) == T_DONE || (s) == T_CANCELED)

#define RC_OK     0
#define RC_STALE  1

#define K_TASK  0
#define K_EVENT 1

/* ---------------------------------------------------------- shared state */
int  head[NR];
byte pending[NR];
byte state[NR];
byte refs[NR];
byte kind[NR];
byte prereq[NR * SLOTS];          /* record indices, read by help()         */
byte nxt[NR * SLOTS];             /* next[slot]: waiter links; next[0] also
                                     links ready and free lists             */
#ifdef FIX_RECHECK
int  rgen[NR];                    /* the generation refs carries            */
#endif
byte ready = 0;                   /* the shared ready stack (lt_ready)      */
byte freel = 0;                   /* the free list                          */

/* ------------------------------------------------------------ ghost state */
byte rtid[NR];                    /* incarnation (task id) in each record   */
byte gref[NR];                    /* holder bits as the logic sees them     */
byte inlist[NR];                  /* links to the record not yet walked     */
bool inq[NR];                     /* queued, or taken and not yet exec'd    */
byte tpre[NT * SLOTS];            /* prerequisites of each task (task ids)  */
bool tdone[NT];                   /* completed (set at the seal)            */
bool tready[NT];                  /* pending reached 0                      */
bool tclaim[NT];                  /* state NEW -> RUNNING won               */
bool trun[NT];                    /* the body ran                           */
bool tfreed[NT];
bool tlaunched[NT];
bool tevent[NT];
bool tcanceled[NT];
byte ntid = 1;
byte nfinished = 0;               /* processes (other than the dispatcher)
                                     that reached their end                 */

#define LOCALS \
  byte i, j, k, v, st, done, T, T2, all, cur, lkrec, wt, wj, wl, hi; \
  int h, old, g; \
  bool z, won, lk, ok, rdok; \
  byte pr[SLOTS], ptid[SLOTS]; int pg[SLOTS]

/* ------------------------------------------------------------- records */

/* A free record (alloc_rec): the worker's list or the pool's, one step. */
inline alloc(i)
{
  atomic { freel != 0 -> i = freel; freel = nxt[i * SLOTS]; nxt[i * SLOTS] = 0 }
}

/* free_rec: the generation moves first (state FREE, then head), then the
 * record goes onto the free list through next[0]. */
inline free_rec(i)
{
  d_step {
    T2 = rtid[i];
    assert(gref[i] == 0);         /* no holder bit left                     */
    assert(tdone[T2]);            /* completed                              */
    assert(!tfreed[T2]);          /* never twice                            */
    tfreed[T2] = 1;
    assert(inlist[i] == 0);       /* no completer will walk a link to it    */
    assert(!inq[i]);              /* not on a ready queue                   */
    state[i] = T_FREE;
    T2 = 0
  };
#ifdef MUT_NOBUMP
  head[i] = GEN(head[i]) * HG;    /* WRONG: stale handles still match       */
#else
  head[i] = (GEN(head[i]) + 1) * HG;
#endif
  atomic { nxt[i * SLOTS] = freel; freel = i }
}

/* drop: the last holder bit recycles the record. If the bits are all ours
 * (v == bits) nobody else can drop anything: no RMW. */
inline drop(i, bits)
{
  atomic {
    v = refs[i];
    if
    :: v == (bits) -> assert(gref[i] == (bits)); gref[i] = 0
    :: else -> skip
    fi
  };
  if
  :: v == (bits) -> free_rec(i)
  :: else ->
     atomic {
       v = refs[i];
       assert((v & (bits)) == (bits));  /* each bit dropped once          */
       refs[i] = v & ~(bits);
       gref[i] = gref[i] & ~(bits)
     };
     if
     :: (v & ~(bits)) == 0 -> free_rec(i)
     :: else -> skip
     fi
  fi;
  v = 0
}

/* ---------------------------------------------------------- readiness */

/* Ghost check at the moment a task's pending count reaches 0. */
inline became_ready(t)
{
  T2 = rtid[t];
  assert(!tready[T2]);            /* exactly once                           */
  tready[T2] = 1;
  assert(tpre[T2 * SLOTS] == 0 || tdone[tpre[T2 * SLOTS]]);
  assert(tpre[T2 * SLOTS + 1] == 0 || tdone[tpre[T2 * SLOTS + 1]]);
  T2 = 0
}

/* make_ready: push onto the shared ready stack through next[0] (a CAS loop
 * in C; its retries only rewrite next[0] of a record nobody else reads). */
inline make_ready(t)
{
#ifdef FIX_READY
  atomic {
    if
    :: state[t] == T_NEW -> state[t] = T_READY
    :: else -> skip               /* canceled: stays as it is               */
    fi
  };
#endif
  atomic { nxt[t * SLOTS] = ready; ready = t; inq[t] = 1 }
}

/* fetch_sub(&t->pending, amt); the thread that reaches 0 readies t. */
inline dec(t, amt)
{
  atomic {
    assert(pending[t] >= amt);    /* never underflows                       */
    pending[t] = pending[t] - amt;
    z = (pending[t] == 0);
    if
    :: z -> became_ready(t)
    :: else -> skip
    fi
  };
  if
  :: z -> make_ready(t)
  :: else -> skip
  fi
}

/* ------------------------------------------------------------ completion */

/* finish(i, st, also): store the final state, swap the waiter list for
 * gen|SEALED, walk it (next link read before each decrement), drop
 * completion's bit (and `also`). */
inline finish(i, st, also)
{
  state[i] = st;
#if defined(MUT_SEALSTORE)
  old = head[i];                  /* WRONG: load, then a plain store        */
  atomic { head[i] = GEN(old) * HG + SEALED; tdone[rtid[i]] = 1 };
#elif defined(MUT_SEALAFTER)
  old = head[i];                  /* WRONG: walk first, seal after          */
#else
  atomic { old = head[i]; head[i] = GEN(old) * HG + SEALED; tdone[rtid[i]] = 1 };
#endif
  wl = LINKS(old);
  do
  :: wl == 0 -> break
  :: else ->
     wt = (wl - 1) / SLOTS; wj = (wl - 1) % SLOTS;
#ifndef MUT_LATENEXT
     wl = nxt[wt * SLOTS + wj];      /* before the decrement                   */
#endif
     d_step { assert(inlist[wt] > 0); inlist[wt]-- };
     dec(wt, 1);
#ifdef MUT_LATENEXT
     wl = nxt[wt * SLOTS + wj];      /* WRONG: wt may be ready, run, recycled   */
#endif
     wt = 0; wj = 0
  od;
#ifdef MUT_SEALAFTER
  atomic { head[i] = GEN(head[i]) * HG + SEALED; tdone[rtid[i]] = 1 };
#endif
  old = 0;
  drop(i, (R_DONE | (also)))
}

/* The claim: CAS state NEW -> RUNNING (READY -> RUNNING with FIX_READY;
 * cancel also takes NEW). `asready`: the claimer runs the body, so the
 * task must be ready. */
inline claim(i, asready, won)
{
  atomic {
    if
#ifdef FIX_READY
    :: (asready && state[i] == T_READY) || (!asready && (state[i] == T_NEW || state[i] == T_READY)) ->
#else
    :: state[i] == T_NEW ->
#endif
       state[i] = T_RUNNING; won = 1;
       assert(!tclaim[rtid[i]]);  /* exactly one winner                     */
       tclaim[rtid[i]] = 1;
       assert(!asready || tready[rtid[i]])  /* runs only once ready         */
    :: else -> won = 0
    fi
  }
}

/* exec(i, sched): run i if this thread wins the claim; otherwise drop the
 * scheduler's bit if the caller took i off a ready queue. */
inline exec(i, sched)
{
  claim(i, 1, won);
  if
  :: !won ->
     if
     :: sched != 0 -> drop(i, sched)  /* canceled, or run by a waiter      */
     :: else -> skip
     fi
  :: else ->
     pending[i] = 1;              /* the body                               */
     d_step { assert(!trun[rtid[i]]); trun[rtid[i]] = 1 };
     finish(i, T_DONE, sched)
  fi;
  won = 0
}

/* ---------------------------------------------------------------- launch */

/* link_after(i, j, pr[j] with generation pg[j], ghost ptid[j]): lk = 1 if
 * linked, 0 if the prerequisite completed (SEALED) or was recycled. */
inline link_after(i, j)
{
  lkrec = pr[j];
  h = head[lkrec];
  do
  :: GEN(h) != pg[j] -> lk = 0; break   /* recycled: it completed          */
  :: GEN(h) == pg[j] && ISSEALED(h) ->
     /* completed: read its outcome (state, origin) */
     atomic { st = state[lkrec]; rdok = (rtid[lkrec] == ptid[j]) };
#ifdef FIX_RECHECK
     if
     :: GEN(head[lkrec]) != pg[j] -> st = T_DONE; rdok = 1  /* recycled:
                                     as if found recycled at the start     */
     :: else -> skip
     fi;
#endif
#ifdef STRICT
     assert(rdok);                /* the outcome read is the prerequisite's */
#endif
     rdok = 0;
     lk = 0; break
  :: GEN(h) == pg[j] && !ISSEALED(h) ->
     nxt[i * SLOTS + j] = LINKS(h);
     atomic {
       if
#ifdef MUT_LINKNOGEN
       :: head[lkrec] % HG == h % HG ->  /* WRONG: generation not compared */
          head[lkrec] = head[lkrec] - LINKS(head[lkrec]) + LINK(i, j);
#else
       :: head[lkrec] == h ->
          head[lkrec] = h - LINKS(h) + LINK(i, j);
#endif
          lk = 1;
          assert(rtid[lkrec] == ptid[j] && !tdone[ptid[j]]);
          inlist[i]++
       :: else -> h = head[lkrec]; lk = 0
       fi
     };
     if
     :: lk -> break
     :: else -> skip
     fi
  od;
  h = 0; lkrec = 0; st = 0
}

/* create: a task after pr[0..n-1] (handles pr/pg, ghost ptid), with holder
 * bits R_SCHED | R_DONE | hold. Sets i and T (the new task's id) and g
 * (its generation: the handle is (i, g)). */
inline create(n, hold, own)
{
  if
  :: own != 0 -> i = own          /* a record from the worker's own list    */
  :: else -> alloc(i)
  fi;
  d_step {
    T = ntid; ntid++;
    rtid[i] = T; tlaunched[T] = 1;
    tpre[T * SLOTS] = (n > 0 -> ptid[0] : 0);
    tpre[T * SLOTS + 1] = (n > 1 -> ptid[1] : 0);
    prereq[i * SLOTS] = (n > 0 -> pr[0] : 0);
    prereq[i * SLOTS + 1] = (n > 1 -> pr[1] : 0);
    g = GEN(head[i]);
    kind[i] = K_TASK;
#ifdef FIX_RECHECK
    rgen[i] = g;
#endif
    refs[i] = R_SCHED | R_DONE | (hold); gref[i] = refs[i];
#if defined(MUT_NOGUARD) || defined(MUT_NOGUARD_SUB)
    pending[i] = n                /* WRONG: no guard                        */
#else
    pending[i] = (n == 0 -> 0 : n + 1)
#endif
  };
  state[i] = T_NEW;               /* release: publishes the fields above    */
  if
  :: n == 0 -> d_step { z = 1; became_ready(i) }; make_ready(i)
  :: else ->
     done = 1;                    /* the guard                              */
     k = 0;
     do
     :: k < n ->
        link_after(i, k);
        if
        :: !lk -> done++
        :: else -> skip
        fi;
        k++
     :: else -> break
     od;
#if defined(MUT_NOGUARD_SUB)
     done--;                      /* WRONG: subtracts only what it found    */
     atomic {                     /* completed; fetch_sub(done) == done     */
       assert(pending[i] >= done);
       pending[i] = pending[i] - done;
       z = (pending[i] == 0);
       if
       :: z -> became_ready(i)
       :: else -> skip
       fi
     };
     if
     :: z -> make_ready(i)
     :: else -> skip
     fi;
#elif !defined(MUT_NOGUARD)
     dec(i, done);
#endif
     k = 0; done = 0
  fi;
  lk = 0; z = 0
}

/* An event (set up before the processes start): pending 1, no scheduler
 * bit, a user handle. */
inline make_event(i)
{
  d_step {
    T = ntid; ntid++;
    rtid[i] = T; tlaunched[T] = 1; tevent[T] = 1;
    kind[i] = K_EVENT;
    refs[i] = R_DONE | R_USER; gref[i] = refs[i];
    pending[i] = 1;
    state[i] = T_NEW;
    head[i] = HG                  /* generation 1 */
#ifdef FIX_RECHECK
    ; rgen[i] = 1
#endif
  }
}

/* weft_event_trigger (handle valid, held by the caller). */
inline trigger(i)
{
  claim(i, 0, won);
  assert(won);
  finish(i, T_DONE, 0);
  won = 0
}

/* --------------------------------------------------------------- handles */

/* lookup: the generation in head still matches the handle's. */
#define LOOKUP(i, gg) (GEN(head[i]) == (gg))

/* weft_task_release(handle (i, gg), ghost task tt): rc */
inline release(i, gg, tt, rc)
{
  if
  :: !LOOKUP(i, gg) -> rc = RC_STALE
  :: else ->
#ifdef FIX_RECHECK
     /* CAS on refs, which carries the generation */
     atomic {
       if
       :: rgen[i] != gg || (refs[i] & R_USER) == 0 -> rc = RC_STALE; v = 0
       :: else ->
          v = refs[i]; refs[i] = v & ~R_USER; gref[i] = gref[i] & ~R_USER;
          assert(rtid[i] == tt);
          rc = RC_OK
       fi
     };
#else
     atomic {
       v = refs[i]; refs[i] = v & ~R_USER;
       if
       :: (v & R_USER) != 0 -> gref[i] = gref[i] & ~R_USER
       :: else -> skip
       fi;
#ifdef STRICT
       assert(rtid[i] == tt);     /* not the next incarnation's bit         */
#endif
       rc = ((v & R_USER) != 0 -> RC_OK : RC_STALE)
     };
#endif
     if
     :: rc == RC_OK && (v & ~R_USER) == 0 -> free_rec(i)
     :: else -> skip
     fi
  fi;
  v = 0
}

/* weft_task_status(handle (i, gg), ghost task tt): st = the state read, or
 * T_FREE for WEFT_ESTALE. */
inline status(i, gg, tt, st)
{
  if
  :: !LOOKUP(i, gg) -> st = T_FREE
  :: else ->
     atomic { st = state[i]; rdok = (rtid[i] == tt) };
#ifdef FIX_RECHECK
     if
     :: !LOOKUP(i, gg) -> st = T_FREE  /* recycled meanwhile: ESTALE      */
     :: else -> skip
     fi;
#endif
#ifdef STRICT
     assert(st == T_FREE || rdok); /* never the next incarnation's state   */
#endif
     rdok = 0
  fi
}

/* cancel_rec (the handle was looked up): rc 1 if this call canceled. */
inline cancel(i, rc)
{
  claim(i, 0, won);
  if
  :: won ->
     tcanceled[rtid[i]] = 1;
#ifdef MUT_EARLYSCHED
     finish(i, T_CANCELED, R_SCHED);  /* WRONG: still queued or linked     */
#else
     finish(i, T_CANCELED, 0);    /* the scheduler's bit stays              */
#endif
     rc = 1
  :: else -> rc = 0
  fi;
  won = 0
}

/* help(i) at one level (the C recursion reads state, kind, pending, then
 * claims by index). */
inline help_one(i)
{
  st = state[i];
#ifdef FIX_READY
  if
  :: st == T_READY && kind[i] != K_EVENT -> exec(i, 0)
  :: else -> skip
  fi;
#else
  if
  :: st == T_NEW && kind[i] != K_EVENT ->
     if
     :: pending[i] == 0 -> exec(i, 0)
     :: else -> skip
     fi
  :: else -> skip
  fi;
#endif
  st = 0
}

/* ------------------------------------------------------------ processes */

/* Takes the whole ready stack and execs each record (reading next[0]
 * before exec: a completed record's next[0] links the free list). */
active proctype dispatcher()
{
  LOCALS;
end:
  do
  :: atomic { ready != 0 -> all = ready; ready = 0 };
     do
     :: all == 0 -> break
     :: else ->
        d_step { cur = all; all = nxt[cur * SLOTS]; inq[cur] = 0 };
        exec(cur, R_SCHED);
        cur = 0
     od
  od
}

/* Final state: nobody can move (the dispatcher waits on an empty stack). */
inline final_checks(nproc)
{
  assert(nfinished == nproc);     /* no process stuck                       */
  assert(ready == 0);
  k = 1;
  do
  :: k < ntid ->
     assert(tevent[k] || tready[k] || tcanceled[k]);  /* none lost       */
     assert(tevent[k] || tcanceled[k] || trun[k]);    /* and it ran       */
     assert(tdone[k]);            /* every task and event completed         */
     assert(tfreed[k]);           /* and its record was recycled            */
     k++
  :: else -> break
  od;
  k = 1;
  do
  :: k < NR -> assert(gref[k] == 0 && inlist[k] == 0 && !inq[k]); k++
  :: else -> break
  od
}

#if !defined(SCEN_STALE) && !defined(SCEN_CLAIM) && !defined(SCEN_HELP)
#define SCEN_LINK
#endif

#ifdef SCEN_LINK
/* records 1, 2: events P1, P2; 3, 4: free */
#define NPROC 4
int gP1, gP2;
byte tP1, tP2;

/* Triggers event p, then releases the handle. */
proctype trig(byte p; int gp; byte tp)
{
  LOCALS;
  trigger(p);
  release(p, gp, tp, st);
  assert(st == RC_OK);
  nfinished++
}

/* Launches a task after P1 (and P2 if np == 2), no handle kept. */
proctype launcher(byte np)
{
  LOCALS;
  d_step {
    pr[0] = 1; pg[0] = gP1; ptid[0] = tP1;
    if
    :: np == 2 -> pr[1] = 2; pg[1] = gP2; ptid[1] = tP2
    :: else -> skip
    fi
  };
  create(np, 0, 0);
  nfinished++
}

init
{
  LOCALS;
  atomic {
    make_event(1); tP1 = T; gP1 = 1;
    make_event(2); tP2 = T; gP2 = 1;
    head[3] = HG; head[4] = HG;
    state[3] = T_FREE; state[4] = T_FREE;
    nxt[3 * SLOTS] = 4; freel = 3;
    run trig(1, 1, 1);
    run trig(2, 1, 2);
    run launcher(2);
    run launcher(1);
  }
}

active proctype checker()
{
  LOCALS;
  atomic { timeout -> final_checks(NPROC) }
}
#endif /* SCEN_LINK */

#ifdef SCEN_STALE
/* record 1: task X (handle H, ready); 2: event E (held by the reuser);
 * 3: the stale thread's own free record; free list empty. */
#define NPROC 3
#ifndef STALE_OP
#define STALE_OP 0                /* 1 status, 2 release, 3 launch; 0 any   */
#endif
int gX, gE;
byte tX, tE;
bool released = 0;

/* X's owner: releases H at any time. */
proctype owner()
{
  LOCALS;
  release(1, gX, tX, st);
  assert(st == RC_OK);
  released = 1;
  nfinished++
}

/* Launches Y after E (keeping a handle), triggers E, releases E, checks
 * and releases its handle of Y. Y gets a recycled record (X's, or S's). */
proctype reuser()
{
  LOCALS;
  d_step { pr[0] = 2; pg[0] = gE; ptid[0] = tE };
  create(1, R_USER, 0);
  trigger(2);
  release(2, gE, tE, st);
  assert(st == RC_OK);
  status(i, g, T, st);
#ifdef STRICT
  assert(st != T_FREE);           /* a held handle is never stale           */
#endif
  release(i, g, T, st);
#ifdef STRICT
  assert(st == RC_OK);            /* nobody else dropped our hold           */
#endif
  nfinished++
}

/* Uses a copy of H after the owner released it: status, a second
 * release, or a launch of S after H (validate_after, then link_after). */
proctype stale()
{
  LOCALS;
  released;
  if
  :: STALE_OP == 0 || STALE_OP == 1 -> status(1, gX, tX, st)
  :: STALE_OP == 0 || STALE_OP == 2 -> release(1, gX, tX, st);
#ifdef STRICT
     assert(st == RC_STALE)       /* released once already                  */
#endif
  :: STALE_OP == 0 || STALE_OP == 3 ->
     if
     :: LOOKUP(1, gX) ->          /* validate_after                         */
        d_step { pr[0] = 1; pg[0] = gX; ptid[0] = tX };
        create(1, 0, 3)
     :: else ->                   /* WEFT_ESTALE: nothing launched          */
        d_step { head[3] = HG; state[3] = T_FREE; nxt[3 * SLOTS] = freel; freel = 3 }
     fi
  fi;
  nfinished++
}

init
{
  LOCALS;
  atomic {
    make_event(2); tE = T; gE = 1;
    d_step {
      /* X: launched with no prerequisite, so it is ready at once */
      T = ntid; ntid++; tX = T; tlaunched[T] = 1; rtid[1] = T;
      head[1] = HG; gX = 1; kind[1] = K_TASK;
#ifdef FIX_RECHECK
      rgen[1] = 1;
#endif
      refs[1] = R_SCHED | R_DONE | R_USER; gref[1] = refs[1];
      pending[1] = 0; state[1] = T_NEW; tready[T] = 1;
#ifdef FIX_READY
      state[1] = T_READY;
#endif
      nxt[1 * SLOTS] = 0; ready = 1; inq[1] = 1;
      head[3] = HG; state[3] = T_FREE
    };
    run owner();
    run reuser();
    run stale()
  }
}

active proctype checker()
{
  LOCALS;
  atomic { timeout -> final_checks(NPROC) }
}
#endif /* SCEN_STALE */

#ifdef SCEN_CLAIM
/* record 1: event P (held by its trigger); 2, 3: free. */
#define NPROC 4
int gP, gS;
byte tP, tS, iS;
bool launched = 0, cancel_done = 0;

/* Launches S after P (keeping a handle), then S2 after S. */
proctype launcher()
{
  LOCALS;
  d_step { pr[0] = 1; pg[0] = gP; ptid[0] = tP };
  create(1, R_USER, 0);
  d_step { iS = i; gS = g; tS = T; pr[0] = i; pg[0] = g; ptid[0] = T };
  launched = 1;
  create(1, 0, 0);
  nfinished++
}

proctype trig()
{
  LOCALS;
  trigger(1);
  release(1, gP, tP, st);
  assert(st == RC_OK);
  nfinished++
}

/* weft_task_cancel(S) with the owner's handle. */
proctype canceller()
{
  LOCALS;
  launched;
  assert(LOOKUP(iS, gS));         /* held by the waiter until we are done   */
  cancel(iS, st);
  if
  :: st == 1 -> assert(tdone[tS])  /* completed at once                     */
  :: else -> skip
  fi;
  cancel_done = 1;
  nfinished++
}

/* weft_task_wait(S) on a worker: help S inline until it is final; then,
 * once the canceller is done with the handle, release it. */
proctype waiter()
{
  LOCALS;
  launched;
  do
  :: FINAL(state[iS]) -> break
  :: else -> help_one(iS)
  od;
  cancel_done;
  release(iS, gS, tS, st);
  assert(st == RC_OK);
  nfinished++
}

init
{
  LOCALS;
  atomic {
    make_event(1); tP = T; gP = 1;
    head[2] = HG; head[3] = HG; state[2] = T_FREE; state[3] = T_FREE;
    nxt[2 * SLOTS] = 3; freel = 2;
    run launcher();
    run trig();
    run canceller();
    run waiter()
  }
}

active proctype checker()
{
  LOCALS;
  atomic { timeout -> final_checks(NPROC); assert(tclaim[tS]) }
}
#endif /* SCEN_CLAIM */

#ifdef SCEN_HELP
/* record 1: task S (ready, no handle); 2: task W after S (handle held by
 * the waiter); 3: event E (held by the reuser); free list empty. */
#define NPROC 2
int gW, gE;
byte tS, tW, tE;

/* weft_task_wait(W) on a worker: help W, else W's prerequisite by the
 * index in W's prereq slot (help's recursion, one level). */
proctype waiter()
{
  LOCALS;
  do
  :: FINAL(state[2]) -> break
  :: else ->
     help_one(2);
     hi = prereq[2 * SLOTS];
     if
     :: hi != 0 -> help_one(hi)
     :: else -> skip
     fi;
     hi = 0
  od;
  release(2, gW, tW, st);
  assert(st == RC_OK);
  nfinished++
}

/* Launches Y after E into a recycled record, triggers E, releases both. */
proctype reuser()
{
  LOCALS;
  d_step { pr[0] = 3; pg[0] = gE; ptid[0] = tE };
  create(1, R_USER, 0);
  trigger(3);
  release(3, gE, tE, st);
  assert(st == RC_OK);
  release(i, g, T, st);
  assert(st == RC_OK);
  nfinished++
}

init
{
  LOCALS;
  atomic {
    make_event(3); tE = T; gE = 1;
    d_step {
      /* S: no prerequisite, no handle, ready at once */
      T = ntid; ntid++; tS = T; tlaunched[T] = 1; rtid[1] = T;
      head[1] = HG; kind[1] = K_TASK;
      refs[1] = R_SCHED | R_DONE; gref[1] = refs[1];
      pending[1] = 0; state[1] = T_NEW; tready[T] = 1;
#ifdef FIX_RECHECK
      rgen[1] = 1;
#endif
#ifdef FIX_READY
      state[1] = T_READY;
#endif
      nxt[1 * SLOTS] = 0; ready = 1; inq[1] = 1;
      /* W: after S, S still pending: linked into S's list */
      T = ntid; ntid++; tW = T; tlaunched[T] = 1; rtid[2] = T;
      head[2] = HG; gW = 1; kind[2] = K_TASK;
#ifdef FIX_RECHECK
      rgen[2] = 1;
#endif
      refs[2] = R_SCHED | R_DONE | R_USER; gref[2] = refs[2];
      tpre[T * SLOTS] = tS; prereq[2 * SLOTS] = 1;
      pending[2] = 1; state[2] = T_NEW;
      nxt[2 * SLOTS] = 0; head[1] = HG + LINK(2, 0); inlist[2] = 1
    };
    run waiter();
    run reuser()
  }
}

active proctype checker()
{
  LOCALS;
  atomic { timeout -> final_checks(NPROC) }
}
#endif /* SCEN_HELP */
