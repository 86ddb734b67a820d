/*
 * select.poll for usocket: usocket_poll() over an array (poll(2)-like) and the
 * usocket_poller object with MicroPython's register/modify/unregister/poll.
 * Readiness comes from bn_us_poll_one(); waiting uses the module's event
 * generation, so any lwIP event or close re-evaluates the set.
 */
#include "usocket_internal.h"

#include <stdlib.h>

#define ALWAYS (USOCKET_POLLERR | USOCKET_POLLHUP | USOCKET_POLLNVAL)

int usocket_poll(usocket_pollfd *fds, size_t n, long timeout_ms)
{
  if (fds == NULL && n > 0) {
    return -USOCKET_EINVAL;
  }
  /* What can change the answer: data, a FIN, a connection to accept, an
   * error (POLLIN and the POLLHUP/POLLERR every socket reports), and room to
   * send or a connect's end only if POLLOUT is asked for: the ACKs of what
   * it sent do not wake a loop that waits to read. */
  unsigned wait_for = BN_US_WAIT_RECV;
  for (size_t i = 0; i < n; i++) {
    if (fds[i].events & USOCKET_POLLOUT) {
      wait_for |= BN_US_WAIT_SEND;
    }
  }
  bn_us_deadline d;
  bn_us_deadline_set(&d, timeout_ms);
  for (;;) {
    uint64_t gen = bn_us_generation();
    int count = 0;
    for (size_t i = 0; i < n; i++) {
      fds[i].revents = 0;
      if (fds[i].sock != NULL) {
        fds[i].revents = bn_us_poll_one(fds[i].sock, fds[i].events) & (fds[i].events | ALWAYS);
      }
      if (fds[i].revents != 0) {
        count++;
      }
    }
    if (count > 0 || timeout_ms == 0) {
      return count;
    }
    if (bn_us_wait(NULL, wait_for, gen, &d) == -USOCKET_ETIMEDOUT) {
      return 0;
    }
  }
}

struct usocket_poller {
  usocket_pollfd *entries;
  size_t count, cap;
};

int usocket_poller_new(usocket_poller **out)
{
  if (out == NULL) {
    return -USOCKET_EINVAL;
  }
  *out = calloc(1, sizeof(**out));
  return *out != NULL ? 0 : -USOCKET_ENOMEM;
}

void usocket_poller_free(usocket_poller *p)
{
  if (p != NULL) {
    free(p->entries);
    free(p);
  }
}

static usocket_pollfd *find(usocket_poller *p, usocket *s)
{
  for (size_t i = 0; i < p->count; i++) {
    if (p->entries[i].sock == s) {
      return &p->entries[i];
    }
  }
  return NULL;
}

int usocket_poller_register(usocket_poller *p, usocket *s, unsigned events)
{
  if (p == NULL || s == NULL) {
    return -USOCKET_EINVAL;
  }
  usocket_pollfd *e = find(p, s);
  if (e == NULL) {
    if (p->count == p->cap) {
      size_t ncap = p->cap ? p->cap * 2 : 8;
      usocket_pollfd *ne = realloc(p->entries, ncap * sizeof(*ne));
      if (ne == NULL) {
        return -USOCKET_ENOMEM;
      }
      p->entries = ne;
      p->cap = ncap;
    }
    e = &p->entries[p->count++];
    e->sock = s;
  }
  e->events = events;
  e->revents = 0;
  return 0;
}

int usocket_poller_modify(usocket_poller *p, usocket *s, unsigned events)
{
  if (p == NULL || s == NULL) {
    return -USOCKET_EINVAL;
  }
  usocket_pollfd *e = find(p, s);
  if (e == NULL) {
    return -USOCKET_ENOENT;
  }
  e->events = events;
  return 0;
}

int usocket_poller_unregister(usocket_poller *p, usocket *s)
{
  if (p == NULL) {
    return -USOCKET_EINVAL;
  }
  usocket_pollfd *e = find(p, s);
  if (e != NULL) {
    size_t i = (size_t)(e - p->entries);
    for (; i + 1 < p->count; i++) {
      p->entries[i] = p->entries[i + 1];
    }
    p->count--;
  }
  return 0;
}

int usocket_poller_poll(usocket_poller *p, long timeout_ms, usocket_pollfd *out, size_t max)
{
  if (p == NULL || (out == NULL && max > 0)) {
    return -USOCKET_EINVAL;
  }
  int rc = usocket_poll(p->entries, p->count, timeout_ms);
  if (rc <= 0) {
    return rc;
  }
  size_t k = 0;
  for (size_t i = 0; i < p->count && k < max; i++) {
    if (p->entries[i].revents != 0) {
      out[k++] = p->entries[i];
    }
  }
  return (int)k;
}
