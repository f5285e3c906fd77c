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
    case WEFT_EPENDING: return "job still running";
    default: return "unknown weft error";
  }
}
