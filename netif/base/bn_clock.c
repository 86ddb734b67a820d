/*
 * The board's clock (bn_clock.h): the single place where its source is
 * chosen: the host's CLOCK_MONOTONIC (real time, as a TAP needs), a
 * hand-driven time for tests, or the virtual clock of the scheduler
 * (bn_sched.c). Every function below reads or waits on it, and nothing else
 * in boardnet's library does. The host's clock is read and waited on only
 * on the real (or hand-driven) clock, where a board program's wrappers of
 * these calls (tools/board/virtual_wraps.c) are the C library's own.
 */
#define _GNU_SOURCE /* pthread_cond_clockwait */
#include "bn_clock.h"
#include "bn_clock_source.h"
#include "bn_sched.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <time.h>

/* The source of the board's time. */
#define BN_CLOCK_SOURCE CLOCK_MONOTONIC

static uint64_t to_ns(const struct timespec *ts)
{
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static struct timespec to_timespec(uint64_t ns)
{
  struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) };
  return ts;
}

/* The hand-driven clock: while manual is set, the time is manual_ns. */
static int manual;
static uint64_t manual_ns;

static uint64_t source_ns(void)
{
  struct timespec ts;
  clock_gettime(BN_CLOCK_SOURCE, &ts);
  return to_ns(&ts);
}

uint64_t bn_clock_now_ns(void)
{
  if (bn_sched_virtual()) {
    return bn_sched_now_ns();
  }
  if (__atomic_load_n(&manual, __ATOMIC_ACQUIRE)) {
    return __atomic_load_n(&manual_ns, __ATOMIC_ACQUIRE);
  }
  return source_ns();
}

void bn_clock_manual_start(uint64_t start_ns)
{
  __atomic_store_n(&manual_ns, start_ns, __ATOMIC_RELEASE);
  __atomic_store_n(&manual, 1, __ATOMIC_RELEASE);
}

void bn_clock_manual_advance(uint64_t ns)
{
  __atomic_add_fetch(&manual_ns, ns, __ATOMIC_ACQ_REL);
}

void bn_clock_manual_stop(void)
{
  __atomic_store_n(&manual, 0, __ATOMIC_RELEASE);
}

/* A deadline on the board's clock as one on the source (they differ only
 * while the clock is hand-driven). */
static uint64_t source_deadline(uint64_t until_ns)
{
  if (!__atomic_load_n(&manual, __ATOMIC_ACQUIRE)) {
    return until_ns;
  }
  uint64_t now = bn_clock_now_ns();
  return until_ns <= now ? 0 : bn_clock_add_ns(source_ns(), until_ns - now);
}

uint64_t bn_clock_add_ns(uint64_t t, uint64_t ns)
{
  return ns > BN_CLOCK_FOREVER - t ? BN_CLOCK_FOREVER : t + ns;
}

uint64_t bn_clock_after_ms(long ms)
{
  if (ms < 0) {
    return BN_CLOCK_FOREVER;
  }
  return bn_clock_add_ns(bn_clock_now_ns(), (uint64_t)ms * 1000000u);
}

int bn_clock_timeout_ms(uint64_t until_ns)
{
  if (until_ns == BN_CLOCK_FOREVER) {
    return -1;
  }
  uint64_t now = bn_clock_now_ns();
  if (until_ns <= now) {
    return 0;
  }
  uint64_t ms = (until_ns - now + 999999u) / 1000000u;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

struct timespec *bn_clock_timeout_timespec(uint64_t until_ns, struct timespec *ts)
{
  if (until_ns == BN_CLOCK_FOREVER) {
    return NULL;
  }
  uint64_t now = bn_clock_now_ns();
  *ts = to_timespec(until_ns > now ? until_ns - now : 0);
  return ts;
}

int bn_clock_real_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, uint64_t until_ns)
{
  if (until_ns == BN_CLOCK_FOREVER) {
    return pthread_cond_wait(cond, mutex);
  }
  struct timespec at = to_timespec(source_deadline(until_ns));
  return pthread_cond_clockwait(cond, mutex, BN_CLOCK_SOURCE, &at) == ETIMEDOUT ? ETIMEDOUT : 0;
}

void bn_clock_sleep_until(uint64_t until_ns)
{
  if (bn_sched_virtual()) {
    bn_sched_sleep_until(until_ns);
    return;
  }
  struct timespec at = to_timespec(source_deadline(until_ns));
  while (clock_nanosleep(BN_CLOCK_SOURCE, TIMER_ABSTIME, &at, NULL) == EINTR) {
  }
}

void bn_clock_sleep_ms(unsigned ms)
{
  bn_clock_sleep_until(bn_clock_after_ms((long)ms));
}

/* The virtual clock's wall time at its origin. */
static uint64_t epoch_ns;

/* wall - board, taken once per process. */
static int64_t wall_offset;
static pthread_once_t wall_once = PTHREAD_ONCE_INIT;

static void take_wall_offset(void)
{
  struct timespec wall;
  uint64_t before = source_ns();
  clock_gettime(CLOCK_REALTIME, &wall);
  uint64_t after = source_ns();
  wall_offset = (int64_t)to_ns(&wall) - (int64_t)(before + (after - before) / 2);
}

void bn_clock_virtual_start(const struct bn_clock_virtual *v)
{
  epoch_ns = v->epoch_ns;
  bn_sched_start(v->first_thread != NULL ? v->first_thread : "main", BN_CLOCK_VIRTUAL_ORIGIN_NS,
                 v->sched_seed, v->stall_wall_s);
}

bool bn_clock_is_virtual(void)
{
  return bn_sched_virtual();
}

void bn_clock_set_epoch(uint64_t wall_ns)
{
  epoch_ns = wall_ns;
}

uint64_t bn_clock_wall_ns(uint64_t board_ns)
{
  if (bn_sched_virtual()) {
    return epoch_ns + (board_ns - BN_CLOCK_VIRTUAL_ORIGIN_NS);
  }
  pthread_once(&wall_once, take_wall_offset);
  return (uint64_t)((int64_t)board_ns + wall_offset);
}
