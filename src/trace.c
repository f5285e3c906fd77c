/*
 * trace.c - weft_trace_*: starting and stopping a pool's timeline trace and
 * writing it as Chrome Trace Event JSON. How events are recorded (the
 * rings, their memory orderings) is in trace.h; the output format is in
 * docs/TRACES.md.
 */
#include "trace.h"

#define DEFAULT_EVENTS 65536u
#define MIN_EVENTS 16u
#define MAX_EVENTS ((size_t)1 << 26)

typedef struct tname {
  const void *key;
  char *name;
} tname;

struct snap;

struct weft__trace {
  struct weft__trace *older; /* rings of an earlier size, kept until destroy */
  /* The rings as weft_trace_stop found them (n + 1 snapshots), or NULL while
   * recording: every read after a stop sees this one recording, even though
   * a worker still inside a hook at the stop (a task body that began before
   * it) may write one more event into its ring, over the oldest ones. */
  struct snap *frozen;
  unsigned n;                /* workers; bufs[n] is the shared ring */
  uint64_t cap;
  weft__tbuf *bufs;
  unsigned level;            /* of the last start; 0 while stopped */
  unsigned last_level;
  uint64_t start_t, stop_t;  /* of the last start and stop, ns since the rings' origin */
  _Atomic uint32_t ids;      /* job trace ids */
  /* names: under the pool's trace_lock */
  tname *names;
  size_t nnames, capnames;
};

/* ---- the API lock (never taken by workers) */

/* Held across weft_trace_write's calls to the sink, so waiters soon yield
 * (src/spin.h). */
static void api_lock(weft__pool *p) { weft__spin_lock(&p->trace_lock); }

static void api_unlock(weft__pool *p) { weft__spin_unlock(&p->trace_lock); }

static void free_frozen(struct weft__trace *t);
static void freeze(struct weft__trace *t);

static void free_rings(struct weft__trace *t) {
  free_frozen(t);
  for (unsigned i = 0; t->bufs && i <= t->n; i++) free(t->bufs[i].ev);
  weft__aligned_free(t->bufs);
}

/* cap 0: no rings (a home for names given before the first start). */
static struct weft__trace *new_trace(weft__pool *p, uint64_t cap) {
  struct weft__trace *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->n = p->nworkers;
  t->cap = cap;
  if (!cap) return t;
  t->bufs = weft__aligned_alloc(WEFT__CACHE_LINE, (t->n + 1) * sizeof *t->bufs);
  if (!t->bufs) {
    free(t);
    return NULL;
  }
  memset(t->bufs, 0, (t->n + 1) * sizeof *t->bufs);
  uint64_t origin = weft__prim_now_ns();
  for (unsigned i = 0; i <= t->n; i++) {
    weft__tbuf *b = &t->bufs[i];
    b->ev = calloc(cap, sizeof *b->ev);
    if (!b->ev) {
      free_rings(t);
      free(t);
      return NULL;
    }
    b->mask = cap - 1;
    b->origin = origin;
    b->shared = i == t->n;
    atomic_init(&b->head, 0);
  }
  return t;
}

int weft_trace_start(weft_pool pool, unsigned level, size_t events) {
  if (level != WEFT_TRACE_COARSE && level != WEFT_TRACE_FINE) return WEFT_EINVAL;
  if (events == 0) events = DEFAULT_EVENTS;
  if (events < MIN_EVENTS || events > MAX_EVENTS) return WEFT_EINVAL;
  uint64_t cap = MIN_EVENTS;
  while (cap < events) cap <<= 1;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  int rc = 0;
  api_lock(p);
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_relaxed);
  if (t && t->level) {
    rc = WEFT_EBUSY;
    goto out;
  }
  if (!t || t->cap != cap) {
    struct weft__trace *nt = new_trace(p, cap);
    if (!nt) {
      rc = WEFT_ENOMEM;
      goto out;
    }
    if (t) { /* the names move on; the old rings stay until destroy, their copy does not */
      free_frozen(t);
      nt->names = t->names;
      nt->nnames = t->nnames;
      nt->capnames = t->capnames;
      t->names = NULL;
      t->nnames = t->capnames = 0;
      nt->ids = atomic_load_explicit(&t->ids, memory_order_relaxed);
      nt->older = t;
    }
    t = nt;
    atomic_store_explicit(&p->trace, t, memory_order_release);
  }
  free_frozen(t);
  /* Forget the old events without writing the owners' words: the reader
   * starts at base. */
  for (unsigned i = 0; i <= t->n; i++) {
    t->bufs[i].base = atomic_load_explicit(&t->bufs[i].head, memory_order_acquire);
    t->bufs[i].end = 0;
    __atomic_store_n(&t->bufs[i].fine, level == WEFT_TRACE_FINE, __ATOMIC_RELAXED);
  }
  t->level = t->last_level = level;
  t->start_t = weft__prim_now_ns() - t->bufs[0].origin;
  t->stop_t = 0;
  /* Release: a worker that sees its ring pointer sees the ring set up. */
  for (unsigned i = 0; i < t->n; i++)
    atomic_store_explicit(&p->workers[i]->trace, &t->bufs[i], memory_order_release);
out:
  api_unlock(p);
  weft__pool_unpin(pool);
  return rc;
}

int weft_trace_stop(weft_pool pool) {
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  api_lock(p);
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_relaxed);
  if (t && t->level) {
    for (unsigned i = 0; i < t->n; i++)
      atomic_store_explicit(&p->workers[i]->trace, NULL, memory_order_relaxed);
    t->level = 0;
    t->stop_t = weft__prim_now_ns() - t->bufs[0].origin;
    /* The recording ends here: reads after the stop all see the same one. */
    for (unsigned i = 0; i <= t->n; i++)
      t->bufs[i].end = atomic_load_explicit(&t->bufs[i].head, memory_order_acquire) + 1;
    freeze(t); /* without memory, reads fall back to the rings */
  }
  api_unlock(p);
  weft__pool_unpin(pool);
  return 0;
}

void weft__trace_free(weft__pool *p) {
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_relaxed);
  if (t) {
    for (size_t i = 0; i < t->nnames; i++) free(t->names[i].name);
    free(t->names);
  }
  while (t) {
    struct weft__trace *older = t->older;
    free_rings(t);
    free(t);
    t = older;
  }
  atomic_store_explicit(&p->trace, NULL, memory_order_relaxed);
}

void weft__trace_sync_fine(weft_worker *w) {
  weft__tbuf *b = weft__tracing(w);
  uint32_t want = b && __atomic_load_n(&b->fine, __ATOMIC_RELAXED) ? WEFT__SLOW_TRACE : 0;
  w->hot.slow = (w->hot.slow & ~WEFT__SLOW_TRACE) | want;
}

/* Shared ring: claimed by fetch_add, each slot marked whole by its seq. */
static void put_shared(weft__tbuf *b, uint32_t a, uint64_t key, uint32_t x, uint32_t y) {
  uint64_t n = atomic_fetch_add_explicit(&b->head, 1, memory_order_relaxed);
  weft__tev *e = &b->ev[n & b->mask];
  __atomic_store_n(&e->seq, 0, __ATOMIC_RELAXED);
  atomic_thread_fence(memory_order_release);
  __atomic_store_n(&e->t, weft__prim_now_ns() - b->origin, __ATOMIC_RELAXED);
  __atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
  __atomic_store_n(&e->a, a, __ATOMIC_RELAXED);
  __atomic_store_n(&e->b, x, __ATOMIC_RELAXED);
  __atomic_store_n(&e->c, y, __ATOMIC_RELAXED);
  __atomic_store_n(&e->seq, (uint32_t)(n + 1), __ATOMIC_RELEASE);
}

void weft__trace_submit(weft__pool *p, weft_job *job) {
  job->pad = 0;
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_acquire);
  if (!t) return;
  weft_worker *self = weft__tls_worker;
  weft__tbuf *b;
  if (self && self->pool == p) {
    b = weft__tracing(self);
  } else {
    /* Tracing iff some worker's pointer is set: worker 0's is (start sets
     * all of them, stop clears all of them). */
    b = atomic_load_explicit(&p->workers[0]->trace, memory_order_acquire) ? &t->bufs[t->n]
                                                                           : NULL;
  }
  if (!b) return;
  uint32_t id = atomic_fetch_add_explicit(&t->ids, 1, memory_order_relaxed) + 1;
  if (id == 0) id = atomic_fetch_add_explicit(&t->ids, 1, memory_order_relaxed) + 1;
  job->pad = id;
  if (b->shared)
    put_shared(b, WEFT__EV_SUBMIT, (uint64_t)(uintptr_t)job->fn, id, 0);
  else
    weft__tput(b, WEFT__EV_SUBMIT, (uint64_t)(uintptr_t)job->fn, id, 0);
}

/* ---- names */

static tname *find_name(struct weft__trace *t, const void *key) {
  for (size_t i = 0; i < t->nnames; i++)
    if (t->names[i].key == key) return &t->names[i];
  return NULL;
}

int weft_trace_name(weft_pool pool, const void *fn, const char *name) {
  if (!fn) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  int rc = 0;
  api_lock(p);
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_relaxed);
  if (!t) {
    /* Named before the first start: a trace without rings keeps the names
     * until weft_trace_start makes one with rings. */
    t = new_trace(p, 0);
    if (!t) {
      rc = WEFT_ENOMEM;
      goto out;
    }
    atomic_store_explicit(&p->trace, t, memory_order_release);
  }
  tname *e = find_name(t, fn);
  if (!name) {
    if (e) {
      free(e->name);
      *e = t->names[--t->nnames];
    }
    goto out;
  }
  size_t len = strlen(name);
  char *copy = malloc(len + 1);
  if (!copy) {
    rc = WEFT_ENOMEM;
    goto out;
  }
  memcpy(copy, name, len + 1);
  if (e) {
    free(e->name);
    e->name = copy;
    goto out;
  }
  if (t->nnames == t->capnames) {
    size_t cap = t->capnames ? 2 * t->capnames : 16;
    tname *nn = realloc(t->names, cap * sizeof *nn);
    if (!nn) {
      free(copy);
      rc = WEFT_ENOMEM;
      goto out;
    }
    t->names = nn;
    t->capnames = cap;
  }
  t->names[t->nnames].key = fn;
  t->names[t->nnames].name = copy;
  t->nnames++;
out:
  api_unlock(p);
  weft__pool_unpin(pool);
  return rc;
}

/* ---- reading the rings */

typedef struct snap {
  weft__tev *ev;
  size_t n;
  uint64_t recorded, dropped;
} snap;

/* The ring's head as the reader counts it: at most the head at the stop. */
static uint64_t read_head(weft__tbuf *b) {
  uint64_t h = atomic_load_explicit(&b->head, memory_order_acquire);
  return b->end && h > b->end - 1 ? b->end - 1 : h;
}

/* Copies ring b's events of the current trace into s (malloc'd). */
static int snapshot(weft__tbuf *b, uint64_t cap, snap *s) {
  memset(s, 0, sizeof *s);
  uint64_t h1 = read_head(b);
  uint64_t base = b->base;
  uint64_t lo = h1 > cap ? h1 - cap : 0;
  if (lo < base) lo = base;
  size_t want = (size_t)(h1 - lo);
  s->ev = malloc((want ? want : 1) * sizeof *s->ev);
  if (!s->ev) return WEFT_ENOMEM;
  size_t k = 0;
  for (uint64_t i = lo; i < h1; i++) {
    const weft__tev *e = &b->ev[i & b->mask];
    weft__tev c;
    uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
    if (seq != (uint32_t)(i + 1)) continue; /* not whole (yet), or reused */
    c.t = __atomic_load_n(&e->t, __ATOMIC_RELAXED);
    c.key = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
    c.a = __atomic_load_n(&e->a, __ATOMIC_RELAXED);
    c.b = __atomic_load_n(&e->b, __ATOMIC_RELAXED);
    c.c = __atomic_load_n(&e->c, __ATOMIC_RELAXED);
    c.seq = seq;
    atomic_thread_fence(memory_order_acquire);
    if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq) continue; /* overwritten meanwhile */
    s->ev[k++] = c;
  }
  s->n = k;
  s->recorded = h1 - base;
  s->dropped = s->recorded - s->n;
  return 0;
}

static void free_frozen(struct weft__trace *t) {
  if (!t->frozen) return;
  for (unsigned i = 0; i <= t->n; i++) free(t->frozen[i].ev);
  free(t->frozen);
  t->frozen = NULL;
}

/* Copies every ring at the stop (the reads' snapshot, taken once). */
static void freeze(struct weft__trace *t) {
  free_frozen(t);
  if (!t->bufs) return;
  snap *f = calloc(t->n + 1, sizeof *f);
  if (!f) return;
  for (unsigned i = 0; i <= t->n; i++) {
    if (snapshot(&t->bufs[i], t->cap, &f[i]) != 0) {
      for (unsigned k = 0; k <= i; k++) free(f[k].ev);
      free(f);
      return;
    }
  }
  t->frozen = f;
}

int weft_trace_counts(weft_pool pool, unsigned index, uint64_t *recorded, uint64_t *dropped) {
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  int rc = WEFT_EINVAL;
  api_lock(p);
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_relaxed);
  if (t && t->last_level && index <= t->n) {
    if (t->frozen) {
      if (recorded) *recorded = t->frozen[index].recorded;
      if (dropped) *dropped = t->frozen[index].dropped;
    } else {
      weft__tbuf *b = &t->bufs[index];
      uint64_t rec = read_head(b) - b->base;
      if (recorded) *recorded = rec;
      if (dropped) *dropped = rec > t->cap ? rec - t->cap : 0;
    }
    rc = 0;
  }
  api_unlock(p);
  weft__pool_unpin(pool);
  return rc;
}

/* ---- JSON */

typedef struct out {
  weft_trace_sink sink;
  void *user;
  int rc;
  size_t len;
  char buf[8192];
} out;

static void flush(out *o) {
  if (!o->rc && o->len) o->rc = o->sink(o->user, o->buf, o->len);
  o->len = 0;
}

static void put(out *o, const char *s, size_t n) {
  while (n) {
    if (o->len == sizeof o->buf) flush(o);
    size_t k = sizeof o->buf - o->len;
    if (k > n) k = n;
    memcpy(o->buf + o->len, s, k);
    o->len += k;
    s += k;
    n -= k;
  }
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

static void putu(out *o, uint64_t v) {
  char tmp[24];
  int i = 24;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(o, tmp + i, (size_t)(24 - i));
}

/* ns as microseconds with three decimals. */
static void putts(out *o, uint64_t ns) {
  putu(o, ns / 1000);
  char tmp[4] = {'.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10),
                 (char)('0' + ns % 10)};
  put(o, tmp, 4);
}

static void putstr(out *o, const char *s) {
  put(o, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(o, e, 2);
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      put(o, e, 6);
    } else {
      put(o, (const char *)&c, 1);
    }
  }
  put(o, "\"", 1);
}

static void puthex(out *o, uint64_t v) {
  static const char hex[] = "0123456789abcdef";
  char tmp[20];
  int i = 20;
  do {
    tmp[--i] = hex[v & 15];
    v >>= 4;
  } while (v);
  tmp[--i] = 'x';
  tmp[--i] = '0';
  put(o, "\"", 1);
  put(o, tmp + i, (size_t)(20 - i));
  put(o, "\"", 1);
}

/* {"ph":"X","pid":1,"tid":T,"ts":... : the common head of an event. */
static void head(out *o, int *first, const char *ph, unsigned tid, uint64_t t) {
  puts_(o, *first ? "\n{\"ph\":\"" : ",\n{\"ph\":\"");
  *first = 0;
  puts_(o, ph);
  puts_(o, "\",\"pid\":1,\"tid\":");
  putu(o, tid);
  puts_(o, ",\"ts\":");
  putts(o, t);
}

static const char *cat_name(unsigned cat) {
  switch (cat) {
  case WEFT__CAT_ROOT: return "job";
  case WEFT__CAT_STOLEN: return "stolen";
  case WEFT__CAT_NODE: return "node";
  case WEFT__CAT_LAUNCHED: return "launched";
  case WEFT__CAT_TASK: return "task";
  case WEFT__CAT_OVERFLOW: return "overflow";
  case WEFT__CAT_NODES: return "nodes";
  case WEFT__CAT_JS: return "js";
  default: return "task";
  }
}

static void put_name(out *o, struct weft__trace *t, const weft__tev *e, unsigned cat) {
  char buf[256];
  const char *nm = NULL;
  if (cat == WEFT__CAT_NODE) nm = weft__graph_trace_name(e->c, e->b, buf, sizeof buf);
  if (!nm) {
    const void *fn = (const void *)(uintptr_t)e->key;
    tname *tn = find_name(t, fn);
    if (tn) nm = tn->name;
    if (!nm) nm = weft__graph_fn_name(fn);
    if (!nm) nm = weft__submit_fn_name(fn);
    if (!nm) nm = weft__loop_fn_name(fn);
    if (!nm) nm = weft__task_fn_name(fn);
  }
  if (nm) {
    putstr(o, nm);
  } else if (cat == WEFT__CAT_NODES) {
    puts_(o, "\"graph nodes\"");
  } else if (cat == WEFT__CAT_NODE) {
    puts_(o, "\"node ");
    putu(o, e->b);
    puts_(o, "\"");
  } else {
    putstr(o, cat == WEFT__CAT_ROOT ? "job" : cat == WEFT__CAT_STOLEN ? "stolen task"
              : cat == WEFT__CAT_LAUNCHED ? "launched task" : cat == WEFT__CAT_JS ? "JS task"
              : "task");
  }
}

/* Flow ids: jobs even, steals odd, so they never meet. */
static void flow(out *o, int *first, const char *ph, unsigned tid, uint64_t t, uint64_t id,
                 const char *name, int enclosing) {
  head(o, first, ph, tid, t);
  puts_(o, ",\"id\":");
  putu(o, id);
  puts_(o, ",\"cat\":\"flow\",\"name\":");
  putstr(o, name);
  if (enclosing) puts_(o, ",\"bp\":\"e\"");
  puts_(o, "}");
}

static void instant(out *o, int *first, unsigned tid, uint64_t t, const char *name,
                    const char *arg, uint64_t v) {
  head(o, first, "i", tid, t);
  puts_(o, ",\"s\":\"t\",\"name\":");
  putstr(o, name);
  puts_(o, ",\"cat\":");
  putstr(o, name);
  puts_(o, ",\"args\":{\"");
  puts_(o, arg);
  puts_(o, "\":");
  putu(o, v);
  puts_(o, "}}");
}

/* One track: B/E pairs repaired so that they nest (an end whose begin was
 * dropped is skipped, except a wake: the worker slept since the start; a
 * task still open is closed at the stop, or now, marked unfinished). */
static int write_track(out *o, int *first, struct weft__trace *t, unsigned tid, const snap *s,
                       uint64_t *steal_seq, uint64_t end_t) {
  size_t depth = 0, cap = 64;
  uint64_t *open_ts = malloc(cap * sizeof *open_ts);
  if (!open_ts) return WEFT_ENOMEM;
  uint64_t last = 0;
  for (size_t i = 0; i < s->n; i++) {
    const weft__tev *e = &s->ev[i];
    unsigned kind = e->a & 0xff, cat = (e->a >> 8) & 0xff;
    last = e->t;
    switch (kind) {
    case WEFT__EV_BEGIN:
    case WEFT__EV_SLEEP:
      if (depth == cap) {
        uint64_t *n = realloc(open_ts, 2 * cap * sizeof *n);
        if (!n) {
          free(open_ts);
          return WEFT_ENOMEM;
        }
        open_ts = n;
        cap *= 2;
      }
      open_ts[depth++] = e->t;
      head(o, first, "B", tid, e->t);
      if (kind == WEFT__EV_SLEEP) {
        puts_(o, ",\"name\":\"sleep\",\"cat\":\"idle\"}");
        break;
      }
      puts_(o, ",\"name\":");
      put_name(o, t, e, cat);
      puts_(o, ",\"cat\":");
      putstr(o, cat_name(cat));
      puts_(o, ",\"args\":{\"fn\":");
      puthex(o, e->key);
      if (cat == WEFT__CAT_ROOT) {
        puts_(o, ",\"job\":");
        putu(o, e->b);
      } else if (cat == WEFT__CAT_STOLEN) {
        puts_(o, ",\"victim\":");
        putu(o, e->b);
      } else if (cat == WEFT__CAT_NODE) {
        puts_(o, ",\"node\":");
        putu(o, e->b);
        puts_(o, ",\"graph\":");
        putu(o, e->c);
      } else if (cat == WEFT__CAT_NODES) {
        puts_(o, ",\"graph\":");
        putu(o, e->c);
      } else if (cat == WEFT__CAT_LAUNCHED) {
        puts_(o, ",\"record\":");
        putu(o, e->b);
      }
      puts_(o, "}}");
      if (cat == WEFT__CAT_ROOT && e->b) flow(o, first, "f", tid, e->t, 2 * (uint64_t)e->b, "submit", 1);
      break;
    case WEFT__EV_END:
    case WEFT__EV_WAKE:
      if (!depth && kind == WEFT__EV_WAKE && !s->dropped && i == 0) {
        /* Asleep when the trace started. */
        head(o, first, "B", tid, t->start_t < e->t ? t->start_t : e->t);
        puts_(o, ",\"name\":\"sleep\",\"cat\":\"idle\"}");
        depth = 1;
        open_ts[0] = e->t;
      }
      if (!depth) break; /* its begin was dropped */
      depth--;
      head(o, first, "E", tid, e->t);
      if (kind == WEFT__EV_END && e->b) {
        puts_(o, ",\"args\":{\"nodes\":");
        putu(o, e->b);
        puts_(o, "}");
      }
      puts_(o, "}");
      break;
    case WEFT__EV_STEAL: {
      uint64_t id = 2 * ++*steal_seq + 1;
      instant(o, first, tid, e->t, "steal", "victim", e->b);
      flow(o, first, "s", e->b, e->t, id, "steal", 1);
      flow(o, first, "f", tid, e->t, id, "steal", 0);
      break;
    }
    case WEFT__EV_SUBMIT:
      instant(o, first, tid, e->t, "submit", "job", e->b);
      flow(o, first, "s", tid, e->t, 2 * (uint64_t)e->b, "submit", 0);
      break;
    case WEFT__EV_FINISH:
      instant(o, first, tid, e->t, "finish", "job", e->b);
      break;
    default:
      break;
    }
  }
  if (end_t > last) last = end_t;
  while (depth) {
    depth--;
    head(o, first, "E", tid, last);
    puts_(o, ",\"args\":{\"unfinished\":true}}");
  }
  free(open_ts);
  return 0;
}

int weft_trace_write(weft_pool pool, weft_trace_sink sink, void *user) {
  if (!sink) return WEFT_EINVAL;
  weft__pool *p = weft__pool_pin(pool);
  if (!p) return WEFT_EBADPOOL;
  int rc = 0;
  out *o = malloc(sizeof *o);
  snap *s = NULL;
  api_lock(p);
  struct weft__trace *t = atomic_load_explicit(&p->trace, memory_order_relaxed);
  if (!t || !t->last_level) {
    rc = WEFT_EINVAL;
    goto done;
  }
  if (t->frozen) {
    s = t->frozen; /* stopped: the recording as it was at the stop */
  } else {
    s = calloc(t->n + 1, sizeof *s);
    if (s)
      for (unsigned i = 0; i <= t->n; i++)
        if ((rc = snapshot(&t->bufs[i], t->cap, &s[i])) != 0) goto done;
  }
  if (!o || !s) {
    rc = WEFT_ENOMEM;
    goto done;
  }
  o->sink = sink;
  o->user = user;
  o->rc = 0;
  o->len = 0;

  puts_(o, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"format\":\"weft trace 1\",\"level\":\"");
  puts_(o, t->last_level == WEFT_TRACE_FINE ? "fine" : "coarse");
  puts_(o, "\",\"workers\":");
  putu(o, t->n);
  puts_(o, ",\"recorded\":[");
  for (unsigned i = 0; i <= t->n; i++) {
    if (i) puts_(o, ",");
    putu(o, s[i].recorded);
  }
  puts_(o, "],\"dropped\":[");
  for (unsigned i = 0; i <= t->n; i++) {
    if (i) puts_(o, ",");
    putu(o, s[i].dropped);
  }
  puts_(o, "]},\"traceEvents\":[");
  int first = 1;
  head(o, &first, "M", 0, 0);
  puts_(o, ",\"name\":\"process_name\",\"args\":{\"name\":\"weft pool\"}}");
  for (unsigned i = 0; i <= t->n; i++) {
    head(o, &first, "M", i, 0);
    puts_(o, ",\"name\":\"thread_name\",\"args\":{\"name\":\"");
    if (i < t->n) {
      puts_(o, "worker ");
      putu(o, i);
    } else {
      puts_(o, "outside the pool");
    }
    puts_(o, "\"}}");
    head(o, &first, "M", i, 0);
    puts_(o, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":");
    putu(o, i);
    puts_(o, "}}");
  }
  uint64_t steal_seq = 0;
  for (unsigned i = 0; i <= t->n && !o->rc; i++)
    if ((rc = write_track(o, &first, t, i, &s[i], &steal_seq,
                          t->level ? weft__prim_now_ns() - t->bufs[0].origin : t->stop_t)) != 0)
      goto done;
  puts_(o, "\n]}\n");
  flush(o);
  rc = o->rc;
done:
  api_unlock(p);
  if (s && s != t->frozen) {
    for (unsigned i = 0; i <= t->n; i++) free(s[i].ev);
    free(s);
  }
  free(o);
  weft__pool_unpin(pool);
  return rc;
}
