/*
 * The board's threads, mutexes and condition variables, and the scheduler
 * of the virtual clock. Library code never calls pthread_create(),
 * pthread_join(), pthread_mutex_lock() or pthread_cond_wait() itself: it
 * calls these, which are the pthread calls themselves on the real clock and,
 * on the virtual clock (bn_clock_virtual_start()), points where the board's
 * one running thread hands the baton to the next.
 *
 * Virtual clock, in one paragraph: exactly one thread of the board runs at a
 * time. It runs until it blocks (a contended mutex, a condition wait, a
 * sleep, a join, its end); then the next runnable thread runs, in the order
 * they became runnable (or, with a scheduling seed, one drawn from a seeded
 * stream). When no thread is runnable, the clock jumps to the earliest
 * deadline of a blocked thread and wakes every thread whose deadline it is
 * (in deadline order, then in the order the threads were created). Unlocking
 * a mutex or signalling a condition never switches. Every switch is thus a
 * function of the program's own steps, never of the host's timing: the same
 * inputs give the same run, bit for bit. If every thread waits with no
 * deadline, the process prints what each waits on and exits 1; if one runs
 * for the stall limit of wall time without blocking, it is named and the
 * process exits 1.
 *
 * Threads the scheduler does not know (made with pthread_create() directly)
 * must not call these functions on the virtual clock: they abort with a
 * message saying so.
 */
#ifndef BN_SCHED_H
#define BN_SCHED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bn_vthread;

/** A mutex. Initialise with BN_MUTEX_INITIALIZER or bn_mutex_init(). */
typedef struct bn_mutex {
  pthread_mutex_t real;
  struct bn_vthread *owner;    /* virtual clock: the holder, or NULL */
  struct bn_vthread *waiters;  /* virtual clock: the threads waiting, in order */
  unsigned depth;              /* virtual clock: holds of a recursive mutex */
  bool recursive;
} bn_mutex_t;

#define BN_MUTEX_INITIALIZER { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, false }
#ifdef PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP /* _GNU_SOURCE */
/** A recursive mutex's static initialiser. */
#define BN_MUTEX_RECURSIVE_INITIALIZER { PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP, NULL, NULL, 0, true }
#endif

/** A condition variable. Initialise with BN_COND_INITIALIZER or bn_cond_init(). */
typedef struct bn_cond {
  pthread_cond_t real;         /* timed waits name their clock (pthread_cond_clockwait) */
  struct bn_vthread *waiters;  /* virtual clock: the threads waiting, in order */
} bn_cond_t;

#define BN_COND_INITIALIZER { PTHREAD_COND_INITIALIZER, NULL }

/** A thread of the board. */
typedef struct bn_thread *bn_thread_t;

/** Initialises m (not recursive). @return 0 or a pthread error number. */
int bn_mutex_init(bn_mutex_t *m);

/** Initialises m as a recursive mutex. @return 0 or a pthread error number. */
int bn_mutex_init_recursive(bn_mutex_t *m);

/** Frees what bn_mutex_init() took; m must be unlocked, nobody waiting. */
void bn_mutex_destroy(bn_mutex_t *m);

/** Locks m, waiting (a switch point on the virtual clock) while another thread holds it. */
void bn_mutex_lock(bn_mutex_t *m);

/** Unlocks m (the caller holds it); on the virtual clock hands it to its first waiter. */
void bn_mutex_unlock(bn_mutex_t *m);

/** Initialises c. @return 0 or a pthread error number. */
int bn_cond_init(bn_cond_t *c);

/** Frees what bn_cond_init() took; nobody may wait on c. */
void bn_cond_destroy(bn_cond_t *c);

/** Wakes one thread waiting on c (the one waiting longest, on the virtual clock). */
void bn_cond_signal(bn_cond_t *c);

/** Wakes every thread waiting on c (in the order they began waiting, on the virtual clock). */
void bn_cond_broadcast(bn_cond_t *c);

/**
 * Waits on c until signalled or until until_ns on the board's clock
 * (BN_CLOCK_FOREVER: no deadline); m is held by the caller, released while
 * waiting and held again on return. Like pthread_cond_timedwait(), it may
 * return without a signal: callers re-check their condition.
 * @return 0, or ETIMEDOUT once the deadline has passed.
 */
int bn_cond_wait(bn_cond_t *c, bn_mutex_t *m, uint64_t until_ns);

/**
 * Starts a thread running fn(arg), named name (at most 15 characters are
 * kept; the name appears in ps, gdb and the virtual clock's reports). On
 * the virtual clock the new thread is runnable and runs once the caller
 * blocks.
 * @return 0, or a pthread error number (nothing started).
 */
int bn_thread_create(bn_thread_t *t, const char *name, void *(*fn)(void *), void *arg);

/** Waits for t to end (a switch point on the virtual clock) and frees it; *ret gets fn's result if ret is not NULL. @return 0 or a pthread error number. */
int bn_thread_join(bn_thread_t t, void **ret);

/** Lets t end on its own: nobody will join it. */
void bn_thread_detach(bn_thread_t t);

/**
 * Cancels t where it allows it (pthread_cancel(); the thread chooses its
 * cancellation points with pthread_setcancelstate()): for a thread stuck in
 * a system call nobody will finish (a write() to a pipe nobody reads). Still
 * join it. On the virtual clock a thread stuck in a system call holds the
 * baton: the stall watchdog ends the run instead, and this is never needed.
 */
void bn_thread_cancel(bn_thread_t t);

/*
 * One thread's waits, watched: a board program's, whose replay starts once
 * the program waits for its peers (in accept(), recv(), a connect or any
 * other wait of lwIP's or usocket's, which all come to bn_cond_wait()).
 * Sleeps are not waits for the network and are not counted.
 */

/** From now on the calling thread's bn_cond_wait()s are counted (one thread per process). */
void bn_sched_watch_waits(void);

/**
 * The waits in bn_cond_wait() the watched thread has begun, and in
 * *waiting whether it is in one now; two calls that both say waiting with
 * the same count saw one wait that lasted from the first to the second.
 */
uint64_t bn_sched_watched_waits(bool *waiting);

/*
 * The virtual clock's scheduler, driven by bn_clock (bn_clock.h): these are
 * for bn_clock.c and for the tests of the scheduler.
 */

/** Whether the virtual clock runs (set once, before the board's threads start). */
bool bn_sched_virtual(void);

/** Whether the calling thread is one of the virtual clock's (false on the real clock). */
bool bn_sched_board_thread(void);

/** The host thread of t (for a wrapper that hands a pthread_t back to its caller). */
pthread_t bn_thread_id(bn_thread_t t);

/**
 * Makes the calling thread the first thread of the virtual clock, named
 * name, with the clock at origin_ns. sched_seed 0 runs threads in wake
 * order; any other value draws the next thread from a stream seeded with
 * it. stall_wall_s > 0 starts a watchdog that ends the process if one
 * thread runs that many seconds of wall time without blocking.
 */
void bn_sched_start(const char *name, uint64_t origin_ns, uint64_t sched_seed, double stall_wall_s);

/** The virtual clock's time. */
uint64_t bn_sched_now_ns(void);

/** Blocks the calling thread until until_ns on the virtual clock (a sleep). */
void bn_sched_sleep_until(uint64_t until_ns);

/** What the scheduler did: switches between threads, jumps of the clock. */
struct bn_sched_stats {
  uint64_t switches;
  uint64_t jumps;
  uint64_t threads;   /* threads created, the first one included */
  uint64_t wall_ns;   /* host time since the virtual clock started (not the board's) */
};

/** A copy of the scheduler's counters. */
void bn_sched_stats_get(struct bn_sched_stats *s);

/**
 * Prints each thread of the virtual clock with what it is doing (running,
 * runnable, or what it waits on and until when) to out.
 */
void bn_sched_print_threads(FILE *out);

/**
 * The order in which the virtual clock's threads ran (their names, one per
 * switch, the first len of them) into buf; for the tests of the scheduler.
 * Recording starts with bn_sched_trace(true).
 */
void bn_sched_trace(bool on);
size_t bn_sched_trace_get(char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BN_SCHED_H */
