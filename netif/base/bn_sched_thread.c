/*
 * The board's threads (bn_sched.h): bn_thread_create/join/detach/cancel,
 * pthreads on the real clock; on the virtual clock each one also a record
 * of the scheduler's (bn_sched.c), which runs it when it holds the baton.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bn_sched_internal.h"

#include "bn_clock.h"
#include "bn_host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

pthread_t bn_thread_id(bn_thread_t t)
{
  return t->id;
}

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

struct bn_vthread *bn_sched_vthread_new(const char *name)
{
  struct bn_vthread *v = calloc(1, sizeof(*v));
  if (v == NULL) {
    return NULL;
  }
  snprintf(v->name, sizeof(v->name), "%s", name != NULL ? name : "thread");
  pthread_cond_init(&v->go, NULL);
  v->deadline = BN_CLOCK_FOREVER;
  v->seq = ++bn_sched_g.next_seq;
  bn_sched_g.stats.threads++;
  struct bn_vthread **p = &bn_sched_g.all;
  while (*p != NULL) {
    p = &(*p)->next_all;
  }
  *p = v;
  return v;
}

static void vthread_free(struct bn_vthread *v)
{
  for (struct bn_vthread **p = &bn_sched_g.all; *p != NULL; p = &(*p)->next_all) {
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
    bn_sched_self = t->v;
    bn_host.mutex_lock(&bn_sched_g.mu);
    bn_sched_wait_for_baton(bn_sched_self);
    bn_host.mutex_unlock(&bn_sched_g.mu);
  }
  struct bn_vthread *v = bn_sched_self;
  /* A thread cancelled in its function (bn_thread_cancel()) still lets go of its handle. */
  pthread_cleanup_push(drop_ref_cleanup, t);
  t->ret = t->fn(t->arg);
  pthread_cleanup_pop(0);
  if (v != NULL) {
    bn_host.mutex_lock(&bn_sched_g.mu);
    v->state = V_DONE;
    struct bn_vthread *j;
    while ((j = bn_sched_list_pop(&v->joiners)) != NULL) {
      bn_sched_make_runnable(j);
    }
    bn_sched_dispatch();
    if (v->detached) {
      vthread_free(v);
    }
    bn_host.mutex_unlock(&bn_sched_g.mu);
    bn_sched_self = NULL;
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
  if (bn_sched_g.virt) {
    bn_host.mutex_lock(&bn_sched_g.mu);
    bn_sched_me_or_abort("bn_thread_create");
    t->v = bn_sched_vthread_new(t->name);
    if (t->v != NULL) {
      bn_sched_make_runnable(t->v);
    }
    bn_host.mutex_unlock(&bn_sched_g.mu);
    if (t->v == NULL) {
      free(t);
      return ENOMEM;
    }
  }
  int rc = bn_host.create(&t->id, NULL, thread_main, t);
  if (rc != 0) {
    if (t->v != NULL) {
      bn_host.mutex_lock(&bn_sched_g.mu);
      for (struct bn_vthread **p = &bn_sched_g.runq; *p != NULL; p = &(*p)->next_run) {
        if (*p == t->v) {
          *p = t->v->next_run;
          break;
        }
      }
      vthread_free(t->v);
      bn_host.mutex_unlock(&bn_sched_g.mu);
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
    bn_host.mutex_lock(&bn_sched_g.mu);
    struct bn_vthread *me = bn_sched_me_or_abort("bn_thread_join");
    if (t->v->state != V_DONE) {
      bn_sched_queue_wait(&t->v->joiners, me);
      bn_sched_block(me, "a join", t->v, BN_CLOCK_FOREVER);
    }
    vthread_free(t->v);
    t->v = NULL;
    bn_host.mutex_unlock(&bn_sched_g.mu);
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
    bn_host.mutex_lock(&bn_sched_g.mu);
    if (t->v->state == V_DONE) {
      vthread_free(t->v);
    } else {
      t->v->detached = true;
    }
    bn_host.mutex_unlock(&bn_sched_g.mu);
  }
  bn_host.detach(t->id);
  drop_ref(t);
}

void bn_thread_cancel(bn_thread_t t)
{
  pthread_cancel(t->id);
}

