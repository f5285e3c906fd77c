/*
 * game_frame.c - a game loop on launched tasks.
 *
 * Each frame: read input; step the physics of every entity block in
 * parallel; animate each block after its own physics step; append each
 * block's draw items to the render list behind a pipe (appends never
 * overlap, so the list needs no lock); submit the list once every append is
 * in. Meanwhile a plain I/O thread "loads an asset" and triggers an event;
 * the frame that follows it spawns new entities that use the asset, in a
 * task that depends on that event. Every frame's result is checked against
 * the same frame computed sequentially, and per-frame times are printed.
 *
 *   game_frame [frames] [workers]
 */
#include <weft.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCKS 64
#define PER_BLOCK 256
#define MAX_ENTITIES (BLOCKS * PER_BLOCK)

typedef struct entity {
  float x, y, vx, vy, phase;
  uint32_t alive;
} entity;

typedef struct world {
  entity e[MAX_ENTITIES];
  float wind;             /* this frame's input */
  uint64_t draw[MAX_ENTITIES];
  unsigned ndraw;         /* written only by pipe members */
  uint64_t submitted;     /* the frame's checksum */
  int asset_ready;        /* set by the task after the asset event */
} world;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- the frame's steps, each usable sequentially and as a task body */

static void input_step(world *wd, unsigned frame) {
  wd->wind = (float)((frame * 2654435761u) % 1000) / 1000.0f - 0.5f;
  wd->ndraw = 0;
}

static void physics_step(world *wd, unsigned b) {
  for (unsigned k = b * PER_BLOCK; k < (b + 1) * PER_BLOCK; k++) {
    entity *e = &wd->e[k];
    if (!e->alive) continue;
    e->vx += wd->wind * 0.01f;
    e->vy -= 0.0981f;
    e->x += e->vx;
    e->y += e->vy;
    if (e->y < 0) {
      e->y = -e->y;
      e->vy = -e->vy * 0.9f;
    }
  }
}

static void animate_step(world *wd, unsigned b) {
  for (unsigned k = b * PER_BLOCK; k < (b + 1) * PER_BLOCK; k++) {
    entity *e = &wd->e[k];
    if (e->alive) e->phase += 0.1f + e->vx * 0.01f;
  }
}

static uint64_t draw_item(const entity *e, unsigned k) {
  uint32_t xi, yi, pi;
  memcpy(&xi, &e->x, 4);
  memcpy(&yi, &e->y, 4);
  memcpy(&pi, &e->phase, 4);
  return ((uint64_t)k << 40) ^ ((uint64_t)xi * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)yi << 7) ^ pi;
}

static void append_step(world *wd, unsigned b) {
  for (unsigned k = b * PER_BLOCK; k < (b + 1) * PER_BLOCK; k++)
    if (wd->e[k].alive) wd->draw[wd->ndraw++] = draw_item(&wd->e[k], k);
}

static void submit_step(world *wd) {
  uint64_t sum = 0; /* order-independent: blocks append in pipe order */
  for (unsigned i = 0; i < wd->ndraw; i++) sum += wd->draw[i] * 0xff51afd7ed558ccdull;
  wd->submitted = sum ^ wd->ndraw;
}

static void spawn_step(world *wd, unsigned frame) {
  /* The asset is in: bring one more block of entities to life. */
  unsigned b = BLOCKS - 1 - frame % (BLOCKS / 2); /* a block of the dead half */
  for (unsigned k = b * PER_BLOCK; k < (b + 1) * PER_BLOCK; k++)
    if (!wd->e[k].alive) {
      wd->e[k] = (entity){(float)(k % 100), 50.0f, 0.1f, 0.0f, 0.0f, 1};
    }
  wd->asset_ready = 1;
}

static void init_world(world *wd) {
  memset(wd, 0, sizeof *wd);
  for (unsigned k = 0; k < MAX_ENTITIES / 2; k++)
    wd->e[k] = (entity){(float)(k % 97), (float)(k % 31) + 1.0f, 0.0f, 0.0f, (float)k, 1};
}

/* ---- task bodies */

typedef struct step_arg {
  world *wd;
  unsigned index; /* block, or frame */
} step_arg;

static int t_input(weft_worker *w, void *p) {
  (void)w;
  step_arg *a = p;
  input_step(a->wd, a->index);
  return 0;
}
static int t_physics(weft_worker *w, void *p) {
  (void)w;
  step_arg *a = p;
  physics_step(a->wd, a->index);
  return 0;
}
static int t_animate(weft_worker *w, void *p) {
  (void)w;
  step_arg *a = p;
  animate_step(a->wd, a->index);
  return 0;
}
static int t_append(weft_worker *w, void *p) {
  (void)w;
  step_arg *a = p;
  append_step(a->wd, a->index);
  return 0;
}
static int t_submit(weft_worker *w, void *p) {
  (void)w;
  step_arg *a = p;
  submit_step(a->wd);
  return 0;
}
static int t_spawn(weft_worker *w, void *p) {
  (void)w;
  step_arg *a = p;
  spawn_step(a->wd, a->index);
  return 0;
}

/* ---- the I/O thread */

typedef struct io_arg {
  weft_task asset;
  unsigned delay_ms;
  int rc;
} io_arg;

static void *io_thread(void *p) {
  io_arg *a = p;
  struct timespec ts = {0, (long)a->delay_ms * 1000000L};
  nanosleep(&ts, NULL); /* "reading the file" */
  a->rc = weft_event_trigger(a->asset, 0);
  return NULL;
}

#define CHECK(expr)                                                            \
  do {                                                                         \
    int rc_ = (expr);                                                          \
    if (rc_) {                                                                 \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr, weft_strerror(rc_)); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
  unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
  weft_config cfg;
  weft_config_default(&cfg);
  cfg.workers = workers;
  weft_pool pool;
  CHECK(weft_pool_create(&pool, &cfg));

  world *wd = malloc(sizeof *wd), *ref = malloc(sizeof *ref);
  init_world(wd);
  init_world(ref);
  weft_task asset;
  CHECK(weft_event_create(pool, &asset));
  io_arg io = {asset, 5, -1};
  pthread_t th;
  pthread_create(&th, NULL, io_thread, &io);
  weft_pipe *render;
  CHECK(weft_pipe_create(pool, &render));

  /* Run `frames` frames, and more if the asset has not come in yet. */
  unsigned cap = frames * 100 + 100000;
  double *ms = malloc(cap * sizeof *ms);
  unsigned spawn_frame = 0;
  int spawn_launched = 0;
  unsigned f;
  for (f = 0; f < cap && (f < frames || !spawn_launched); f++) {
    double t0 = now_ms();
    weft_task input, phys[BLOCKS], anim[BLOCKS], app[BLOCKS], submit, spawn = {0};
    step_arg a = {wd, f};
    CHECK(weft_launch(pool, t_input, &a, sizeof a, NULL, 0, &input));
    /* The asset's first frame: new entities, after the asset event and the
     * input step, before physics. */
    weft_task before_phys[2] = {input, {0}};
    size_t nbp = 1;
    if (!spawn_launched && weft_task_status(asset) == WEFT_OK) {
      weft_task pre[2] = {asset, input};
      CHECK(weft_launch(pool, t_spawn, &a, sizeof a, pre, 2, &spawn));
      before_phys[nbp++] = spawn;
      spawn_launched = 1;
      spawn_frame = f;
    }
    for (unsigned b = 0; b < BLOCKS; b++) {
      step_arg sb = {wd, b};
      CHECK(weft_launch(pool, t_physics, &sb, sizeof sb, before_phys, nbp, &phys[b]));
      CHECK(weft_launch(pool, t_animate, &sb, sizeof sb, &phys[b], 1, &anim[b]));
      weft_launch_opts o = {&anim[b], 1, render, 0};
      CHECK(weft_launch_ex(pool, t_append, &sb, sizeof sb, &o, &app[b]));
    }
    CHECK(weft_launch(pool, t_submit, &a, sizeof a, app, BLOCKS, &submit));
    int st = weft_task_wait(submit);
    if (st) {
      fprintf(stderr, "frame %u: %s\n", f, weft_strerror(st));
      return 1;
    }
    ms[f] = now_ms() - t0;
    for (unsigned b = 0; b < BLOCKS; b++) {
      weft_task_release(phys[b]);
      weft_task_release(anim[b]);
      weft_task_release(app[b]);
    }
    weft_task_release(input);
    weft_task_release(submit);
    if (spawn.id) weft_task_release(spawn);

    /* The same frame, sequentially. */
    input_step(ref, f);
    if (spawn_launched && spawn_frame == f) spawn_step(ref, f);
    for (unsigned b = 0; b < BLOCKS; b++) physics_step(ref, b);
    for (unsigned b = 0; b < BLOCKS; b++) animate_step(ref, b);
    for (unsigned b = 0; b < BLOCKS; b++) append_step(ref, b);
    submit_step(ref);
    if (ref->submitted != wd->submitted || ref->ndraw != wd->ndraw) {
      fprintf(stderr, "frame %u: render list %u items, checksum %llx; sequential %u, %llx\n", f,
              wd->ndraw, (unsigned long long)wd->submitted, ref->ndraw,
              (unsigned long long)ref->submitted);
      return 1;
    }
    if (f % 50 == 0 || spawn_frame == f)
      printf("frame %4u: %6.3f ms, %u entities drawn%s\n", f, ms[f], wd->ndraw,
             wd->asset_ready ? ", asset loaded" : "");
  }
  frames = f;
  pthread_join(th, NULL);
  if (io.rc != 0 || !spawn_launched) {
    fprintf(stderr, "the asset event was %s\n", io.rc ? "not triggered" : "never seen");
    return 1;
  }
  weft_task_release(asset);
  weft_pipe_destroy(render);
  qsort(ms, frames, sizeof *ms, cmp_double);
  printf("%u frames on %d workers, every frame equal to the sequential one; "
         "per frame: median %.3f ms, p95 %.3f ms, max %.3f ms; asset arrived in frame %u\n",
         frames, weft_pool_workers(pool), ms[frames / 2], ms[frames * 95 / 100], ms[frames - 1],
         spawn_frame);
  CHECK(weft_pool_destroy(pool));
  free(ms);
  free(wd);
  free(ref);
  return 0;
}
