/*
 * The watched thread's waits (bn_sched_watch_waits()), which start a board
 * program's replay: only that thread's condition waits count, a sleep does
 * not, and "waiting" holds exactly while it is in one.
 */
#include "bn_test.h"
#include "bn_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

static bn_mutex_t mu = BN_MUTEX_INITIALIZER;
static bn_cond_t cv;
static bool go, slept;

/* The watched thread: a sleep, then one wait until go. */
static void *watched(void *arg)
{
  (void)arg;
  bn_sched_watch_waits();
  bn_clock_sleep_ms(1);
  bn_mutex_lock(&mu);
  slept = true;
  while (!go) {
    bn_cond_wait(&cv, &mu, BN_CLOCK_FOREVER);
  }
  bn_mutex_unlock(&mu);
  return NULL;
}

/* Polls until the watched thread waits (bounded: 10 s); returns its waits. */
static uint64_t until_waiting(void)
{
  bool waiting = false;
  uint64_t waits = 0;
  for (int i = 0; i < 10000 && !waiting; i++) {
    waits = bn_sched_watched_waits(&waiting);
    if (!waiting) {
      bn_clock_sleep_ms(1);
    }
  }
  ck_assert_msg(waiting, "the watched thread never waited");
  return waits;
}

START_TEST(test_unwatched_waits_do_not_count)
{
  bn_cond_init(&cv);
  bn_mutex_lock(&mu);
  ck_assert_int_eq(bn_cond_wait(&cv, &mu, bn_clock_after_ms(1)), ETIMEDOUT);
  bn_mutex_unlock(&mu);
  bool waiting = true;
  ck_assert_uint_eq(bn_sched_watched_waits(&waiting), 0);
  ck_assert(!waiting);
}
END_TEST

START_TEST(test_one_wait_counted_while_it_lasts)
{
  bn_cond_init(&cv);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, watched, NULL), 0);
  ck_assert_uint_eq(until_waiting(), 1); /* the sleep before it did not count */
  bn_mutex_lock(&mu);
  ck_assert(slept);
  go = true;
  bn_cond_broadcast(&cv);
  bn_mutex_unlock(&mu);
  pthread_join(t, NULL);
  bool waiting = true;
  ck_assert_uint_eq(bn_sched_watched_waits(&waiting), 1);
  ck_assert(!waiting);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("clock_watch");
  TCase *tc = tcase_create("watch");
  tcase_add_test(tc, test_unwatched_waits_do_not_count);
  tcase_add_test(tc, test_one_wait_counted_while_it_lasts);
  suite_add_tcase(s, tc);
  return s;
}
