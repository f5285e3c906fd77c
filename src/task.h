/*
 * task.h - the record of a launched task, event or hidden join, and the
 * words of its protocol. The protocol and its proof sketch are in
 * docs/TASKS.md; each field below says who writes it and when.
 */
#ifndef WEFT_TASK_H
#define WEFT_TASK_H

#include "internal.h"

#define WEFT__SLOTS 4u               /* prerequisite links inline in a record */
#define WEFT__CHUNK_SHIFT 12u        /* records per chunk: 4096 (512 KiB) */
#define WEFT__CHUNK (1u << WEFT__CHUNK_SHIFT)
#define WEFT__MAX_CHUNKS 4096u
#define WEFT__IDX_MASK 0xffffffu     /* 24-bit record index in a handle */

/* head (low 32 bits; the high 32 are the generation): the waiter list, the
 * seal, and the holders of the record. The record is recycled by whoever
 * leaves it SEALED (completion's own hold gone) with no holder bit: every
 * change of these bits is a read-modify-write of this one word, so exactly
 * one thread sees that. */
#define WEFT__H_LINKS 0x07ffffffu    /* first waiter link + 1, 0 = none */
#define WEFT__H_PIPE 0x08000000u     /* holder: a pipe (its newest member) */
#define WEFT__H_USER 0x10000000u     /* holder: the user's handle (or a launcher's join) */
#define WEFT__H_SCHED 0x20000000u    /* holder: the scheduler, until it leaves the ready queues */
#define WEFT__H_HOLD (WEFT__H_PIPE | WEFT__H_USER | WEFT__H_SCHED)
#define WEFT__H_WAITER 0x40000000u   /* a thread sleeps on `state` */
#define WEFT__H_SEALED 0x80000000u   /* completed: no more waiters can link */

/* state: the record's generation (low 24 bits) << 8 | one of these. The
 * generation makes every claim (a CAS from NEW) name an incarnation: a
 * waiter that read a record by index, and lost it to a recycle and a reuse
 * before its CAS, fails instead of running the next task early (the spin
 * model's SCEN_HELP), and status reads check it in the same load. */
#define WEFT__S_BITS 0xffu
#define WEFT__S_GEN(g) ((uint32_t)(g) << 8)
#define WEFT__S_OF(v) ((v) & WEFT__S_BITS)
#define WEFT__S_SAMEGEN(v, g) (((v) >> 8) == ((uint32_t)(g) & 0xffffffu))
#define WEFT__T_NEW 0u       /* not started (waiting, or ready and queued) */
#define WEFT__T_RUNNING 1u   /* claimed: the body runs, or children are awaited */
#define WEFT__T_DONE 2u
#define WEFT__T_FAILED 3u
#define WEFT__T_CANCELED 4u
#define WEFT__T_FREE 5u      /* on a free list */
#define WEFT__T_CANCEL_REQ 8u /* with NEW: a pipe member canceled before its turn */

/* kind */
#define WEFT__K_TASK 0u
#define WEFT__K_EVENT 1u
#define WEFT__K_JOIN 2u      /* hidden: joins more prerequisites than fit a record */

typedef struct weft__trec {
  /* Line 0: the words other threads change, and the links they follow. */
  _Atomic uint64_t head;    /* gen << 32 | SEALED | WAITER | holders | waiter list; RMWs only,
                               but for the stores of a record being created or freed */
  _Atomic uint32_t pending; /* prerequisites not completed (+1 a pipe's turn); once
                               running: 1 for the body, + child units added, - children
                               completed */
  _Atomic uint32_t state;   /* gen << 8 | WEFT__T_*; NEW -> RUNNING by CAS (the claim) */
  uint32_t credit;          /* the body's thread only: child units added, not used yet */
  _Atomic int32_t origin_status; /* written by whoever set origin, before its decrement */
  _Atomic uint64_t origin;  /* first failure that reached this record (handle id), CAS from 0 */
  weft_task_fn fn;          /* NULL: event or join */
  uint32_t parent;          /* record index whose `pending` counts this one, 0 none */
  uint8_t kind;
  uint8_t order_mask;       /* slots whose link only orders (pipes): no failure passes */
  uint8_t has_children;     /* the body's thread only: child units were added (exec sets 0) */
  uint8_t pad_;
  /* Slot j's link in its prerequisite's waiter list (next link + 1). Read by
   * the completer of that prerequisite before it decrements `pending` (on
   * this same line: a completer touches one line of each successor), so
   * once the task is ready next[0] is free: it links ready lists and free
   * lists. */
  uint32_t next[WEFT__SLOTS];
  /* Line 1: the argument block, and what only waiters read. */
  union {
    unsigned char b[WEFT_ARGS_MAX];
    uint64_t align_;
  } args;
  uint32_t prereq[WEFT__SLOTS]; /* record indices of the prerequisites (wait helps them) */
} weft__trec;

_Static_assert((((uint64_t)WEFT__IDX_MASK << 2) | 3u) + 1u <= WEFT__H_LINKS,
               "a waiter link (record index, slot) + 1 fits below the holder bits");
_Static_assert(sizeof(weft__trec) == 128, "a record is two cache lines");
_Static_assert(offsetof(weft__trec, next) + sizeof(uint32_t) * WEFT__SLOTS <= 64,
               "what completers touch stays on line 0");

/* For hosts that wait on their own (src/wasm/host_task.c); task.c. */
_Atomic uint32_t *weft__task_waiter(weft_task t, int *rc);
uint64_t weft__task_current(weft_worker *w);

#endif
