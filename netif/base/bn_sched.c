/*
 * The board's threads, mutexes and conditions (bn_sched.h): the pthread
 * calls on the real clock; on the virtual clock, a baton scheduler. One
 * host mutex (sched_mu) guards the scheduler's state; each thread of the
 * board parks on a host condition of its own (go) until it holds the baton
 * (running == it). The host waits here are the only raw ones a board makes.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bn_sched.h"

#include "bn_clock.h"
#include "bn_clock_source.h"
#include "bn_host.h"
#include "bn_random.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum vstate { V_RUNNING, V_RUNNABLE, V_BLOCKED, V_DONE };

struct bn_vthread {
  uint64_t seq;                  /* creation order, from 1: the tie-break of equal deadlines */
  char name[16];
  pthread_cond_t go;             /* parked here until running == this */
  enum vstate state;
  const char *waits;             /* blocked: "a mutex", "a condition", "a sleep", "a join" */
  const void *wait_obj;          /* the mutex, condition or thread */
  struct bn_vthread **wait_list; /* the list it is queued on, or NULL */
  uint64_t deadline;             /* blocked until then at most; BN_CLOCK_FOREVER */
  bool timed_out;
  struct bn_vthread *next_wait;  /* in a mutex's, condition's or joined thread's list */
  struct bn_vthread *next_run;
  struct bn_vthread *next_all;
  struct bn_vthread *joiners;
  bool detached;                 /* frees itself when it ends */
};

struct bn_thread {
  pthread_t id;
  struct bn_vthread *v;          /* virtual clock only */
  void *(*fn)(void *);
  void *arg;
  void *ret;
  char name[16];
  int refs;                      /* the thread and its handle: the last one frees */
};

static bool virt;
static pthread_mutex_t sched_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bn_vthread *running;
static struct bn_vthread *runq;        /* runnable threads, in wake order */
static struct bn_vthread *all_threads; /* in creation order */
static uint64_t vnow;
static uint64_t next_seq;
static bool seeded;
static bn_rng sched_rng;
static struct bn_sched_stats stats;
static _Thread_local struct bn_vthread *self;

/* The trace of the tests: names of the threads in the order they ran. */
#define TRACE_MAX 4096
static bool tracing;
static char trace[TRACE_MAX];
static size_t trace_len;

bool bn_sched_virtual(void)
{
  return virt;
}

bool bn_sched_board_thread(void)
{
  return virt && self != NULL;
}

pthread_t bn_thread_id(bn_thread_t t)
{
  return t->id;
}

/* ---- lists ---------------------------------------------------------------- */

static void list_append(struct bn_vthread **head, struct bn_vthread *t)
{
  while (*head != NULL) {
    head = &(*head)->next_wait;
  }
  t->next_wait = NULL;
  *head = t;
}

static struct bn_vthread *list_pop(struct bn_vthread **head)
{
  struct bn_vthread *t = *head;
  if (t != NULL) {
    *head = t->next_wait;
    t->next_wait = NULL;
    t->wait_list = NULL;
  }
  return t;
}

static void list_remove(struct bn_vthread **head, struct bn_vthread *t)
{
  for (; *head != NULL; head = &(*head)->next_wait) {
    if (*head == t) {
      *head = t->next_wait;
      t->next_wait = NULL;
      t->wait_list = NULL;
      return;
    }
  }
}

/* ---- the scheduler (sched_mu held) ----------------------------------------- */

static void make_runnable(struct bn_vthread *t)
{
  t->state = V_RUNNABLE;
  t->deadline = BN_CLOCK_FOREVER;
  t->waits = NULL;
  t->wait_obj = NULL;
  struct bn_vthread **p = &runq;
  while (*p != NULL) {
    p = &(*p)->next_run;
  }
  t->next_run = NULL;
  *p = t;
}

static struct bn_vthread *runq_take(void)
{
  if (runq == NULL) {
    return NULL;
  }
  struct bn_vthread **p = &runq;
  if (seeded) {
    size_t n = 0;
    for (struct bn_vthread *t = runq; t != NULL; t = t->next_run) {
      n++;
    }
    for (size_t i = bn_rng_u64(&sched_rng) % n; i > 0; i--) {
      p = &(*p)->next_run;
    }
  }
  struct bn_vthread *t = *p;
  *p = t->next_run;
  t->next_run = NULL;
  return t;
}

static void print_time(FILE *out, uint64_t ns)
{
  fprintf(out, "%llu.%09llu s", (unsigned long long)(ns / 1000000000u),
          (unsigned long long)(ns % 1000000000u));
}

static const char *name_of_owner(const void *obj, const char *waits)
{
  if (strcmp(waits, "a mutex") == 0) {
    const bn_mutex_t *m = obj;
    return m->owner != NULL ? m->owner->name : "nobody";
  }
  return NULL;
}

static void print_threads_locked(FILE *out)
{
  for (struct bn_vthread *t = all_threads; t != NULL; t = t->next_all) {
    fprintf(out, "  thread %llu '%s': ", (unsigned long long)t->seq, t->name);
    switch (t->state) {
    case V_RUNNING:
      fprintf(out, "running\n");
      break;
    case V_RUNNABLE:
      fprintf(out, "runnable\n");
      break;
    case V_DONE:
      fprintf(out, "ended, not joined\n");
      break;
    case V_BLOCKED: {
      fprintf(out, "waits on %s %p", t->waits, t->wait_obj);
      const char *owner = name_of_owner(t->wait_obj, t->waits);
      if (owner != NULL) {
        fprintf(out, " held by '%s'", owner);
      } else if (strcmp(t->waits, "a join") == 0) {
        fprintf(out, " of '%s'", ((const struct bn_vthread *)t->wait_obj)->name);
      }
      if (t->deadline == BN_CLOCK_FOREVER) {
        fprintf(out, ", no deadline\n");
      } else {
        fprintf(out, " until ");
        print_time(out, t->deadline);
        fprintf(out, "\n");
      }
      break;
    }
    }
  }
}

static _Noreturn void deadlock(void)
{
  fprintf(stderr, "boardnet: virtual clock: every thread of the board waits and none has a "
                  "deadline (a deadlock) at board time ");
  print_time(stderr, vnow);
  fprintf(stderr, ":\n");
  print_threads_locked(stderr);
  fflush(NULL);
  _exit(1);
}

/* Moves the clock to the earliest deadline and wakes whose deadline it is. */
static void jump(void)
{
  uint64_t earliest = BN_CLOCK_FOREVER;
  for (struct bn_vthread *t = all_threads; t != NULL; t = t->next_all) {
    if (t->state == V_BLOCKED && t->deadline < earliest) {
      earliest = t->deadline;
    }
  }
  if (earliest == BN_CLOCK_FOREVER) {
    deadlock();
  }
  if (earliest > vnow) {
    __atomic_store_n(&vnow, earliest, __ATOMIC_RELEASE);
    stats.jumps++;
  }
  for (struct bn_vthread *t = all_threads; t != NULL; t = t->next_all) {
    if (t->state == V_BLOCKED && t->deadline <= earliest) {
      if (t->wait_list != NULL) {
        list_remove(t->wait_list, t);
      }
      t->timed_out = true;
      make_runnable(t);
    }
  }
}

/* Hands the baton to the next thread (the caller has stopped running). */
static void dispatch(void)
{
  struct bn_vthread *next = runq_take();
  if (next == NULL) {
    jump();
    next = runq_take();
  }
  if (next != running) {
    __atomic_add_fetch(&stats.switches, 1, __ATOMIC_RELAXED);
  }
  if (tracing && trace_len + strlen(next->name) + 2 < TRACE_MAX) {
    trace_len += (size_t)sprintf(trace + trace_len, "%s ", next->name);
  }
  __atomic_store_n(&running, next, __ATOMIC_RELEASE);
  bn_host.cond_signal(&next->go);
}

static void wait_for_baton(struct bn_vthread *me)
{
  while (running != me) {
    bn_host.cond_wait(&me->go, &sched_mu);
  }
  me->state = V_RUNNING;
}

/* Blocks the running thread me (already queued where it waits). */
static void block(struct bn_vthread *me, const char *waits, const void *obj, uint64_t deadline)
{
  me->state = V_BLOCKED;
  me->waits = waits;
  me->wait_obj = obj;
  me->deadline = deadline;
  me->timed_out = false;
  dispatch();
  wait_for_baton(me);
}

static struct bn_vthread *me_or_abort(const char *call)
{
  if (self == NULL) {
    fprintf(stderr, "boardnet: virtual clock: %s() called from a thread boardnet did not start "
                    "(made with pthread_create(), not bn_thread_create()): every thread of a board "
                    "on the virtual clock must be the scheduler's\n", call);
    abort();
  }
  return self;
}

static void queue_wait(struct bn_vthread **list, struct bn_vthread *me)
{
  list_append(list, me);
  me->wait_list = list;
}

/* Takes m for me, blocking while another thread holds it. */
static void vlock(bn_mutex_t *m, struct bn_vthread *me)
{
  if (m->owner == NULL) {
    m->owner = me;
    m->depth = 1;
  } else if (m->owner == me) {
    if (!m->recursive) {
      fprintf(stderr, "boardnet: virtual clock: thread '%s' locks a mutex it holds\n", me->name);
      abort();
    }
    m->depth++;
  } else {
    queue_wait(&m->waiters, me);
    block(me, "a mutex", m, BN_CLOCK_FOREVER);
    /* vunlock() handed it over */
  }
}

static void vunlock(bn_mutex_t *m)
{
  if (--m->depth > 0) {
    return;
  }
  struct bn_vthread *next = list_pop(&m->waiters);
  m->owner = next;
  if (next != NULL) {
    m->depth = 1;
    make_runnable(next);
  }
}

/* ---- mutexes -------------------------------------------------------------- */

int bn_mutex_init(bn_mutex_t *m)
{
  *m = (bn_mutex_t)BN_MUTEX_INITIALIZER;
  return pthread_mutex_init(&m->real, NULL);
}

int bn_mutex_init_recursive(bn_mutex_t *m)
{
  *m = (bn_mutex_t)BN_MUTEX_INITIALIZER;
  m->recursive = true;
  pthread_mutexattr_t attr;
  int rc = pthread_mutexattr_init(&attr);
  if (rc == 0) {
    rc = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    if (rc == 0) {
      rc = pthread_mutex_init(&m->real, &attr);
    }
    pthread_mutexattr_destroy(&attr);
  }
  return rc;
}

void bn_mutex_destroy(bn_mutex_t *m)
{
  pthread_mutex_destroy(&m->real);
}

void bn_mutex_lock(bn_mutex_t *m)
{
  if (!virt) {
    bn_host.mutex_lock(&m->real);
    return;
  }
  bn_host.mutex_lock(&sched_mu);
  vlock(m, me_or_abort("bn_mutex_lock"));
  bn_host.mutex_unlock(&sched_mu);
}

void bn_mutex_unlock(bn_mutex_t *m)
{
  if (!virt) {
    bn_host.mutex_unlock(&m->real);
    return;
  }
  bn_host.mutex_lock(&sched_mu);
  vunlock(m);
  bn_host.mutex_unlock(&sched_mu);
}

/* ---- conditions ------------------------------------------------------------ */

int bn_cond_init(bn_cond_t *c)
{
  c->waiters = NULL;
  return pthread_cond_init(&c->real, NULL);
}

void bn_cond_destroy(bn_cond_t *c)
{
  pthread_cond_destroy(&c->real);
}

void bn_cond_signal(bn_cond_t *c)
{
  if (!virt) {
    bn_host.cond_signal(&c->real);
    return;
  }
  bn_host.mutex_lock(&sched_mu);
  struct bn_vthread *t = list_pop(&c->waiters);
  if (t != NULL) {
    make_runnable(t);
  }
  bn_host.mutex_unlock(&sched_mu);
}

void bn_cond_broadcast(bn_cond_t *c)
{
  if (!virt) {
    bn_host.cond_broadcast(&c->real);
    return;
  }
  bn_host.mutex_lock(&sched_mu);
  struct bn_vthread *t;
  while ((t = list_pop(&c->waiters)) != NULL) {
    make_runnable(t);
  }
  bn_host.mutex_unlock(&sched_mu);
}

/* The watched thread (bn_sched_watch_waits()): the waits it began, and
 * whether it waits now. */
static _Thread_local bool watched;
static uint64_t watched_waits;
static bool watched_waiting;

void bn_sched_watch_waits(void)
{
  watched = true;
}

uint64_t bn_sched_watched_waits(bool *waiting)
{
  *waiting = __atomic_load_n(&watched_waiting, __ATOMIC_ACQUIRE);
  return __atomic_load_n(&watched_waits, __ATOMIC_ACQUIRE);
}

static int vcond_wait(bn_cond_t *c, bn_mutex_t *m, uint64_t until_ns);

int bn_cond_wait(bn_cond_t *c, bn_mutex_t *m, uint64_t until_ns)
{
  if (watched) {
    __atomic_add_fetch(&watched_waits, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&watched_waiting, true, __ATOMIC_RELEASE);
  }
  int rc = virt ? vcond_wait(c, m, until_ns) : bn_clock_real_cond_wait(&c->real, &m->real, until_ns);
  if (watched) {
    __atomic_store_n(&watched_waiting, false, __ATOMIC_RELEASE);
  }
  return rc;
}

static int vcond_wait(bn_cond_t *c, bn_mutex_t *m, uint64_t until_ns)
{
  bn_host.mutex_lock(&sched_mu);
  struct bn_vthread *me = me_or_abort("bn_cond_wait");
  int rc = 0;
  if (until_ns <= vnow) {
    rc = ETIMEDOUT; /* as pthread_cond_timedwait() with a deadline gone */
  } else {
    vunlock(m);
    queue_wait(&c->waiters, me);
    block(me, "a condition", c, until_ns);
    rc = me->timed_out ? ETIMEDOUT : 0;
    vlock(m, me);
  }
  bn_host.mutex_unlock(&sched_mu);
  return rc;
}

/* ---- the clock's own steps ------------------------------------------------- */

uint64_t bn_sched_now_ns(void)
{
  return __atomic_load_n(&vnow, __ATOMIC_ACQUIRE);
}

void bn_sched_sleep_until(uint64_t until_ns)
{
  bn_host.mutex_lock(&sched_mu);
  struct bn_vthread *me = me_or_abort("bn_clock_sleep_until");
  if (until_ns > vnow) {
    block(me, "a sleep", NULL, until_ns);
  }
  bn_host.mutex_unlock(&sched_mu);
}

/* ---- threads ---------------------------------------------------------------- */

static void drop_ref(struct bn_thread *t)
{
  if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0) {
    free(t);
  }
}

static void drop_ref_cleanup(void *t)
{
  drop_ref(t);
}

static struct bn_vthread *vthread_new(const char *name)
{
  struct bn_vthread *v = calloc(1, sizeof(*v));
  if (v == NULL) {
    return NULL;
  }
  snprintf(v->name, sizeof(v->name), "%s", name != NULL ? name : "thread");
  pthread_cond_init(&v->go, NULL);
  v->deadline = BN_CLOCK_FOREVER;
  v->seq = ++next_seq;
  stats.threads++;
  struct bn_vthread **p = &all_threads;
  while (*p != NULL) {
    p = &(*p)->next_all;
  }
  *p = v;
  return v;
}

static void vthread_free(struct bn_vthread *v)
{
  for (struct bn_vthread **p = &all_threads; *p != NULL; p = &(*p)->next_all) {
    if (*p == v) {
      *p = v->next_all;
      break;
    }
  }
  pthread_cond_destroy(&v->go);
  free(v);
}

static void *thread_main(void *p)
{
  struct bn_thread *t = p;
  if (t->v != NULL) {
    self = t->v;
    bn_host.mutex_lock(&sched_mu);
    wait_for_baton(self);
    bn_host.mutex_unlock(&sched_mu);
  }
  struct bn_vthread *v = self;
  /* A thread cancelled in its function (bn_thread_cancel()) still lets go of its handle. */
  pthread_cleanup_push(drop_ref_cleanup, t);
  t->ret = t->fn(t->arg);
  pthread_cleanup_pop(0);
  if (v != NULL) {
    bn_host.mutex_lock(&sched_mu);
    v->state = V_DONE;
    struct bn_vthread *j;
    while ((j = list_pop(&v->joiners)) != NULL) {
      make_runnable(j);
    }
    dispatch();
    if (v->detached) {
      vthread_free(v);
    }
    bn_host.mutex_unlock(&sched_mu);
    self = NULL;
  }
  drop_ref(t);
  return NULL;
}

int bn_thread_create(bn_thread_t *out, const char *name, void *(*fn)(void *), void *arg)
{
  struct bn_thread *t = calloc(1, sizeof(*t));
  if (t == NULL) {
    return ENOMEM;
  }
  t->fn = fn;
  t->arg = arg;
  t->refs = 2;
  snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : "thread");
  if (virt) {
    bn_host.mutex_lock(&sched_mu);
    me_or_abort("bn_thread_create");
    t->v = vthread_new(t->name);
    if (t->v != NULL) {
      make_runnable(t->v);
    }
    bn_host.mutex_unlock(&sched_mu);
    if (t->v == NULL) {
      free(t);
      return ENOMEM;
    }
  }
  int rc = bn_host.create(&t->id, NULL, thread_main, t);
  if (rc != 0) {
    if (t->v != NULL) {
      bn_host.mutex_lock(&sched_mu);
      for (struct bn_vthread **p = &runq; *p != NULL; p = &(*p)->next_run) {
        if (*p == t->v) {
          *p = t->v->next_run;
          break;
        }
      }
      vthread_free(t->v);
      bn_host.mutex_unlock(&sched_mu);
    }
    free(t);
    return rc;
  }
#ifdef __linux__
  pthread_setname_np(t->id, t->name);
#endif
  *out = t;
  return 0;
}

int bn_thread_join(bn_thread_t t, void **ret)
{
  if (t->v != NULL) {
    bn_host.mutex_lock(&sched_mu);
    struct bn_vthread *me = me_or_abort("bn_thread_join");
    if (t->v->state != V_DONE) {
      queue_wait(&t->v->joiners, me);
      block(me, "a join", t->v, BN_CLOCK_FOREVER);
    }
    vthread_free(t->v);
    t->v = NULL;
    bn_host.mutex_unlock(&sched_mu);
  }
  int rc = bn_host.join(t->id, NULL);
  if (ret != NULL) {
    *ret = t->ret;
  }
  drop_ref(t);
  return rc;
}

void bn_thread_detach(bn_thread_t t)
{
  if (t->v != NULL) {
    bn_host.mutex_lock(&sched_mu);
    if (t->v->state == V_DONE) {
      vthread_free(t->v);
    } else {
      t->v->detached = true;
    }
    bn_host.mutex_unlock(&sched_mu);
  }
  bn_host.detach(t->id);
  drop_ref(t);
}

void bn_thread_cancel(bn_thread_t t)
{
  pthread_cancel(t->id);
}

/* ---- host time: the watchdog's and the statistics' (never the board's) --- */

static uint64_t host_ns(void)
{
  struct timespec ts;
  bn_host.clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t started_host_ns;

/* ---- the stall watchdog ---------------------------------------------------- */

static double stall_limit_s;

static void *watchdog_main(void *arg)
{
  (void)arg;
  uint64_t last_switches = UINT64_MAX;
  struct timespec since = { 0, 0 };
  for (;;) {
    struct timespec step = { 0, 100 * 1000 * 1000 };
    bn_host.clock_nanosleep(CLOCK_MONOTONIC, 0, &step, NULL); /* wall time: the watchdog watches the host */
    uint64_t s = __atomic_load_n(&stats.switches, __ATOMIC_RELAXED) +
                 __atomic_load_n(&stats.jumps, __ATOMIC_RELAXED);
    struct timespec now;
    bn_host.clock_gettime(CLOCK_MONOTONIC, &now);
    if (s != last_switches) {
      last_switches = s;
      since = now;
      continue;
    }
    double ran = (double)(now.tv_sec - since.tv_sec) + (double)(now.tv_nsec - since.tv_nsec) / 1e9;
    if (ran >= stall_limit_s) {
      bn_host.mutex_lock(&sched_mu);
      struct bn_vthread *r = __atomic_load_n(&running, __ATOMIC_ACQUIRE);
      fprintf(stderr, "boardnet: virtual clock: thread '%s' ran %.1f s of wall time without "
                      "blocking (a busy loop, or a call that waits outside the board's clock; "
                      "--clock-stall SEC sets the limit) at board time ",
              r != NULL ? r->name : "?", ran);
      print_time(stderr, vnow);
      fprintf(stderr, ":\n");
      print_threads_locked(stderr);
      fflush(NULL);
      _exit(1);
    }
  }
  return NULL;
}

void bn_sched_start(const char *name, uint64_t origin_ns, uint64_t sched_seed, double stall_wall_s)
{
  bn_host.mutex_lock(&sched_mu);
  started_host_ns = host_ns();
  vnow = origin_ns;
  seeded = sched_seed != 0;
  if (seeded) {
    bn_rng_seed(&sched_rng, sched_seed, "sched");
  }
  self = vthread_new(name);
  self->state = V_RUNNING;
  running = self;
  __atomic_store_n(&virt, true, __ATOMIC_RELEASE);
  bn_host.mutex_unlock(&sched_mu);
  if (stall_wall_s > 0) {
    stall_limit_s = stall_wall_s;
    pthread_t w;
    if (bn_host.create(&w, NULL, watchdog_main, NULL) == 0) {
#ifdef __linux__
      pthread_setname_np(w, "bn-stall");
#endif
      bn_host.detach(w);
    }
  }
}

void bn_sched_stats_get(struct bn_sched_stats *s)
{
  bn_host.mutex_lock(&sched_mu);
  *s = stats;
  s->wall_ns = virt ? host_ns() - started_host_ns : 0;
  bn_host.mutex_unlock(&sched_mu);
}

void bn_sched_print_threads(FILE *out)
{
  bn_host.mutex_lock(&sched_mu);
  print_threads_locked(out);
  bn_host.mutex_unlock(&sched_mu);
}

void bn_sched_trace(bool on)
{
  bn_host.mutex_lock(&sched_mu);
  tracing = on;
  trace_len = 0;
  trace[0] = '\0';
  bn_host.mutex_unlock(&sched_mu);
}

size_t bn_sched_trace_get(char *buf, size_t len)
{
  bn_host.mutex_lock(&sched_mu);
  size_t n = trace_len < len - 1 ? trace_len : len - 1;
  memcpy(buf, trace, n);
  buf[n] = '\0';
  bn_host.mutex_unlock(&sched_mu);
  return n;
}
