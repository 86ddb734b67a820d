/*
 * Inside the scheduler of the virtual clock (bn_sched.h), for its three
 * files alone: bn_sched.c (the scheduler, mutexes, conditions, sleeps),
 * bn_sched_thread.c (the board's threads), bn_sched_report.c (what it tells:
 * the deadlock and stall reports, the watchdog, statistics, the trace).
 * Everything here is used under bn_sched_g.mu unless said otherwise.
 */
#ifndef BN_SCHED_INTERNAL_H
#define BN_SCHED_INTERNAL_H

#include "bn_sched.h"
#include "bn_random.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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


/* The scheduler's state. */
struct bn_sched_state {
  bool virt;                   /* the virtual clock runs (set once, before the board's threads) */
  pthread_mutex_t mu;          /* guards all below */
  struct bn_vthread *running;  /* holds the baton */
  struct bn_vthread *runq;     /* runnable threads, in wake order */
  struct bn_vthread *all;      /* every thread, in creation order */
  uint64_t vnow;               /* the virtual clock's time */
  uint64_t next_seq;
  bool seeded;                 /* --sched-seed: the next thread drawn from rng */
  bn_rng rng;
  struct bn_sched_stats stats;
};

extern struct bn_sched_state bn_sched_g;
/** The calling thread's record (NULL: no thread of the virtual clock). */
extern _Thread_local struct bn_vthread *bn_sched_self;

/* bn_sched.c */
void bn_sched_make_runnable(struct bn_vthread *t);
struct bn_vthread *bn_sched_list_pop(struct bn_vthread **head);
void bn_sched_queue_wait(struct bn_vthread **list, struct bn_vthread *me);
/** Hands the baton to the next thread (the caller has stopped running). */
void bn_sched_dispatch(void);
/** Parks me until it holds the baton. */
void bn_sched_wait_for_baton(struct bn_vthread *me);
/** Blocks the running thread me (already queued where it waits). */
void bn_sched_block(struct bn_vthread *me, const char *waits, const void *obj, uint64_t deadline);
/** The calling thread's record; aborts, naming call, in a thread the scheduler does not know. */
struct bn_vthread *bn_sched_me_or_abort(const char *call);

/* bn_sched_thread.c */
/** A new thread's record, listed last. */
struct bn_vthread *bn_sched_vthread_new(const char *name);

/* bn_sched_report.c */
/** Prints each thread and what it does to out. */
void bn_sched_print_threads_locked(FILE *out);
/** Reports a deadlock and ends the process with exit 1. */
_Noreturn void bn_sched_deadlock(void);
/** Notes the thread that runs next in the tests' trace, when tracing. */
void bn_sched_trace_note(const char *name);
/** Starts the stall watchdog (stall_wall_s > 0) and the wall time of the statistics; not under the mutex. */
void bn_sched_watch_host(double stall_wall_s);

#endif /* BN_SCHED_INTERNAL_H */
