/*
 * A board program's own time, sleeps, locks and threads on the board's
 * clock: wrappers that the installed package links in with ld's --wrap
 * (pkg-config's Libs, CMake's boardnet:: targets), the way the pool faults'
 * memp_malloc is. On the real clock, and in any thread the virtual clock
 * does not know, each is the C library's own call (__real_...). On the
 * virtual clock, in a thread of the board:
 * - clock_gettime, gettimeofday, time read the board's clock (MONOTONIC,
 *   BOOTTIME: board time; REALTIME, TAI: the epoch plus board time);
 * - nanosleep, clock_nanosleep, usleep, sleep, and poll/ppoll/select/pselect
 *   given no descriptor, sleep on it;
 * - pthread mutexes, conditions, thread creation, join and detach are the
 *   scheduler's (a mutex or condition is shadowed by one of bn_sched's,
 *   found by its address; a thread the program creates is a thread of the
 *   board);
 * - what cannot follow the board's clock aborts at once, naming the call:
 *   fork, alarm, timer_create, timerfd_create, and poll/select on real
 *   descriptors.
 */
#define _GNU_SOURCE
#include "bn_clock.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __real_gettimeofday(struct timeval *tv, void *tz);
time_t __real_time(time_t *t);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __real_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem);
int __real_usleep(useconds_t us);
unsigned __real_sleep(unsigned s);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
int __real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask);
int __real_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv);
int __real_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *tmo, const sigset_t *mask);
pid_t __real_fork(void);
unsigned __real_alarm(unsigned s);
int __real_timer_create(clockid_t clk, struct sigevent *sev, timer_t *id);
int __real_timerfd_create(clockid_t clk, int flags);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_mutex_destroy(pthread_mutex_t *m);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at);
int __real_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, const struct timespec *at);
int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);
int __real_pthread_cond_destroy(pthread_cond_t *c);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_detach(pthread_t t);

#define NS 1000000000ull

/* On the board's clock: the virtual clock runs and this is one of its threads. */
static bool on_board(void)
{
  return bn_sched_board_thread();
}

static _Noreturn void cannot(const char *call, const char *why)
{
  fprintf(stderr, "boardnet: virtual clock: the board program called %s, which %s: it cannot follow the "
                  "board's clock (run it without --clock virtual)\n", call, why);
  fflush(NULL);
  abort();
}

static uint64_t ts_ns(const struct timespec *ts)
{
  return (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
}

static struct timespec ns_ts(uint64_t ns)
{
  return (struct timespec){ .tv_sec = (time_t)(ns / NS), .tv_nsec = (long)(ns % NS) };
}

static bool wall_clock(clockid_t clk)
{
  return clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI;
}

/* An absolute time on clock clk as a deadline on the board's clock. */
static uint64_t board_deadline(clockid_t clk, const struct timespec *at)
{
  uint64_t t = ts_ns(at);
  if (wall_clock(clk)) {
    uint64_t wall_now = bn_clock_wall_ns(bn_clock_now_ns());
    uint64_t now = bn_clock_now_ns();
    return t <= wall_now ? now : bn_clock_add_ns(now, t - wall_now);
  }
  return t;
}

/* ---- time ----------------------------------------------------------------------- */

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
  if (!on_board() || clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) {
    return __real_clock_gettime(clk, ts);
  }
  uint64_t now = bn_clock_now_ns();
  *ts = ns_ts(wall_clock(clk) ? bn_clock_wall_ns(now) : now);
  return 0;
}

int __wrap_gettimeofday(struct timeval *tv, void *tz)
{
  if (!on_board()) {
    return __real_gettimeofday(tv, tz);
  }
  uint64_t wall = bn_clock_wall_ns(bn_clock_now_ns());
  if (tv != NULL) {
    tv->tv_sec = (time_t)(wall / NS);
    tv->tv_usec = (suseconds_t)(wall % NS / 1000);
  }
  return 0;
}

time_t __wrap_time(time_t *t)
{
  if (!on_board()) {
    return __real_time(t);
  }
  time_t now = (time_t)(bn_clock_wall_ns(bn_clock_now_ns()) / NS);
  if (t != NULL) {
    *t = now;
  }
  return now;
}

/* ---- sleeps ---------------------------------------------------------------------- */

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
  if (!on_board()) {
    return __real_nanosleep(req, rem);
  }
  if (req == NULL || req->tv_nsec < 0 || req->tv_nsec >= (long)NS || req->tv_sec < 0) {
    errno = EINVAL;
    return -1;
  }
  bn_clock_sleep_until(bn_clock_add_ns(bn_clock_now_ns(), ts_ns(req)));
  if (rem != NULL) {
    *rem = (struct timespec){ 0, 0 };
  }
  return 0;
}

int __wrap_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
  if (!on_board()) {
    return __real_clock_nanosleep(clk, flags, req, rem);
  }
  if (req == NULL || req->tv_nsec < 0 || req->tv_nsec >= (long)NS || req->tv_sec < 0) {
    return EINVAL;
  }
  bn_clock_sleep_until(flags & TIMER_ABSTIME ? board_deadline(clk, req) : bn_clock_add_ns(bn_clock_now_ns(), ts_ns(req)));
  return 0;
}

int __wrap_usleep(useconds_t us)
{
  if (!on_board()) {
    return __real_usleep(us);
  }
  bn_clock_sleep_until(bn_clock_add_ns(bn_clock_now_ns(), (uint64_t)us * 1000u));
  return 0;
}

unsigned __wrap_sleep(unsigned s)
{
  if (!on_board()) {
    return __real_sleep(s);
  }
  bn_clock_sleep_until(bn_clock_add_ns(bn_clock_now_ns(), (uint64_t)s * NS));
  return 0;
}

/* A sleep of poll's or select's, until the deadline (FOREVER: for good). */
static int sleep_for_nothing(uint64_t until)
{
  bn_clock_sleep_until(until);
  return 0;
}

static bool any_fd(const struct pollfd *fds, nfds_t n)
{
  for (nfds_t i = 0; i < n; i++) {
    if (fds[i].fd >= 0) {
      return true;
    }
  }
  return false;
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
  if (!on_board()) {
    return __real_poll(fds, n, timeout_ms);
  }
  if (any_fd(fds, n)) {
    cannot("poll() on a descriptor", "waits for the host");
  }
  return sleep_for_nothing(timeout_ms < 0 ? BN_CLOCK_FOREVER : bn_clock_after_ms(timeout_ms));
}

int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
  if (!on_board()) {
    return __real_ppoll(fds, n, tmo, mask);
  }
  if (any_fd(fds, n)) {
    cannot("ppoll() on a descriptor", "waits for the host");
  }
  return sleep_for_nothing(tmo == NULL ? BN_CLOCK_FOREVER : bn_clock_add_ns(bn_clock_now_ns(), ts_ns(tmo)));
}

static bool any_set(int n, const fd_set *r, const fd_set *w, const fd_set *e)
{
  for (int fd = 0; fd < n && fd < FD_SETSIZE; fd++) {
    if ((r != NULL && FD_ISSET(fd, r)) || (w != NULL && FD_ISSET(fd, w)) || (e != NULL && FD_ISSET(fd, e))) {
      return true;
    }
  }
  return false;
}

int __wrap_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
  if (!on_board()) {
    return __real_select(n, r, w, e, tv);
  }
  if (any_set(n, r, w, e)) {
    cannot("select() on a descriptor", "waits for the host");
  }
  uint64_t d = tv == NULL ? BN_CLOCK_FOREVER
                          : bn_clock_add_ns(bn_clock_now_ns(), (uint64_t)tv->tv_sec * NS + (uint64_t)tv->tv_usec * 1000u);
  if (tv != NULL) {
    *tv = (struct timeval){ 0, 0 }; /* as Linux's select(): the time left */
  }
  return sleep_for_nothing(d);
}

int __wrap_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *tmo, const sigset_t *mask)
{
  if (!on_board()) {
    return __real_pselect(n, r, w, e, tmo, mask);
  }
  if (any_set(n, r, w, e)) {
    cannot("pselect() on a descriptor", "waits for the host");
  }
  return sleep_for_nothing(tmo == NULL ? BN_CLOCK_FOREVER : bn_clock_add_ns(bn_clock_now_ns(), ts_ns(tmo)));
}

/* ---- what cannot follow ---------------------------------------------------------- */

pid_t __wrap_fork(void)
{
  if (bn_clock_is_virtual()) {
    cannot("fork()", "makes a process outside the board");
  }
  return __real_fork();
}

unsigned __wrap_alarm(unsigned s)
{
  if (bn_clock_is_virtual()) {
    cannot("alarm()", "sets a timer of the host");
  }
  return __real_alarm(s);
}

int __wrap_timer_create(clockid_t clk, struct sigevent *sev, timer_t *id)
{
  if (bn_clock_is_virtual()) {
    cannot("timer_create()", "sets a timer of the host");
  }
  return __real_timer_create(clk, sev, id);
}

int __wrap_timerfd_create(clockid_t clk, int flags)
{
  if (bn_clock_is_virtual()) {
    cannot("timerfd_create()", "sets a timer of the host");
  }
  return __real_timerfd_create(clk, flags);
}

/* ---- locks and threads: shadows found by address ------------------------------------ */

/* One shadow per mutex, condition or thread the program used on the board's
 * clock. Only the board's threads come here, one at a time: no lock. */
struct shadow {
  const void *key;
  union {
    bn_mutex_t mutex;
    bn_cond_t cond;
    bn_thread_t thread;
  } u;
  struct shadow *next;
};

#define SHADOW_BUCKETS 256
static struct shadow *shadows[SHADOW_BUCKETS];

static size_t bucket(const void *key)
{
  uintptr_t k = (uintptr_t)key;
  return (size_t)((k >> 4) ^ (k >> 12)) % SHADOW_BUCKETS;
}

static struct shadow *find(const void *key)
{
  for (struct shadow *s = shadows[bucket(key)]; s != NULL; s = s->next) {
    if (s->key == key) {
      return s;
    }
  }
  return NULL;
}

static struct shadow *add(const void *key)
{
  struct shadow *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    cannot("a lock or thread", "needs memory the process has not got");
  }
  s->key = key;
  s->next = shadows[bucket(key)];
  shadows[bucket(key)] = s;
  return s;
}

static void drop(const void *key)
{
  for (struct shadow **p = &shadows[bucket(key)]; *p != NULL; p = &(*p)->next) {
    if ((*p)->key == key) {
      struct shadow *s = *p;
      *p = s->next;
      free(s);
      return;
    }
  }
}

static bn_mutex_t *mutex_of(pthread_mutex_t *m)
{
  struct shadow *s = find(m);
  if (s == NULL) {
    s = add(m);
    int kind = 0;
#ifdef __GLIBC__
    kind = m->__data.__kind & 3; /* the type a static initialiser or pthread_mutex_init() gave it */
#endif
    if (kind == PTHREAD_MUTEX_RECURSIVE) {
      bn_mutex_init_recursive(&s->u.mutex);
    } else {
      bn_mutex_init(&s->u.mutex);
    }
  }
  return &s->u.mutex;
}

static bn_cond_t *cond_of(pthread_cond_t *c)
{
  struct shadow *s = find(c);
  if (s == NULL) {
    s = add(c);
    bn_cond_init(&s->u.cond);
  }
  return &s->u.cond;
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
  if (!on_board()) {
    return __real_pthread_mutex_lock(m);
  }
  bn_mutex_lock(mutex_of(m));
  return 0;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
  if (!on_board()) {
    return __real_pthread_mutex_trylock(m);
  }
  bn_mutex_t *bm = mutex_of(m);
  if (bm->owner != NULL && !bm->recursive) {
    return EBUSY;
  }
  bn_mutex_lock(bm); /* free, or recursive: no wait unless another holds it */
  return 0;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
  if (!on_board()) {
    return __real_pthread_mutex_unlock(m);
  }
  bn_mutex_unlock(mutex_of(m));
  return 0;
}

int __wrap_pthread_mutex_destroy(pthread_mutex_t *m)
{
  if (on_board()) {
    drop(m);
  }
  return __real_pthread_mutex_destroy(m);
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
  if (!on_board()) {
    return __real_pthread_cond_wait(c, m);
  }
  bn_cond_wait(cond_of(c), mutex_of(m), BN_CLOCK_FOREVER);
  return 0;
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at)
{
  if (!on_board()) {
    return __real_pthread_cond_timedwait(c, m, at);
  }
  /* The condition's clock is not in its public API: an absolute time of
   * more than 10^8 s is a wall time (CLOCK_REALTIME, the default), less a
   * monotonic one (pthread_condattr_setclock). */
  clockid_t clk = at->tv_sec > 100000000 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  return bn_cond_wait(cond_of(c), mutex_of(m), board_deadline(clk, at));
}

int __wrap_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, const struct timespec *at)
{
  if (!on_board()) {
    return __real_pthread_cond_clockwait(c, m, clk, at);
  }
  return bn_cond_wait(cond_of(c), mutex_of(m), board_deadline(clk, at));
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
  if (!on_board()) {
    return __real_pthread_cond_signal(c);
  }
  bn_cond_signal(cond_of(c));
  return 0;
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
  if (!on_board()) {
    return __real_pthread_cond_broadcast(c);
  }
  bn_cond_broadcast(cond_of(c));
  return 0;
}

int __wrap_pthread_cond_destroy(pthread_cond_t *c)
{
  if (on_board()) {
    drop(c);
  }
  return __real_pthread_cond_destroy(c);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
  if (!on_board()) {
    return __real_pthread_create(t, attr, fn, arg);
  }
  bn_thread_t bt;
  int rc = bn_thread_create(&bt, "user", fn, arg);
  if (rc != 0) {
    return rc;
  }
  *t = bn_thread_id(bt);
  int detached = PTHREAD_CREATE_JOINABLE;
  if (attr != NULL && pthread_attr_getdetachstate(attr, &detached) == 0 && detached == PTHREAD_CREATE_DETACHED) {
    bn_thread_detach(bt);
  } else {
    add((const void *)*t)->u.thread = bt; /* pthread_t is an address on glibc */
  }
  return 0;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
  struct shadow *s = on_board() ? find((const void *)t) : NULL;
  if (s == NULL) {
    return __real_pthread_join(t, ret);
  }
  bn_thread_t bt = s->u.thread;
  drop((const void *)t);
  return bn_thread_join(bt, ret);
}

int __wrap_pthread_detach(pthread_t t)
{
  struct shadow *s = on_board() ? find((const void *)t) : NULL;
  if (s == NULL) {
    return __real_pthread_detach(t);
  }
  bn_thread_t bt = s->u.thread;
  drop((const void *)t);
  bn_thread_detach(bt);
  return 0;
}
