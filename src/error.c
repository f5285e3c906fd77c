#include "weft.h"

const char *weft_strerror(int err) {
  switch (err) {
    case WEFT_OK: return "success";
    case WEFT_EINVAL: return "invalid argument";
    case WEFT_E2BIG: return "argument block larger than WEFT_ARGS_MAX";
    case WEFT_ENOMEM: return "out of memory (region, or scratch arena exhausted)";
    case WEFT_EBADPOOL: return "pool handle is invalid or the pool was destroyed";
    case WEFT_ELIMIT: return "too many workers or live pools";
    case WEFT_ETHREAD: return "the platform could not start a worker thread";
    case WEFT_EDEADLK: return "would deadlock: called from a worker of the same pool";
    case WEFT_ENOTASK: return "sync without an outstanding spawn in this task";
    case WEFT_EPENDING: return "job or task still running";
    case WEFT_ESTALE: return "task handle is stale: released, never valid, or of another pool";
    case WEFT_EFAILED: return "the task's body returned a non-zero status";
    case WEFT_EALREADY: return "the event was already triggered or canceled";
    case WEFT_ECYCLE: return "the graph has a cycle (or a self-edge)";
    case WEFT_EFOREIGN: return "node handle does not belong to this graph";
    case WEFT_EBUSY: return "busy: the graph is running (or a trace is), or the worker was entered already";
    case WEFT_ENODE_FAILED: return "a graph node returned a non-zero status";
    case WEFT_ECANCELED: return "canceled (a graph run, a task, or a failed prerequisite)";
    default: return "unknown weft error";
  }
}
