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

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bn_sched.h" /* the board's threads, mutexes and conditions */

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

/** Sleeps until until_ns (returns at once if it has passed). */
void bn_clock_sleep_until(uint64_t until_ns);

/** Sleeps ms milliseconds. */
void bn_clock_sleep_ms(unsigned ms);

/**
 * The wall-clock time (nanoseconds since the UNIX epoch) of a board
 * timestamp, e.g. for a pcap record that Wireshark shows as a date: on the
 * real clock, the board's clock plus the offset between the two, taken once
 * per process; on the virtual clock, the epoch (bn_clock_set_epoch()) plus
 * the board time since the origin: never the host's wall clock.
 */
uint64_t bn_clock_wall_ns(uint64_t board_ns);

/*
 * The virtual clock: for runs without a TAP (replay, memory links). The
 * board's threads run one at a time and the clock jumps to the earliest
 * deadline when every one of them waits (bn_sched.h says how), so that a
 * run is a function of its inputs alone. Chosen once per process, before
 * any thread of the board starts; there is no way back.
 */

/** The virtual clock's time 0 is this (not 0: zero means "unset" in places). */
#define BN_CLOCK_VIRTUAL_ORIGIN_NS 1000000000u

/** How the virtual clock runs. */
struct bn_clock_virtual {
  uint64_t epoch_ns;        /* the wall time of the origin (output timestamps) */
  uint64_t sched_seed;      /* 0: threads run in wake order; else drawn from this seed */
  double stall_wall_s;      /* > 0: a thread running this long without blocking ends the run */
  const char *first_thread; /* the calling thread's name in reports (NULL: "main") */
};

/** Starts the virtual clock; the calling thread becomes its first thread. */
void bn_clock_virtual_start(const struct bn_clock_virtual *v);

/** Whether the clock is virtual. */
bool bn_clock_is_virtual(void);

/** Sets the virtual clock's epoch (e.g. a capture's first timestamp, once it is read). */
void bn_clock_set_epoch(uint64_t wall_ns);

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
