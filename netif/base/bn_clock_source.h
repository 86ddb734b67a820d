/*
 * Between the clock and the scheduler (netif/base only): the real clock's
 * wait, which bn_sched.c's bn_cond_wait() uses on the real clock.
 */
#ifndef BN_CLOCK_SOURCE_H
#define BN_CLOCK_SOURCE_H

#include <pthread.h>
#include <stdint.h>

/** pthread_cond_(timed)wait() until until_ns on the board's clock . @return 0 or ETIMEDOUT. */
int bn_clock_real_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, uint64_t until_ns);

#endif /* BN_CLOCK_SOURCE_H */
