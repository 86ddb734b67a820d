/*
 * The host's own calls (bn_host.h), looked up with dlsym() before main().
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "bn_host.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

struct bn_host_calls bn_host;

static void *lookup(const char *name)
{
  void *f = dlsym(RTLD_DEFAULT, name);
  if (f == NULL) {
    fprintf(stderr, "boardnet: the C library has no %s()\n", name);
    abort();
  }
  return f;
}

/* Before main() and before any constructor of the program's own that could
 * start a thread (priority 101: the first a program may use). */
__attribute__((constructor(101))) static void resolve(void)
{
  bn_host.mutex_lock = (int (*)(pthread_mutex_t *))lookup("pthread_mutex_lock");
  bn_host.mutex_unlock = (int (*)(pthread_mutex_t *))lookup("pthread_mutex_unlock");
  bn_host.cond_wait = (int (*)(pthread_cond_t *, pthread_mutex_t *))lookup("pthread_cond_wait");
  bn_host.cond_signal = (int (*)(pthread_cond_t *))lookup("pthread_cond_signal");
  bn_host.cond_broadcast = (int (*)(pthread_cond_t *))lookup("pthread_cond_broadcast");
  bn_host.create = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))lookup("pthread_create");
  bn_host.join = (int (*)(pthread_t, void **))lookup("pthread_join");
  bn_host.detach = (int (*)(pthread_t))lookup("pthread_detach");
  bn_host.clock_gettime = (int (*)(clockid_t, struct timespec *))lookup("clock_gettime");
  bn_host.clock_nanosleep = (int (*)(clockid_t, int, const struct timespec *, struct timespec *))lookup(
    "clock_nanosleep");
}
