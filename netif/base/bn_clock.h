/*
 * The one clock of a board process. Every time in boardnet comes from here:
 * lwIP's sys_now(), the waits of sys_arch and usocket, link timestamps,
 * impairment deadlines and pcap records. Library code never reads another
 * clock, sleeps, or waits on a condition variable with a timeout of its own:
 * it uses these functions, so that a virtual clock (runs without a TAP: time
 * jumps to the earliest deadline when every board thread waits) replaces the
 * source in one place (bn_clock.c) and everything follows.
 *
 * Times are nanoseconds on the board's clock (monotonic, arbitrary origin);
 * deadlines are absolute times on it. BN_CLOCK_FOREVER is "no deadline".
 * The clock lives at the bottom of the dependency chain (netif/) so that
 * every layer can read it.
 */
#ifndef BN_CLOCK_H
#define BN_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A deadline that never comes. */
#define BN_CLOCK_FOREVER UINT64_MAX

/** Nanoseconds on the board's clock. Never fails. */
uint64_t bn_clock_now_ns(void);

/** The deadline ms milliseconds from now; BN_CLOCK_FOREVER for ms < 0. */
uint64_t bn_clock_after_ms(long ms);

/** The deadline ns nanoseconds after t (saturating at BN_CLOCK_FOREVER). */
uint64_t bn_clock_add_ns(uint64_t t, uint64_t ns);

/**
 * The milliseconds from now until until_ns, rounded up, for a system call
 * that takes a relative timeout (poll(2)): -1 for BN_CLOCK_FOREVER, 0 once
 * the deadline has passed, at most INT_MAX.
 */
int bn_clock_timeout_ms(uint64_t until_ns);

/**
 * The time from now until until_ns as a relative timespec in *ts for a
 * system call that takes one (ppoll(2): nanosecond precision, where a
 * millisecond timeout would release a frame held for a delay up to 1 ms
 * late): NULL for BN_CLOCK_FOREVER, zero once the deadline has passed.
 */
struct timespec *bn_clock_timeout_timespec(uint64_t until_ns, struct timespec *ts);

/** Initialises a condition variable that bn_clock_cond_wait() can wait on. */
int bn_clock_cond_init(pthread_cond_t *cond);

/**
 * pthread_cond_wait() until until_ns (BN_CLOCK_FOREVER: no deadline); mutex
 * held by the caller. Like pthread_cond_timedwait(), may wake spuriously.
 * @return 0, or ETIMEDOUT once the deadline has passed.
 */
int bn_clock_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, uint64_t until_ns);

/*
 * One thread's waits, watched: a board program's, whose replay starts once
 * the program waits for its peers (in accept(), recv(), a connect or any
 * other wait of lwIP's or usocket's, which all come here). Sleeps are not
 * waits for the network and are not counted.
 */

/** From now on the calling thread's bn_clock_cond_wait()s are counted (one thread per process). */
void bn_clock_watch_waits(void);

/**
 * The waits in bn_clock_cond_wait() the watched thread has begun, and in
 * *waiting whether it is in one now; two calls that both say waiting with
 * the same count saw one wait that lasted from the first to the second.
 */
uint64_t bn_clock_watched_waits(bool *waiting);

/** Sleeps until until_ns (returns at once if it has passed). */
void bn_clock_sleep_until(uint64_t until_ns);

/** Sleeps ms milliseconds. */
void bn_clock_sleep_ms(unsigned ms);

/**
 * The wall-clock time (nanoseconds since the UNIX epoch) of a board
 * timestamp, e.g. for a pcap record that Wireshark shows as a date: the
 * board's clock plus the offset between the two, taken once per process.
 */
uint64_t bn_clock_wall_ns(uint64_t board_ns);

/*
 * A hand-driven clock, for tests of time-driven code (the impairment
 * stage's delays, rates and slots) that must not depend on the machine's
 * speed: from bn_clock_manual_start() on, bn_clock_now_ns() returns a time
 * that moves only by bn_clock_manual_advance(); a wait for a deadline that
 * has not come yet waits that long in real time, one that has passed returns
 * at once. bn_clock_manual_stop() goes back to the real source. Not for
 * boards running lwIP's timers: a first step towards the virtual clock.
 */

/** Stops the clock at start_ns (e.g. bn_clock_now_ns()). */
void bn_clock_manual_start(uint64_t start_ns);

/** Moves a stopped clock on by ns. */
void bn_clock_manual_advance(uint64_t ns);

/** Back to real time. */
void bn_clock_manual_stop(void);

#ifdef __cplusplus
}
#endif

#endif /* BN_CLOCK_H */
