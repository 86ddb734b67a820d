/*
 * The virtual clock's scheduler alone (bn_sched.h), no stack: the order in
 * which threads run (condition ping-pong, broadcast, a mutex contended
 * across a switch, join), the clock's jumps (a 10-minute sleep takes well
 * under a second), the deadlock and stall reports, and the scheduling seed.
 * Each test runs in its own process (Check's fork mode): the virtual clock
 * is chosen once per process.
 */
#include "bn_test.h"
#include "bn_clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_NS 1000000000u

static void start_virtual(uint64_t sched_seed)
{
  struct bn_clock_virtual v = { .epoch_ns = 0, .sched_seed = sched_seed, .first_thread = "main" };
  bn_clock_virtual_start(&v);
  bn_sched_trace(true);
}

static char *trace_now(void)
{
  static char buf[4096];
  bn_sched_trace_get(buf, sizeof(buf));
  return buf;
}

/* ---- ping-pong: two threads hand a turn back and forth ------------------- */

static bn_mutex_t mu = BN_MUTEX_INITIALIZER;
static bn_cond_t cv = BN_COND_INITIALIZER;
static int turn;
static char order[256];

static void note(const char *what)
{
  strncat(order, what, sizeof(order) - strlen(order) - 1);
}

static void *player(void *arg)
{
  int me = (int)(intptr_t)arg;
  for (int round = 0; round < 3; round++) {
    bn_mutex_lock(&mu);
    while (turn != me) {
      bn_cond_wait(&cv, &mu, BN_CLOCK_FOREVER);
    }
    note(me == 0 ? "a" : "b");
    turn = 1 - me;
    bn_cond_broadcast(&cv);
    bn_mutex_unlock(&mu);
  }
  return NULL;
}

START_TEST(test_condition_ping_pong_alternates_with_no_time_passing)
{
  start_virtual(0);
  uint64_t t0 = bn_clock_now_ns();
  ck_assert_uint_eq(t0, BN_CLOCK_VIRTUAL_ORIGIN_NS);
  bn_thread_t a, b;
  ck_assert_int_eq(bn_thread_create(&a, "ping", player, (void *)0), 0);
  ck_assert_int_eq(bn_thread_create(&b, "pong", player, (void *)1), 0);
  ck_assert_int_eq(bn_thread_join(a, NULL), 0);
  ck_assert_int_eq(bn_thread_join(b, NULL), 0);
  ck_assert_str_eq(order, "ababab");
  ck_assert_uint_eq(bn_clock_now_ns(), t0); /* nobody slept: no jump */
  /* main blocks in join; each runs its turn and waits for the next; pong ends last */
  ck_assert_str_eq(trace_now(), "ping pong ping pong ping pong main ");
}
END_TEST

/* ---- broadcast: waiters wake in the order they began waiting ------------- */

static bool go;

static void *waiter(void *arg)
{
  bn_mutex_lock(&mu);
  while (!go) {
    bn_cond_wait(&cv, &mu, BN_CLOCK_FOREVER);
  }
  note((const char *)arg);
  bn_mutex_unlock(&mu);
  return NULL;
}

START_TEST(test_broadcast_wakes_in_wait_order)
{
  start_virtual(0);
  const char *names[] = { "1", "2", "3", "4" };
  bn_thread_t t[4];
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(bn_thread_create(&t[i], names[i], waiter, (void *)names[i]), 0);
  }
  bn_clock_sleep_ms(1); /* all four run and wait */
  bn_mutex_lock(&mu);
  go = true;
  bn_cond_broadcast(&cv);
  bn_mutex_unlock(&mu);
  for (int i = 0; i < 4; i++) {
    bn_thread_join(t[i], NULL);
  }
  ck_assert_str_eq(order, "1234");
}
END_TEST

/* ---- a mutex held across a switch: the holder sleeps, the other waits ---- */

static void *holder(void *arg)
{
  (void)arg;
  bn_mutex_lock(&mu);
  note("h");
  bn_clock_sleep_ms(50); /* a switch with the mutex held */
  note("H");
  bn_mutex_unlock(&mu);
  return NULL;
}

static void *contender(void *arg)
{
  (void)arg;
  bn_mutex_lock(&mu);
  note("c");
  bn_mutex_unlock(&mu);
  return NULL;
}

START_TEST(test_a_mutex_contended_across_a_switch_is_handed_over)
{
  start_virtual(0);
  uint64_t t0 = bn_clock_now_ns();
  bn_thread_t h, c;
  bn_thread_create(&h, "holder", holder, NULL);
  bn_thread_create(&c, "contender", contender, NULL);
  bn_thread_join(c, NULL);
  ck_assert_str_eq(order, "hHc");
  ck_assert_uint_eq(bn_clock_now_ns() - t0, 50u * 1000000u); /* exactly the holder's sleep */
  bn_thread_join(h, NULL);
}
END_TEST

/* ---- join and sleeps: time jumps, exactly ---------------------------------- */

static void *sleeper(void *arg)
{
  bn_clock_sleep_ms((unsigned)(uintptr_t)arg);
  note("s");
  return (void *)42;
}

START_TEST(test_join_returns_the_result_after_the_sleep)
{
  start_virtual(0);
  uint64_t t0 = bn_clock_now_ns();
  bn_thread_t t;
  bn_thread_create(&t, "sleeper", sleeper, (void *)(uintptr_t)1500);
  void *ret = NULL;
  ck_assert_int_eq(bn_thread_join(t, &ret), 0);
  ck_assert_ptr_eq(ret, (void *)42);
  ck_assert_uint_eq(bn_clock_now_ns() - t0, 1500u * 1000000u);
}
END_TEST

START_TEST(test_ten_minutes_of_sleep_take_well_under_a_second)
{
  start_virtual(0);
  struct timespec w0, w1;
  clock_gettime(CLOCK_MONOTONIC, &w0);
  uint64_t t0 = bn_clock_now_ns();
  /* 10 minutes in 100 ms steps, with a timed-out condition wait at each */
  for (int i = 0; i < 6000; i++) {
    bn_clock_sleep_ms(50);
    bn_mutex_lock(&mu);
    ck_assert_int_eq(bn_cond_wait(&cv, &mu, bn_clock_after_ms(50)), ETIMEDOUT);
    bn_mutex_unlock(&mu);
  }
  clock_gettime(CLOCK_MONOTONIC, &w1);
  ck_assert_uint_eq(bn_clock_now_ns() - t0, 600ull * S_NS);
  double wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
  ck_assert_msg(wall < 1.0, "10 board minutes took %.3f s of wall time", wall); /* 600 s otherwise */
  struct bn_sched_stats st;
  bn_sched_stats_get(&st);
  ck_assert_uint_eq(st.jumps, 12000);
}
END_TEST

/* A condition wait with a deadline that has passed returns at once. */
START_TEST(test_a_deadline_gone_times_out_without_a_switch)
{
  start_virtual(0);
  bn_mutex_lock(&mu);
  ck_assert_int_eq(bn_cond_wait(&cv, &mu, bn_clock_now_ns()), ETIMEDOUT);
  bn_mutex_unlock(&mu);
  struct bn_sched_stats st;
  bn_sched_stats_get(&st);
  ck_assert_uint_eq(st.switches, 0);
  ck_assert_uint_eq(st.jumps, 0);
}
END_TEST

/* ---- the reports: run in a child, read its standard error ----------------- */

/* Runs fn in a child process; returns its exit status, its stderr in err. */
static int run_child(void (*fn)(void), char *err, size_t len)
{
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    dup2(p[1], STDERR_FILENO);
    close(p[0]);
    fn();
    _exit(0);
  }
  close(p[1]);
  size_t got = 0;
  ssize_t n;
  while (got < len - 1 && (n = read(p[0], err + got, len - 1 - got)) > 0) {
    got += (size_t)n;
  }
  err[got] = '\0';
  close(p[0]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void *forever(void *arg)
{
  (void)arg;
  bn_mutex_lock(&mu);
  for (;;) {
    bn_cond_wait(&cv, &mu, BN_CLOCK_FOREVER);
  }
  return NULL;
}

static void deadlocked(void)
{
  start_virtual(0);
  bn_thread_t t;
  bn_thread_create(&t, "waits-forever", forever, NULL);
  bn_thread_join(t, NULL);
}

START_TEST(test_a_deadlock_names_every_thread_and_what_it_waits_on)
{
  char err[4096];
  ck_assert_int_eq(run_child(deadlocked, err, sizeof(err)), 1);
  ck_assert_ptr_nonnull(strstr(err, "every thread of the board waits and none has a deadline"));
  ck_assert_ptr_nonnull(strstr(err, "'main': waits on a join"));
  ck_assert_ptr_nonnull(strstr(err, "of 'waits-forever', no deadline"));
  ck_assert_ptr_nonnull(strstr(err, "'waits-forever': waits on a condition"));
}
END_TEST

static volatile int spin_forever = 1;

static void *spinner(void *arg)
{
  (void)arg;
  while (spin_forever) {
  }
  return NULL;
}

static void stalled(void)
{
  struct bn_clock_virtual v = { .stall_wall_s = 0.3 };
  bn_clock_virtual_start(&v);
  bn_thread_t t;
  bn_thread_create(&t, "spinner", spinner, NULL);
  bn_thread_join(t, NULL);
}

START_TEST(test_a_busy_loop_is_named_and_ends_the_run)
{
  char err[4096];
  ck_assert_int_eq(run_child(stalled, err, sizeof(err)), 1);
  ck_assert_ptr_nonnull(strstr(err, "thread 'spinner' ran"));
  ck_assert_ptr_nonnull(strstr(err, "without blocking"));
  ck_assert_ptr_nonnull(strstr(err, "'main': waits on a join"));
}
END_TEST

/* ---- the scheduling seed ---------------------------------------------------- */

static void *racer(void *arg)
{
  for (int i = 0; i < 4; i++) {
    bn_mutex_lock(&mu);
    note((const char *)arg);
    bn_mutex_unlock(&mu);
    bn_clock_sleep_ms(0 == i % 2 ? 1 : 2); /* everybody wakes at the same deadlines */
  }
  return NULL;
}

/* The order of four racing threads under sched_seed, in a child. */
static uint64_t seed_of_child;

static void race(void)
{
  start_virtual(seed_of_child);
  const char *names[] = { "w", "x", "y", "z" };
  bn_thread_t t[4];
  for (int i = 0; i < 4; i++) {
    bn_thread_create(&t[i], names[i], racer, (void *)names[i]);
  }
  for (int i = 0; i < 4; i++) {
    bn_thread_join(t[i], NULL);
  }
  fprintf(stderr, "%s", order);
}

static void race_order(uint64_t seed, char *out, size_t len)
{
  seed_of_child = seed;
  ck_assert_int_eq(run_child(race, out, len), 0);
}

START_TEST(test_a_sched_seed_repeats_and_differs_from_wake_order)
{
  char plain[64], plain2[64], s7[64], s7b[64], s8[64];
  race_order(0, plain, sizeof(plain));
  race_order(0, plain2, sizeof(plain2));
  ck_assert_str_eq(plain, "wxyzwxyzwxyzwxyz"); /* wake order: creation order here */
  ck_assert_str_eq(plain2, plain);
  race_order(7, s7, sizeof(s7));
  race_order(7, s7b, sizeof(s7b));
  race_order(8, s8, sizeof(s8));
  ck_assert_str_eq(s7, s7b);
  ck_assert_str_ne(s7, plain);
  ck_assert_str_ne(s7, s8);
  ck_assert_uint_eq(strlen(s7), 16);
}
END_TEST

Suite *bn_test_suite(void)
{
  Suite *s = suite_create("sched");
  TCase *tc = tcase_create("virtual");
  tcase_add_test(tc, test_condition_ping_pong_alternates_with_no_time_passing);
  tcase_add_test(tc, test_broadcast_wakes_in_wait_order);
  tcase_add_test(tc, test_a_mutex_contended_across_a_switch_is_handed_over);
  tcase_add_test(tc, test_join_returns_the_result_after_the_sleep);
  tcase_add_test(tc, test_ten_minutes_of_sleep_take_well_under_a_second);
  tcase_add_test(tc, test_a_deadline_gone_times_out_without_a_switch);
  tcase_add_test(tc, test_a_deadlock_names_every_thread_and_what_it_waits_on);
  tcase_add_test(tc, test_a_busy_loop_is_named_and_ends_the_run);
  tcase_add_test(tc, test_a_sched_seed_repeats_and_differs_from_wake_order);
  suite_add_tcase(s, tc);
  return s;
}
