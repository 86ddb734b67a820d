/*
 * A board program written with the C library's own time, sleeps, locks and
 * threads (no board.h call but board_ready()), for test_virtual_time.sh:
 * linked as a user links it (pkg-config's --wrap options), on the virtual
 * clock each of these calls follows the board's clock. It prints what it
 * saw, board time exactly:
 *   threads: ping-pong of N rounds through a mutex and a condition
 *   slept: the board nanoseconds its sleeps took (sleep 600 s, nanosleep
 *          1.5 s, usleep 2.5 ms, poll and select without descriptors)
 *   timedwait: ETIMEDOUT after the board nanoseconds waited
 * With the argument "fork" it calls fork() (which the virtual clock refuses).
 * It calls board_ready() once done: its sleeps come before the capture's peers.
 */
#define _GNU_SOURCE
#include <boardnet/board.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;
static char order[64];

static uint64_t mono_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *player(void *arg)
{
  int me = (int)(intptr_t)arg;
  for (int i = 0; i < 3; i++) {
    pthread_mutex_lock(&mu);
    while (turn != me) {
      pthread_cond_wait(&cv, &mu);
    }
    strcat(order, me ? "b" : "a");
    turn = !me;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void *sleeper(void *arg)
{
  (void)arg;
  sleep(600);
  struct timespec req = { 1, 500000000 };
  nanosleep(&req, NULL);
  usleep(2500);
  poll(NULL, 0, 250);
  struct timeval tv = { 0, 500000 };
  select(0, NULL, NULL, NULL, &tv);
  return (void *)42;
}

int board_main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "fork") == 0) {
    pid_t pid = fork();
    printf("fork returned %d\n", (int)pid);
    return 0;
  }
  pthread_t a, b, s;
  pthread_create(&a, NULL, player, (void *)0);
  pthread_create(&b, NULL, player, (void *)1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("threads: %s\n", order);

  uint64_t t0 = mono_ns();
  time_t w0 = time(NULL);
  void *ret = NULL;
  pthread_create(&s, NULL, sleeper, NULL);
  pthread_join(s, &ret);
  uint64_t slept = mono_ns() - t0;
  printf("slept: %llu ns, %ld s of time(), joined %ld\n", (unsigned long long)slept, (long)(time(NULL) - w0),
         (long)(intptr_t)ret);

  struct timeval now;
  gettimeofday(&now, NULL);
  struct timespec at = { now.tv_sec + 2, (long)now.tv_usec * 1000 };
  uint64_t t1 = mono_ns();
  pthread_mutex_lock(&mu);
  int rc = pthread_cond_timedwait(&cv, &mu, &at);
  pthread_mutex_unlock(&mu);
  printf("timedwait: %s after %llu ns\n", rc == ETIMEDOUT ? "ETIMEDOUT" : strerror(rc),
         (unsigned long long)(mono_ns() - t1));
  fflush(stdout);
  board_ready(); /* only now may the capture's peers come: the sleeps above are the board's own */
  return 0;
}
