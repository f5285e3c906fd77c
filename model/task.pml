/*
 * task.pml - Promela model of weft's launched-task protocol (src/task.c as
 * of 0fc3c04, the launch without a guard, and 37c541b, unpend's store of 0
 * with release; the generation checks of 63dcdc6; weft_task_wait as of
 * bb3c535; the holders in head beside the seal, fd32407, with create's
 * release store of head, 0c79fd4). docs/TASKS.md, "The spin model", has
 * the tables and results.
 *
 * What is modelled:
 *   - head   = gen * HG + SEALED + WAITER + R_SCHED + R_USER + links: the
 *              generation, the seal, the outside-waiter bit, the holder
 *              bits and the waiter list of a record, one word as in the C
 *              code (gen << 32 | ...). Completion's hold is the absence of
 *              SEALED; the scheduler's bit and the user's handle's are
 *              bits; whoever leaves head sealed with no holder bit frees
 *              the record. Release clears R_USER by a CAS that names the
 *              generation. (Only weft_task_wait, STALE_OP=5, sets WAITER;
 *              elsewhere it would only make a link CAS retry.)
 *   - state  = gen * SG + value: the record's generation is in the state
 *              word too (src/task.h WEFT__S_*), so every claim (a CAS from
 *              gen | NEW to gen | RUNNING) names an incarnation
 *   - pending, next[slot], prereq[slot], kind
 *   - create(): lookup and a first look (acquire) at each prerequisite's
 *     head: SEALED ones are neither counted nor linked (their outcome is
 *     read now), the others are counted (`live'); pending = live before
 *     the release store of gen | NEW; each counted slot linked
 *     (link_after: a CAS that carries the generation; SEALED or another
 *     generation by then: the launcher keeps that unit, `owe'); and only
 *     if owe > 0 does the launcher touch the record again, unpend(owe).
 *     unpend(t, k): an acquire load; if it reads k, a release store of 0,
 *     else fetch_sub(k) acq_rel. create's store of head (gen | holder
 *     bits) is a release store (0c79fd4; HEAD_RELAXED is fd32407's relaxed
 *     one). finish() (store of the final state, then one
 *     fetch_add(SEALED - also) acq_rel that seals and drops the caller's
 *     scheduler bit; `last' from the value it returned; the walk that reads
 *     each successor's next link before its unpend; the wake by address;
 *     free iff `last'), exec() (the claim gen|NEW
 *     -> gen|RUNNING with the generation the caller means), cancel_rec()
 *     and weft_event_trigger() (the handle's generation), release, status,
 *     result (the generation in the state word they read, and for result
 *     again after the copy), help() (claims with the generation of the
 *     state word it read), drop() (an acquire load; no RMW when head is
 *     sealed and holds exactly the caller's bits, else fetch_sub; frees
 *     iff that leaves it sealed with no holder), free_rec()
 *     (state (gen+1)|FREE, head (gen+1), then the free list through
 *     next[0]), make_ready() (the shared ready stack through next[0]), the
 *     dispatcher (take the whole stack, read next[0], read the generation
 *     from `state', exec), weft_task_wait from outside the pool
 *     (STALE_OP=5: the WAITER CAS, state_of, the futex sleep on `state'
 *     with its timeout, the completer's wake).
 *   - Steps: one Promela step per atomic access of the C code, with plain
 *     accesses to a record's private fields folded into a neighbouring
 *     step, and these pairs of one thread's consecutive accesses merged
 *     because whatever another thread does between them commutes with one
 *     of the two (so every run of the split version has a run of the merged
 *     one that ends in the same state): alloc_rec's pop, the initial
 *     stores (head's a release) and the release store of gen | NEW (the
 *     record is nobody else's yet; a stale reader of its state or head
 *     reads what it read before the pop, or a head of another generation,
 *     which it only compares); link_after's write of next[j] and its CAS (next[j] is read
 *     only through the link the CAS publishes); the walk's read of next[j]
 *     and its ghost bookkeeping; unpend's write that reaches 0 and
 *     make_ready's push (a helper that reads the 0 claims before or after
 *     the push alike); a trigger's or cancel's claim and its store of the
 *     final state (in these scenarios nobody reads an event's or a
 *     canceled task's RUNNING as anything but "not NEW, not final": no
 *     status or wait on them; a scenario that adds one must split this
 *     again); drop's load that finds head sealed with only its
 *     own bits and free_rec's store of state (nobody else can change head
 *     then);
 *     free_rec's head store and the push onto a free list (the worker's
 *     own, or the pool's under its lock); the dispatcher's take and its
 *     read of the first record's next[0] and generation (a record it holds
 *     the scheduler's bit of: neither changes). Mutants that need the
 *     split keep it (MUT_STATEFIRST, MUT_SEALSTORE, MUT_SEALAFTER,
 *     MUT_LATENEXT).
 *   - Memory model: every run is sequentially consistent, and a ghost
 *     happens-before relation (below) checks that the acquire/release
 *     orders of src/task.c give each body an edge from its prerequisites'
 *     completions. Runs that only weak memory allows (a load that reads an
 *     older value than the newest) are not explored; the protocol section
 *     of docs/TASKS.md argues the acquire/release pairs.
 *
 * Ghost state names each incarnation of a record (a task id T): its
 * prerequisites, whether it completed (set at the seal), became ready,
 * was claimed, was freed; how many links to a record are still unwalked
 * (inlist), whether it sits on a ready queue (inq), and whose argument
 * block the record holds (targ).
 *
 * Happens-before (ghost): kn[p], the set of tracked tasks whose completion
 * happens before what process p does now, and for each shared word the
 * set its last write published (hmsg, smsg, pmsg: head, state,
 * pending; rdmsg, flmsg: the ready stack, the free lists). A release
 * store publishes the writer's set, a relaxed store nothing, a release RMW
 * adds the writer's set to the word's (a relaxed RMW keeps it: release
 * sequences), an acquire read adds the word's set to the reader's. The
 * completion of a body is added to its completer's set where finish
 * begins. Tracked: task ids 1 and 2, the prerequisites in every scenario.
 * Once no launch is to come and every task after a tracked one has been
 * claimed, the ghost is dead and reset to 0 for good (hb_gc), so that runs
 * that differ only in it merge.
 *
 * Properties (assertions; plus a `timeout' checker for the final state):
 *   P1 a task becomes ready exactly once, and only after every prerequisite
 *      completed (asserted where pending reaches 0); pending never
 *      underflows, and unpend's store of 0 loses no unit (the word still
 *      holds k); a task is claimed to run only once it is ready, and is
 *      claimed at most once (dispatcher, inline waiter and cancel race);
 *      at the end every launched task was readied (or canceled), ran at
 *      most once, and every record was freed with no holder bit left.
 *   P2 a link CAS only lands in the incarnation it names, before it
 *      completed; a record is freed only after it completed, never twice,
 *      never while a holder bit is set, a link to it is unwalked or it is
 *      on a ready queue; the launcher touches its record after the links
 *      only while it still holds a unit of it (OWNS, not ready).
 *   P3 the claim is won once; cancel of a task that is not ready completes
 *      it at once (its successor is readied) and the scheduler's bit stays
 *      until the record leaves the ready queue.
 *   P4 every prerequisite's completion happens before the claim that runs
 *      a body (dispatcher or help), by the ghost above.
 *   STRICT (-DSTRICT; SCEN_STALE, and SCEN_LINK, where a launcher may use
 *      an event's handle while its trigger thread releases it) a handle
 *      used while its owner releases it never reaches the record's next
 *      incarnation: a status or result answers for its own task or
 *      WEFT_ESTALE, a wait answers its own task's final state or
 *      WEFT_ESTALE (never WEFT_EPENDING), a second release clears nothing,
 *      a launch after it takes no other incarnation's outcome; and a held
 *      handle is never stale, its release never WEFT_ESTALE. (The C code
 *      meets these since 63dcdc6, the wait since bb3c535. A switch: they
 *      concern only programs that race a use of a handle with its release;
 *      without it P1-P4 are checked alone, and take_outcome reads only
 *      the state word.)
 *
 * Scenarios (-D):
 *   SCEN_LINK  (default) events P1, P2 triggered by two threads (which then
 *              release their handles); launcher L1 launches S1 after P1, P2
 *              and launcher L2 launches S2 after P1, concurrently; one
 *              dispatcher. P1's handle is released at any time, P2's once
 *              both launches returned. The lost-successor race: two links
 *              into P1's list against its seal, a two-prerequisite launch
 *              (first look, links, owe), and a launch after P1 while P1's
 *              record is recycled and reused by the other launch.
 *              LINK_ONE: L1 alone, both handles released at any time (both
 *              of L1's prerequisites recycled during its launch). LINK_ALL
 *              (--deep): two launchers, both handles released at any time.
 *   SCEN_STALE task X (handle H, released by its owner at any time) runs
 *              and is recycled; a reuser launches Y after event E into the
 *              freed record; a stale thread uses a copy of H (status,
 *              release, a launch of S after H, or result; STALE_OP picks
 *              one, 0 any of them) at any time after the owner's release.
 *              Handle reuse. STALE_OP=5 is weft_task_wait from outside the
 *              pool (alone: the only scenario with a sleeping waiter; the
 *              checker's "no process stuck" is its "the wait returns").
 *   SCEN_CLAIM S after event P (handle held by its owner), S2 after S; the
 *              dispatcher, an inline waiter (help at the waited record) and
 *              weft_task_cancel race for S. The claim; with UNPEND_RELAXED,
 *              the waiter runs S on the launcher's relaxed 0 (owe).
 *   SCEN_HELP  a waiter waits on W (after S) and helps S by the index in
 *              W's prereq slot, as help() recurses; S runs, is recycled and
 *              reused by Y (after event E) meanwhile. With HELP_CANCEL, S's
 *              handle is held by a thread that cancels S and releases it (a
 *              task canceled once ready leaves pending 0 in its record).
 *
 * weft_task_wait (STALE_OP=5) as fixed in bb3c535: every read of `state'
 * goes through state_of (the generation), and the outside waiter sleeps
 * with a timeout (100 ms), modelled as a sleep that also returns once the
 * word no longer holds the value it slept on (docs/TASKS.md argues why
 * that covers "may return at any time").
 *
 * Mutants (each must make spin report an error; check.sh enforces it):
 *   MUT_SEALSTORE   the completer seals with load + plain store, not an RMW
 *   MUT_SEALAFTER   the completer walks the list it loaded, then seals
 *   MUT_LATENEXT    the completer reads the successor's next link after its
 *                   unpend
 *   MUT_UNPENDPLUS1 unpend stores 0 also when it reads k + 1 (a unit that
 *                   another holder still has is lost)
 *   MUT_UNPENDRLXLOAD unpend's load is relaxed (P4)
 *   MUT_LATETOUCH   the launcher calls unpend(owe) even with owe == 0, after
 *                   its last unit was handed out
 *   MUT_COUNTSEALED a prerequisite found SEALED at the first look is
 *                   counted but not linked
 *   MUT_SKIPLIVE    a running prerequisite is linked but not counted
 *   MUT_LOOKRLX     the first look at a prerequisite's head is relaxed (P4)
 *   MUT_LINKNOGEN   the link CAS compares the seal and links, not the
 *                   generation
 *   MUT_NOBUMP      free_rec does not bump the generation
 *   MUT_EARLYSCHED  cancel drops the scheduler's bit in the seal's RMW
 *   MUT_STATEFIRST  create stores gen|NEW before pending (SCEN_HELP with
 *                   HELP_CANCEL: help reads the new generation with the old
 *                   incarnation's pending 0 and runs a task that is not ready)
 *   MUT_LASTLOAD    finish decides `last' by a separate load after the seal,
 *                   not from the value its RMW returned (two holders both
 *                   see "no holder left": a double free)
 *   MUT_LASTOLD     finish counts its own `also' as a holder (nobody frees:
 *                   a leak, caught at the end)
 *   MUT_DROPNOSEAL  drop's no-RMW path when the caller's bits are all the
 *                   holders, sealed or not (frees a record whose completion
 *                   still holds it)
 *   MUT_LATEREAD    finish reads the record after the seal (r->parent, as
 *                   before fd32407, when completion's own bit kept it)
 *   src/task.c at fd32407 (an `issue' check: must fail):
 *   HEAD_RELAXED    create's store of head is relaxed: a launch whose link
 *                   finds a recycled prerequisite's record reused reads that
 *                   store, not free_rec's release, and counts the
 *                   prerequisite completed with no edge from its completion
 *                   (P4; SCEN_LINK, found with STRICT, fails without too)
 *   src/task.c at 0fc3c04 (an `issue' check: must fail):
 *   UNPEND_RELAXED  unpend's store of 0 is relaxed: a helper that reads the
 *                   0 runs the body with no edge from the last
 *                   prerequisite's completion (P4; SCEN_CLAIM, SCEN_HELP)
 *   The code before 63dcdc6 (no generation in state, nor in refs, the
 *   holders' word then):
 *   MUT_CLAIMNOGEN  the claim CASes NEW -> RUNNING whatever the generation
 *                   (SCEN_HELP: help runs a reused record's task early)
 *   MUT_RELEASENOGEN release clears R_USER whatever the generation (STRICT)
 *   MUT_STATUSNOGEN status answers from the state word without its
 *                   generation (STRICT)
 *   MUT_LINKNORECHECK link_after takes a sealed prerequisite's outcome
 *                   without checking the generation again (STRICT)
 *   MUT_RESULTNORECHECK result copies the argument block without checking
 *                   the generation again after the copy (STRICT)
 *   weft_task_wait before bb3c535 (STALE_OP=5):
 *   MUT_WAITNOGEN   the wait's reads of `state' ignore the generation (a
 *                   FREE word reads as EPENDING): STRICT, another task's
 *                   outcome or WEFT_EPENDING; without STRICT, a waiter that
 *                   sleeps on a free record's word for good (with the
 *                   timeout: it looks every 100 ms, for ever)
 *   MUT_WAITUNTIMED the sleep has no timeout: only a wake returns it. With
 *                   the generation in every read this still verifies (the
 *                   WAITER CAS names the generation, so a waiter sleeps
 *                   only on its own incarnation's NEW/RUNNING word, whose
 *                   completer wakes it): a `pass' check in check.sh. Caught
 *                   (a process stuck) together with MUT_WAITNOGEN (the code
 *                   before bb3c535) or MUT_WAITNOWAITER.
 *   MUT_WAITNOWAITER the waiter does not set WAITER (so nothing wakes it)
 *
 * Not modelled: pipes (R_PIPE, the pipe's unit linked last, CANCEL_REQ),
 * children and parents (weft_task_attach, has_children, finish's loop over
 * parents), joins (more than four prerequisites), failure and origin
 * propagation (an outcome is read, not passed on), worker-local ready and
 * free lists and their batches (one shared stack and one shared free list
 * stand for them), more than one waiter on a record, weak-memory runs
 * beyond the happens-before ghost, generation wrap-around.
 */

#ifndef SLOTS
#define SLOTS 2
#endif
#define NR 5                      /* records 1..NR-1 (0 = none)             */
#define NT 6                      /* task ids 1..NT-1 (0 = none)            */

#define HG      256               /* head = gen * HG + SEALED + WAITER +
                                     holders + links (gen << 32 | ...)      */
#define SEALED  128               /* WEFT__H_SEALED                         */
#define WAITER  64                /* WEFT__H_WAITER                         */
#define R_SCHED 32                /* WEFT__H_SCHED: the scheduler's hold    */
#define R_USER  16                /* WEFT__H_USER: the user's handle        */
#define HOLDB   (R_SCHED | R_USER)  /* WEFT__H_HOLD (no pipes: no R_PIPE)   */
#define LINKS(h)    ((h) % R_USER)  /* a link < 16 (LINK(4, 1) = 10)        */
#define HOLD(h)     ((h) & HOLDB)
#define GEN(h)      ((h) / HG)
#define ISSEALED(h) (((h) & SEALED) != 0)
#define ISWAITER(h) (((h) & WAITER) != 0)
#define LINK(i, j)  ((i) * SLOTS + (j) + 1)
/* Sealed with no holder left: whoever makes head so recycles the record. */
#define UNHELD(h)   (ISSEALED(h) && HOLD(h) == 0)

#define SG      8                 /* state = gen * SG + value (gen << 8)    */
#define SV(s)   ((s) % SG)
#define SGEN(s) ((s) / SG)

#define T_NEW      0
#define T_RUNNING  1
#define T_DONE     2
#define T_CANCELED 4
#define T_FREE     5              /* also: the answer WEFT_ESTALE           */
#define FINAL(s)   ((s) == T_DONE || (s) == T_CANCELED)

#define RC_OK     0
#define RC_STALE  1

#define K_TASK  0
#define K_EVENT 1

/* ---------------------------------------------------------- shared state */
short head[NR];                   /* up to gen 5: < 2^11              */
byte pending[NR];
byte state[NR];
byte kind[NR];
byte prereq[NR * SLOTS];          /* record indices, read by help()         */
byte nxt[NR * SLOTS];             /* next[slot]: waiter links; next[0] also
                                     links ready and free lists             */
byte ready = 0;                   /* the shared ready stack (lt_ready)      */
byte freel = 0;                   /* the free list                          */

#if defined(SCEN_STALE) && defined(STALE_OP)
#if STALE_OP == 5
#define WAIT_MODEL                /* a sleeping waiter: the futex is modelled */
#endif
#endif
#ifdef WAIT_MODEL
byte sleeper = 0;                 /* the record on whose state word the
                                     (one) waiter sleeps, 0 none: the futex */
#endif

/* ------------------------------------------------------------ ghost state */
byte rtid[NR];                    /* incarnation (task id) in each record   */
byte targ[NR];                    /* whose argument block the record holds  */
byte gref[NR];                    /* holder bits as the logic sees them
                                     (completion's hold: !tdone)            */
byte inlist[NR];                  /* links to the record not yet walked     */
bool inq[NR];                     /* queued, or taken and not yet exec'd    */
byte tpre[NT * SLOTS];            /* prerequisites of each task (task ids)  */
bool tdone[NT];                   /* completed (set at the seal)            */
bool tready[NT];                  /* pending reached 0                      */
bool tclaim[NT];                  /* state gen|NEW -> gen|RUNNING won       */
bool trun[NT];                    /* the body ran                           */
bool tfreed[NT];
bool tlaunched[NT];
bool tevent[NT];
bool tcanceled[NT];
byte ntid = 1;
byte nfinished = 0;               /* processes (other than the dispatcher)
                                     that reached their end                 */

/* Happens-before, as a ghost (the model is sequentially consistent, but
 * whether an edge exists does not depend on that): kn[p] is the set of
 * tasks (bit per task id) whose completion happens before what process p
 * does now; each shared word carries the set its last write published.
 * A release store publishes the writer's set, a relaxed store publishes
 * nothing (it ends a release sequence), a release read-modify-write adds
 * the writer's set to what the word carried (the release sequence goes
 * on), a relaxed one keeps it; an acquire read adds the word's set to the
 * reader's. In an SC run every read reads the newest write, so this is
 * the C11 happens-before of that run, along the orders src/task.c uses. */
byte kn[8];                       /* per process (_pid)                     */
byte hmsg[NR];                    /* what head carries                      */
byte smsg[NR];                    /* state                                  */
byte pmsg[NR];                    /* pending                                */
byte rdmsg = 0;                   /* the shared ready stack (all RMWs)      */
byte flmsg = 0;                   /* the free lists (a lock, or one thread) */
#define BIT(t)    (1 << (t))
#define HBTRACK   (BIT(1) | BIT(2))  /* the tasks that are prerequisites:
                                     ids 1 and 2 in every scenario; the
                                     others' completions are not tracked   */
#define ACQ(m)    kn[_pid] = kn[_pid] | (m)
#define RELST(m)  m = kn[_pid]
#define RLXST(m)  m = 0
#define RELRMW(m) m = (m) | kn[_pid]
/* The ghost is dead once no launch is to come (nlaunch: processes that
 * may still launch) and every task after a tracked one has been claimed:
 * then every set is reset to 0 for good (hb_gc), and completions are no
 * longer added, so runs that differ only in what is known merge. */
byte nlaunch = 0;
#define HBWAIT(t) (tpre[(t) * SLOTS] != 0 && !tclaim[t])
#define HBDEAD    (nlaunch == 0 && !HBWAIT(1) && !HBWAIT(2) && !HBWAIT(3) && \
                   !HBWAIT(4) && !HBWAIT(5))
inline hb_gc()
{
  if
  :: HBDEAD ->
     kn[0] = 0; kn[1] = 0; kn[2] = 0; kn[3] = 0; kn[4] = 0; kn[5] = 0;
     kn[6] = 0; kn[7] = 0;
     hmsg[1] = 0; hmsg[2] = 0; hmsg[3] = 0; hmsg[4] = 0;
     smsg[1] = 0; smsg[2] = 0; smsg[3] = 0; smsg[4] = 0;
     pmsg[1] = 0; pmsg[2] = 0; pmsg[3] = 0; pmsg[4] = 0;
     rdmsg = 0; flmsg = 0
  :: else -> skip
  fi
}
/* A process is done launching: nlaunch--, and the ghost may be dead
 * (ghost only: folded into a step of the process's own). */
inline launched_all()
{
  nlaunch--; hb_gc()
}
#define PREBITS(tt) ((tpre[(tt) * SLOTS] != 0 -> BIT(tpre[(tt) * SLOTS]) : 0) | \
                     (tpre[(tt) * SLOTS + 1] != 0 -> BIT(tpre[(tt) * SLOTS + 1]) : 0))

#define LOCALS \
  byte i, j, k, v, pv, st, live, owe, mask, T, T2, all, cur, lkrec, wt, wj, wl, hi, rc; \
  short h, old; byte g; \
  bool z, won, lk, ok, rdok, last; \
  byte pr[SLOTS], ptid[SLOTS], pg[SLOTS] LATE_LOCALS
#ifdef MUT_LATEREAD
#define LATE_LOCALS ; byte me     /* ghost: the completing task             */
#else
#define LATE_LOCALS
#endif

/* The value a read of state[i] gets belongs to incarnation tt
 * (ghost: tt is the record's task and was not freed yet). */
#define OWNS(i, tt) (rtid[i] == (tt) && !tfreed[tt])

/* ------------------------------------------------------------- records */

/* lookup: the generation in head still matches the handle's (an acquire
 * load: callers that need its edge add ACQ(hmsg[i]) in the same step). */
#define LOOKUP(i, gg) (GEN(head[i]) == (gg))

/* free_rec: the generation moves first (state (gen+1)|FREE, a relaxed
 * store, then head = (gen+1) << 32, a release store that also clears the
 * seal, the links and the holder bits), then the record goes onto the
 * free list through next[0]. (src/task.c keeps its free lists as arrays of
 * record indices and writes nothing in the record there; the model's write
 * of next[0] is a superset of what the code does.) Only the one thread
 * that left head sealed with no holder gets here. */
inline free_state(i)
{
    T2 = rtid[i];
    assert(gref[i] == 0);         /* no holder bit left                     */
    assert(tdone[T2]);            /* completed                              */
    assert(!tfreed[T2]);          /* never twice                            */
    tfreed[T2] = 1;
    assert(inlist[i] == 0);       /* no completer will walk a link to it    */
    assert(!inq[i]);              /* not on a ready queue                   */
#ifdef MUT_NOBUMP
    state[i] = GEN(head[i]) * SG + T_FREE;
#else
    state[i] = (GEN(head[i]) + 1) * SG + T_FREE;
#endif
    RLXST(smsg[i]);
    T2 = 0
}

/* The head store and the push onto a free list (the worker's own, or the
 * pool's under its lock: nobody else reads the record's next[0] there) are
 * one step: the push only commutes with what others do meanwhile. */
inline free_head(i)
{
  atomic {
#ifdef MUT_NOBUMP
    head[i] = GEN(head[i]) * HG;  /* WRONG: stale handles still match      */
#else
    head[i] = (GEN(head[i]) + 1) * HG;
#endif
    RELST(hmsg[i]);
    nxt[i * SLOTS] = freel; freel = i; RELRMW(flmsg)
  }
}

inline free_rec(i)
{
  d_step { free_state(i) };
  free_head(i)
}

/* drop(bits): the caller drops holder bits it holds; whoever leaves head
 * sealed with no holder recycles the record. An acquire load first: if it
 * shows SEALED and exactly `bits' as holders, nobody else can change head
 * any more (no link or WAITER CAS lands on a sealed head, there is no
 * other holder, a stale release's CAS fails on the bit or the generation),
 * so the record is freed with no RMW; the load and free_rec's store of
 * state are then one step. Otherwise fetch_sub(bits) acq_rel (the bits are
 * set: no borrow), and free iff that left head sealed with no holder. */
inline drop(i, bits)
{
  atomic {
    h = head[i]; ACQ(hmsg[i]);
    assert((gref[i] & (bits)) == (bits));  /* held by the caller          */
#ifdef MUT_DROPNOSEAL
    if
    :: HOLD(h) == (bits) ->       /* WRONG: not sealed, completion holds it */
#else
    if
    :: ISSEALED(h) && HOLD(h) == (bits) ->
#endif
       gref[i] = 0;
       free_state(i)
    :: else -> skip
    fi
  };
  if
#ifdef MUT_DROPNOSEAL
  :: HOLD(h) == (bits) -> free_head(i)
#else
  :: ISSEALED(h) && HOLD(h) == (bits) -> free_head(i)
#endif
  :: else ->
     atomic {
       h = head[i];
       assert((h & (bits)) == (bits));  /* each bit dropped once          */
       h = h - (bits); head[i] = h;
       ACQ(hmsg[i]); RELRMW(hmsg[i]);
       gref[i] = gref[i] & ~(bits)
     };
     if
     :: UNHELD(h) -> free_rec(i)
     :: else -> skip
     fi
  fi;
  h = 0
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
 * in C, seq_cst; its retries only rewrite next[0] of a record nobody else
 * reads). A worker's own list (make_ready with a worker) is read by the
 * same thread: the same happens-before. */
inline make_ready(t)
{
  atomic { nxt[t * SLOTS] = ready; ready = t; inq[t] = 1; RELRMW(rdmsg) }
}

/* unpend(t, k): drop k units of t's pending count; z = 1 if that brought
 * it to 0 (and then this thread readies t). An acquire load; if it reads
 * k, a plain store of 0 (no read-modify-write), else fetch_sub(k) acq_rel.
 * The plain store is sound only if the word still holds k when it lands
 * (asserted: no unit lost) and, as it is the write that a helper's acquire
 * load of 0 reads, only if it is a release store (happens-before checked
 * where a body runs). The write that reaches 0 and make_ready's push are
 * one step: a helper that reads the 0 may claim t before or after the
 * push, and the dispatcher's take only reads the stack. */
inline unpend(t, amt)
{
  atomic {
    pv = pending[t];
#ifndef MUT_UNPENDRLXLOAD
    ACQ(pmsg[t])
#endif
  };
  if
#ifdef MUT_UNPENDPLUS1
  :: pv == (amt) || pv == (amt) + 1 ->  /* WRONG: another holder's unit   */
#else
  :: pv == (amt) ->
#endif
     atomic {
       assert(pending[t] == (amt));  /* nobody touched it: no unit lost     */
       pending[t] = 0;
#ifdef UNPEND_RELAXED
       RLXST(pmsg[t]);            /* the store as in 0fc3c04: relaxed       */
#else
       RELST(pmsg[t]);            /* release                                */
#endif
       z = 1; became_ready(t); make_ready(t)
     }
  :: else ->
     atomic {
       assert(pending[t] >= (amt));  /* never underflows                    */
       pending[t] = pending[t] - (amt);
       ACQ(pmsg[t]); RELRMW(pmsg[t]);
       z = (pending[t] == 0);
       if
       :: z -> became_ready(t); make_ready(t)
       :: else -> skip
       fi
     }
  fi;
  pv = 0
}

/* ------------------------------------------------------------ completion */

/* finish(i, st, also): (what it needs from the record, origin and parent,
 * is read first: not modelled) store the final state (release; the
 * generation kept; only the claimer writes state now); then ONE
 * fetch_add(head, SEALED - also), acq_rel: it sets SEALED, which ends
 * completion's own hold, and drops `also' (the scheduler's bit when the
 * caller holds it, else 0) in the same RMW; `last' = the value it returned,
 * less `also', had no holder bit. Then walk the links of that value
 * (next link read before each unpend; the links stay in head, nobody
 * reads them after the seal), wake a WAITER by address, and free the
 * record iff `last'. After the seal it never reads the record: another
 * holder may recycle it at once (MUT_LATEREAD). The completion the ghost
 * names is the body's end: it happens before all of this. */
#define FINISH_STATE(i, st) \
  ACQ(HBDEAD -> 0 : BIT(rtid[i]) & HBTRACK); \
  state[i] = SGEN(state[i]) * SG + (st); RELST(smsg[i])

inline finish(i, st, also)
{
  atomic { FINISH_STATE(i, st) };
  finish_seal(i, also)
}

/* Ghost bookkeeping of the seal that reads o: completion's hold ends (the
 * task completed) and `also' is dropped. */
#define SEAL_GHOST(i, o, also) \
  assert(!ISSEALED(o) && ((o) & (also)) == (also)); \
  assert((gref[i] & (also)) == (also)); \
  gref[i] = gref[i] & ~(also); tdone[rtid[i]] = 1

/* finish after the store of the final state. */
inline finish_seal(i, also)
{
#if defined(MUT_SEALSTORE)
  atomic { old = head[i]; ACQ(hmsg[i]) };  /* WRONG: load, then a plain store */
  atomic {
    SEAL_GHOST(i, old, also); head[i] = old + SEALED - (also); RELST(hmsg[i]);
    last = (HOLD(old - (also)) == 0)
  };
#elif defined(MUT_SEALAFTER)
  atomic { old = head[i]; ACQ(hmsg[i]) };  /* WRONG: walk first, seal after */
#else
  atomic {
    old = head[i]; SEAL_GHOST(i, old, also); head[i] = old + SEALED - (also);
    ACQ(hmsg[i]); RELRMW(hmsg[i]);
#ifdef MUT_LATEREAD
    me = rtid[i];
#endif
#if defined(MUT_LASTOLD)
    last = (HOLD(old) == 0)       /* WRONG: its own `also' counted as a holder */
#elif defined(MUT_LASTLOAD)
    skip
#else
    last = (HOLD(old - (also)) == 0)
#endif
  };
#ifdef MUT_LASTLOAD
  /* WRONG: the holders read by a separate load, not from the seal's RMW */
  atomic { h = head[i]; ACQ(hmsg[i]); last = UNHELD(h); h = 0 };
#endif
#endif
  wl = LINKS(old);
  do
  :: wl == 0 -> break
  :: else ->
     atomic {
       wt = (wl - 1) / SLOTS; wj = (wl - 1) % SLOTS;
#ifndef MUT_LATENEXT
       wl = nxt[wt * SLOTS + wj];    /* before the decrement                   */
#endif
       assert(inlist[wt] > 0); inlist[wt]--
     };
     unpend(wt, 1);
#ifdef MUT_LATENEXT
     wl = nxt[wt * SLOTS + wj];      /* WRONG: wt may be ready, run, recycled   */
#endif
     wt = 0; wj = 0; z = 0
  od;
#ifdef MUT_SEALAFTER
  atomic {
    SEAL_GHOST(i, head[i], also); last = (HOLD(head[i] - (also)) == 0);
    head[i] = head[i] + SEALED - (also); RELRMW(hmsg[i])
  };
#endif
#ifdef WAIT_MODEL
  atomic {                        /* WAITER was set: wake the state word,   */
    if                            /* by address (whoever sleeps on it)      */
    :: ISWAITER(old) && sleeper == i -> sleeper = 0
    :: else -> skip
    fi
  };
#endif
#ifdef MUT_LATEREAD
  /* WRONG: reads the record after the seal (r->parent, as before fd32407,
   * when completion's own bit kept the record until its drop) */
  atomic { assert(last || OWNS(i, me)); me = 0 };
#endif
  old = 0;
  if
  :: last -> last = 0; free_rec(i)
  :: else -> skip
  fi
}

/* The claim: CAS state gen|NEW -> gen|RUNNING (acquire), `gg' the
 * generation of the incarnation the caller means. `asready': the claimer
 * runs the body, so the task must be ready, and every prerequisite's
 * completion must happen before it (the body reads their results). */
inline claim(i, asready, won, gg)
{
  atomic {
    if
#ifdef MUT_CLAIMNOGEN
    :: SV(state[i]) == T_NEW ->   /* WRONG: any generation                  */
       state[i] = SGEN(state[i]) * SG + T_RUNNING;
#else
    :: state[i] == (gg) * SG + T_NEW ->
       state[i] = (gg) * SG + T_RUNNING;
#endif
       ACQ(smsg[i]);
       won = 1;
       assert(!tclaim[rtid[i]]);  /* exactly one winner                     */
       tclaim[rtid[i]] = 1;
       assert(!asready || tready[rtid[i]]);  /* runs only once ready        */
       assert(!asready ||         /* ... and after its prerequisites        */
              (kn[_pid] & PREBITS(rtid[i])) == PREBITS(rtid[i]));
       hb_gc()
    :: else -> won = 0
    fi
  }
}

/* exec(i, sched, gg): run i if this thread wins the claim of generation
 * gg; otherwise drop the scheduler's bit if the caller took i off a ready
 * queue. */
inline exec(i, sched, gg)
{
  claim(i, 1, won, gg);
  if
  :: !won ->
     if
     :: sched != 0 -> drop(i, sched)  /* canceled, or run by a waiter      */
     :: else -> skip
     fi
  :: else ->
     atomic {                     /* the body: pending = 1 (relaxed)       */
       pending[i] = 1; RLXST(pmsg[i]);
       assert(!trun[rtid[i]]); trun[rtid[i]] = 1
     };
     finish(i, T_DONE, sched)
  fi;
  won = 0
}

/* ---------------------------------------------------------------- launch */

/* take_outcome(prerequisite record pi, generation pgg, ghost task ptt):
 * the launcher read pi's head SEALED (acquire). Read its state (acquire);
 * DONE passes nothing on; otherwise read origin and origin_status, check
 * the generation in `state' again, and only then take that outcome
 * (set_origin; failures are not modelled, the outcome taken is what STRICT
 * checks). */
inline take_outcome(pi, pgg, ptt)
{
  atomic { st = state[pi]; ACQ(smsg[pi]); rdok = OWNS(pi, ptt) };
#ifndef STRICT
  st = T_DONE;                    /* what is read matters only to STRICT    */
#endif
  if
  :: SV(st) == T_DONE -> skip     /* nothing to pass on                     */
  :: else ->
     /* origin, origin_status */
     atomic { rdok = rdok && OWNS(pi, ptt) };
#ifndef MUT_LINKNORECHECK
     if
     :: SGEN(state[pi]) != (pgg) -> rdok = 1  /* recycled meanwhile: as if
                                     found recycled, nothing taken          */
     :: else -> skip
     fi;
#endif
#ifdef STRICT
     assert(rdok);                /* the outcome taken is the prereq's      */
#endif
     skip
  fi;
  rdok = 0; st = 0
}

/* link_after(i, j, pr[j] with generation pg[j], ghost ptid[j]): lk = 1 if
 * linked (pr[j]'s completer now holds the slot's unit of i's pending), 0
 * if the prerequisite completed (SEALED: take_outcome) or was recycled;
 * then the launcher still holds the unit. Load acquire; CAS acq_rel,
 * acquire on failure. */
inline link_after(i, j)
{
  lkrec = pr[j];
  atomic { h = head[lkrec]; ACQ(hmsg[lkrec]) };
  do
  :: GEN(h) != pg[j] -> lk = 0; break   /* recycled: it completed          */
  :: GEN(h) == pg[j] && ISSEALED(h) ->
     take_outcome(lkrec, pg[j], ptid[j]);
     lk = 0; break
  :: GEN(h) == pg[j] && !ISSEALED(h) ->
     atomic {
       nxt[i * SLOTS + j] = LINKS(h);  /* i's own field, read only once the
                                     CAS has published the link: one step  */
       ACQ(hmsg[lkrec]);
       if
#ifdef MUT_LINKNOGEN
       :: head[lkrec] % HG == h % HG ->  /* WRONG: generation not compared */
          head[lkrec] = head[lkrec] - LINKS(head[lkrec]) + LINK(i, j);
#else
       :: head[lkrec] == h ->
          head[lkrec] = h - LINKS(h) + LINK(i, j);
#endif
          RELRMW(hmsg[lkrec]);
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
  h = 0; lkrec = 0
}

/* create: a task after pr[0..n-1] (handles pr/pg, ghost ptid), with holder
 * bits R_SCHED | hold, as src/task.c since 0fc3c04 (no launch
 * guard). First each prerequisite: lookup (acquire; another generation:
 * rc = RC_STALE, nothing created), then the first look at its head
 * (acquire): SEALED: not counted, not linked, its outcome taken now;
 * otherwise counted (`live'). Then the record: the initial stores (kind,
 * prereq, origin, head = g << 32 | holder bits, the argument block,
 * pending = live) are one step, then the release store of g | NEW. Nobody
 * can change head before it (no handle of generation g exists yet), but a
 * launcher holding the previous incarnation's handle may read it in
 * link_after and count that prerequisite completed: so the store of head
 * is a release, carrying what free_rec's release store of head carried
 * (0c79fd4; relaxed with HEAD_RELAXED, as at fd32407). Nothing counted:
 * ready at once. Otherwise link each counted slot; one whose prerequisite
 * completed (or was recycled) meanwhile leaves its unit with the launcher
 * (`owe'), and only if owe > 0 does the launcher touch the record again:
 * unpend(owe). Sets rc, and i, T (the new task's id) and g (its
 * generation: the handle is (i, g)). */
inline create(n, hold, own, rc)
{
  rc = RC_OK; live = 0; mask = 0;
  k = 0;
  do
  :: k < n ->
#ifdef MUT_LOOKRLX
     atomic { ok = LOOKUP(pr[k], pg[k]); ACQ(hmsg[pr[k]]) };
     h = head[pr[k]];             /* WRONG: relaxed (its own step: the
                                     lookup's acquire may read before the
                                     seal that this load reads)             */
#else
     atomic { ok = LOOKUP(pr[k], pg[k]); h = head[pr[k]]; ACQ(hmsg[pr[k]]) };
#endif
     if
     :: !ok -> rc = RC_STALE; break
     :: else ->
        if
        :: ISSEALED(h) ->
           take_outcome(pr[k], pg[k], ptid[k]);
#ifdef MUT_COUNTSEALED
           live++                 /* WRONG: counted, never linked           */
#endif
        :: else ->
           mask = mask | (1 << k);
#ifndef MUT_SKIPLIVE
           live++
#endif
        fi;
        h = 0
     fi;
     k++
  :: else -> break
  od;
  k = 0; ok = 0;
  if
  :: rc != RC_OK -> skip
  :: else ->
     /* alloc_rec, the initial stores and the release store of state: one
      * step (the pop is under a lock, or of the worker's own list; the
      * stores are to a record nobody else may write: a reader of its
      * state in between reads what it read before the pop). */
     atomic {
       if
       :: own != 0 -> i = own     /* a record from the worker's own list    */
       :: own == 0 && freel != 0 ->
          i = freel; freel = nxt[i * SLOTS]; nxt[i * SLOTS] = 0; ACQ(flmsg)
       fi;
       T = ntid; ntid++;
       rtid[i] = T; tlaunched[T] = 1;
       tpre[T * SLOTS] = (n > 0 -> ptid[0] : 0);
       tpre[T * SLOTS + 1] = (n > 1 -> ptid[1] : 0);
       prereq[i * SLOTS] = (n > 0 -> pr[0] : 0);
       prereq[i * SLOTS + 1] = (n > 1 -> pr[1] : 0);
       g = GEN(head[i]);
       kind[i] = K_TASK;
       head[i] = g * HG + R_SCHED + (hold); gref[i] = R_SCHED | (hold);
#ifdef HEAD_RELAXED
       RLXST(hmsg[i]);            /* relaxed (INIT_STORE), as at fd32407    */
#else
       RELST(hmsg[i]);            /* release (0c79fd4): carries what
                                     free_rec's release store of head did  */
#endif
       targ[i] = T;
#ifndef MUT_STATEFIRST
       pending[i] = live; RLXST(pmsg[i]);
#endif
       state[i] = g * SG + T_NEW; RELST(smsg[i])  /* release: publishes the
                                     fields above                           */
     };
#ifdef MUT_STATEFIRST
     atomic { pending[i] = live; RLXST(pmsg[i]) }  /* WRONG: after state    */
#endif
     if
     :: live == 0 -> atomic { z = 1; became_ready(i); make_ready(i) }
     :: else ->
        owe = 0;
        k = 0;
        do
        :: k < n ->
           if
           :: (mask & (1 << k)) != 0 ->
              link_after(i, k);
              if
              :: !lk -> owe++
              :: else -> skip
              fi
           :: else -> skip
           fi;
           k++
        :: else -> break
        od;
#ifdef MUT_LATETOUCH
        if                        /* WRONG: unpend(owe) even with owe == 0  */
        :: true ->
#else
        if
        :: owe > 0 ->             /* we still hold units: it is ours        */
#endif
           assert(OWNS(i, T) && !tready[T]);  /* the launcher touches it
                                     only while it holds a unit             */
           unpend(i, owe)
        :: else -> skip
        fi;
        k = 0; owe = 0
     fi
  fi;
  lk = 0; z = 0; live = 0; mask = 0
}

/* An event of generation 1 (set up before the processes start): pending 1,
 * no scheduler bit, a user handle. */
inline make_event(i)
{
  d_step {
    T = ntid; ntid++;
    rtid[i] = T; tlaunched[T] = 1; tevent[T] = 1;
    kind[i] = K_EVENT;
    head[i] = HG + R_USER; gref[i] = R_USER;
    pending[i] = 1;
    state[i] = SG + T_NEW
  }
}

/* weft_event_trigger (handle (i, gg), held by the caller). */
inline trigger(i, gg)
{
  atomic { claim(i, 0, won, gg); assert(won); FINISH_STATE(i, T_DONE) };
  finish_seal(i, 0);
  won = 0
}

/* --------------------------------------------------------------- handles */


/* weft_task_release(handle (i, gg), ghost task tt): rc. The C code loads
 * head (relaxed) and CASes it (acq_rel) in a loop while the generation is
 * the handle's and R_USER is set, clearing R_USER: one step here (it
 * succeeds only on the value it last read). It frees iff the new value is
 * sealed with no holder. */
inline release(i, gg, tt, rc)
{
  if
  :: !LOOKUP(i, gg) -> rc = RC_STALE
  :: else ->
     atomic {
       h = head[i];
       if
#ifdef MUT_RELEASENOGEN
       :: (h & R_USER) != 0 ->    /* WRONG: any generation (a fetch_and)    */
#else
       :: GEN(h) == (gg) && (h & R_USER) != 0 ->
#endif
          h = h - R_USER; head[i] = h; gref[i] = gref[i] & ~R_USER;
          ACQ(hmsg[i]); RELRMW(hmsg[i]);  /* acq_rel                       */
#ifdef STRICT
          assert(OWNS(i, tt));    /* the handle's own bit                   */
#endif
          rc = RC_OK
       :: else -> rc = RC_STALE
       fi
     };
     if
     :: rc == RC_OK && UNHELD(h) -> free_rec(i)
     :: else -> skip
     fi
  fi;
  h = 0
}

/* weft_task_status(handle (i, gg), ghost task tt): lookup, then state_of
 * (the generation in the word it reads). st = the state, or T_FREE for
 * WEFT_ESTALE. */
inline status(i, gg, tt, st)
{
  if
  :: !LOOKUP(i, gg) -> st = T_FREE
  :: else ->
     atomic { v = state[i]; rdok = OWNS(i, tt) };
#ifdef MUT_STATUSNOGEN
     st = (SV(v) == T_FREE -> T_NEW : SV(v));  /* WRONG: FREE reads as
                                     EPENDING, another incarnation as its own */
#else
     st = (SGEN(v) == (gg) -> SV(v) : T_FREE);
#endif
#ifdef STRICT
     assert(st == T_FREE || rdok); /* never another incarnation's state     */
#endif
     rdok = 0; v = 0
  fi
}

/* weft_task_result(handle (i, gg), ghost task tt): lookup, state_of, then
 * (final) the copy of the argument block, read as two steps (memcpy is not
 * atomic), and state_of again. st as for status. */
inline result(i, gg, tt, st)
{
  if
  :: !LOOKUP(i, gg) -> st = T_FREE
  :: else ->
     v = state[i];
     if
     :: SGEN(v) != (gg) -> st = T_FREE
     :: SGEN(v) == (gg) && !FINAL(SV(v)) -> st = SV(v)  /* EPENDING        */
     :: SGEN(v) == (gg) && FINAL(SV(v)) ->
        rdok = (targ[i] == (tt));           /* the copy: first half ...     */
        rdok = rdok && (targ[i] == (tt));   /* ... and second half          */
#ifdef MUT_RESULTNORECHECK
        st = SV(v);               /* WRONG: no check after the copy         */
#else
        st = (SGEN(state[i]) == (gg) -> SV(v) : T_FREE);
#endif
#ifdef STRICT
        assert(st == T_FREE || rdok);  /* never another task's arguments    */
#endif
        rdok = 0
     fi;
     v = 0
  fi
}

/* weft__prim_wait32(_for)(&state[i], v): the futex compares the word and
 * goes to sleep in one step (under its lock: no wake is lost between), and
 * a wake of the word (finish, WAITER set) returns it. The timed wait
 * (WAIT_RECHECK_NS) also returns once the word no longer holds v: a return
 * while it still holds v would read v again and sleep again (the same
 * state), and the word never comes back to v (the generation is in it). */
inline futex_wait(i, v)
{
  atomic {
    if
    :: state[i] == v -> sleeper = i
    :: else -> skip               /* the compare fails: returns at once     */
    fi
  };
#ifdef MUT_WAITUNTIMED
  atomic { sleeper != i -> sleeper = 0 }   /* only a wake returns it      */
#else
  atomic { (sleeper != i || state[i] != v) -> sleeper = 0 }
#endif
}

/* weft_task_wait(handle (i, gg), ghost task tt) from a thread outside the
 * pool: lookup; set WAITER in head (CAS, only while not sealed and of the
 * handle's generation); while state_of is neither stale nor final, sleep on
 * the word it read; then state_of again: its final state, or T_FREE for
 * WEFT_ESTALE. (The bounded spin before the CAS only reads state the way
 * the loop does; wait_working, on a worker, re-reads after any step, which
 * the timed sleep covers.) */
#ifdef MUT_WAITNOGEN
#define WAIT_DONE(v, gg) FINAL(SV(v))   /* WRONG: no generation           */
#else
#define WAIT_DONE(v, gg) (SGEN(v) != (gg) || FINAL(SV(v)))
#endif
inline wait_final(i, gg, tt, st)
{
  if
  :: !LOOKUP(i, gg) -> st = T_FREE
  :: else ->
#ifndef MUT_WAITNOWAITER
     h = head[i];
     do
     :: ISSEALED(h) || ISWAITER(h) || GEN(h) != (gg) -> break
     :: else ->
        atomic {
          if
          :: head[i] == h -> head[i] = h + WAITER
          :: else -> skip
          fi;
          h = head[i]
        }
     od;
     h = 0;
#endif
     do
     :: v = state[i];
        if
        :: WAIT_DONE(v, gg) -> break
        :: else -> futex_wait(i, v)
        fi
     od;
     atomic { v = state[i]; rdok = OWNS(i, tt) };
#ifdef MUT_WAITNOGEN
     st = (SV(v) == T_FREE -> T_NEW : SV(v));  /* WRONG: state_code of a
                                     FREE word is EPENDING                  */
#else
     st = (SGEN(v) == (gg) -> SV(v) : T_FREE);
#endif
#ifdef STRICT
     assert(st == T_FREE || (rdok && FINAL(st)));  /* its own outcome, or
                                     WEFT_ESTALE; never WEFT_EPENDING       */
#endif
     rdok = 0; v = 0
  fi
}

/* cancel_rec (handle (i, gg) looked up): rc 1 if this call canceled. */
inline cancel(i, gg, rc)
{
  atomic {
    claim(i, 0, won, gg);
    if
    :: won -> tcanceled[rtid[i]] = 1; FINISH_STATE(i, T_CANCELED)
    :: else -> skip
    fi
  };
  if
  :: won ->
#ifdef MUT_EARLYSCHED
     finish_seal(i, R_SCHED);     /* WRONG: still queued or linked          */
#else
     finish_seal(i, 0);           /* the scheduler's bit stays              */
#endif
     rc = 1
  :: else -> rc = 0
  fi;
  won = 0
}

/* help(i) at one level (the C recursion reads state, kind, pending, then
 * claims by index with the generation of the state word it read). */
inline help_one(i)
{
  atomic { st = state[i]; ACQ(smsg[i]) };
  if
  :: SV(st) == T_NEW && kind[i] != K_EVENT ->
     atomic { pv = pending[i]; ACQ(pmsg[i]) };
     if
     :: pv == 0 -> pv = 0; exec(i, 0, SGEN(st))
     :: else -> skip
     fi
  :: else -> skip
  fi;
  st = 0; pv = 0
}

/* ------------------------------------------------------------ processes */

/* Takes the whole ready stack and execs each record (reading next[0]
 * before exec: a completed record's next[0] links the free list). The
 * generation comes from the state word (dispatch_one): the scheduler's bit
 * keeps the incarnation, so it is the current one. A taken record's
 * next[0] and generation no longer change: reading them is one step with
 * the take (or the previous exec's end). */
#define DPOP cur = all; all = nxt[cur * SLOTS]; inq[cur] = 0; g = SGEN(state[cur])
active proctype dispatcher()
{
  LOCALS;
end:
  do
  :: atomic { ready != 0 -> all = ready; ready = 0; ACQ(rdmsg); DPOP };
     do
     :: exec(cur, R_SCHED, g);
        cur = 0; g = 0;
        if
        :: all == 0 -> break
        :: else -> d_step { DPOP }
        fi
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
/* records 1, 2: events P1, P2; 3, 4: free.
 *   (default)  L1 after P1, P2 and L2 after P1; P1's handle released at
 *              any time, P2's once both launches returned
 *   LINK_ALL   the same, both handles released at any time (--deep: the
 *              product of the two is 2.5 times the default's states)
 *   LINK_ONE   L1 alone, both handles released at any time */
#ifdef LINK_ONE
#define NPROC 3
#else
#define NPROC 4
#endif
byte gP1, gP2;
byte tP1, tP2;

/* Triggers event p, then releases the handle (if `late', once no launch
 * is to come: the program releases it after both launches returned). */
proctype trig(byte p; byte gp; byte tp; bool late)
{
  LOCALS;
  trigger(p, gp);
#if !defined(LINK_ALL) && !defined(LINK_ONE)
  !late || nlaunch == 0;
#endif
  release(p, gp, tp, st);
  assert(st == RC_OK);
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
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
  create(np, 0, 0, rc);
  /* The trigger threads release the events' handles: a launch after a
   * released (recycled) one fails with WEFT_ESTALE, nothing created. */
  assert(rc == RC_OK || tfreed[ptid[0]] || (np == 2 && tfreed[ptid[1]]));
  d_step { launched_all(); kn[_pid] = 0; nfinished++ }  /* kn is dead    */
}

init
{
  LOCALS;
  atomic {
    make_event(1); tP1 = T; gP1 = 1;
    make_event(2); tP2 = T; gP2 = 1;
    head[3] = HG; head[4] = HG;
    state[3] = SG + T_FREE; state[4] = SG + T_FREE;
    nxt[3 * SLOTS] = 4; freel = 3;
    run trig(1, 1, 1, 0);
    run trig(2, 1, 2, 1);
#ifdef LINK_ONE
    nlaunch = 1;
    run launcher(2)
#else
    nlaunch = 2;
    run launcher(2);
    run launcher(1)
#endif
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
#define STALE_OP 0                /* 1 status, 2 release, 3 launch, 4 result;
                                     0 any of those; 5 wait (only alone)    */
#endif
byte gX, gE;
byte tX, tE;
bool released = 0;

/* X's owner: releases H at any time. */
proctype owner()
{
  LOCALS;
  release(1, gX, tX, st);
  assert(st == RC_OK);
  released = 1;
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

/* Launches Y after E (keeping a handle), triggers E, releases E, checks
 * and releases its handle of Y. Y gets a recycled record (X's, or S's). */
proctype reuser()
{
  LOCALS;
  d_step { pr[0] = 2; pg[0] = gE; ptid[0] = tE };
  create(1, R_USER, 0, rc);
  d_step { launched_all() };
  assert(rc == RC_OK);
  trigger(2, gE);
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
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

/* Uses a copy of H after the owner released it: status, a second
 * release, a launch of S after H (validate_after, then link_after), or
 * result (or wait, STALE_OP=5). */
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
     d_step { pr[0] = 1; pg[0] = gX; ptid[0] = tX };
     create(1, 0, 3, rc);         /* create's lookup validates it           */
     if
     :: rc == RC_STALE ->         /* WEFT_ESTALE: nothing launched          */
        d_step { head[3] = HG; state[3] = SG + T_FREE; nxt[3 * SLOTS] = freel; freel = 3 }
     :: else -> skip
     fi
  :: STALE_OP == 0 || STALE_OP == 4 -> result(1, gX, tX, st)
#ifdef WAIT_MODEL
  :: STALE_OP == 5 -> wait_final(1, gX, tX, st)
#endif
  fi;
  d_step { launched_all(); kn[_pid] = 0; nfinished++ }  /* kn is dead    */
}

init
{
  LOCALS;
  atomic {
    nlaunch = 2;
    make_event(2); tE = T; gE = 1;
    d_step {
      /* X: launched with no prerequisite, so it is ready at once */
      T = ntid; ntid++; tX = T; tlaunched[T] = 1; rtid[1] = T; targ[1] = T;
      head[1] = HG + R_SCHED + R_USER; gref[1] = R_SCHED | R_USER;
      gX = 1; kind[1] = K_TASK;
      pending[1] = 0; state[1] = SG + T_NEW; tready[T] = 1;
      nxt[1 * SLOTS] = 0; ready = 1; inq[1] = 1;
      head[3] = HG; state[3] = SG + T_FREE
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
byte gP, gS;
byte tP, tS, iS;
bool launched = 0, launched2 = 0, cancel_done = 0;

/* Launches S after P (keeping a handle), then S2 after S. */
proctype launcher()
{
  LOCALS;
  d_step { pr[0] = 1; pg[0] = gP; ptid[0] = tP };
  create(1, R_USER, 0, rc);
  assert(rc == RC_OK);
  d_step { iS = i; gS = g; tS = T; pr[0] = i; pg[0] = g; ptid[0] = T };
  launched = 1;
  create(1, 0, 0, rc);
  assert(rc == RC_OK);
  d_step { launched2 = 1; launched_all(); kn[_pid] = 0; nfinished++ }
}

proctype trig()
{
  LOCALS;
  trigger(1, gP);
  launched;                       /* the launch after P has used P's handle
                                     (create looks it up): a program that
                                     releases a handle while launching after
                                     it is SCEN_LINK's and SCEN_STALE's     */
  release(1, gP, tP, st);
  assert(st == RC_OK);
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

/* weft_task_cancel(S) with the owner's handle. */
proctype canceller()
{
  LOCALS;
  launched;
  assert(LOOKUP(iS, gS));         /* held by the waiter until we are done   */
  cancel(iS, gS, st);
  if
  :: st == 1 -> assert(tdone[tS])  /* completed at once                     */
  :: else -> skip
  fi;
  cancel_done = 1;
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

/* weft_task_wait(S) on a worker: help S inline until it is final; then,
 * once the canceller is done with the handle, release it. */
proctype waiter()
{
  LOCALS;
  launched;
  do
  :: FINAL(SV(state[iS])) -> break
  :: else -> help_one(iS)
  od;
  cancel_done && launched2;       /* S2's launch has used S's handle too    */
  release(iS, gS, tS, st);
  assert(st == RC_OK);
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

init
{
  LOCALS;
  atomic {
    nlaunch = 1;
    make_event(1); tP = T; gP = 1;
    head[2] = HG; head[3] = HG; state[2] = SG + T_FREE; state[3] = SG + T_FREE;
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
/* record 1: task S (ready; with HELP_CANCEL a handle held by a canceller,
 * else none); 2: task W after S (handle held by the waiter); 3: event E
 * (held by the reuser); free list empty. */
#ifdef HELP_CANCEL
#define NPROC 3
#else
#define NPROC 2
#endif
byte gW, gE;
byte tS, tW, tE;

#ifdef HELP_CANCEL
/* weft_task_cancel(S), then weft_task_release(S): a task canceled once
 * ready keeps pending 0 into its record's next incarnation. */
proctype canceller()
{
  LOCALS;
  cancel(1, 1, st);
  release(1, 1, tS, st);
  assert(st == RC_OK);
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}
#endif

/* weft_task_wait(W) on a worker: help W, else W's prerequisite by the
 * index in W's prereq slot (help's recursion, one level). */
proctype waiter()
{
  LOCALS;
  do
  :: FINAL(SV(state[2])) -> break
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
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

/* Launches Y after E into a recycled record, triggers E, releases both. */
proctype reuser()
{
  LOCALS;
  d_step { pr[0] = 3; pg[0] = gE; ptid[0] = tE };
  create(1, R_USER, 0, rc);
  d_step { launched_all() };
  assert(rc == RC_OK);
  trigger(3, gE);
  release(3, gE, tE, st);
  assert(st == RC_OK);
  release(i, g, T, st);
  assert(st == RC_OK);
  d_step { kn[_pid] = 0; nfinished++ }  /* kn is dead from here         */
}

init
{
  LOCALS;
  atomic {
    nlaunch = 1;
    make_event(3); tE = T; gE = 1;
    d_step {
      /* S: no prerequisite, no handle, ready at once */
      T = ntid; ntid++; tS = T; tlaunched[T] = 1; rtid[1] = T; targ[1] = T;
      kind[1] = K_TASK;
#ifdef HELP_CANCEL
      head[1] = HG + R_SCHED + R_USER; gref[1] = R_SCHED | R_USER;
#else
      head[1] = HG + R_SCHED; gref[1] = R_SCHED;
#endif
      pending[1] = 0; state[1] = SG + T_NEW; tready[T] = 1;
      nxt[1 * SLOTS] = 0; ready = 1; inq[1] = 1;
      /* W: after S, S still pending: linked into S's list */
      T = ntid; ntid++; tW = T; tlaunched[T] = 1; rtid[2] = T; targ[2] = T;
      head[2] = HG + R_SCHED + R_USER; gref[2] = R_SCHED | R_USER;
      gW = 1; kind[2] = K_TASK;
      tpre[T * SLOTS] = tS; prereq[2 * SLOTS] = 1;
      pending[2] = 1; state[2] = SG + T_NEW;
      nxt[2 * SLOTS] = 0; head[1] = head[1] + LINK(2, 0); inlist[2] = 1
    };
    run waiter();
    run reuser()
#ifdef HELP_CANCEL
    ; run canceller()
#endif
  }
}

active proctype checker()
{
  LOCALS;
  atomic { timeout -> final_checks(NPROC) }
}
#endif /* SCEN_HELP */
