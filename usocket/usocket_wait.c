/*
 * usocket's waits: threads that sleep in bn_us_wait() until an event of the
 * kind they wait for on their socket (or on any, for poll), a close or a
 * deadline, and the wake-ups: an lwIP event's after the core lock is
 * released, on condition variables that may be signalled after bn_us_mu is.
 */
#include "usocket_internal.h"

#include <errno.h>

/* A thread sleeping in bn_us_wait(), on its own condition variable, so that an
 * event wakes only the threads waiting for that socket and that kind of
 * event (and those waiting for any socket: poll), not every thread blocked
 * in usocket: the ACK of an echo's reply does not wake the thread that waits
 * for the next request. The nodes live on the waiters' stacks; the list is
 * guarded by bn_us_mu. */
typedef struct bn_us_waiter {
  struct bn_us_waiter *next;
  const usocket *s;   /* the socket waited for; NULL: any */
  unsigned events;    /* BN_US_WAIT_* */
  bool due;           /* to be woken once the core lock is released */
  bn_cond_t *cv; /* a slot of wait_slots, or own_cv */
  bn_cond_t own_cv;
} bn_us_waiter;
static bn_us_waiter *waiters;
static bn_us_wait_counts wait_counts; /* under bn_us_mu */

/* The condition variables waiting threads sleep on, never destroyed, so
 * that wake_due() can signal them after it released bn_us_mu: a thread woken
 * while its waker still holds bn_us_mu would at once sleep again on it. A
 * late signal may reach the slot's next user: a spurious wake-up, which
 * every wait loop tolerates. A thread that finds them all taken sleeps on a
 * condition variable of its own, signalled under bn_us_mu. */
#define WAIT_SLOTS 64
static bn_cond_t wait_slots[WAIT_SLOTS];
static bool wait_slot_used[WAIT_SLOTS]; /* under bn_us_mu */
static pthread_once_t wait_slots_once = PTHREAD_ONCE_INIT;

static void wait_slots_init(void)
{
  for (size_t i = 0; i < WAIT_SLOTS; i++) {
    bn_cond_init(&wait_slots[i]);
  }
}

static bool is_slot(const bn_cond_t *cv)
{
  return cv >= &wait_slots[0] && cv < &wait_slots[WAIT_SLOTS];
}

/* Whether w waits for an event of these kinds on s: a waiter for s, or for
 * any socket (poll), and one of them. An event on a netconn that has
 * no socket yet (s NULL: a connection not yet accepted) concerns only those:
 * nobody can wait for that socket, and whoever takes it tries before it
 * waits (bn_us_wait()'s generation). */
static bool concerns(const bn_us_waiter *w, const usocket *s, unsigned events)
{
  return (w->s == NULL || w->s == s) && (w->events & events) != 0;
}

/* Wakes the waiters s and events concern (s NULL and events 0: everyone).
 * Under bn_us_mu. */
void bn_us_wake_locked(const usocket *s, unsigned events)
{
  for (bn_us_waiter *w = waiters; w != NULL; w = w->next) {
    if ((s == NULL && events == 0) || concerns(w, s, events)) {
      bn_cond_signal(w->cv);
      wait_counts.wakeups++;
    }
  }
}

/* Wakes the waiters an event marked due (run once the thread that saw the
 * event released lwIP's core lock). */
static void wake_due(void *unused)
{
  (void)unused;
  bn_cond_t *later[WAIT_SLOTS];
  size_t n = 0;
  bn_mutex_lock(&bn_us_mu);
  for (bn_us_waiter *w = waiters; w != NULL; w = w->next) {
    if (w->due) {
      w->due = false;
      wait_counts.wakeups++;
      if (is_slot(w->cv)) {
        later[n++] = w->cv; /* at most one waiter per slot */
      } else {
        bn_cond_signal(w->cv); /* its own: gone once bn_us_mu is released */
      }
    }
  }
  bn_mutex_unlock(&bn_us_mu);
  for (size_t i = 0; i < n; i++) {
    bn_cond_signal(later[i]);
  }
}

/* An event from lwIP, under the core lock: the waiters it concerns wake once
 * the lock is released (a thread woken now would at once sleep again on the
 * core lock, which its next call into lwIP needs). Under bn_us_mu. */
static void wake_after_core_locked(const usocket *s, unsigned events)
{
  bool any = false;
  for (bn_us_waiter *w = waiters; w != NULL; w = w->next) {
    if (concerns(w, s, events)) {
      w->due = true;
      any = true;
    }
  }
  if (any && sys_defer_until_core_unlock(wake_due, NULL) == SYS_CORE_DEFERRED_REFUSED) {
    bn_us_wake_locked(s, events); /* not called under the core lock: now */
  }
}

/* The waiters an lwIP event concerns. */
static unsigned wait_events_of(enum netconn_evt evt)
{
  switch (evt) {
  case NETCONN_EVT_RCVPLUS:  return BN_US_WAIT_RECV;
  case NETCONN_EVT_SENDPLUS: return BN_US_WAIT_SEND;
  default:                   return BN_US_WAIT_ANY; /* an error */
  }
}

void bn_us_wake_event_locked(const usocket *s, enum netconn_evt evt)
{
  wait_counts.send_events += evt == NETCONN_EVT_SENDPLUS;
  wait_counts.recv_events += evt == NETCONN_EVT_RCVPLUS;
  wake_after_core_locked(s, wait_events_of(evt));
}

void bn_us_wake_all(void)
{
  bn_mutex_lock(&bn_us_mu);
  bn_us_gen++;
  bn_us_wake_locked(NULL, 0);
  bn_mutex_unlock(&bn_us_mu);
}

uint64_t bn_us_generation(void)
{
  bn_mutex_lock(&bn_us_mu);
  uint64_t g = bn_us_gen;
  bn_mutex_unlock(&bn_us_mu);
  return g;
}

void bn_us_deadline_set(bn_us_deadline *d, long timeout_ms)
{
  d->at = bn_clock_after_ms(timeout_ms);
}

/* How long a wait sleeps at most before it re-checks (see bn_us_wait()). */
#define BN_US_WAIT_SLICE_MS 100

int bn_us_wait(usocket *s, unsigned events, uint64_t gen, const bn_us_deadline *d)
{
  uint64_t slice = bn_clock_after_ms(BN_US_WAIT_SLICE_MS);
  uint64_t until = d->at < slice ? d->at : slice;
  int rc = 0;
  pthread_once(&wait_slots_once, wait_slots_init);
  bn_mutex_lock(&bn_us_mu);
  if (bn_us_gen == gen && !(s != NULL && s->closed)) {
    /* Events since gen was read bumped bn_us_gen (checked above, under bn_us_mu);
     * later ones for s and events (or any, for s NULL) signal this node. */
    bn_us_waiter self = { .next = waiters, .s = s, .events = events };
    size_t slot = 0;
    while (slot < WAIT_SLOTS && wait_slot_used[slot]) {
      slot++;
    }
    if (slot < WAIT_SLOTS) {
      wait_slot_used[slot] = true;
      self.cv = &wait_slots[slot];
    } else {
      bn_cond_init(&self.own_cv);
      self.cv = &self.own_cv;
    }
    waiters = &self;
    wait_counts.waiting++;
    while (bn_us_gen == gen && !(s != NULL && s->closed)) {
      if (bn_cond_wait(self.cv, &bn_us_mu, until) == ETIMEDOUT) {
        break;
      }
    }
    bn_us_waiter **pp = &waiters;
    while (*pp != &self) {
      pp = &(*pp)->next;
    }
    *pp = self.next;
    wait_counts.waiting--;
    if (slot < WAIT_SLOTS) {
      wait_slot_used[slot] = false;
    } else {
      bn_cond_destroy(&self.own_cv);
    }
  }
  if (s != NULL && s->closed) {
    rc = -USOCKET_EBADF;
  } else if (d->at != BN_CLOCK_FOREVER && bn_clock_now_ns() >= d->at) {
    rc = -USOCKET_ETIMEDOUT;
  }
  bn_mutex_unlock(&bn_us_mu);
  return rc;
}

void bn_us_wait_counts_get(bn_us_wait_counts *out)
{
  bn_mutex_lock(&bn_us_mu);
  *out = wait_counts;
  bn_mutex_unlock(&bn_us_mu);
}
