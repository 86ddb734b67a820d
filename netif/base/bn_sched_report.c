/*
 * What the scheduler of the virtual clock tells (bn_sched.h): each thread
 * and what it waits on, the deadlock report, the stall watchdog (a thread
 * of the host, watching wall time), the statistics and the tests' trace.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bn_sched_internal.h"

#include "bn_clock.h"
#include "bn_host.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The trace of the tests: names of the threads in the order they ran. */
#define TRACE_MAX 4096
static bool tracing;
static char trace[TRACE_MAX];
static size_t trace_len;

static void print_time(FILE *out, uint64_t ns)
{
  fprintf(out, "%llu.%09llu s", (unsigned long long)(ns / 1000000000u),
          (unsigned long long)(ns % 1000000000u));
}

static const char *name_of_owner(const void *obj, const char *waits)
{
  if (strcmp(waits, "a mutex") == 0) {
    const bn_mutex_t *m = obj;
    return m->owner != NULL ? m->owner->name : "nobody";
  }
  return NULL;
}

void bn_sched_print_threads_locked(FILE *out)
{
  for (struct bn_vthread *t = bn_sched_g.all; t != NULL; t = t->next_all) {
    fprintf(out, "  thread %llu '%s': ", (unsigned long long)t->seq, t->name);
    switch (t->state) {
    case V_RUNNING:
      fprintf(out, "running\n");
      break;
    case V_RUNNABLE:
      fprintf(out, "runnable\n");
      break;
    case V_DONE:
      fprintf(out, "ended, not joined\n");
      break;
    case V_BLOCKED: {
      fprintf(out, "waits on %s %p", t->waits, t->wait_obj);
      const char *owner = name_of_owner(t->wait_obj, t->waits);
      if (owner != NULL) {
        fprintf(out, " held by '%s'", owner);
      } else if (strcmp(t->waits, "a join") == 0) {
        fprintf(out, " of '%s'", ((const struct bn_vthread *)t->wait_obj)->name);
      }
      if (t->deadline == BN_CLOCK_FOREVER) {
        fprintf(out, ", no deadline\n");
      } else {
        fprintf(out, " until ");
        print_time(out, t->deadline);
        fprintf(out, "\n");
      }
      break;
    }
    }
  }
}

_Noreturn void bn_sched_deadlock(void)
{
  fprintf(stderr, "boardnet: virtual clock: every thread of the board waits and none has a "
                  "deadline (a deadlock) at board time ");
  print_time(stderr, bn_sched_g.vnow);
  fprintf(stderr, ":\n");
  bn_sched_print_threads_locked(stderr);
  fflush(NULL);
  _exit(1);
}

/* Moves the clock to the earliest deadline and wakes whose deadline it is. */
/* ---- host time: the watchdog's and the statistics' (never the board's) --- */

static uint64_t host_ns(void)
{
  struct timespec ts;
  bn_host.clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t started_host_ns;

/* ---- the stall watchdog ---------------------------------------------------- */

static double stall_limit_s;

static void *watchdog_main(void *arg)
{
  (void)arg;
  uint64_t last_switches = UINT64_MAX;
  struct timespec since = { 0, 0 };
  for (;;) {
    struct timespec step = { 0, 100 * 1000 * 1000 };
    bn_host.clock_nanosleep(CLOCK_MONOTONIC, 0, &step, NULL); /* wall time: the watchdog watches the host */
    uint64_t s = __atomic_load_n(&bn_sched_g.stats.switches, __ATOMIC_RELAXED) +
                 __atomic_load_n(&bn_sched_g.stats.jumps, __ATOMIC_RELAXED);
    struct timespec now;
    bn_host.clock_gettime(CLOCK_MONOTONIC, &now);
    if (s != last_switches) {
      last_switches = s;
      since = now;
      continue;
    }
    double ran = (double)(now.tv_sec - since.tv_sec) + (double)(now.tv_nsec - since.tv_nsec) / 1e9;
    if (ran >= stall_limit_s) {
      bn_host.mutex_lock(&bn_sched_g.mu);
      struct bn_vthread *r = __atomic_load_n(&bn_sched_g.running, __ATOMIC_ACQUIRE);
      fprintf(stderr, "boardnet: virtual clock: thread '%s' ran %.1f s of wall time without "
                      "blocking (a busy loop, or a call that waits outside the board's clock; "
                      "--clock-stall SEC sets the limit) at board time ",
              r != NULL ? r->name : "?", ran);
      print_time(stderr, bn_sched_g.vnow);
      fprintf(stderr, ":\n");
      bn_sched_print_threads_locked(stderr);
      fflush(NULL);
      _exit(1);
    }
  }
  return NULL;
}

void bn_sched_watch_host(double stall_wall_s)
{
  started_host_ns = host_ns();
  if (stall_wall_s > 0) {
    stall_limit_s = stall_wall_s;
    pthread_t w;
    if (bn_host.create(&w, NULL, watchdog_main, NULL) == 0) {
#ifdef __linux__
      pthread_setname_np(w, "bn-stall");
#endif
      bn_host.detach(w);
    }
  }
}

void bn_sched_trace_note(const char *name)
{
  if (tracing && trace_len + strlen(name) + 2 < TRACE_MAX) {
    trace_len += (size_t)sprintf(trace + trace_len, "%s ", name);
  }
}

void bn_sched_stats_get(struct bn_sched_stats *s)
{
  bn_host.mutex_lock(&bn_sched_g.mu);
  *s = bn_sched_g.stats;
  s->wall_ns = bn_sched_g.virt ? host_ns() - started_host_ns : 0;
  bn_host.mutex_unlock(&bn_sched_g.mu);
}

void bn_sched_print_threads(FILE *out)
{
  bn_host.mutex_lock(&bn_sched_g.mu);
  bn_sched_print_threads_locked(out);
  bn_host.mutex_unlock(&bn_sched_g.mu);
}

void bn_sched_trace(bool on)
{
  bn_host.mutex_lock(&bn_sched_g.mu);
  tracing = on;
  trace_len = 0;
  trace[0] = '\0';
  bn_host.mutex_unlock(&bn_sched_g.mu);
}

size_t bn_sched_trace_get(char *buf, size_t len)
{
  bn_host.mutex_lock(&bn_sched_g.mu);
  size_t n = trace_len < len - 1 ? trace_len : len - 1;
  memcpy(buf, trace, n);
  buf[n] = '\0';
  bn_host.mutex_unlock(&bn_sched_g.mu);
  return n;
}

