/*
 * The host's own thread, lock and clock calls, for the scheduler of the
 * virtual clock (bn_sched*.c) alone: the pthread and time functions of the
 * C library, looked up by name when the process starts, so that a board
 * program linked with boardnet's wrappers (ld --wrap=pthread_mutex_lock,
 * --wrap=clock_gettime ...: tools/board/virtual_wraps.c, which put a user's
 * own calls on the board's clock) never turns the scheduler's own calls,
 * made while the virtual clock runs, into calls of itself. The two time
 * calls serve the scheduler's watch of the host (the stall watchdog, the
 * wall seconds of --clock-stats), never the board's time. Everything else
 * in boardnet uses bn_clock and bn_sched.
 */
#ifndef BN_HOST_H
#define BN_HOST_H

#include <pthread.h>
#include <time.h>

/** The C library's functions, never a wrapper of them. */
struct bn_host_calls {
  int (*mutex_lock)(pthread_mutex_t *);
  int (*mutex_unlock)(pthread_mutex_t *);
  int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
  int (*cond_signal)(pthread_cond_t *);
  int (*cond_broadcast)(pthread_cond_t *);
  int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
  int (*join)(pthread_t, void **);
  int (*detach)(pthread_t);
  int (*clock_gettime)(clockid_t, struct timespec *);
  int (*clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
};

/** The host's calls (resolved once; aborts with a message if one is missing). */
extern struct bn_host_calls bn_host;

#endif /* BN_HOST_H */
