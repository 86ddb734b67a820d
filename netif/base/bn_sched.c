/*
 * The scheduler of the board's threads (bn_sched.h): the pthread calls on
 * the real clock; on the virtual clock, a baton. One host mutex
 * (bn_sched_g.mu) guards the scheduler's state; each thread of the board
 * parks on a host condition of its own (go) until it holds the baton
 * (running == it). The host waits here and in bn_sched_thread.c are the
 * only raw ones a board makes. Here: the scheduler itself, mutexes,
 * conditions, sleeps; the threads are in bn_sched_thread.c, the reports
 * in bn_sched_report.c.
 */
#include "bn_sched_internal.h"

#include "bn_clock.h"
#include "bn_clock_source.h"
#include "bn_host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bn_sched_state bn_sched_g = { .mu = PTHREAD_MUTEX_INITIALIZER };
_Thread_local struct bn_vthread *bn_sched_self;

bool bn_sched_virtual(void)
{
  return bn_sched_g.virt;
}

bool bn_sched_board_thread(void)
{
  return bn_sched_g.virt && bn_sched_self != NULL;
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

struct bn_vthread *bn_sched_list_pop(struct bn_vthread **head)
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

/* ---- the scheduler (bn_sched_g.mu held) ----------------------------------------- */

void bn_sched_make_runnable(struct bn_vthread *t)
{
  t->state = V_RUNNABLE;
  t->deadline = BN_CLOCK_FOREVER;
  t->waits = NULL;
  t->wait_obj = NULL;
  struct bn_vthread **p = &bn_sched_g.runq;
  while (*p != NULL) {
    p = &(*p)->next_run;
  }
  t->next_run = NULL;
  *p = t;
}

static struct bn_vthread *runq_take(void)
{
  if (bn_sched_g.runq == NULL) {
    return NULL;
  }
  struct bn_vthread **p = &bn_sched_g.runq;
  if (bn_sched_g.seeded) {
    size_t n = 0;
    for (struct bn_vthread *t = bn_sched_g.runq; t != NULL; t = t->next_run) {
      n++;
    }
    for (size_t i = bn_rng_u64(&bn_sched_g.rng) % n; i > 0; i--) {
      p = &(*p)->next_run;
    }
  }
  struct bn_vthread *t = *p;
  *p = t->next_run;
  t->next_run = NULL;
  return t;
}

static void jump(void)
{
  uint64_t earliest = BN_CLOCK_FOREVER;
  for (struct bn_vthread *t = bn_sched_g.all; t != NULL; t = t->next_all) {
    if (t->state == V_BLOCKED && t->deadline < earliest) {
      earliest = t->deadline;
    }
  }
  if (earliest == BN_CLOCK_FOREVER) {
    bn_sched_deadlock();
  }
  if (earliest > bn_sched_g.vnow) {
    __atomic_store_n(&bn_sched_g.vnow, earliest, __ATOMIC_RELEASE);
    bn_sched_g.stats.jumps++;
  }
  for (struct bn_vthread *t = bn_sched_g.all; t != NULL; t = t->next_all) {
    if (t->state == V_BLOCKED && t->deadline <= earliest) {
      if (t->wait_list != NULL) {
        list_remove(t->wait_list, t);
      }
      t->timed_out = true;
      bn_sched_make_runnable(t);
    }
  }
}

/* Hands the baton to the next thread (the caller has stopped running). */
void bn_sched_dispatch(void)
{
  struct bn_vthread *next = runq_take();
  if (next == NULL) {
    jump();
    next = runq_take();
  }
  if (next != bn_sched_g.running) {
    __atomic_add_fetch(&bn_sched_g.stats.switches, 1, __ATOMIC_RELAXED);
  }
  bn_sched_trace_note(next->name);
  __atomic_store_n(&bn_sched_g.running, next, __ATOMIC_RELEASE);
  bn_host.cond_signal(&next->go);
}

void bn_sched_wait_for_baton(struct bn_vthread *me)
{
  while (bn_sched_g.running != me) {
    bn_host.cond_wait(&me->go, &bn_sched_g.mu);
  }
  me->state = V_RUNNING;
}

/* Blocks the running thread me (already queued where it waits). */
void bn_sched_block(struct bn_vthread *me, const char *waits, const void *obj, uint64_t deadline)
{
  me->state = V_BLOCKED;
  me->waits = waits;
  me->wait_obj = obj;
  me->deadline = deadline;
  me->timed_out = false;
  bn_sched_dispatch();
  bn_sched_wait_for_baton(me);
}

struct bn_vthread *bn_sched_me_or_abort(const char *call)
{
  if (bn_sched_self == NULL) {
    fprintf(stderr, "boardnet: virtual clock: %s() called from a thread boardnet did not start "
                    "(made with pthread_create(), not bn_thread_create()): every thread of a board "
                    "on the virtual clock must be the scheduler's\n", call);
    abort();
  }
  return bn_sched_self;
}

void bn_sched_queue_wait(struct bn_vthread **list, struct bn_vthread *me)
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
    bn_sched_queue_wait(&m->waiters, me);
    bn_sched_block(me, "a mutex", m, BN_CLOCK_FOREVER);
    /* vunlock() handed it over */
  }
}

static void vunlock(bn_mutex_t *m)
{
  if (--m->depth > 0) {
    return;
  }
  struct bn_vthread *next = bn_sched_list_pop(&m->waiters);
  m->owner = next;
  if (next != NULL) {
    m->depth = 1;
    bn_sched_make_runnable(next);
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
  if (!bn_sched_g.virt) {
    pthread_mutex_lock(&m->real);
    return;
  }
  bn_host.mutex_lock(&bn_sched_g.mu);
  vlock(m, bn_sched_me_or_abort("bn_mutex_lock"));
  bn_host.mutex_unlock(&bn_sched_g.mu);
}

void bn_mutex_unlock(bn_mutex_t *m)
{
  if (!bn_sched_g.virt) {
    pthread_mutex_unlock(&m->real);
    return;
  }
  bn_host.mutex_lock(&bn_sched_g.mu);
  vunlock(m);
  bn_host.mutex_unlock(&bn_sched_g.mu);
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
  if (!bn_sched_g.virt) {
    pthread_cond_signal(&c->real);
    return;
  }
  bn_host.mutex_lock(&bn_sched_g.mu);
  struct bn_vthread *t = bn_sched_list_pop(&c->waiters);
  if (t != NULL) {
    bn_sched_make_runnable(t);
  }
  bn_host.mutex_unlock(&bn_sched_g.mu);
}

void bn_cond_broadcast(bn_cond_t *c)
{
  if (!bn_sched_g.virt) {
    pthread_cond_broadcast(&c->real);
    return;
  }
  bn_host.mutex_lock(&bn_sched_g.mu);
  struct bn_vthread *t;
  while ((t = bn_sched_list_pop(&c->waiters)) != NULL) {
    bn_sched_make_runnable(t);
  }
  bn_host.mutex_unlock(&bn_sched_g.mu);
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
  int rc = bn_sched_g.virt ? vcond_wait(c, m, until_ns) : bn_clock_real_cond_wait(&c->real, &m->real, until_ns);
  if (watched) {
    __atomic_store_n(&watched_waiting, false, __ATOMIC_RELEASE);
  }
  return rc;
}

static int vcond_wait(bn_cond_t *c, bn_mutex_t *m, uint64_t until_ns)
{
  bn_host.mutex_lock(&bn_sched_g.mu);
  struct bn_vthread *me = bn_sched_me_or_abort("bn_cond_wait");
  int rc = 0;
  if (until_ns <= bn_sched_g.vnow) {
    rc = ETIMEDOUT; /* as pthread_cond_timedwait() with a deadline gone */
  } else {
    vunlock(m);
    bn_sched_queue_wait(&c->waiters, me);
    bn_sched_block(me, "a condition", c, until_ns);
    rc = me->timed_out ? ETIMEDOUT : 0;
    vlock(m, me);
  }
  bn_host.mutex_unlock(&bn_sched_g.mu);
  return rc;
}

/* ---- the clock's own steps ------------------------------------------------- */

uint64_t bn_sched_now_ns(void)
{
  return __atomic_load_n(&bn_sched_g.vnow, __ATOMIC_ACQUIRE);
}

void bn_sched_sleep_until(uint64_t until_ns)
{
  bn_host.mutex_lock(&bn_sched_g.mu);
  struct bn_vthread *me = bn_sched_me_or_abort("bn_clock_sleep_until");
  if (until_ns > bn_sched_g.vnow) {
    bn_sched_block(me, "a sleep", NULL, until_ns);
  }
  bn_host.mutex_unlock(&bn_sched_g.mu);
}

void bn_sched_start(const char *name, uint64_t origin_ns, uint64_t sched_seed, double stall_wall_s)
{
  bn_sched_watch_host(stall_wall_s);
  bn_host.mutex_lock(&bn_sched_g.mu);
  bn_sched_g.vnow = origin_ns;
  bn_sched_g.seeded = sched_seed != 0;
  if (bn_sched_g.seeded) {
    bn_rng_seed(&bn_sched_g.rng, sched_seed, "sched");
  }
  bn_sched_self = bn_sched_vthread_new(name);
  bn_sched_self->state = V_RUNNING;
  bn_sched_g.running = bn_sched_self;
  __atomic_store_n(&bn_sched_g.virt, true, __ATOMIC_RELEASE);
  bn_host.mutex_unlock(&bn_sched_g.mu);
}
